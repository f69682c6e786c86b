package text

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Each group must share one key, and no two groups may share a key.
var keyGroups = [][]string{
	{"ائل گلی", "ائلگلی", "ائل\u200cگلی", "ايل گلي", "ایل گلی", "  ائل   گلی  ", "ائلْ گلی", "\u200fائل گلی\u200f", "ﺍﺋﻞ ﮔﻠﯽ"},
	{"ولیعصر", "ولی\u200cعصر", "وليعصر", "ولی عصر", "وَلیعَصر"},
	{"خانه", "خانۀ", "خانهٔ", "خانة", "خانـــه", "خانه\u200c"},
	{"آذربایجان", "اذربایجان", "آذربايجان", "آذر بایجان", "أذربایجان"},
	{"مسئول", "مسیول", "مسئول\u200c"},
	{"مؤسسه", "موسسه", "مُؤَسَّسِه"},
	{"تۆرکجه", "تورکجه", "تۇرکجه", "تورکجة"},
	{"بؽلمک", "بیلمک", "بێلمک", "بيلمك"},
	{"کتاب", "كتاب", "ﻛﺘﺎﺏ", "ک ت ا ب", "کتاب!", "«کتاب»", "کتاب؟"},
	{"ثبت نام", "ثبت‌نام", "ثبتنام", "📋 ثبت‌نام", "ثبت نام ✅", "ثبت-نام"},
	{"aydın", "AYDIN", "Aydın", "AydIn", "aydın!", "aydin", "Aydin", "AYDİN"},
	{"istanbul", "İstanbul", "İSTANBUL", "I\u0307stanbul"},
	{"məmməd", "Məmməd", "MƏMMƏD", "Mämmäd", "mämməd", "mǝmmǝd", "memmed", "Memmed"},
	{"şükür", "Şükür", "ŞÜKÜR", "s\u0327u\u0308ku\u0308r", "sukur", "Sukür"},
	// Latin Azeri typed on an ASCII keyboard: e for ə, o for ö, u for ü, i for ı, c s g for ç ş ğ.
	{"Türkçe", "türkçe", "TÜRKÇE", "Turkce", "turkce", "TURKCE", "Türkce"},
	{"Azərbaycan", "Azerbaycan", "AZƏRBAYCAN", "Azärbaycan", "azerbaycan"},
	{"çörək", "Çörək", "corek", "ÇOREK", "çörek"},
	{"ağac", "agac", "AĞAC", "Ağaç"},
	{"qızıl", "qizil", "QIZIL", "Qızıl"},
	{"gözəl", "gozel", "GÖZƏL"},
	{"1404", "۱۴۰۴", "١٤٠٤", "１４０４", "۱٤04", "1 404"},
	{"اجزا", "اجزاء"},
	{"مَحمد", "محمد", "مُحَمَّد"},
}

func TestKeyGroups(t *testing.T) {
	seen := map[string]int{}
	for gi, group := range keyGroups {
		want := Key(group[0])
		if want == "" {
			t.Fatalf("group %d: empty key for %+q", gi, group[0])
		}
		for _, s := range group[1:] {
			if got := Key(s); got != want {
				t.Errorf("Key(%+q) = %+q, want %+q (as Key(%+q))", s, got, want, group[0])
			}
		}
		if other, ok := seen[want]; ok {
			t.Errorf("groups %d and %d share key %+q", other, gi, want)
		}
		seen[want] = gi
	}
}

func TestKeyExact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"\u200c\u200f", ""},
		{"!!!", ""},
		{"👍🏽", ""},
		{"AYDIN", "aydin"},
		{"İ", "i"},
		{"I", "i"},
		{"ı", "i"},
		{"Ä", "e"},
		{"Ə", "e"},
		{"ə", "e"},
		{"ÇŞĞÖÜ", "csgou"},
		{"é â", "ea"},
		{"ß ø", "ßø"},
		{"Türkçe", "turkce"},
		{"ائل گلی", "ایلگلی"},
		{"خانۀ", "خانه"},
		{"مدرسة", "مدرسه"},
		{"ﷲ", "الله"},
		{"۱۲٬۵۰۰", "12500"},
		{"Tel: +98 912", "tel98912"},
		{"سه‌شنبه", "سهشنبه"},
		{"بازار ائرته‌سی", "بازارایرتهسی"},
		{"۵۰۰ ﷼", "500"},
	}
	for _, c := range cases {
		if got := Key(c.in); got != c.want {
			t.Errorf("Key(%+q) = %+q, want %+q", c.in, got, c.want)
		}
	}
}

// A typed menu label with Arabic letters, harakat or a missing ZWNJ presses the button.
func TestKeyMenuLabels(t *testing.T) {
	labels := []string{"📋 ثبت‌نام", "🏘 محله من", "⚙️ تنظیمات", "لغو", "🗓 دوره‌های آموزشی", "تۆرکجه", "فارسی"}
	typed := map[string]string{
		"ثبت نام":              "📋 ثبت‌نام",
		"ثبتنام":               "📋 ثبت‌نام",
		"محله من":              "🏘 محله من",
		"محلهٔ من":             "🏘 محله من",
		"تنظيمات":              "⚙️ تنظیمات",
		"  لغو ":               "لغو",
		"دوره هاي آموزشي":      "🗓 دوره‌های آموزشی",
		"دوره‌هاى آموزشى":      "🗓 دوره‌های آموزشی",
		"تورکجه":               "تۆرکجه",
		"فارسي":                "فارسی",
		"ﻓﺎﺭﺳﯽ":                "فارسی",
		"\u202bلغو\u202c":      "لغو",
		"دوره‌های\u00a0آموزشی": "🗓 دوره‌های آموزشی",
	}
	for in, want := range typed {
		var pressed []string
		for _, l := range labels {
			if Key(l) == Key(in) {
				pressed = append(pressed, l)
			}
		}
		if len(pressed) != 1 || pressed[0] != want {
			t.Errorf("typing %+q pressed %q, want %q", in, pressed, want)
		}
	}
}

func TestKeyPrefixAndContains(t *testing.T) {
	name := Key("ائل‌گلی جنوبی")
	for _, typed := range []string{"ائل گلی", "ايل", "ائلگلی جن"} {
		if !strings.HasPrefix(name, Key(typed)) {
			t.Errorf("%+q is not a key prefix of %+q", typed, name)
		}
	}
	if !strings.Contains(name, Key("جنوبي")) {
		t.Error("contains failed")
	}
}

// The Latin folding must agree with x/text's Azerbaijani lowercasing followed by the
// ASCII folding of the Azeri letters.
func TestKeyAgreesWithAzerbaijaniLower(t *testing.T) {
	lower := cases.Lower(language.Azerbaijani)
	ascii := strings.NewReplacer("ə", "e", "ö", "o", "ü", "u", "ı", "i", "ç", "c", "ş", "s", "ğ", "g")
	for _, w := range []string{"AYDIN", "İLHAM", "Işıq", "ÇÖRƏK", "ĞÜLŞƏN", "Quba", "XƏZƏR", "Ilıq", "İI", "ÖZÜ"} {
		want := ascii.Replace(strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) {
				return r
			}
			return -1
		}, lower.String(w)))
		if got := Key(w); got != want {
			t.Errorf("Key(%q) = %q, cases.Lower(az) and folding give %q", w, got, want)
		}
	}
}

func TestKeyProperties(t *testing.T) {
	var all []string
	for _, g := range keyGroups {
		all = append(all, g...)
	}
	for _, c := range cleanCases {
		all = append(all, c.in)
	}
	for _, s := range all {
		k := Key(s)
		if Key(k) != k {
			t.Errorf("Key not idempotent on %+q: %+q -> %+q", s, k, Key(k))
		}
		if Key(Clean(s)) != k {
			t.Errorf("Key(Clean(%+q)) = %+q, Key = %+q", s, Key(Clean(s)), k)
		}
		for _, r := range k {
			if !unicode.IsLetter(r) && !('0' <= r && r <= '9') {
				t.Errorf("Key(%+q) = %+q contains %U", s, k, r)
			}
		}
	}
}

func TestDigits(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"0123456789", "0123456789"},
		{"۰۱۲۳۴۵۶۷۸۹", "0123456789"},
		{"٠١٢٣٤٥٦٧٨٩", "0123456789"},
		{"０１２３４５６７８９", "0123456789"},
		{"۱٢3", "123"},
		{"کد: ۰۹۱۲-۳٤۵", "کد: 0912-345"},
		{"०१२", "012"}, // Devanagari
		{"²½", "²½"},   // not decimal digits
	}
	for _, c := range cases {
		if got := Digits(c.in); got != c.want {
			t.Errorf("Digits(%+q) = %+q, want %+q", c.in, got, c.want)
		}
	}
}

// digitValue assumes every Unicode decimal digit sits in a run 0…9; check it for all.
func TestDigitValueEveryRune(t *testing.T) {
	for _, tab := range [][]unicode.Range16{unicode.Digit.R16} {
		for _, rg := range tab {
			if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
				t.Errorf("digit range %U-%U stride %d is not whole runs of ten", rg.Lo, rg.Hi, rg.Stride)
			}
		}
	}
	for _, rg := range unicode.Digit.R32 {
		if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
			t.Errorf("digit range %U-%U stride %d is not whole runs of ten", rg.Lo, rg.Hi, rg.Stride)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		v := digitValue(r)
		if unicode.IsDigit(r) != (v >= 0) || v > 9 {
			t.Fatalf("digitValue(%U) = %d, IsDigit %v", r, v, unicode.IsDigit(r))
		}
	}
	if digitValue('۷') != 7 || digitValue('٣') != 3 || digitValue('９') != 9 || digitValue('𝟠') != 8 {
		t.Error("wrong digit values")
	}
}

// nfcInert promises that text made only of such runes is in NFC whatever is removed
// from it: each is NFC on its own, has combining class 0 and never combines with a
// rune before it.
func TestNFCInert(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !nfcInert(r) || !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		p := norm.NFC.PropertiesString(s)
		if p.CCC() != 0 || !p.BoundaryBefore() || !norm.NFC.IsNormalString(s) {
			t.Errorf("%U is not NFC-inert", r)
		}
	}
}

func TestArabicBlockTables(t *testing.T) {
	for r := rune(0x600); r <= 0x6FF; r++ {
		if arabicBlockLetter(r) != unicode.IsLetter(r) {
			t.Errorf("arabicBlockLetter(%U) = %v", r, arabicBlockLetter(r))
		}
		if isArabicLetter(r) != (unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r)) {
			t.Errorf("isArabicLetter(%U) = %v", r, isArabicLetter(r))
		}
		if isMark(r) != unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) {
			t.Errorf("isMark(%U) = %v", r, isMark(r))
		}
	}
}
