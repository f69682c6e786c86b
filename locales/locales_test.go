package locales_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"coopbot"
	"coopbot/locales"

	"github.com/BurntSushi/toml"
)

// sameByDesign are messages whose text is rightly the same in both languages: the names of
// the languages themselves, shown to a reader who has not chosen yet, and marks that hold
// only another message (a ticked toggle).
var sameByDesign = map[string]bool{
	"lang.fa.name":  true,
	"lang.az.name":  true,
	"common.ticked": true,
	"common.list":   true,
}

type message struct {
	Description string
	One, Other  string
}

func readFile(t *testing.T, name string) map[string]message {
	t.Helper()
	var m map[string]message
	md, err := toml.DecodeFile(name, &m)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		t.Errorf("%s: unexpected keys %v (a message is a quoted table with description, one, other)", name, undecoded)
	}
	return m
}

// TestFilesMatch fails when the two languages differ in message IDs, when a message lacks
// a description or a plural form, or when an Azeri text was left as its Persian source.
func TestFilesMatch(t *testing.T) {
	t.Parallel()
	fa := readFile(t, locales.Files[coopbot.Persian])
	az := readFile(t, locales.Files[coopbot.Azeri])
	for id := range fa {
		if _, ok := az[id]; !ok {
			t.Errorf("%s: missing in Azeri", id)
		}
	}
	for id := range az {
		if _, ok := fa[id]; !ok {
			t.Errorf("%s: in Azeri but not in Persian", id)
		}
	}
	latin := regexp.MustCompile(`[A-Za-z]{2,}`)
	placeholders := regexp.MustCompile(`\{\{[^}]*\}\}|/[a-z]+`)
	for _, lang := range []map[string]message{fa, az} {
		for id, m := range lang {
			if m.Description == "" {
				t.Errorf("%s: no description for translators", id)
			}
			if strings.TrimSpace(m.One) == "" || strings.TrimSpace(m.Other) == "" {
				t.Errorf("%s: both plural forms one and other are needed", id)
			}
			if latin.MatchString(placeholders.ReplaceAllString(m.Other, "")) {
				t.Errorf("%s: Latin letters in %q (the texts are in Arabic script)", id, m.Other)
			}
		}
	}
	for id, m := range az {
		if p, ok := fa[id]; ok && !sameByDesign[id] && (m.Other == p.Other || m.One == p.One) {
			t.Errorf("%s: Azeri text equals the Persian source %q: translate it", id, p.Other)
		}
	}
}

// TestNoDuplicateIDs catches a message defined twice in one file (TOML would reject the
// file, but an appended block can also land inside the previous table).
func TestNoDuplicateIDs(t *testing.T) {
	t.Parallel()
	for _, name := range locales.Files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "[") {
				ids = append(ids, line)
			}
		}
		sorted := slices.Clone(ids)
		slices.Sort(sorted)
		if c := slices.Compact(sorted); len(c) != len(ids) {
			t.Errorf("%s: a message ID appears twice", name)
		}
	}
}

// TestEveryMessageRenders renders every message in both languages with sample data.
func TestEveryMessageRenders(t *testing.T) {
	t.Parallel()
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range cat.IDs() {
		for _, lang := range []coopbot.Lang{coopbot.Persian, coopbot.Azeri} {
			one, many := 1, 5
			for _, n := range []*int{nil, &one, &many} {
				if _, err := cat.Text(lang, id, map[string]any{}, n); err != nil {
					t.Errorf("%s/%s: %v", lang, id, err)
				}
			}
		}
	}
}

// msgIDLiteral matches a message ID written as a string literal in Go code: a dotted ID
// whose first part is one of the areas of the message files.
var msgIDLiteral = regexp.MustCompile(`"((?:common|conv|error|menu|lang|language|onboarding|input|join|coop|admin|training|trainings|need|needs|broadcast|staff|notify|webchat|profile)\.[a-z0-9_.]+)"`)

// TestCodeUsesKnownMessages fails when Go code names a message ID that the files lack, so a
// missing message is caught before a resident sees an error.
func TestCodeUsesKnownMessages(t *testing.T) {
	t.Parallel()
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepathGlobGo("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgIDLiteral.FindAllStringSubmatch(string(b), -1) {
			id := m[1]
			if strings.HasSuffix(id, ".") {
				continue // a prefix that code completes
			}
			if !cat.Has(id) {
				t.Errorf("%s: message %q is not in the locale files", f, id)
			}
		}
	}
}

func filepathGlobGo(root string) ([]string, error) {
	var out []string
	err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") && p != "." {
			return fs.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			out = append(out, filepath.Join(root, p))
		}
		return nil
	})
	return out, err
}

// Template data may carry other messages and names in both languages: each is rendered in
// the reader's language.
func TestNestedMessagesAndNamesRenderInTheReadersLanguage(t *testing.T) {
	t.Parallel()
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	name := coopbot.Names{Fa: "سرخاب", Az: "سورخاب"}
	for _, lang := range []coopbot.Lang{coopbot.Persian, coopbot.Azeri} {
		inner, err := cat.Text(lang, "common.next", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cat.Text(lang, "input.too_short", map[string]any{"Min": coopbot.M("common.next")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got, inner) {
			t.Errorf("%s: nested message rendered as %q, want it to contain %q", lang, got, inner)
		}
		got, err = cat.Text(lang, "input.too_short", map[string]any{"Min": name}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := name.In(lang); !strings.Contains(got, want) {
			t.Errorf("%s: name rendered as %q, want it to contain %q", lang, got, want)
		}
	}
}
