package text

import (
	"fmt"
	"testing"
	"time"
)

// Nowruz (1 Farvardin) and other known days, Gregorian dates from the official calendar.
var knownDays = []struct {
	j JalaliDate
	g string // YYYY-MM-DD
}{
	{JalaliDate{1399, 1, 1}, "2020-03-20"},
	{JalaliDate{1400, 1, 1}, "2021-03-21"},
	{JalaliDate{1401, 1, 1}, "2022-03-21"},
	{JalaliDate{1402, 1, 1}, "2023-03-21"},
	{JalaliDate{1403, 1, 1}, "2024-03-20"},
	{JalaliDate{1404, 1, 1}, "2025-03-21"},
	{JalaliDate{1405, 1, 1}, "2026-03-21"},
	{JalaliDate{1399, 12, 30}, "2021-03-20"}, // 1399 is a leap year
	{JalaliDate{1403, 12, 30}, "2025-03-20"}, // 1403 is a leap year
	{JalaliDate{1404, 12, 29}, "2026-03-20"}, // last day of common year 1404
	{JalaliDate{1404, 9, 17}, "2025-12-08"},
	{JalaliDate{1404, 6, 31}, "2025-09-22"},
	{JalaliDate{1404, 7, 1}, "2025-09-23"},
	{JalaliDate{1357, 11, 22}, "1979-02-11"},
	{JalaliDate{1300, 1, 1}, "1921-03-21"},
}

func TestJalaliKnownDays(t *testing.T) {
	for _, k := range knownDays {
		g, err := time.ParseInLocation("2006-01-02", k.g, Tehran)
		if err != nil {
			t.Fatal(err)
		}
		if !k.j.Valid() {
			t.Errorf("%v not valid", k.j)
		}
		if got := k.j.At(0, 0); !got.Equal(g) {
			t.Errorf("%v.At(0,0) = %v, want %v", k.j, got, g)
		}
		if got := JalaliOf(g.Add(12 * time.Hour)); got != k.j {
			t.Errorf("JalaliOf(%s) = %v, want %v", k.g, got, k.j)
		}
		if got, r := ParseJalaliDate(k.j.String()); got != k.j || r != OK {
			t.Errorf("ParseJalaliDate(%q) = %v, %q", k.j.String(), got, r)
		}
	}
}

func TestJalaliLeapYears(t *testing.T) {
	for y, leap := range map[int]bool{1395: true, 1399: true, 1400: false, 1401: false, 1402: false, 1403: true, 1404: false} {
		d := JalaliDate{y, 12, 30}
		if d.Valid() != leap {
			t.Errorf("%v valid = %v, want %v", d, d.Valid(), leap)
		}
		_, r := ParseJalaliDate(d.String())
		if (r == OK) != leap || (!leap && r != DateInvalid) {
			t.Errorf("ParseJalaliDate(%v) reason %q (leap %v)", d, r, leap)
		}
	}
}

// Every day from 1300 to MaxJalaliYear converts to Gregorian and back, consecutive days
// are consecutive Gregorian days, and each year has 365 or 366 days.
func TestJalaliRoundTripAllDays(t *testing.T) {
	prev := time.Time{}
	for y := 1300; y <= MaxJalaliYear; y++ {
		days := 0
		for m := 1; m <= 12; m++ {
			for d := 1; d <= 31; d++ {
				j := JalaliDate{y, m, d}
				if !j.Valid() {
					continue
				}
				days++
				g := j.At(12, 0)
				if JalaliOf(g) != j {
					t.Fatalf("JalaliOf(%v.At) = %v", j, JalaliOf(g))
				}
				if !prev.IsZero() {
					gy, gm, gd := prev.Date()
					if ny, nm, nd := time.Date(gy, gm, gd+1, 12, 0, 0, 0, Tehran).Date(); time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC) != time.Date(g.Year(), g.Month(), g.Day(), 0, 0, 0, 0, time.UTC) {
						t.Fatalf("%v follows %v but is %v", j, prev, g)
					}
				}
				prev = g
			}
		}
		if days != 365 && days != 366 {
			t.Fatalf("year %d has %d days", y, days)
		}
	}
	// Month lengths: 31 days for 1-6, 30 for 7-11.
	for m := 1; m <= 11; m++ {
		last := 31
		if m > 6 {
			last = 30
		}
		if !(JalaliDate{1404, m, last}).Valid() || (JalaliDate{1404, m, last + 1}).Valid() {
			t.Errorf("month %d should have %d days", m, last)
		}
	}
}

func TestJalaliTehranMidnight(t *testing.T) {
	// Nowruz 1404 starts at 2025-03-21 00:00 Tehran = 2025-03-20 20:30 UTC.
	start := time.Date(2025, 3, 20, 20, 30, 0, 0, time.UTC)
	if got := JalaliOf(start); got != (JalaliDate{1404, 1, 1}) {
		t.Errorf("JalaliOf(%v) = %v", start, got)
	}
	if got := JalaliOf(start.Add(-time.Second)); got != (JalaliDate{1403, 12, 30}) {
		t.Errorf("JalaliOf(%v) = %v", start.Add(-time.Second), got)
	}
	at := JalaliDate{1404, 9, 17}.At(17, 30)
	if want := time.Date(2025, 12, 8, 14, 0, 0, 0, time.UTC); !at.Equal(want) {
		t.Errorf("At(17,30) = %v, want %v", at, want)
	}
	if _, off := at.Zone(); off != 12600 {
		t.Errorf("Tehran offset %d, want 12600 (+03:30, no DST)", off)
	}
	if _, off := (JalaliDate{1404, 4, 1}).At(12, 0).Zone(); off != 12600 {
		t.Errorf("summer offset %d, want 12600", off)
	}
	if Tehran.String() != "Asia/Tehran" && Tehran.String() != "+0330" {
		t.Errorf("Tehran = %v", Tehran)
	}
	_ = (JalaliDate{}).At(0, 0) // does not panic
}

func TestParseJalaliDate(t *testing.T) {
	d := JalaliDate{1404, 9, 17}
	ok := []string{
		"1404/09/17", "1404/9/17", "۱۴۰۴/۹/۱۷", "۱۴۰۴/۰۹/۱۷", "١٤٠٤/٩/١٧", "1404-09-17", "1404.9.17",
		"۱۴۰۴٫۹٫۱۷", "1404\\9\\17", "1404 / 9 / 17", "1404 9 17", "17/9/1404", "۱۷-۰۹-۱۴۰۴",
		"14040917", "۱۴۰۴۰۹۱۷", "\u2066۱۴۰۴/۰۹/۱۷\u2069", "\u200f1404/09/17", "１４０４／０９／１７",
		"۱۷ آذر ۱۴۰۴", "17 آذر 1404", "۱۴۰۴ آذر ۱۷", "۱۷ آذر، ۱۴۰۴", "دوشنبه ۱۷ آذر ۱۴۰۴",
		"دوشنبه، ۱۷ آذر ۱۴۰۴", "بازار ائرته‌سی ۱۷ آذر ۱۴۰۴", "بازار ائرته سی ۱۷ آذر ۱۴۰۴",
		"bazar ertəsi 17 آذر 1404", "۱۷آذر۱۴۰۴", "17 اذر 1404", "دوشنبه ۱۴۰۴/۰۹/۱۷", "دوشنبه، 1404-9-17",
		"Bazar ertəsi, 14040917",
		// The month name followed by ماه, with a space, a ZWNJ or glued.
		"۱۷ آذرماه ۱۴۰۴", "۱۷ آذر ماه ۱۴۰۴", "۱۷ آذر\u200cماه ۱۴۰۴", "۱۷ آذر\u200bماه ۱۴۰۴", "دوشنبه ۱۷ آذر ماه ۱۴۰۴",
		"۱۷ آذر ماه، ۱۴۰۴", "۱۴۰۴ آذرماه ۱۷", "۱۷ اذر ماه ۱۴۰۴",
	}
	for _, s := range ok {
		if got, r := ParseJalaliDate(s); got != d || r != OK {
			t.Errorf("ParseJalaliDate(%+q) = %v, %q; want %v", s, got, r, d)
		}
	}
	if got, r := ParseJalaliDate("۵ امرداد ۱۴۰۳"); got != (JalaliDate{1403, 5, 5}) || r != OK {
		t.Errorf("امرداد: %v %q", got, r)
	}
	for _, in := range []string{"۱ اردیبهشت ۱۴۰۴", "۱ اردی‌بهشت ۱۴۰۴", "۱ ارديبهشت ماه ۱۴۰۴", "۱ اردی بهشت ماه ۱۴۰۴"} {
		if got, r := ParseJalaliDate(in); got != (JalaliDate{1404, 2, 1}) || r != OK {
			t.Errorf("ParseJalaliDate(%+q) = %v %q; want 1404/02/01", in, got, r)
		}
	}
	for m := 1; m <= 12; m++ {
		for _, form := range []string{"۴ %s ماه ۱۴۰۵", "۴ %sماه ۱۴۰۵", "۴ %s\u200cماه ۱۴۰۵", "۴ %s ۱۴۰۵"} {
			in := fmt.Sprintf(form, MonthName(m))
			if got, r := ParseJalaliDate(in); got != (JalaliDate{1405, m, 4}) || r != OK {
				t.Errorf("ParseJalaliDate(%+q) = %v %q; want 1405/%02d/04", in, got, r, m)
			}
		}
	}
	if got, r := ParseJalaliDate("جمعه ۱ فروردین ۱۴۰۴"); got != (JalaliDate{1404, 1, 1}) || r != OK {
		t.Errorf("Nowruz 1404 (a Friday): %v %q", got, r)
	}
	if got, r := ParseJalaliDate("جومعه ۱ فروردين ۱۴۰۴"); got != (JalaliDate{1404, 1, 1}) || r != OK {
		t.Errorf("Azeri Friday: %v %q", got, r)
	}
	bad := []struct {
		in     string
		reason Reason
	}{
		{"", ReasonEmpty},
		{"1404/12/30", DateInvalid}, // 1404 is not a leap year
		{"1404/07/31", DateInvalid},
		{"1404/13/01", DateInvalid},
		{"1404/00/10", DateInvalid},
		{"1404/01/00", DateInvalid},
		{"1404/01/32", DateInvalid},
		{"1250/01/01", DateInvalid},
		{"1600/01/01", DateInvalid},
		{"2025/12/08", DateGregorian},
		{"08/12/2025", DateGregorian},
		{"2025-12-08", DateGregorian},
		{"04/09/17", DateFormat},
		{"1404/09", DateFormat},
		{"1404/09/17/", DateFormat},
		{"/1404/09/17", DateFormat},
		{"1404//09/17", DateFormat},
		{"1404/09-17", DateFormat},
		{"1404/009/17", DateFormat},
		{"1404/09/017", DateFormat},
		{"17 آذر", DateFormat},
		{"۱۷ آذر ماه", DateFormat},
		{"۱۷ ماه ۱۴۰۴", DateFormat},
		{"۱۷ آذر ماه ماه ۱۴۰۴", DateFormat},
		{"۱۷ دسامبر ۱۴۰۴", DateGregorian}, // a Gregorian month name
		{"25 November 2026", DateGregorian},
		{"2026-11-25", DateGregorian},
		{"فردا", DateFormat},
		{"1404/09/17 17:30", DateFormat},
		{"۱۷ آذر ۱۴۰۴ دوشنبه", DateFormat},
		{"سه‌شنبه ۱۷ آذر ۱۴۰۴", DateWeekday},
		{"جمعه ۱۴۰۴/۰۹/۱۷", DateWeekday},
		{"فردا ۱۴۰۴/۰۹/۱۷", DateFormat},
		{"دوشنبه/۱۴۰۴/۰۹/۱۷", DateFormat},
		{"۳۰ اسفند ۱۴۰۴", DateInvalid},
		{"1404/09/17 👍", DateFormat},
	}
	for _, c := range bad {
		if got, r := ParseJalaliDate(c.in); r != c.reason || got != (JalaliDate{}) {
			t.Errorf("ParseJalaliDate(%+q) = %v, %q; want %q", c.in, got, r, c.reason)
		}
	}
}

// What LongDate and Date print parses back, in both languages, for a year of days.
func TestParseJalaliDateReadsDisplay(t *testing.T) {
	start := time.Date(2025, 3, 21, 10, 0, 0, 0, Tehran)
	for i := 0; i < 400; i++ {
		tm := start.AddDate(0, 0, i)
		want := JalaliOf(tm)
		for _, s := range []string{LongDate(tm, LangFa), LongDate(tm, LangAz), Date(tm)} {
			if got, r := ParseJalaliDate(s); got != want || r != OK {
				t.Fatalf("ParseJalaliDate(%+q) = %v, %q; want %v", s, got, r, want)
			}
		}
	}
}

func TestParseDate(t *testing.T) {
	jalali := []struct {
		in   string
		want JalaliDate
	}{
		{"1404/09/17", JalaliDate{1404, 9, 17}},
		{"۴ آذر ماه ۱۴۰۵", JalaliDate{1405, 9, 4}},
		{"دوشنبه ۱۷ آذر ۱۴۰۴", JalaliDate{1404, 9, 17}},
		{"14050904", JalaliDate{1405, 9, 4}},
	}
	for _, c := range jalali {
		if got, r := ParseDate(c.in); got != (ParsedDate{JalaliDate: c.want}) || r != OK {
			t.Errorf("ParseDate(%+q) = %+v, %q; want %v, not Gregorian", c.in, got, r, c.want)
		}
	}
	// 25 November 2026 is 4 Azar 1405 (a Wednesday); 8 December 2025 is 17 Azar 1404.
	gregorian := []struct {
		in   string
		want JalaliDate
	}{
		{"2026-11-25", JalaliDate{1405, 9, 4}},
		{"25/11/2026", JalaliDate{1405, 9, 4}},
		{"2026/11/25", JalaliDate{1405, 9, 4}},
		{"۲۰۲۶/۱۱/۲۵", JalaliDate{1405, 9, 4}},
		{"٢٥/١١/٢٠٢٦", JalaliDate{1405, 9, 4}},
		{"25.11.2026", JalaliDate{1405, 9, 4}},
		{"25-11-2026", JalaliDate{1405, 9, 4}},
		{"20261125", JalaliDate{1405, 9, 4}},
		{"11/25/2026", JalaliDate{1405, 9, 4}}, // month/day/year: 25 cannot be a month
		{"۲۵ نوامبر ۲۰۲۶", JalaliDate{1405, 9, 4}},
		{"25 November 2026", JalaliDate{1405, 9, 4}},
		{"25 Nov 2026", JalaliDate{1405, 9, 4}},
		{"25 noyabr, 2026", JalaliDate{1405, 9, 4}},
		{"2026 November 25", JalaliDate{1405, 9, 4}},
		{"چهارشنبه ۲۰۲۶/۱۱/۲۵", JalaliDate{1405, 9, 4}},
		{"2025-12-08", JalaliDate{1404, 9, 17}},
		{"08/12/2025", JalaliDate{1404, 9, 17}}, // day first, as in Iran
		{"2025-03-21", JalaliDate{1404, 1, 1}},  // Nowruz
		{"2025-03-20", JalaliDate{1403, 12, 30}},
		{"2024-02-29", JalaliDate{1402, 12, 10}}, // a Gregorian leap day
		{"1 ژانویه 2026", JalaliDate{1404, 10, 11}},
		{"\u2066۲۰۲۶-۱۱-۲۵\u2069", JalaliDate{1405, 9, 4}},
	}
	for _, c := range gregorian {
		got, r := ParseDate(c.in)
		if got != (ParsedDate{JalaliDate: c.want, Gregorian: true}) || r != OK {
			t.Errorf("ParseDate(%+q) = %+v, %q; want %v, Gregorian", c.in, got, r, c.want)
		}
		// The strict parser still refuses it, so a caller that does not confirm cannot
		// take a Gregorian date by mistake.
		if _, r := ParseJalaliDate(c.in); r != DateGregorian {
			t.Errorf("ParseJalaliDate(%+q) reason %q, want %q", c.in, r, DateGregorian)
		}
	}
	bad := []struct {
		in     string
		reason Reason
	}{
		{"", ReasonEmpty},
		{"2026-02-30", DateInvalid},
		{"2025-02-29", DateInvalid}, // not a leap year
		{"2026-13-01", DateInvalid},
		{"13/13/2026", DateInvalid},
		{"2026-00-10", DateInvalid},
		{"2150/01/01", DateInvalid}, // past the Jalali years this package converts
		{"2250/01/01", DateInvalid},
		{"۴ آذر ۲۰۲۶", DateGregorian},  // a Jalali month with a Gregorian year
		{"۲۵ نوامبر ۱۴۰۵", DateFormat}, // a Gregorian month with a Jalali year
		{"25 Foo 2026", DateFormat},
		{"26/11/25", DateFormat}, // two-digit year
		{"دوشنبه ۲۰۲۶/۱۱/۲۵", DateWeekday},
		{"1404/12/30", DateInvalid},
		{"1404/09/17 17:30", DateFormat},
	}
	for _, c := range bad {
		if got, r := ParseDate(c.in); r != c.reason || got != (ParsedDate{}) {
			t.Errorf("ParseDate(%+q) = %+v, %q; want %q", c.in, got, r, c.reason)
		}
	}
	// Every day of 1900..2098 typed as YYYY-MM-DD and as DD/MM/YYYY converts to the Jalali
	// day whose At gives that Gregorian day back.
	for g := time.Date(1900, 3, 21, 12, 0, 0, 0, time.UTC); g.Year() < 2099; g = g.AddDate(0, 0, 1) {
		for _, in := range []string{g.Format("2006-01-02"), g.Format("02/01/2006")} {
			got, r := ParseDate(in)
			if r != OK || !got.Gregorian {
				t.Fatalf("ParseDate(%q) = %+v, %q", in, got, r)
			}
			y, m, d := got.At(12, 0).Date()
			if y != g.Year() || m != g.Month() || d != g.Day() {
				t.Fatalf("ParseDate(%q) = %v, which is %d-%02d-%02d", in, got.JalaliDate, y, m, d)
			}
		}
	}
}
