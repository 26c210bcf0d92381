package query

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// likeNaive is the matcher before patterns were compiled: rune slices and
// backtracking on the last %.
func likeNaive(s, pattern string) bool {
	sr, pr := []rune(s), []rune(pattern)
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(sr) {
		switch {
		case pi < len(pr) && pr[pi] == '%':
			star, mark = pi, si
			pi++
		case pi < len(pr) && (pr[pi] == '_' || pr[pi] == sr[si]):
			si++
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '%' {
		pi++
	}
	return pi == len(pr)
}

// A compiled pattern matches exactly what the plain matcher matches, with
// and without _, on random short texts over a small alphabet (so that
// matches are common), multi-byte runes included.
func TestCompiledLikeMatchesThePlainMatcher(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := []rune("ab%_é")
	text := []rune("abé%_")
	gen := func(set []rune, n int) string {
		var b strings.Builder
		for range rng.IntN(n) {
			b.WriteRune(set[rng.IntN(len(set))])
		}
		return b.String()
	}
	for range 200000 {
		p, s := gen(alpha, 8), gen(text, 10)
		if got, want := CompileLike(p).Match(s), likeNaive(s, p); got != want {
			t.Fatalf("LIKE %q on %q: got %v, want %v", p, s, got, want)
		}
	}
}

// Runs of % collapse to one, so a pattern's size, not its number of
// wildcards, is what a match costs; a pattern longer than the text fails at
// once.
func TestLikeCollapsesRunsOfPercent(t *testing.T) {
	p := CompileLike(strings.Repeat("%", 20000) + "x" + strings.Repeat("%%", 100))
	if len(p.p) != 3 || p.min != 1 {
		t.Fatalf("compiled to %d runes, min %d; want 3 and 1", len(p.p), p.min)
	}
	if !p.Match("a x b") || p.Match("abc") {
		t.Fatal("wrong match")
	}
	if CompileLike(strings.Repeat("_", 50)).Match("short") {
		t.Fatal("a 50-character pattern matched a 5-character text")
	}
	allocs := testing.AllocsPerRun(100, func() { p.Match("northwind crm x") })
	if allocs != 0 {
		t.Fatalf("a match allocates %v times; want 0", allocs)
	}
}
