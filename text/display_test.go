package text

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFaDigits(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"0123456789", "۰۱۲۳۴۵۶۷۸۹"},
		{"٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹"},
		{"۰۱۲", "۰۱۲"},
		{"صفحه 2 از ٣", "صفحه ۲ از ۳"},
		{"Aydın 17:30", "Aydın ۱۷:۳۰"},
	}
	for _, c := range cases {
		if got := FaDigits(c.in); got != c.want {
			t.Errorf("FaDigits(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNumber(t *testing.T) {
	cases := []struct {
		n    int64
		want string
	}{
		{0, "۰"},
		{7, "۷"},
		{999, "۹۹۹"},
		{1000, "۱٬۰۰۰"},
		{12500, "۱۲٬۵۰۰"},
		{100000, "۱۰۰٬۰۰۰"},
		{12500000, "۱۲٬۵۰۰٬۰۰۰"},
		{-1, "\u2066-۱\u2069"},
		{-12500, "\u2066-۱۲٬۵۰۰\u2069"},
		{math.MaxInt64, "۹٬۲۲۳٬۳۷۲٬۰۳۶٬۸۵۴٬۷۷۵٬۸۰۷"},
		{math.MinInt64, "\u2066-۹٬۲۲۳٬۳۷۲٬۰۳۶٬۸۵۴٬۷۷۵٬۸۰۸\u2069"},
	}
	for _, c := range cases {
		if got := Number(c.n); got != c.want {
			t.Errorf("Number(%d) = %q, want %q", c.n, got, c.want)
		}
		// What Number prints, ParseInt reads back.
		if got, r := ParseInt(Number(c.n), math.MinInt64, math.MaxInt64); got != c.n || r != OK {
			t.Errorf("ParseInt(Number(%d)) = %d, %q", c.n, got, r)
		}
	}
}

func TestDateClockDisplay(t *testing.T) {
	tm := time.Date(2025, 12, 8, 14, 0, 0, 0, time.UTC) // 17:30 in Tehran
	if got, want := Date(tm), "\u2066۱۴۰۴/۰۹/۱۷\u2069"; got != want {
		t.Errorf("Date = %q, want %q", got, want)
	}
	if got, want := Clock(tm), "۱۷:۳۰"; got != want {
		t.Errorf("Clock = %q, want %q", got, want)
	}
	if got, want := Clock(time.Date(2025, 3, 20, 20, 35, 0, 0, time.UTC)), "۰۰:۰۵"; got != want {
		t.Errorf("Clock past midnight = %q, want %q", got, want)
	}
	// The Tehran date, not the UTC one: 22:00 UTC on 2025-03-20 is already Nowruz.
	if got, want := Date(time.Date(2025, 3, 20, 22, 0, 0, 0, time.UTC)), "\u2066۱۴۰۴/۰۱/۰۱\u2069"; got != want {
		t.Errorf("Date at Tehran midnight = %q, want %q", got, want)
	}
	if got, want := (JalaliDate{1403, 1, 5}).Fa(), "\u2066۱۴۰۳/۰۱/۰۵\u2069"; got != want {
		t.Errorf("Fa = %q, want %q", got, want)
	}
	if got := (JalaliDate{1403, 1, 5}).String(); got != "1403/01/05" {
		t.Errorf("String = %q", got)
	}
	if got, want := LongDate(tm, LangFa), "دوشنبه ۱۷ آذر ۱۴۰۴"; got != want {
		t.Errorf("LongDate fa = %q, want %q", got, want)
	}
	if got, want := LongDate(tm, LangAz), "بازار ائرته\u200cسی ۱۷ آذر ۱۴۰۴"; got != want {
		t.Errorf("LongDate az = %q, want %q", got, want)
	}
	if got, want := LongDate(time.Date(2025, 3, 21, 12, 0, 0, 0, Tehran), LangFa), "جمعه ۱ فروردین ۱۴۰۴"; got != want {
		t.Errorf("LongDate Nowruz = %q, want %q", got, want)
	}
}

func TestMonthName(t *testing.T) {
	want := []string{"", "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند", ""}
	for m := 0; m <= 13; m++ {
		if got := MonthName(m); got != want[m] {
			t.Errorf("MonthName(%d) = %q, want %q", m, got, want[m])
		}
	}
	if MonthName(-1) != "" {
		t.Error("MonthName(-1)")
	}
}

func TestWeekday(t *testing.T) {
	// 2025-12-06 is a Saturday (شنبه), the first day of the Iranian week.
	fa := []string{"شنبه", "یکشنبه", "دوشنبه", "سه\u200cشنبه", "چهارشنبه", "پنجشنبه", "جمعه"}
	az := []string{"شنبه", "بازار", "بازار ائرته\u200cسی", "چرشنبه آخشامی", "چرشنبه", "جۆمعه آخشامی", "جۆمعه"}
	differ := 0
	for i := 0; i < 7; i++ {
		tm := time.Date(2025, 12, 6+i, 12, 0, 0, 0, Tehran)
		if got := Weekday(tm, LangFa); got != fa[i] {
			t.Errorf("Weekday(%v, fa) = %q, want %q", tm, got, fa[i])
		}
		if got := Weekday(tm, LangAz); got != az[i] {
			t.Errorf("Weekday(%v, az) = %q, want %q", tm, got, az[i])
		}
		if got := Weekday(tm, "az-Arab"); got != az[i] {
			t.Errorf("Weekday(az-Arab) = %q", got)
		}
		if got := Weekday(tm, ""); got != fa[i] {
			t.Errorf("Weekday(unknown lang) = %q, want Persian", got)
		}
		if fa[i] != az[i] {
			differ++
		}
	}
	if differ < 5 {
		t.Errorf("only %d Azeri weekday names differ from Persian", differ)
	}
	// The weekday is that of Tehran: 2025-12-06 21:00 UTC is already Sunday in Tehran.
	if got := Weekday(time.Date(2025, 12, 6, 21, 0, 0, 0, time.UTC), LangFa); got != "یکشنبه" {
		t.Errorf("Weekday in Tehran = %q", got)
	}
}

// isolatedDigitRun checks that s is LRI, one run of Persian digits (and an optional
// leading +), PDI.
func isolatedDigitRun(t *testing.T, s string) {
	t.Helper()
	inner, ok := strings.CutPrefix(s, "\u2066")
	if !ok {
		t.Fatalf("%q does not start with LRI", s)
	}
	inner, ok = strings.CutSuffix(inner, "\u2069")
	if !ok {
		t.Fatalf("%q does not end with PDI", s)
	}
	inner = strings.TrimPrefix(inner, "+")
	if inner == "" {
		t.Fatalf("%q has no digits", s)
	}
	for _, r := range inner {
		if r < '۰' || r > '۹' {
			t.Fatalf("%q contains %q inside the digit run", s, r)
		}
	}
}

func TestPhone(t *testing.T) {
	for _, in := range []string{"+989123456789", "09123456789", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "989123456789"} {
		got := Phone(in)
		if got != "\u2066۰۹۱۲۳۴۵۶۷۸۹\u2069" {
			t.Errorf("Phone(%q) = %q", in, got)
		}
		isolatedDigitRun(t, got)
	}
	if got, want := Phone("+1 (415) 555-0123"), "\u2066+۱۴۱۵۵۵۵۰۱۲۳\u2069"; got != want {
		t.Errorf("Phone foreign = %q, want %q", got, want)
	} else {
		isolatedDigitRun(t, got)
	}
	if got := Phone(""); got != "" {
		t.Errorf("Phone empty = %q", got)
	}
	if got := Phone("+"); got != "" {
		t.Errorf("Phone(+) = %q", got)
	}
}

func TestMaskedPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+989123456789":     "\u2066۰۹۱۲•••••۸۹\u2069",
		"۰۹۱۲ ۳۴۵ ۶۷۸۹":     "\u2066۰۹۱۲•••••۸۹\u2069",
		"+1 (415) 555-0123": "\u2066۱۴۱۵•••••۲۳\u2069",
		"12345":             "\u2066•••••\u2069",
		"":                  "",
	} {
		if got := MaskedPhone(in); got != want {
			t.Errorf("MaskedPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNationalIDDisplay(t *testing.T) {
	for _, in := range []string{"0084575948", "۰۰۸-۴۵۷۵۹۴-۸", "٠٠٨٤٥٧٥٩٤٨"} {
		got := NationalID(in)
		if got != "\u2066۰۰۸۴۵۷۵۹۴۸\u2069" {
			t.Errorf("NationalID(%q) = %q", in, got)
		}
		isolatedDigitRun(t, got)
	}
	if NationalID("") != "" {
		t.Error("NationalID empty")
	}
}

func TestIsolate(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"Aydın", "\u2068Aydın\u2069"},
		{"ali@example.com", "\u2068ali@example.com\u2069"},
		{"\u202eevil\u202c", "\u2068evil\u2069"},
		{"x\u2069y", "\u2068xy\u2069"}, // a PDI inside cannot close the isolate early
		{"\u200e", ""},
		{"علی", "\u2068علی\u2069"},
	}
	for _, c := range cases {
		if got := Isolate(c.in); got != c.want {
			t.Errorf("Isolate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"", 5, ""},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{"abc", 3, "abc"},
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"سلام دنیا", 4, "سلام"},
		{"سلام دنیا", 5, "سلام"}, // trailing space dropped
		{"می\u200cشود", 3, "می"}, // trailing ZWNJ dropped
		{"مُحَمَّد", 1, ""},      // not cut between م and its damma
		{"مُحَمَّد", 2, "مُ"},
		{"مُحَمَّد", 3, "مُ"},
		{"ab👍🏽cd", 3, "ab"},          // not cut between emoji and skin tone
		{"ab👍🏽cd", 4, "ab👍🏽"},        // whole
		{"a👨\u200d👩\u200d👧", 3, "a"}, // not inside a ZWJ sequence
		{"a👨\u200d👩\u200d👧b", 6, "a👨\u200d👩\u200d👧"}, // the whole sequence fits
		{"🇮🇷🇹🇷", 3, "🇮🇷"},                            // not between a flag's two letters
		{"🇮🇷🇹🇷", 2, "🇮🇷"},
		{"🇮🇷🇹🇷", 1, ""},
		{"a❤\ufe0f", 2, "a"},
		{"1\ufe0f\u20e3x", 2, ""},
	}
	for _, c := range cases {
		got := Truncate(c.in, c.n)
		if got != c.want {
			t.Errorf("Truncate(%+q, %d) = %+q, want %+q", c.in, c.n, got, c.want)
		}
		if utf8.RuneCountInString(got) > max(c.n, 0) || !strings.HasPrefix(c.in, got) {
			t.Errorf("Truncate(%+q, %d) = %+q: too long or not a prefix", c.in, c.n, got)
		}
	}
	long := strings.Repeat("ائل‌گلی ", 2000)
	got := Truncate(long, 64)
	if utf8.RuneCountInString(got) > 64 || !utf8.ValidString(got) || strings.HasSuffix(got, " ") || strings.HasSuffix(got, "\u200c") {
		t.Errorf("Truncate(long) = %q", got)
	}
}

func TestList(t *testing.T) {
	cases := []struct {
		parts []string
		want  string
	}{
		{nil, ""},
		{[]string{""}, ""},
		{[]string{"رسید: " + Number(197)}, "رسید: ۱۹۷"},
		{[]string{"رسید: " + Number(197), "", "ناموفق: " + Number(0)}, "رسید: ۱۹۷ — ناموفق: ۰"},
		{[]string{"a", "b", "c"}, "a — b — c"},
	}
	for _, c := range cases {
		if got := List(c.parts...); got != c.want {
			t.Errorf("List(%q) = %q, want %q", c.parts, got, c.want)
		}
	}
}

// zeroLookalikes are characters that, next to Persian digits, are read as the digit
// zero ۰ (a small dot or circle) or as a digit separator.
var zeroLookalikes = []rune{'·', '.', '∙', '⋅', '・', '•', '°', '٠', '۰', 'o', 'O', '٬', '٫', ','}

// The list separator has no character that reads as a zero or a digit separator next to
// Persian digits.
func TestListSeparatorCannotReadAsZero(t *testing.T) {
	for _, r := range ListSeparator {
		if slices.Contains(zeroLookalikes, r) || digitValue(r) >= 0 {
			t.Errorf("ListSeparator %q contains %q, which reads as a zero or a digit separator", ListSeparator, r)
		}
	}
	if strings.TrimSpace(ListSeparator) == ListSeparator {
		t.Errorf("ListSeparator %q needs spaces around it so it is not glued to a number", ListSeparator)
	}
}
