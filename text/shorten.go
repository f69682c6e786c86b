package text

import (
	"strings"
	"unicode"
)

// Shorten returns s in at most n runes for a button label: when it must be cut, the cut
// falls at the end of a word (not inside one) and "…" marks it. A first word longer than
// n is cut as Truncate cuts, with the mark.
func Shorten(s string, n int) string {
	s = strings.TrimSpace(s)
	if len([]rune(s)) <= n || n < 2 {
		return Truncate(s, n)
	}
	cut := Truncate(s, n-1) // room for the mark
	if rest := s[len(cut):]; rest != "" && !startsSpace(rest) {
		// Inside a word: back off to the last space, unless that leaves nothing.
		if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > 0 {
			cut = cut[:i]
		}
	}
	return strings.TrimRightFunc(cut, func(r rune) bool { return unicode.IsSpace(r) || r == zwnj || unicode.IsPunct(r) }) + "…"
}

func startsSpace(s string) bool {
	for _, r := range s {
		return unicode.IsSpace(r)
	}
	return false
}
