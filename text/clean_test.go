package text

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

type cleanCase struct {
	name, in, want string
}

var cleanCases = []cleanCase{
	// Plain input and whitespace.
	{"empty", "", ""},
	{"ascii unchanged", "/start", "/start"},
	{"ascii trimmed and collapsed", "  hello   world  ", "hello world"},
	{"tab newline cr", "a\tb\nc\r\nd\re", "a b c d e"},
	{"nbsp and narrow nbsp", "۱۲\u00a0۵۰۰\u202fتومان", "۱۲ ۵۰۰ تومان"},
	{"ideographic and thin spaces", "a\u3000b\u2009c\u205fd", "a b c d"},
	{"only spaces and marks", " \u200e\u200f\u00a0\t ", ""},
	{"line and paragraph separators", "a\u2028b\u2029c\u0085d", "a b c d"},

	// Arabic letters that Arabic keyboards produce.
	{"arabic yeh kaf", "علي كريمي", "علی کریمی"},
	{"alef maksura", "مصطفى موسى", "مصطفی موسی"},
	{"arabic yeh inside words", "ايل گلي", "ایل گلی"},

	// Invisible characters that are removed.
	{"lrm rlm", "\u200fسلام\u200e", "سلام"},
	{"arabic letter mark", "\u061cسلام", "سلام"},
	{"embeddings and override", "\u202bابتدا\u202c \u202eevil\u202c \u202a\u202d", "ابتدا evil"},
	{"isolates", "\u2067علی\u2069 \u2066Ali\u2069 \u2068x\u2069", "علی Ali x"},
	{"bom", "\ufeff۰۹۱۲", "۰۹۱۲"},
	{"soft hyphen", "کتاب\u00adخانه", "کتابخانه"},
	{"tatweel", "سلــــــام", "سلام"},
	{"zero width space and word joiner", "a\u200bb\u2060c", "abc"},
	{"nul and controls", "a\x00b\x07c\x1bd\x7fe", "abcde"},
	{"c1 controls", "a\u0080b\u009fc", "abc"},
	{"invalid utf8 dropped", "ab\xffcd\xe2\x82", "abcd"},
	{"invalid byte between halves of a rune", "\xe2\xff\x82\xac", ""},

	// Presentation forms and fullwidth forms get NFKC, nothing else.
	{"presentation forms from pdf", "ﺳﻼﻡ ﻋﻠﯿﮑﻢ", "سلام علیکم"},
	{"presentation kaf yeh", "ﻛﺘﺎﺑﻲ", "کتابی"},
	{"lam alef ligature", "ﻻ", "لا"},
	{"presentation with tatweel and fatha", "ب\ufe71", "بً"},
	{"fullwidth digits and letters", "１２３ＡＢＣ", "123ABC"},
	{"fullwidth plus colon", "＋۹۸ １７：３０", "+۹۸ 17:30"},
	{"rial sign kept", "۵۰۰ ﷼", "۵۰۰ ﷼"},
	{"superscript kept", "m²", "m²"},
	{"arabic comma and thousands sep kept", "۱۲٬۵۰۰، ۳", "۱۲٬۵۰۰، ۳"},

	// Letters that carry meaning survive.
	{"alef madda", "آذربایجان", "آذربایجان"},
	{"hamza letters", "مسئله مؤسسه", "مسئله مؤسسه"},
	{"teh marbuta", "مدرسة", "مدرسة"},
	{"heh with yeh above", "خانۀ ما", "خانۀ ما"},
	{"heh plus hamza above", "خانهٔ ما", "خانهٔ ما"},
	{"azeri letters", "تۆرکجه اۇ بؽلمک", "تۆرکجه اۇ بؽلمک"},
	{"azeri e", "ائل ێ", "ائل ێ"},
	{"latin azeri", "Məmmədov Aydın Ağa Şükür Çörək", "Məmmədov Aydın Ağa Şükür Çörək"},
	{"harakat kept on letters", "مُحَمَّد", "مُحَمَّد"},
	{"decomposed alef madda composed", "ا\u0653ب", "آب"},
	{"decomposed yeh hamza composed", "ي\u0654", "ئ"},
	{"decomposed latin composed", "u\u0308 s\u0327 I\u0307", "ü ş İ"},
	{"mark after removed lrm composes", "ا\u200e\u0653", "آ"},
	{"digits kept as typed", "۱۲3٤", "۱۲3٤"},

	// ZWNJ.
	{"zwnj between letters kept", "می\u200cشود", "می\u200cشود"},

	// A zero-width space is a mistyped ZWNJ: one between two Arabic-script letters,
	// dropped anywhere else.
	{"zwsp between persian letters", "می\u200bشود", "می\u200cشود"},
	{"zwsp in a neighborhood name", "ائل\u200bگلی", "ائل\u200cگلی"},
	{"zwsp in azeri", "بازار ائرته\u200bسی", "بازار ائرته\u200cسی"},
	{"zwsp after a non-joining letter", "دوره\u200bها", "دوره\u200cها"},
	{"zwsp between latin letters", "Ay\u200bdın", "Aydın"},
	{"zwsp leading trailing", "\u200bسلام\u200b", "سلام"},
	{"zwsp next to a space", "می\u200b شود \u200bها", "می شود ها"},
	{"zwsp next to zwnj", "می\u200b\u200cشود", "می\u200cشود"},
	{"zwsps doubled", "می\u200b\u200b\u200bشود", "می\u200cشود"},
	{"zwsp before a digit", "شماره\u200b۱۲", "شماره۱۲"},
	{"zwsp between arabic and latin", "سلام\u200bAli", "سلامAli"},
	{"zwsp in multiline", "می\u200b\nشود", "می شود"},
	{"zwnj leading trailing", "\u200cمی\u200c", "می"},
	{"zwnj doubled", "می\u200c\u200c\u200cشود", "می\u200cشود"},
	{"zwnj before space", "می\u200c شود", "می شود"},
	{"zwnj after space", "می \u200cشود", "می شود"},
	{"zwnj around space", "می\u200c \u200cشود", "می شود"},
	{"zwnj between latin letters", "a\u200cb", "ab"},
	{"zwnj before digit", "شماره\u200c۱۲", "شماره۱۲"},
	{"zwnj before punctuation", "کتاب\u200c.", "کتاب."},
	{"zwnj after harakat kept", "نمِ\u200cی", "نمِ\u200cی"},
	{"zwnj in azeri", "ائل\u200cگلی", "ائل\u200cگلی"},
	{"zwnj around newline", "می\u200c\nشود", "می شود"},
	{"zwnj then orphan mark dropped", "ا\u200c\u0653", "ا"},
	{"zwnj then mark then letter", "ب\u200c\u064eی", "ب\u200cی"},

	// Combining marks with no base.
	{"leading mark", "\u064eسلام", "سلام"},
	{"mark after space", "ا \u0653", "ا"},

	// Emoji are text.
	{"emoji", "👍 خوب", "👍 خوب"},
	{"emoji skin tone", "👍🏽", "👍🏽"},
	{"emoji zwj family", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
	{"flag", "🇮🇷 ایران", "🇮🇷 ایران"},
	{"keycap", "1\ufe0f\u20e3", "1\ufe0f\u20e3"},
	{"heart with variation selector", "❤\ufe0f", "❤\ufe0f"},
	{"rainbow flag zwj sequence", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"},
	{"zwj at the ends dropped", "\u200dسلام\u200d", "سلام"},
	{"zwj next to a space dropped", "a \u200db\u200d c", "a b c"},
	{"zwj doubled", "👨\u200d\u200d👩", "👨\u200d👩"},
	{"zwj then zwnj", "ب\u200d\u200cی", "ب\u200cی"},
	{"zwnj then zwj", "ب\u200c\u200dی", "ب\u200dی"},
}

func TestClean(t *testing.T) {
	for _, c := range cleanCases {
		t.Run(c.name, func(t *testing.T) {
			got := Clean(c.in)
			if got != c.want {
				t.Errorf("Clean(%+q) = %+q, want %+q", c.in, got, c.want)
			}
			if again := Clean(got); again != got {
				t.Errorf("Clean not idempotent: %+q -> %+q", got, again)
			}
		})
	}
}

func TestCleanMultiline(t *testing.T) {
	cases := []cleanCase{
		{"empty", "", ""},
		{"one line", "  سلام  ", "سلام"},
		{"crlf", "خط اول\r\nخط دوم\rخط سوم", "خط اول\nخط دوم\nخط سوم"},
		{"trailing spaces per line", "اول   \n   دوم\t", "اول\nدوم"},
		{"one blank line kept", "پاراگراف ۱\n\nپاراگراف ۲", "پاراگراف ۱\n\nپاراگراف ۲"},
		{"many blank lines collapse", "a\n\n\n\n\nb", "a\n\nb"},
		{"blank lines with spaces", "a\n  \n\t\n \nb", "a\n\nb"},
		{"leading and trailing blank lines", "\n\n  a\nb\n\n\n", "a\nb"},
		{"unicode line separators", "a\u2028b\u2029c\u0085d", "a\nb\nc\nd"},
		{"tabs and nbsp inside a line", "a\t\u00a0b", "a b"},
		{"zwnj at line ends", "می\u200c\n\u200cشود", "می\nشود"},
		{"nul dropped", "a\x00\nb", "a\nb"},
		{"direction marks", "\u200fسلام\u200f\n\u200eHi", "سلام\nHi"},
		{"arabic letters", "علي\nكريم", "علی\nکریم"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CleanMultiline(c.in)
			if got != c.want {
				t.Errorf("CleanMultiline(%+q) = %+q, want %+q", c.in, got, c.want)
			}
			if again := CleanMultiline(got); again != got {
				t.Errorf("CleanMultiline not idempotent: %+q -> %+q", got, again)
			}
		})
	}
}

// checkCleanInvariants checks what every Clean result must satisfy.
func checkCleanInvariants(t *testing.T, in, got string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(got) {
		t.Fatalf("Clean(%+q) = %+q: invalid UTF-8", in, got)
	}
	if strings.TrimSpace(got) != got && !multiline {
		t.Fatalf("Clean(%+q) = %+q: not trimmed", in, got)
	}
	if strings.Contains(got, "  ") {
		t.Fatalf("Clean(%+q) = %+q: double space", in, got)
	}
	for _, r := range got {
		if r == '\n' && multiline {
			continue
		}
		if c := classify(r); c != clsKeep && !(c == clsSpace && r == ' ') && !(c == clsExpand && norm.NFKC.String(string(r)) == string(r)) {
			t.Fatalf("Clean(%+q) = %+q: contains %U", in, got, r)
		}
		if r == 'ي' || r == 'ى' || r == 'ك' {
			t.Fatalf("Clean(%+q) = %+q: contains Arabic letter %U", in, got, r)
		}
	}
	for _, j := range []string{"\u200c", "\u200d"} {
		if strings.HasPrefix(got, j) || strings.HasSuffix(got, j) || strings.Contains(got, j+j) ||
			strings.Contains(got, " "+j) || strings.Contains(got, j+" ") || strings.Contains(got, "\n"+j) || strings.Contains(got, j+"\n") {
			t.Fatalf("Clean(%+q) = %+q: misplaced joiner %+q", in, got, j)
		}
	}
	if multiline && strings.Contains(got, "\n\n\n") {
		t.Fatalf("CleanMultiline(%+q) = %+q: more than one blank line", in, got)
	}
}

func TestCleanInvariantsOnTable(t *testing.T) {
	for _, c := range cleanCases {
		checkCleanInvariants(t, c.in, Clean(c.in), false)
		checkCleanInvariants(t, c.in, CleanMultiline(c.in), true)
	}
}

func TestCleanLongInput(t *testing.T) {
	inputs := map[string]string{
		"words":      strings.Repeat("سلام ", 2000),
		"zwnj":       strings.Repeat("\u200c", 10000),
		"zwnj words": strings.Repeat("می\u200c", 3400),
		"marks":      "ب" + strings.Repeat("\u064e", 10000),
		"spaces":     strings.Repeat(" \u00a0\t", 3400) + "x",
		"emoji":      strings.Repeat("👨\u200d👩\u200d👧 ", 1700),
		"mixed":      strings.Repeat("ﻻ١2۳ ك\u200f", 1700),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			if n := utf8.RuneCountInString(in); n < 10000 {
				t.Fatalf("input has %d runes, want at least 10000", n)
			}
			got := Clean(in)
			checkCleanInvariants(t, in[:100], got, false)
			if Clean(got) != got {
				t.Error("not idempotent")
			}
			if Key(got) != Key(in) {
				t.Error("Key(Clean(s)) != Key(s)")
			}
		})
	}
	if got := Clean(strings.Repeat("سلام ", 2000)); utf8.RuneCountInString(got) != 2000*5-1 {
		t.Errorf("long input: got %d runes", utf8.RuneCountInString(got))
	}
	if got := Clean(strings.Repeat("\u200c", 10000)); got != "" {
		t.Errorf("only ZWNJ: got %+q", got)
	}
}
