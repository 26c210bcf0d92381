package textlog

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestTextHandlerMatchesSlog writes random records through the fast
// handler (as a Record and through HandleAttrs) and through slog's
// TextHandler and requires the same bytes:
// strings that need quoting and strings that do not, integers, durations,
// attributes the fast path hands over (floats, times, groups), levels and
// times of every precision.
func TestTextHandlerMatchesSlog(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "a", "GET", "/api/v2/x", "a b", "k=v", `q"uote`, `back\slash`, "tab\t", "nl\n", "é", "\u00a0", "\x7f", "\xff", "日本", "µs", "-", "+1", "allow"}
	str := func() string {
		var b strings.Builder
		for range rnd.IntN(3) + 1 {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		return b.String()
	}
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelInfo + 2}
	prev := time.Unix(1_700_000_000, 0)
	for i := range 20000 {
		when := time.Unix(1_700_000_000+rnd.Int64N(1e8), rnd.Int64N(1e9)).In(time.FixedZone("z", 3600*(rnd.IntN(5)-2)))
		switch {
		case i%50 == 0:
			when = time.Time{}
		case i%3 != 0: // the same second as the record before, in its zone or another
			when = time.Unix(prev.Unix(), rnd.Int64N(1e9)).In(prev.Location())
			if i%7 == 0 {
				when = when.UTC()
			}
		case i%101 == 0: // dates of other widths
			when = time.Date([]int{-1, 0, 9999, 10000, 123456}[rnd.IntN(5)], 3, 4, 5, 6, 7, rnd.IntN(1e9), time.UTC)
		}
		prev = when
		level, msg := levels[rnd.IntN(len(levels))], str()
		var attrs []slog.Attr
		for range rnd.IntN(10) {
			switch rnd.IntN(9) {
			case 0, 1, 2:
				attrs = append(attrs, slog.String(str(), str()))
			case 3:
				attrs = append(attrs, slog.Int(str(), rnd.IntN(1000)-500))
			case 4:
				attrs = append(attrs, slog.Duration(str(), time.Duration(rnd.Int64N(1e12))))
			case 5:
				attrs = append(attrs, slog.Float64(str(), rnd.Float64()))
			case 6:
				attrs = append(attrs, slog.Attr{})
			case 7:
				attrs = append(attrs, slog.Group(str(), slog.String("x", str())))
			case 8:
				attrs = append(attrs, slog.Group(str())) // empty: a Record drops it
			}
		}
		r := slog.NewRecord(when, level, msg, 0)
		r.AddAttrs(attrs...)
		var fast, direct, slow bytes.Buffer
		opts := &slog.HandlerOptions{Level: slog.LevelDebug}
		if err := NewHandler(&fast, opts).Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if err := NewHandler(&direct, opts).HandleAttrs(context.Background(), when, level, msg, attrs...); err != nil {
			t.Fatal(err)
		}
		if err := slog.NewTextHandler(&slow, opts).Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if fast.String() != slow.String() {
			t.Fatalf("record %d:\n fast %q\n slog %q", i, fast.String(), slow.String())
		}
		if direct.String() != slow.String() {
			t.Fatalf("record %d through HandleAttrs:\n fast %q\n slog %q", i, direct.String(), slow.String())
		}
	}
}

// The handler honours its level, and hands over to slog for attributes it
// does not format itself.
func TestTextHandlerLevelsAndHandOver(t *testing.T) {
	var b bytes.Buffer
	l := slog.New(NewHandler(&b, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l.Info("hidden")
	l.Warn("shown", "n", 1, "when", time.Unix(0, 0).UTC())
	l.With("k", "v").Error("with")
	out := b.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, "msg=shown n=1 when=1970-01-01T00:00:00.000Z") || !strings.Contains(out, "msg=with k=v") {
		t.Errorf("log:\n%s", out)
	}
}

// BenchmarkRequestLine writes the mock's request line (seven attributes)
// as a Record through Handle and through HandleAttrs.
func BenchmarkRequestLine(b *testing.B) {
	attrs := []slog.Attr{slog.String("method", "GET"), slog.String("path", "/api/v2/integrations/credentials/types"),
		slog.Int("status", 200), slog.Duration("duration", 45123*time.Nanosecond), slog.String("operation", "listCredentialTypes"),
		slog.String("outcome", "allow"), slog.String("tenant", "t1")}
	h := NewHandler(NewWriter(io.Discard), &slog.HandlerOptions{Level: slog.LevelInfo})
	ctx := context.Background()
	b.Run("Record", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
			r.AddAttrs(attrs...)
			_ = h.Handle(ctx, r)
		}
	})
	b.Run("HandleAttrs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = h.HandleAttrs(ctx, time.Now(), slog.LevelInfo, "request", attrs...)
		}
	})
}
