package textlog

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// FlushInterval is how long a log line may wait in the buffer.
const FlushInterval = 100 * time.Millisecond

// Writer buffers the log: every line is written, in order, but lines
// written close together go out in one write to stderr instead of one
// system call each (the request log costs a write per request otherwise).
// A line waits at most FlushInterval; Close writes what is left.
type Writer struct {
	mu      sync.Mutex
	buf     *bufio.Writer
	pending bool // a flush is scheduled
	timer   *time.Timer
	closed  bool
}

func NewWriter(w io.Writer) *Writer {
	lw := &Writer{buf: bufio.NewWriterSize(w, 64<<10)}
	lw.timer = time.AfterFunc(time.Hour, lw.flush)
	lw.timer.Stop()
	return lw
}

// Write buffers p, one whole log line from slog's handler.
func (lw *Writer) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.closed { // after Close: straight through, still in order
		n, err := lw.buf.Write(p)
		if err == nil {
			err = lw.buf.Flush()
		}
		return n, err
	}
	if lw.buf.Available() < len(p) && lw.buf.Buffered() > 0 {
		_ = lw.buf.Flush() // the line goes out whole, never split across writes
	}
	n, err := lw.buf.Write(p)
	if !lw.pending {
		lw.pending = true
		lw.timer.Reset(FlushInterval)
	}
	return n, err
}

func (lw *Writer) flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.pending = false
	_ = lw.buf.Flush()
}

// Close writes every buffered line; later lines are written at once.
func (lw *Writer) Close() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.timer.Stop()
	lw.closed, lw.pending = true, false
	return lw.buf.Flush()
}
