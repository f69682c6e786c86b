package text

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// localeMessages reads a go-i18n TOML file well enough to find each message's plural
// forms (the project's files use only quoted table headers and one-line strings).
func localeMessages(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not found (package used outside the coopbot repository)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]map[string]string{}
	var cur map[string]string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, `["`) && strings.HasSuffix(line, `"]`) {
			id := line[2 : len(line)-2]
			if _, dup := msgs[id]; dup {
				t.Errorf("%s: message %q defined twice", path, id)
			}
			cur = map[string]string{}
			msgs[id] = cur
			continue
		}
		if cur == nil {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			v = strings.TrimSpace(v)
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				cur[strings.TrimSpace(k)] = v[1 : len(v)-1]
			}
		}
	}
	return msgs
}

var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

func placeholders(s string) string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	return strings.Join(names, ",")
}

// Every Reason is a message ID present in both locale files, with both plural forms, a
// description, a real Azeri translation, the same placeholders, and Persian digits.
func TestReasonsInLocales(t *testing.T) {
	fa := localeMessages(t, filepath.Join("..", "locales", "active.fa.toml"))
	az := localeMessages(t, filepath.Join("..", "locales", "active.az-Arab.toml"))
	seen := map[Reason]bool{}
	for _, r := range Reasons() {
		if r == OK || seen[r] {
			t.Errorf("Reasons: %q empty or repeated", r)
		}
		seen[r] = true
		for lang, msgs := range map[string]map[string]map[string]string{"fa": fa, "az-Arab": az} {
			m, ok := msgs[string(r)]
			if !ok {
				t.Errorf("%s: message %q missing", lang, r)
				continue
			}
			for _, k := range []string{"description", "one", "other"} {
				if m[k] == "" {
					t.Errorf("%s: %q has no %s", lang, r, k)
				}
			}
			if strings.ContainsAny(m["one"]+m["other"], "0123456789") {
				t.Errorf("%s: %q shows ASCII digits; use Persian digits", lang, r)
			}
		}
		if f, a := fa[string(r)], az[string(r)]; f != nil && a != nil {
			if f["other"] == a["other"] {
				t.Errorf("%q: Azeri text is the same as the Persian", r)
			}
			if placeholders(f["other"]) != placeholders(a["other"]) || placeholders(f["one"]) != placeholders(f["other"]) {
				t.Errorf("%q: placeholders differ between forms or languages", r)
			}
		}
	}
	if p := placeholders(fa[string(NumberRange)]["other"]); p != "Min,Max" {
		t.Errorf("NumberRange placeholders %q, want Min,Max (see RangeData)", p)
	}
	if d := RangeData(1, 12500); d["Min"] != "۱" || d["Max"] != "۱۲٬۵۰۰" {
		t.Errorf("RangeData = %v", d)
	}
}

// middleDots read as the Persian digit zero ۰ next to Persian digits, which every number
// in the messages is: "رسید: ۱۹۷ · ناموفق: ۰" reads "۱۹۷ ۰". Separate parts of a line
// with ListSeparator « — » instead.
var middleDots = "·∙⋅・"

func TestLocalesHaveNoMiddleDot(t *testing.T) {
	for _, file := range []string{"active.fa.toml", "active.az-Arab.toml"} {
		for id, m := range localeMessages(t, filepath.Join("..", "locales", file)) {
			for _, form := range []string{"one", "other"} {
				if i := strings.IndexAny(m[form], middleDots); i >= 0 {
					t.Errorf("%s %s (%s): %q has a middle dot, which reads as ۰ next to Persian digits; use %q", file, id, form, m[form], ListSeparator)
				}
			}
		}
	}
}
