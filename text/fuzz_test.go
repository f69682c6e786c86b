package text

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzSeeds are real-world inputs shared by the fuzz targets.
var fuzzSeeds = []string{
	"", " ", "ائل گلی", "ايل گلي", "ائل\u200cگلی", "می\u200c شود", "\u200fسلام\u200e", "ﺳﻼﻡ ﻋﻠﯿﮑﻢ",
	"ﻻ", "１２３", "۵۰۰ ﷼", "خانهٔ", "خانۀ", "مُحَمَّد", "تۆرکجه", "Aydın AYDIN İ", "Məmmədov",
	"👨\u200d👩\u200d👧", "🇮🇷", "1\ufe0f\u20e3", "a\x00b", "\xff\xfe", "ا\u200c\u0653", "ᄀ\u200cᅡ",
	"0084575948", "۰۰۸-۴۵۷۵۹۴-۸", "٠٩١٢٣٤٥٦٧٨٩", "+98 912 345 6789", "00989123456789", "04133334444",
	"۱۲٬۵۰۰", "1.000.000", "۲٫۵", "-5", "۲ میلیون و ۵۰۰ هزار تومان", "۵۰۰هزارتومان", "50 000 tümən",
	"۴ نفر", "علی رضایی", "O'Brien", "1404/09/17", "۱۴۰۴/۹/۱۷", "دوشنبه ۱۷ آذر ۱۴۰۴", "1404/12/30",
	"1403/12/30", "17:30", "۱۷:۳۰", "ساعت 5", "line1\r\n\r\n\r\nline2", "\u2066+۹۸\u2069",
	"می\u200bشود", "a\u200bب\u200b", "\u200b\u200c\u200b", "1230000003", "۷ تا", "7تا", "هفت تا",
	"بیست و یک نفر", "دؤرد نفر", "۴ آذر ماه ۱۴۰۵", "۴ آذرماه ۱۴۰۵", "2026-11-25", "25/11/2026",
	"11/25/2026", "۲۵ نوامبر ۲۰۲۶", "Türkçe", "TURKCE", "Azərbaycan", "ترکی آذربایجانی",
}

func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
}

func FuzzClean(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		c := Clean(s)
		checkCleanInvariants(t, s, c, false)
		if again := Clean(c); again != c {
			t.Fatalf("Clean not idempotent: %+q -> %+q -> %+q", s, c, again)
		}
		m := CleanMultiline(s)
		checkCleanInvariants(t, s, m, true)
		if again := CleanMultiline(m); again != m {
			t.Fatalf("CleanMultiline not idempotent: %+q -> %+q -> %+q", s, m, again)
		}
		if Clean(m) != c {
			t.Fatalf("Clean(CleanMultiline(%+q)) = %+q, Clean = %+q", s, Clean(m), c)
		}
		if Key(c) != Key(s) {
			t.Fatalf("Key(Clean(%+q)) = %+q, Key = %+q", s, Key(c), Key(s))
		}
	})
}

func FuzzKey(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		k := Key(s)
		if again := Key(k); again != k {
			t.Fatalf("Key not idempotent: %+q -> %+q -> %+q", s, k, again)
		}
		if !utf8.ValidString(k) {
			t.Fatalf("Key(%+q) = %+q: invalid UTF-8", s, k)
		}
		for _, r := range k {
			if !(unicode.IsLetter(r) || '0' <= r && r <= '9') || unicode.AzeriCase.ToLower(r) != r {
				t.Fatalf("Key(%+q) = %+q contains %U", s, k, r)
			}
			if strings.ContainsRune("əäǝöüıçşğ", r) {
				t.Fatalf("Key(%+q) = %+q keeps the Latin Azeri letter %q (typed as ASCII)", s, k, r)
			}
		}
		d := Digits(s)
		for _, r := range d {
			if unicode.IsDigit(r) && r >= utf8.RuneSelf {
				t.Fatalf("Digits(%+q) = %+q keeps %U", s, d, r)
			}
		}
		tr := Truncate(s, len(s)%7+1)
		if !strings.HasPrefix(s, tr) || utf8.RuneCountInString(tr) > len(s)%7+1 {
			t.Fatalf("Truncate(%+q) = %+q", s, tr)
		}
	})
}

func FuzzParseNationalID(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		id, r := ParseNationalID(s)
		if id2, r2 := ParseNationalID(Clean(s)); id2 != id || r2 != r {
			t.Fatalf("unstable under Clean: %+q -> %q %q, cleaned -> %q %q", s, id, r, id2, r2)
		}
		if r != OK {
			if id != "" {
				t.Fatalf("rejected %+q but returned %q", s, id)
			}
			return
		}
		if len(id) != 10 || !allASCIIDigits(id) || testCheckDigit(id[:9]) != int(id[9]-'0') || id[:3] == "000" || id[3:9] == "000000" {
			t.Fatalf("accepted %+q as bad ID %q", s, id)
		}
		if again, r := ParseNationalID(id); again != id || r != OK {
			t.Fatalf("canonical %q does not parse back", id)
		}
	})
}

func FuzzParseMobile(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		m, r := ParseMobile(s)
		if m2, r2 := ParseMobile(Clean(s)); m2 != m || r2 != r {
			t.Fatalf("unstable under Clean: %+q", s)
		}
		if r != OK {
			if m != "" {
				t.Fatalf("rejected %+q but returned %q", s, m)
			}
			return
		}
		if len(m) != 13 || !strings.HasPrefix(m, "+989") || !allASCIIDigits(m[1:]) {
			t.Fatalf("ParseMobile(%+q) = %q", s, m)
		}
		if again, r := ParseMobile(m); again != m || r != OK {
			t.Fatalf("canonical %q does not parse back", m)
		}
		if Phone(m) != lri+FaDigits("0"+m[3:])+pdi {
			t.Fatalf("Phone(%q) = %q", m, Phone(m))
		}
	})
}

func FuzzParseInt(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, int64(-1000), int64(1_000_000_000))
	}
	f.Fuzz(func(t *testing.T, s string, min, max int64) {
		n, r := ParseInt(s, min, max)
		if n2, r2 := ParseInt(Clean(s), min, max); n2 != n || r2 != r {
			t.Fatalf("unstable under Clean: %+q", s)
		}
		if r != OK {
			if n != 0 {
				t.Fatalf("rejected %+q but returned %d", s, n)
			}
			return
		}
		if n < min || n > max {
			t.Fatalf("ParseInt(%+q, %d, %d) = %d out of range", s, min, max, n)
		}
		for _, back := range []string{strconv.FormatInt(n, 10), Number(n), FaDigits(strconv.FormatInt(n, 10))} {
			if again, r := ParseInt(back, min, max); again != n || r != OK {
				t.Fatalf("ParseInt(%q) = %d, %q; want %d", back, again, r, n)
			}
		}
	})
}

func FuzzParseMoney(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		v, r := ParseMoney(s)
		if v2, r2 := ParseMoney(Clean(s)); v2 != v || r2 != r {
			t.Fatalf("unstable under Clean: %+q", s)
		}
		vt, rt := ParseMoneyAs(s, Toman)
		if r != OK {
			if v != 0 {
				t.Fatalf("rejected %+q but returned %d", s, v)
			}
			return
		}
		if v <= 0 || v > MaxMoney {
			t.Fatalf("ParseMoney(%+q) = %d", s, v)
		}
		if rt == OK && vt != v && vt != v*10 {
			t.Fatalf("ParseMoneyAs(%+q, Toman) = %d, rials %d", s, vt, v)
		}
		if again, r := ParseMoney(Number(v) + " ریال"); again != v || r != OK {
			t.Fatalf("ParseMoney(Number(%d)) = %d, %q", v, again, r)
		}
	})
}

func FuzzParseHouseholdSize(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		n, r := ParseHouseholdSize(s)
		if n2, r2 := ParseHouseholdSize(Clean(s)); n2 != n || r2 != r {
			t.Fatalf("unstable under Clean: %+q", s)
		}
		if r == OK && (n < 1 || n > 30) || r != OK && n != 0 {
			t.Fatalf("ParseHouseholdSize(%+q) = %d, %q", s, n, r)
		}
	})
}

func FuzzParseCount(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		n, r := ParseCount(s, 0, 1000)
		if n2, r2 := ParseCount(Clean(s), 0, 1000); n2 != n || r2 != r {
			t.Fatalf("unstable under Clean: %+q", s)
		}
		if r != OK {
			if n != 0 {
				t.Fatalf("rejected %+q but returned %d", s, n)
			}
			return
		}
		if n < 0 || n > 1000 {
			t.Fatalf("ParseCount(%+q) = %d out of range", s, n)
		}
		// The count, in digits, with or without a counter word, reads back.
		for _, back := range []string{Number(n), Number(n) + " تا", FaDigits(strconv.FormatInt(n, 10)) + "نفر"} {
			if again, r := ParseCount(back, 0, 1000); again != n || r != OK {
				t.Fatalf("ParseCount(%q) = %d, %q; want %d", back, again, r, n)
			}
		}
		// A plain number means the same to ParseCount as to ParseInt.
		if v, r := ParseInt(s, 0, 1000); r == OK && v != n {
			t.Fatalf("ParseInt(%+q) = %d, ParseCount = %d", s, v, n)
		}
	})
}

func FuzzParseName(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		name, r := ParseName(s)
		if n2, r2 := ParseName(Clean(s)); n2 != name || r2 != r {
			t.Fatalf("unstable under Clean: %+q", s)
		}
		if r != OK {
			if name != "" {
				t.Fatalf("rejected %+q but returned %q", s, name)
			}
			return
		}
		if n := utf8.RuneCountInString(name); n < NameMinRunes || n > NameMaxRunes {
			t.Fatalf("ParseName(%+q) = %+q: %d runes", s, name, n)
		}
		for _, r := range name {
			if unicode.IsDigit(r) || unicode.IsNumber(r) || unicode.Is(unicode.So, r) {
				t.Fatalf("ParseName(%+q) = %+q contains %U", s, name, r)
			}
		}
		if again, r := ParseName(name); again != name || r != OK {
			t.Fatalf("name %+q does not parse back", name)
		}
	})
}

func FuzzParseJalaliDate(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		d, r := ParseJalaliDate(s)
		if d2, r2 := ParseJalaliDate(Clean(s)); d2 != d || r2 != r {
			t.Fatalf("unstable under Clean: %+q", s)
		}
		if r != OK {
			if d != (JalaliDate{}) {
				t.Fatalf("rejected %+q but returned %v", s, d)
			}
			return
		}
		if !d.Valid() {
			t.Fatalf("ParseJalaliDate(%+q) = invalid %v", s, d)
		}
		if JalaliOf(d.At(12, 0)) != d {
			t.Fatalf("%v does not round-trip", d)
		}
		for _, back := range []string{d.String(), d.Fa(), LongDate(d.At(12, 0), LangFa), LongDate(d.At(12, 0), LangAz)} {
			if again, r := ParseJalaliDate(back); again != d || r != OK {
				t.Fatalf("ParseJalaliDate(%q) = %v, %q; want %v", back, again, r, d)
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		p, r := ParseDate(s)
		if p2, r2 := ParseDate(Clean(s)); p2 != p || r2 != r {
			t.Fatalf("unstable under Clean: %+q", s)
		}
		j, rj := ParseJalaliDate(s)
		if r != OK {
			if p != (ParsedDate{}) {
				t.Fatalf("rejected %+q but returned %+v", s, p)
			}
			if rj == OK {
				t.Fatalf("ParseJalaliDate accepts %+q, ParseDate says %q", s, r)
			}
			return
		}
		if !p.Valid() || JalaliOf(p.At(12, 0)) != p.JalaliDate {
			t.Fatalf("ParseDate(%+q) = invalid %+v", s, p)
		}
		switch {
		case !p.Gregorian && (rj != OK || j != p.JalaliDate):
			t.Fatalf("ParseDate(%+q) = %+v, ParseJalaliDate = %v, %q", s, p, j, rj)
		case p.Gregorian && rj != DateGregorian:
			t.Fatalf("ParseDate(%+q) = %+v (Gregorian), ParseJalaliDate reason %q", s, p, rj)
		}
		if p.Gregorian {
			// The Gregorian day, typed in ISO form, gives the same Jalali day back.
			iso := p.At(12, 0).Format("2006-01-02")
			if again, r := ParseDate(iso); again != p || r != OK {
				t.Fatalf("ParseDate(%q) = %+v, %q; want %+v", iso, again, r, p)
			}
		}
	})
}

func FuzzCompare(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, fuzzSeeds[(i*7+3)%len(fuzzSeeds)], i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, a, b string, az bool) {
		lang := LangFa
		if az {
			lang = LangAz
		}
		ab, ba := Compare(lang, a, b), Compare(lang, b, a)
		if ab != -ba || (ab == 0) != (a == b) {
			t.Fatalf("Compare(%+q, %+q) = %d, reverse %d", a, b, ab, ba)
		}
		names := []string{b, a, b}
		SortStrings(lang, names)
		if !slices.IsSortedFunc(names, func(x, y string) int { return Compare(lang, x, y) }) {
			t.Fatalf("SortStrings gives %+q, not in Compare's order", names)
		}
	})
}

func FuzzParseClock(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		h, m, r := ParseClock(s)
		if h2, m2, r2 := ParseClock(Clean(s)); h2 != h || m2 != m || r2 != r {
			t.Fatalf("unstable under Clean: %+q", s)
		}
		if r != OK {
			if h != 0 || m != 0 {
				t.Fatalf("rejected %+q but returned %d:%d", s, h, m)
			}
			return
		}
		if h < 0 || h > 23 || m < 0 || m > 59 {
			t.Fatalf("ParseClock(%+q) = %d:%d", s, h, m)
		}
		tm := (JalaliDate{1404, 9, 17}).At(h, m)
		if h2, m2, r := ParseClock(Clock(tm)); h2 != h || m2 != m || r != OK {
			t.Fatalf("Clock %q does not parse back", Clock(tm))
		}
	})
}
