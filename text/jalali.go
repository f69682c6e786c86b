package text

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Tehran must exist in minimal containers too
	"unicode"
	"unicode/utf8"

	ptime "github.com/yaa110/go-persian-calendar"
)

// Tehran is Asia/Tehran. The zone comes from the system's zoneinfo when that knows
// that Iran stopped daylight saving time in 2022, else from the tzdata embedded in the
// binary; if neither is usable it is the fixed zone +03:30.
var Tehran = loadTehran()

func loadTehran() *time.Location {
	loc, err := time.LoadLocation("Asia/Tehran")
	if err == nil {
		// A stale system zoneinfo would still move the clocks in summer.
		if _, off := time.Date(2030, 7, 1, 12, 0, 0, 0, loc).Zone(); off == 12600 {
			return loc
		}
	}
	return time.FixedZone("+0330", 12600)
}

// JalaliDate is a day of the Solar Hijri (Jalali) calendar: Year 1404, Month 1..12
// (1 = Farvardin), Day 1..31.
type JalaliDate struct{ Year, Month, Day int }

// The years over which Valid accepts dates: Gregorian 1900..2099, where the
// conversion of github.com/yaa110/go-persian-calendar is known to be right.
const (
	MinJalaliYear = 1279
	MaxJalaliYear = 1477
)

// gregorian converts d to the Gregorian calendar. ptime rolls invalid dates over
// (1404/12/30 becomes 1405/01/01); Valid catches that by converting back.
func (d JalaliDate) gregorian() (int, time.Month, int) {
	return ptime.Date(d.Year, ptime.Month(d.Month), d.Day, 12, 0, 0, 0, time.UTC).Time().Date()
}

// jalaliOfDay converts a Gregorian day.
func jalaliOfDay(y int, m time.Month, d int) JalaliDate {
	p := ptime.New(time.Date(y, m, d, 12, 0, 0, 0, time.UTC))
	return JalaliDate{p.Year(), int(p.Month()), p.Day()}
}

// Valid reports whether d is a day that exists, in the years MinJalaliYear..MaxJalaliYear:
// converted to the Gregorian calendar and back it must give the same year, month and
// day (so 1403/12/30 is valid, 1404/12/30 and 1404/07/31 are not).
func (d JalaliDate) Valid() bool {
	if d.Year < MinJalaliYear || d.Year > MaxJalaliYear || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
		return false
	}
	return jalaliOfDay(d.gregorian()) == d
}

// At returns the instant hour:min on day d in Asia/Tehran. For an invalid d the day
// rolls over, as time.Date does.
func (d JalaliDate) At(hour, min int) time.Time {
	y, m, day := d.gregorian()
	return time.Date(y, m, day, hour, min, 0, 0, Tehran)
}

// String returns d as "1404/09/17" in ASCII digits (for logs and storage keys).
func (d JalaliDate) String() string {
	return fmt.Sprintf("%04d/%02d/%02d", d.Year, d.Month, d.Day)
}

// Fa returns d for display: "۱۴۰۴/۰۹/۱۷" in Persian digits, isolated (LRI…PDI) so that
// it keeps its order inside RTL text.
func (d JalaliDate) Fa() string {
	return lri + FaDigits(d.String()) + pdi
}

// JalaliOf returns the Jalali date of t in Asia/Tehran.
func JalaliOf(t time.Time) JalaliDate {
	p := ptime.New(t.In(Tehran))
	return JalaliDate{p.Year(), int(p.Month()), p.Day()}
}

var monthNames = [...]string{"فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"}

// MonthName returns the Persian name of Jalali month m (1 = فروردین … 12 = اسفند), which
// Azeri speakers in Iran use as well; "" if m is out of range.
func MonthName(m int) string {
	if m < 1 || m > 12 {
		return ""
	}
	return monthNames[m-1]
}

// monthKeys maps the Key of each Jalali month name (and common variants), alone and
// followed by ماه ("آذر ماه", "آذرماه", "آذر‌ماه" share one Key), to its number.
var monthKeys = func() map[string]int {
	k := map[string]int{}
	add := func(name string, m int) {
		k[Key(name)] = m
		k[Key(name+"ماه")] = m
	}
	add("امرداد", 5)
	add("اردی‌بهشت", 2)
	for i, n := range monthNames {
		add(n, i+1)
	}
	return k
}()

// gregorianMonthKeys maps the Key of each Gregorian month name, in Persian (ژانویه …
// دسامبر, with common variants), English and Latin Azeri (full and three-letter), to its
// number.
var gregorianMonthKeys = func() map[string]int {
	names := [12][]string{
		{"ژانویه", "ژانویهٔ", "January", "Jan", "yanvar"},
		{"فوریه", "فوریهٔ", "February", "Feb", "fevral"},
		{"مارس", "March", "Mar", "mart"},
		{"آوریل", "April", "Apr", "aprel"},
		{"مه", "می", "May", "may"},
		{"ژوئن", "June", "Jun", "iyun"},
		{"ژوئیه", "جولای", "July", "Jul", "iyul"},
		{"اوت", "آگوست", "August", "Aug", "avqust"},
		{"سپتامبر", "September", "Sep", "Sept", "sentyabr"},
		{"اکتبر", "October", "Oct", "oktyabr"},
		{"نوامبر", "November", "Nov", "noyabr"},
		{"دسامبر", "December", "Dec", "dekabr"},
	}
	k := map[string]int{}
	for i, l := range names {
		for _, n := range l {
			k[Key(n)] = i + 1
		}
	}
	return k
}()

// weekdayKeys maps the Key of every Persian and Azeri weekday name (both scripts) to
// its time.Weekday.
var weekdayKeys = func() map[string]time.Weekday {
	k := map[string]time.Weekday{}
	for d := time.Sunday; d <= time.Saturday; d++ {
		k[Key(weekdayFa[d])] = d
		k[Key(weekdayAz[d])] = d
		k[Key(weekdayAzLatin[d])] = d
	}
	k[Key("جومعه")] = time.Friday
	return k
}()

// ParseJalaliDate parses a Jalali date typed by staff. Accepted, in any digit script:
//
//   - year/month/day with "/", "-", ".", "٫" or "\" (the same one twice, spaces around
//     it allowed) or with spaces only: "1404/09/17", "۱۴۰۴/۹/۱۷", "1404-09-17",
//     "1404.9.17", "1404 9 17";
//   - the same with the year last: "17/9/1404" (the four-digit part is the year);
//   - eight digits: "14040917";
//   - day, month name, year (or year, month name, day), with commas or not, the month
//     name alone or followed by ماه (with a space, a ZWNJ or glued): "۱۷ آذر ۱۴۰۴",
//     "1404 آذر 17", "۱۷ آذر، ۱۴۰۴", "۴ آذر ماه ۱۴۰۵", "۴ آذرماه ۱۴۰۵";
//   - any of these after a weekday name in Persian or Azeri (either script):
//     "دوشنبه ۱۷ آذر ۱۴۰۴", "دوشنبه، ۱۴۰۴/۰۹/۱۷" — what LongDate and Date print parse back.
//
// The year must have four digits (two-digit years are DateFormat). A Gregorian-looking
// year (1900..2199) or a Gregorian month name is DateGregorian (ParseDate converts such
// dates instead). A date that does not exist (round trip through the Gregorian calendar
// fails: 1404/12/30, 1404/07/31, month 13) or whose year is outside
// MinJalaliYear..MaxJalaliYear is DateInvalid. A weekday that is not the weekday of the
// date is DateWeekday.
func ParseJalaliDate(s string) (JalaliDate, Reason) {
	p, reason := parseDateParts(s)
	if reason != OK {
		return JalaliDate{}, reason
	}
	if p.gregorian() {
		return JalaliDate{}, DateGregorian
	}
	return p.jalali()
}

// ParsedDate is a day as ParseDate read it.
type ParsedDate struct {
	JalaliDate // the day in the Jalali calendar, converted if the input was Gregorian
	// Gregorian reports that the input was a Gregorian date (a year 1900..2199 or a
	// Gregorian month name), which JalaliDate holds converted: show the Jalali date back
	// and ask the person to confirm it before using it.
	Gregorian bool
}

// ParseDate parses a date typed by staff: everything ParseJalaliDate accepts, and also a
// Gregorian date, recognised by its year (1900..2199) or its month name, which it converts
// to the Jalali calendar and flags with Gregorian:
//
//   - year/month/day as ParseJalaliDate: "2026-11-25", "2026/11/25", "20261125";
//   - day/month/year, the order used in Iran: "25/11/2026", "25.11.2026"; when the
//     middle number is over 12 and the first is not, month/day/year: "11/25/2026";
//   - day, month name, year with a Gregorian month name in Persian, English or Latin
//     Azeri: "۲۵ نوامبر ۲۰۲۶", "25 November 2026", "25 Nov 2026", "25 noyabr 2026".
//
// All four of "2026-11-25", "25/11/2026", "2026/11/25" and "۲۵ نوامبر ۲۰۲۶" give
// ParsedDate{JalaliDate{1405, 9, 4}, true}. A Gregorian day that does not exist
// (2026-02-30) is DateInvalid, and so is one outside the Jalali years MinJalaliYear..
// MaxJalaliYear (after 2098); a Jalali month name with a Gregorian year ("۴ آذر ۲۰۲۶") is
// DateGregorian, a Gregorian month name with a Jalali year DateFormat; a weekday name
// must be the weekday of the day (DateWeekday). The other reasons are those of
// ParseJalaliDate.
func ParseDate(s string) (ParsedDate, Reason) {
	p, reason := parseDateParts(s)
	if reason != OK {
		return ParsedDate{}, reason
	}
	if !p.gregorian() {
		d, reason := p.jalali()
		return ParsedDate{JalaliDate: d}, reason
	}
	switch {
	case p.nameKind == monthJalali:
		return ParsedDate{}, DateGregorian // آذر with 2026
	case p.nameKind == monthGregorian && p.year < 1900:
		return ParsedDate{}, DateFormat // نوامبر with 1405
	case p.year > 2199:
		return ParsedDate{}, DateInvalid
	}
	if p.yearLast && p.month > 12 && p.day <= 12 {
		p.month, p.day = p.day, p.month // 11/25/2026: month/day/year
	}
	if p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 {
		return ParsedDate{}, DateInvalid
	}
	g := time.Date(p.year, time.Month(p.month), p.day, 12, 0, 0, 0, time.UTC)
	if g.Year() != p.year || int(g.Month()) != p.month || g.Day() != p.day {
		return ParsedDate{}, DateInvalid // 30 February
	}
	d := jalaliOfDay(p.year, time.Month(p.month), p.day)
	if !d.Valid() {
		return ParsedDate{}, DateInvalid
	}
	if p.weekday >= 0 && g.Weekday() != p.weekday {
		return ParsedDate{}, DateWeekday
	}
	return ParsedDate{JalaliDate: d, Gregorian: true}, OK
}

type monthNameKind uint8

const (
	monthNumber    monthNameKind = iota // the month was a number
	monthJalali                         // a Jalali month name
	monthGregorian                      // a Gregorian month name
)

// dateParts is a date as typed, before the calendar is decided.
type dateParts struct {
	year, month, day int
	nameKind         monthNameKind
	yearLast         bool         // typed day, month, year
	weekday          time.Weekday // -1 if none was typed
}

// gregorian reports whether the parts are a Gregorian date.
func (p dateParts) gregorian() bool {
	return p.year >= 1900 || p.nameKind == monthGregorian
}

// jalali checks the parts as a Jalali date.
func (p dateParts) jalali() (JalaliDate, Reason) {
	d := JalaliDate{Year: p.year, Month: p.month, Day: p.day}
	if !d.Valid() {
		return JalaliDate{}, DateInvalid
	}
	if p.weekday >= 0 && d.At(12, 0).Weekday() != p.weekday {
		return JalaliDate{}, DateWeekday
	}
	return d, OK
}

// parseDateParts splits a typed date into year, month and day (see ParseJalaliDate and
// ParseDate for the forms).
func parseDateParts(s string) (dateParts, Reason) {
	c, reason := field(s)
	if reason != OK {
		return dateParts{}, reason
	}
	toks, ok := dateTokens(Digits(c))
	if !ok {
		return dateParts{}, DateFormat
	}
	p := dateParts{weekday: -1}
	if len(toks) > 0 && !toks[0].num && !toks[0].sep {
		if wd, ok := weekdayKeys[toks[0].s]; ok {
			p.weekday = wd
			toks = toks[1:]
			if len(toks) > 0 && toks[0].sep {
				if !listSep(toks[0].s) {
					return dateParts{}, DateFormat
				}
				toks = toks[1:]
			}
		}
	}
	var nums []string
	switch {
	case len(toks) == 1 && toks[0].num && len(toks[0].s) == 8:
		nums = []string{toks[0].s[:4], toks[0].s[4:6], toks[0].s[6:]}
	case len(toks) == 5 && toks[0].num && toks[2].num && toks[4].num && toks[1].sep && toks[3].sep:
		if toks[1].s != toks[3].s {
			return dateParts{}, DateFormat
		}
		nums = []string{toks[0].s, toks[2].s, toks[4].s}
	default:
		var words []dateToken
		for _, t := range toks {
			if t.sep {
				if !listSep(t.s) {
					return dateParts{}, DateFormat
				}
				continue
			}
			words = append(words, t)
		}
		if len(words) != 3 || !words[0].num || words[1].num || !words[2].num {
			return dateParts{}, DateFormat
		}
		if m, ok := monthKeys[words[1].s]; ok {
			p.month, p.nameKind = m, monthJalali
		} else if m, ok := gregorianMonthKeys[words[1].s]; ok {
			p.month, p.nameKind = m, monthGregorian
		} else {
			return dateParts{}, DateFormat
		}
		nums = []string{words[0].s, "", words[2].s}
	}
	// nums is year, month, day or day, month, year; the year has four digits.
	if len(nums[2]) == 4 && len(nums[0]) <= 2 {
		nums[0], nums[2] = nums[2], nums[0]
		p.yearLast = true
	}
	if len(nums[0]) != 4 || len(nums[2]) > 2 || len(nums[1]) > 2 {
		return dateParts{}, DateFormat
	}
	p.year, p.day = atoi(nums[0]), atoi(nums[2])
	if p.nameKind == monthNumber {
		p.month = atoi(nums[1])
	}
	return p, OK
}

// atoi converts a short string of ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

type dateToken struct {
	s   string // digits; Key of a run of words; or the separator without spaces
	num bool
	sep bool
}

// listSep reports whether a separator token may stand between the words of a date
// written with a month name: spaces alone or a comma.
func listSep(s string) bool { return s == "" || s == "," || s == "،" }

func isDateSep(r rune) bool {
	return r == '/' || r == '-' || r == '.' || r == '٫' || r == '\\' || r == ',' || r == '،'
}

// dateTokens splits an ASCII-digit date into numbers, word runs (each run of words
// separated by spaces is one token holding its Key, so "بازار ائرته‌سی" is one weekday)
// and, between two other tokens, separators: spaces with at most one separator
// character, kept without the spaces ("" for spaces alone).
func dateTokens(s string) ([]dateToken, bool) {
	var toks []dateToken
	for i := 0; i < len(s); {
		r, _ := utf8.DecodeRuneInString(s[i:])
		switch {
		case '0' <= r && r <= '9':
			j := i
			for j < len(s) && '0' <= s[j] && s[j] <= '9' {
				j++
			}
			if j-i > 8 {
				return nil, false
			}
			toks = append(toks, dateToken{s: s[i:j], num: true})
			i = j
		case r == ' ' || isDateSep(r):
			j, sep := i, ""
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if r2 == ' ' {
					j++
					continue
				}
				if isDateSep(r2) && sep == "" {
					sep = s[j : j+n2]
					j += n2
					continue
				}
				break
			}
			if len(toks) == 0 || toks[len(toks)-1].sep || j == len(s) {
				return nil, false // a separator at the start, at the end or twice
			}
			toks = append(toks, dateToken{s: sep, sep: true})
			i = j
		case unicode.IsLetter(r):
			j := i
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if unicode.IsLetter(r2) || isMark(r2) || r2 == zwnj {
					j += n2
					continue
				}
				if r2 == ' ' { // go on only if another word follows
					k := j
					for k < len(s) && s[k] == ' ' {
						k++
					}
					if r3, _ := utf8.DecodeRuneInString(s[k:]); k < len(s) && unicode.IsLetter(r3) {
						j = k
						continue
					}
				}
				break
			}
			toks = append(toks, dateToken{s: Key(s[i:j])})
			i = j
		default:
			return nil, false
		}
	}
	return toks, true
}

// ParseClock parses a time of day typed by staff, 24-hour clock, in any digit script.
// Accepted: "17:30", "۱۷:۳۰", "17.30", "17٫30", "5:30" (05:30), "17" (17:00), "1730" and
// "930" (HHMM/HMM), "17:30:00" (seconds are ignored), each optionally after the word
// ساعت / ساعات / saat. Minutes need two digits. Words such as "عصر" or "pm" are not
// understood (TimeFormat). Hour over 23 or minute/second over 59 is TimeInvalid.
func ParseClock(s string) (hour, minute int, reason Reason) {
	c, reason := field(s)
	if reason != OK {
		return 0, 0, reason
	}
	d := Digits(c)
	if i := strings.IndexFunc(d, func(r rune) bool { return !unicode.IsLetter(r) && r != zwnj && !isMark(r) }); i > 0 {
		switch Key(d[:i]) {
		case "ساعت", "ساعات", "saat":
			d = strings.TrimSpace(d[i:])
		}
	}
	parts := strings.FieldsFunc(d, func(r rune) bool { return r == ':' || r == '.' || r == '٫' })
	if strings.Count(d, ":")+strings.Count(d, ".")+strings.Count(d, "٫") != len(parts)-1 {
		return 0, 0, TimeFormat // separators at the ends or doubled
	}
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		if parts[i] == "" || !allASCIIDigits(parts[i]) {
			return 0, 0, TimeFormat
		}
	}
	var h, m, sec string
	switch {
	case len(parts) == 1 && len(parts[0]) <= 2:
		h, m = parts[0], "00"
	case len(parts) == 1 && (len(parts[0]) == 3 || len(parts[0]) == 4):
		h, m = parts[0][:len(parts[0])-2], parts[0][len(parts[0])-2:]
	case len(parts) == 2 && len(parts[0]) <= 2 && len(parts[1]) == 2:
		h, m = parts[0], parts[1]
	case len(parts) == 3 && len(parts[0]) <= 2 && len(parts[1]) == 2 && len(parts[2]) == 2:
		h, m, sec = parts[0], parts[1], parts[2]
	default:
		return 0, 0, TimeFormat
	}
	hour, minute = atoi(h), atoi(m)
	if hour > 23 || minute > 59 || atoi(sec) > 59 {
		return 0, 0, TimeInvalid
	}
	return hour, minute, OK
}
