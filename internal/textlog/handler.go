// Package textlog is cmd/mock's request log: slog's text format, written
// without the TextHandler's reflection for the records the mock writes on
// every request (Handler), through a buffer that writes every line, in
// order and whole, at most FlushInterval late (Writer). The load program
// (mockserver/internal/cmd/load) profiles the mock with the same log.
package textlog

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Handler is slog's TextHandler with a fast path for the records the
// mock writes on every request: no groups or handler attributes, and
// attributes that are strings, integers and durations. Those it formats
// itself, byte for byte as the TextHandler would (TestTextHandlerMatchesSlog
// compares the two on random records), without the TextHandler's
// reflection and per-attribute state; anything else goes to the
// TextHandler, which writes to the same writer under the same lock.
type Handler struct {
	slow  slog.Handler
	level slog.Leveler
	fast  bool      // no ReplaceAttr, no AddSource: the fast path writes what the TextHandler would
	w     io.Writer // writes a line whole: a *Writer, or the caller's writer under a lock
}

func NewHandler(w io.Writer, opts *slog.HandlerOptions) *Handler {
	h := &Handler{level: opts.Level, fast: opts.ReplaceAttr == nil && !opts.AddSource}
	if h.level == nil {
		h.level = slog.LevelInfo
	}
	h.w = w
	if _, whole := w.(*Writer); !whole {
		h.w = lockedWriter{&sync.Mutex{}, w}
	}
	h.slow = slog.NewTextHandler(h.w, opts)
	return h
}

// lockedWriter writes under the handler's lock, so the fast path and the
// TextHandler never interleave. A *Writer needs none: it takes each
// line whole under its own lock, and both write a record in one call.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// WithAttrs and WithGroup hand over to the TextHandler for good.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler { return h.slow.WithAttrs(as) }
func (h *Handler) WithGroup(name string) slog.Handler    { return h.slow.WithGroup(name) }

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if !h.fast {
		return h.slow.Handle(ctx, r)
	}
	bp := lineBufs.Get().(*[]byte)
	defer lineBufs.Put(bp)
	b, ok := appendTextRecord((*bp)[:0], r)
	if !ok {
		return h.slow.Handle(ctx, r)
	}
	*bp = b
	_, err := h.w.Write(b)
	return err
}

// HandleAttrs writes the record of time t, level l, message msg and attrs,
// as Handle writes slog.NewRecord(t, l, msg, 0) with attrs added, but
// without the Record: no copy of the attributes into it (a Record holds five
// without allocating) and no callback per attribute. The mock's request log
// calls it once a request. The level is not checked; call Enabled first.
func (h *Handler) HandleAttrs(ctx context.Context, t time.Time, l slog.Level, msg string, attrs ...slog.Attr) error {
	if h.fast {
		bp := lineBufs.Get().(*[]byte)
		defer lineBufs.Put(bp)
		b := appendTextHead((*bp)[:0], t, l, msg)
		ok := true
		for _, a := range attrs {
			if b, ok = appendTextAttr(b, a); !ok {
				break
			}
		}
		if ok {
			*bp = append(b, '\n')
			_, err := h.w.Write(*bp)
			return err
		}
	}
	r := slog.NewRecord(t, l, msg, 0)
	r.AddAttrs(attrs...)
	return h.slow.Handle(ctx, r)
}

// appendTextRecord formats r as slog's TextHandler does, or reports that it
// holds an attribute the fast path does not format.
func appendTextRecord(b []byte, r slog.Record) ([]byte, bool) {
	b = appendTextHead(b, r.Time, r.Level, r.Message)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		b, ok = appendTextAttr(b, a)
		return ok
	})
	return append(b, '\n'), ok
}

// appendTextHead writes a record's time, level and message.
func appendTextHead(b []byte, t time.Time, l slog.Level, msg string) []byte {
	if !t.IsZero() {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, t.Round(0))
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b = appendTextString(b, l.String())
	b = append(b, " msg="...)
	return appendTextString(b, msg)
}

// appendTextAttr writes one attribute, or reports that the fast path does
// not format its kind.
func appendTextAttr(b []byte, a slog.Attr) ([]byte, bool) {
	if a.Key == "" && a.Equal(slog.Attr{}) { // slog drops an empty attribute
		return b, true
	}
	b = append(b, ' ')
	b = appendTextString(b, a.Key)
	b = append(b, '=')
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		b = appendTextString(b, v.String())
	case slog.KindInt64:
		b = strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindDuration:
		b = append(b, v.Duration().String()...)
	default:
		return b, false
	}
	return b, true
}

// appendRFC3339Millis is slog's: RFC 3339 with exactly three digits of
// milliseconds, truncated. The date, time of day and zone are formatted
// once a second (stamps), the milliseconds each time.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 { // a date of another width
		const prefixLen = len("2006-01-02T15:04:05.000")
		n := len(b)
		t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b[:n+prefixLen], b[n+prefixLen+1:]...) // drop the fourth digit
	}
	sec, loc := t.Unix(), t.Location()
	st := lastStamp.Load()
	if st == nil || st.sec != sec || st.loc != loc {
		// "2006-01-02T15:04:05.000Z07:00" with the milliseconds cut out.
		full := t.Truncate(time.Second).Format("2006-01-02T15:04:05.000Z07:00")
		st = &stamp{sec: sec, loc: loc, date: full[:len("2006-01-02T15:04:05")], zone: full[len("2006-01-02T15:04:05.000"):]}
		lastStamp.Store(st)
	}
	ms := t.Nanosecond() / int(time.Millisecond)
	b = append(b, st.date...)
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, st.zone...)
}

// stamp is one second's formatted date and zone (appendRFC3339Millis).
type stamp struct {
	sec        int64
	loc        *time.Location
	date, zone string
}

var lastStamp atomic.Pointer[stamp]

// appendTextString writes s as the TextHandler writes a string: as it is,
// or Go-quoted when it is empty or holds a space, '=', '"', a control
// character or a rune that is not printable.
func appendTextString(b []byte, s string) []byte {
	if textNeedsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func textNeedsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !bareASCII[c] {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// bareASCII says which ASCII bytes a string holds without being quoted:
// one look-up a byte instead of four comparisons.
var bareASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != ' ' && c != '=' && c != '"'
	}
	return t
}()
