package text

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The demo neighborhoods of Tabriz (postgres/seed.go), in Persian and in Azeri.
var (
	tabrizFa = []string{
		"ائل‌گلی", "ولیعصر", "آبرسان", "مارالان", "ششگلان", "سرخاب", "دوه‌چی", "امیرخیز", "خیابان", "نوبر",
		"قراملک", "چرنداب", "باغمیشه", "حکم‌آباد", "لیل‌آباد", "منظریه", "راسته‌کوچه", "شنب غازان", "ستارخان", "زعفرانیه",
	}
	tabrizAz = []string{
		"ائل‌گؤلو", "ولیعصر", "آبرسان", "مارالان", "شیشگیلان", "سورخاب", "دوه‌چی", "امیرخیز", "خیابان", "نوبر",
		"قاراملیک", "چرنداب", "باغمیشه", "حؤکم‌آباد", "لیل‌آباد", "منظریه", "راسته‌کۆچه", "شنب‌غازان", "ستارخان", "زعفرانیه",
	}
)

func shuffled(s []string, seed uint64) []string {
	out := slices.Clone(s)
	rand.New(rand.NewPCG(seed, 1405)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestSortTabrizNeighborhoods(t *testing.T) {
	cases := []struct {
		lang  Lang
		names []string
		want  []string
	}{
		{LangFa, tabrizFa, []string{
			"آبرسان", "ائل‌گلی", "امیرخیز", "باغمیشه", "چرنداب", "حکم‌آباد", "خیابان", "دوه‌چی", "راسته‌کوچه", "زعفرانیه",
			"ستارخان", "سرخاب", "ششگلان", "شنب غازان", "قراملک", "لیل‌آباد", "مارالان", "منظریه", "نوبر", "ولیعصر",
		}},
		{LangAz, tabrizAz, []string{
			"آبرسان", "امیرخیز", "ائل‌گؤلو", "باغمیشه", "چرنداب", "حؤکم‌آباد", "خیابان", "دوه‌چی", "راسته‌کۆچه", "زعفرانیه",
			"ستارخان", "سورخاب", "شنب‌غازان", "شیشگیلان", "قاراملیک", "لیل‌آباد", "مارالان", "منظریه", "نوبر", "ولیعصر",
		}},
	}
	for _, c := range cases {
		for seed := range uint64(5) {
			got := shuffled(c.names, seed)
			SortStrings(c.lang, got)
			if !slices.Equal(got, c.want) {
				t.Errorf("%s, shuffle %d:\n got  %q\n want %q", c.lang, seed, got, c.want)
			}
		}
		// What the lists did before: code point order puts چرنداب after ولیعصر.
		byCodePoint := slices.Clone(c.names)
		slices.Sort(byCodePoint)
		if slices.Equal(byCodePoint, c.want) {
			t.Errorf("%s: code point order already gives the expected order; the test shows nothing", c.lang)
		}
	}
}

func TestCompareLetters(t *testing.T) {
	// Each pair is in order (a before b).
	both := [][2]string{
		// The Persian letters that code point order puts after all the Arabic ones.
		{"باغمیشه", "پاستور"}, {"پاستور", "تختی"},
		{"جمهوری", "چرنداب"}, {"چرنداب", "حکم‌آباد"},
		{"زعفرانیه", "ژاندارمری"}, {"ژاندارمری", "ستارخان"},
		{"کوی", "گجیل"}, {"گجیل", "لیل‌آباد"},
		{"ولیعصر", "هفت تیر"}, {"هفت تیر", "یاغچیان"},
		{"آبرسان", "باغمیشه"},
		// Arabic letters sort as the Persian ones they stand for.
		{"كوی", "گجیل"}, {"جمهوري", "چرنداب"},
		// Numbers by value, in any digit script.
		{"فاز ۲", "فاز ۱۰"}, {"فاز 2", "فاز ۱۰"}, {"کوچه ۹", "کوچه ۱۱"},
	}
	for _, lang := range []Lang{LangFa, LangAz} {
		for _, p := range both {
			if Compare(lang, p[0], p[1]) >= 0 || Compare(lang, p[1], p[0]) <= 0 {
				t.Errorf("%s: %q should sort before %q", lang, p[0], p[1])
			}
		}
	}
	// Azeri: the vowel letters are letters of their own after their carrier.
	az := [][2]string{
		{"حوض", "حؤکم‌آباد"}, {"حؤکم‌آباد", "حیدر"},
		{"تورک", "تؤرک"}, {"تؤرک", "تۆرک"}, {"تۆرک", "تۇرک"}, {"تۇرک", "ته"},
		{"کوچه", "کۆچه"}, {"کوهنه", "کۆچه"}, {"کۆچه", "کهنه"},
		{"ایلخچی", "ائلخان"}, {"ائلخان", "ێلخان"}, {"بیلمک", "بؽلمک"},
	}
	for _, p := range az {
		if Compare(LangAz, p[0], p[1]) >= 0 || Compare(LangAz, p[1], p[0]) <= 0 {
			t.Errorf("az: %q should sort before %q", p[0], p[1])
		}
	}
	// Persian keeps CLDR's order, where ؤ is a form of alef: حؤکم sorts like حاکم.
	if Compare(LangFa, "حؤکم‌آباد", "حوض") >= 0 {
		t.Errorf("fa: حؤکم‌آباد should sort before حوض")
	}
	// Equal up to ZWNJ or Arabic letters: adjacent, in byte order, never 0 unless identical.
	for _, p := range [][2]string{{"ائل‌گلی", "ائلگلی"}, {"علي", "علی"}} {
		a, b := Compare(LangFa, p[0], p[1]), Compare(LangFa, p[1], p[0])
		if a == 0 || a != -b || a != strings.Compare(p[0], p[1]) {
			t.Errorf("Compare(%q, %q) = %d, reverse %d", p[0], p[1], a, b)
		}
	}
	if Compare(LangAz, "ائل‌گلی", "ائل‌گلی") != 0 {
		t.Error("a name does not equal itself")
	}
}

// SortFunc sorts any items by their names, stably, in the same order as Compare.
func TestSortFunc(t *testing.T) {
	type coop struct {
		ID   int
		Name string
	}
	var items []coop
	for i, n := range append(slices.Clone(tabrizAz), tabrizFa...) {
		items = append(items, coop{i, n})
	}
	for _, lang := range []Lang{LangFa, LangAz} {
		got := slices.Clone(items)
		SortFunc(lang, got, func(c coop) string { return c.Name })
		if !slices.IsSortedFunc(got, func(a, b coop) int { return Compare(lang, a.Name, b.Name) }) {
			t.Errorf("%s: SortFunc disagrees with Compare: %v", lang, got)
		}
		// Names in both lists (ولیعصر, آبرسان, …) keep their input order.
		for i := 1; i < len(got); i++ {
			if got[i].Name == got[i-1].Name && got[i].ID < got[i-1].ID {
				t.Errorf("%s: not stable at %q", lang, got[i].Name)
			}
		}
	}
	SortFunc(LangFa, []coop(nil), func(c coop) string { return c.Name })
	one := []coop{{1, "x"}}
	SortFunc(LangFa, one, func(c coop) string { return c.Name })
}

// The collators are pooled: sorting from many goroutines is safe (run with -race).
func TestSortConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			lang := []Lang{LangFa, LangAz}[i%2]
			names := shuffled(tabrizFa, uint64(i))
			SortStrings(lang, names)
			if !slices.IsSortedFunc(names, func(a, b string) int { return Compare(lang, a, b) }) {
				t.Errorf("goroutine %d: not sorted", i)
			}
		})
	}
	wg.Wait()
}
