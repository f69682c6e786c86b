package locales_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"coopbot"
	"coopbot/locales"

	"github.com/BurntSushi/toml"
)

// glossaryFile settles the spelling of Azeri words that the message file once spelled in
// more than one way. It is read here only: it is not a message file.
const glossaryFile = "glossary.az-Arab.toml"

type glossaryWord struct {
	Settled  string
	Variants []string
	Stem     bool // a variant also matches at the start of a longer word
	Reason   string
}

func readGlossary(t *testing.T) []glossaryWord {
	t.Helper()
	var g struct{ Word []glossaryWord }
	md, err := toml.DecodeFile(glossaryFile, &g)
	if err != nil {
		t.Fatalf("%s: %v", glossaryFile, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		t.Errorf("%s: unexpected keys %v (a word has settled, variants, stem, reason)", glossaryFile, undecoded)
	}
	if len(g.Word) == 0 {
		t.Fatalf("%s: no words", glossaryFile)
	}
	return g.Word
}

var templateAction = regexp.MustCompile(`\{\{[^}]*\}\}`)

// words splits a text into its words: letters with their vowel signs and the zero-width
// non-joiners inside them (راضی‌یام is one word), without template actions.
func words(s string) []string {
	s = templateAction.ReplaceAllString(s, " ")
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && r != '\u200c'
	})
	out := fields[:0]
	for _, f := range fields {
		if f = strings.Trim(f, "\u200c"); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// spelledAs reports whether word is a spelling of variant: the same word or, for a stem,
// the word with suffixes.
func spelledAs(word, variant string, stem bool) bool {
	return word == variant || stem && strings.HasPrefix(word, variant)
}

// TestGlossaryIsWellFormed fails when an entry lacks a part, is not a single word, is
// listed twice, or has a variant that would flag a settled spelling.
func TestGlossaryIsWellFormed(t *testing.T) {
	t.Parallel()
	g := readGlossary(t)
	seen := map[string]string{}
	once := func(w, role string) {
		if prev, ok := seen[w]; ok {
			t.Errorf("%s: %q is listed twice (as %s and as %s)", glossaryFile, w, prev, role)
		}
		seen[w] = role
	}
	for _, w := range g {
		if w.Settled == "" || len(w.Variants) == 0 || strings.TrimSpace(w.Reason) == "" {
			t.Errorf("%s: %q needs settled, variants and a reason", glossaryFile, w.Settled)
		}
		for _, s := range append([]string{w.Settled}, w.Variants...) {
			if ws := words(s); len(ws) != 1 || ws[0] != s {
				t.Errorf("%s: %q is not a single word", glossaryFile, s)
			}
		}
		once(w.Settled, "a settled word")
		for _, v := range w.Variants {
			once(v, "a variant of "+w.Settled)
		}
	}
	for _, w := range g {
		for _, v := range w.Variants {
			for _, s := range g {
				if spelledAs(s.Settled, v, w.Stem) {
					t.Errorf("%s: variant %q of %q matches the settled word %q", glossaryFile, v, w.Settled, s.Settled)
				}
			}
		}
	}
}

// TestAzeriSpellingFollowsTheGlossary fails when an Azeri message spells a word in a way
// the glossary replaced.
func TestAzeriSpellingFollowsTheGlossary(t *testing.T) {
	t.Parallel()
	g := readGlossary(t)
	az := readFile(t, locales.Files[coopbot.Azeri])
	for id, m := range az {
		texts := []string{m.Other}
		if m.One != m.Other {
			texts = append(texts, m.One)
		}
		for _, text := range texts {
			for _, word := range words(text) {
				for _, w := range g {
					for _, v := range w.Variants {
						if spelledAs(word, v, w.Stem) {
							t.Errorf("%s: %q has the variant %q; write %q (%s: %s)", id, word, v, w.Settled, glossaryFile, w.Reason)
						}
					}
				}
			}
		}
	}
}
