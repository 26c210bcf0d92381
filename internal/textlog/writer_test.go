package textlog

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writes records each write the log writer makes.
type writes struct {
	mu  sync.Mutex
	got []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, string(p))
	return len(p), nil
}

// Every line is written, in order and whole: batched while the writer is
// open, at once after Close.
func TestLogWriterKeepsEveryLineWholeAndInOrder(t *testing.T) {
	var out writes
	lw := NewWriter(&out)
	var want bytes.Buffer
	long := strings.Repeat("x", 40<<10) // lines that do not fit the buffer together
	for i := range 10 {
		line := []byte(long[:i*4<<10] + "\n")
		_, err := lw.Write(line)
		require.NoError(t, err)
		want.Write(line)
	}
	require.NoError(t, lw.Close())
	_, err := lw.Write([]byte("after close\n"))
	require.NoError(t, err)
	want.WriteString("after close\n")

	out.mu.Lock()
	defer out.mu.Unlock()
	assert.Equal(t, want.String(), strings.Join(out.got, ""))
	for _, w := range out.got {
		assert.True(t, strings.HasSuffix(w, "\n"), "each write ends with a whole line")
	}
	assert.Less(t, len(out.got), 11, "lines are batched")
}
