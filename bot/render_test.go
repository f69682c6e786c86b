package bot

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkChunks asserts that chunks carry text whole (only whitespace at the cuts may go) and
// that each is 1–limit UTF-16 code units of valid UTF-8.
func checkChunks(t *testing.T, text string, limit int, chunks []string) {
	t.Helper()
	for i, c := range chunks {
		if n := utf16Len(c); n < 1 || n > limit {
			t.Fatalf("chunk %d of %d is %d UTF-16 units, want 1–%d", i, len(chunks), n, limit)
		}
		if strings.TrimSpace(c) == "" {
			t.Fatalf("chunk %d is blank", i)
		}
		if !utf8.ValidString(c) {
			t.Fatalf("chunk %d cuts a character in half: %q", i, c)
		}
	}
	squash := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
	}
	if got, want := squash(strings.Join(chunks, "")), squash(text); got != want {
		t.Fatalf("split lost or changed text: %d runes in, %d out", utf8.RuneCountInString(want), utf8.RuneCountInString(got))
	}
}

func TestSplitCountsUTF16AndCutsAtBreaks(t *testing.T) {
	t.Parallel()
	emoji := "😀" // two UTF-16 units, four bytes
	for _, c := range []struct {
		name string
		text string
		want []int // UTF-16 length of each chunk
	}{
		{"empty", "", nil},
		{"short", "سلام", []int{4}},
		{"exactly the limit", strings.Repeat("ب", maxText), []int{maxText}},
		{"one over", strings.Repeat("ب", maxText+1), []int{maxText, 1}},
		// 2,048 emoji are 4,096 units: one message; one more does not fit.
		{"emoji at the limit", strings.Repeat(emoji, maxText/2), []int{maxText}},
		{"emoji over the limit", strings.Repeat(emoji, maxText/2+1), []int{maxText, 2}},
		// An emoji that would straddle the limit moves whole to the next message.
		{"emoji straddling", strings.Repeat("a", maxText-1) + emoji, []int{maxText - 1, 2}},
		// Cut at the last line break that fits, else at a space.
		{"line break", strings.Repeat("ا", 3000) + "\n" + strings.Repeat("د", 3000), []int{3000, 3000}},
		{"space", strings.Repeat("ا", 4000) + " " + strings.Repeat("د", 500), []int{4000, 500}},
		{"10,000 characters", strings.Repeat("آزمون ", 1666) + "آخر", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			chunks := split(c.text, maxText)
			checkChunks(t, c.text, maxText, chunks)
			if c.want == nil {
				if c.text != "" && len(chunks) < 2 {
					t.Fatalf("%d chunks for %d units", len(chunks), utf16Len(c.text))
				}
				return
			}
			var got []int
			for _, ch := range chunks {
				got = append(got, utf16Len(ch))
			}
			if len(got) != len(c.want) {
				t.Fatalf("chunk lengths %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("chunk lengths %v, want %v", got, c.want)
				}
			}
		})
	}
}

// Random mixes of Persian, Latin, emoji, joiners, spaces and line breaks: every piece fits
// and nothing is lost.
func TestSplitRandomTexts(t *testing.T) {
	t.Parallel()
	parts := []string{"ب", "a", "😀", "👨‍👩‍👧", "\u200c", " ", "\n", "۱۲۳", "<b>", "&", "\u202e"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		var b strings.Builder
		n := rng.IntN(12000)
		for b.Len() < n {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		text := strings.TrimSpace(b.String())
		limit := maxText
		if i%4 == 0 {
			limit = 10 + rng.IntN(50) // small limits exercise many cuts
		}
		checkChunks(t, text, limit, split(text, limit))
	}
}
