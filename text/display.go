package text

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Unicode bidi isolates. An isolate keeps a run of LTR text or digits in one piece and
// in order inside RTL text, and shields the text around it from what is inside.
const (
	lri = "\u2066" // LEFT-TO-RIGHT ISOLATE
	fsi = "\u2068" // FIRST STRONG ISOLATE
	pdi = "\u2069" // POP DIRECTIONAL ISOLATE
)

// Lang is the language a resident chose: "fa" (Persian) or "az" (South Azerbaijani in
// Arabic script). Any value other than LangAz (or one starting with "az") is Persian.
type Lang string

// The project's two languages.
const (
	LangFa Lang = "fa"
	LangAz Lang = "az"
)

func (l Lang) azeri() bool { return strings.HasPrefix(string(l), "az") }

// FaDigits replaces ASCII and Arabic-Indic digits with Persian digits ۰-۹ (used in
// both languages). Other characters are left alone.
func FaDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case '0' <= r && r <= '9':
			return r - '0' + '۰'
		case '٠' <= r && r <= '٩':
			return r - '٠' + '۰'
		}
		return r
	}, s)
}

// Number formats n in Persian digits with the Arabic thousands separator "٬":
// 12500000 → "۱۲٬۵۰۰٬۰۰۰". A negative number is isolated (LRI…PDI) so that its minus
// sign stays on the left of the digits in RTL text.
func Number(n int64) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = -u
	}
	d := strconv.FormatUint(u, 10)
	var b strings.Builder
	b.Grow(len(d)*3 + 8)
	if neg {
		b.WriteString(lri + "-")
	}
	for i := 0; i < len(d); i++ {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteRune('٬')
		}
		b.WriteRune(rune(0x6F0 + int(d[i]-'0')))
	}
	if neg {
		b.WriteString(pdi)
	}
	return b.String()
}

// ListSeparator separates the parts of a one-line list whose parts may start or end with
// a number, such as counts ("رسید: ۱۹۷ — در دسترس نبود: ۰"): an em dash between spaces.
// Never use the middle dot « · » for this: next to Persian digits it reads as the digit
// zero ۰ ("…: ۱۹۷ · …: ۰" reads "۱۹۷ ۰ …"). The Arabic comma «، » is for lists of names;
// after a number it is easily taken for the thousands separator ٬ ("۱٬۲۰۰، ۳۰۰"). The em
// dash is also what the locale files use between the fields of a line ("کد … — …").
const ListSeparator = " — "

// List joins the non-empty parts with ListSeparator: List("رسید: ۱۹۷", "", "ناموفق: ۰")
// is "رسید: ۱۹۷ — ناموفق: ۰".
func List(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(ListSeparator)
		}
		b.WriteString(p)
	}
	return b.String()
}

// Date formats the Jalali date of t in Asia/Tehran as "۱۴۰۴/۰۹/۱۷": Persian digits, "/"
// (a "-" would let the parts swap places in RTL text), isolated in LRI…PDI.
func Date(t time.Time) string { return JalaliOf(t).Fa() }

// Clock formats the time of day of t in Asia/Tehran as "۱۷:۳۰" (24-hour clock). A
// digit run joined by ":" stays in order inside RTL text without isolation.
func Clock(t time.Time) string {
	t = t.In(Tehran)
	return FaDigits(t.Format("15:04"))
}

// Weekday names, indexed by time.Weekday (Sunday first).
//
// Azeri: the native South Azerbaijani names (the Azerbaijani week: bazar "Sunday",
// bazar ertəsi "the day after bazar", çərşənbə axşamı "eve of Wednesday", çərşənbə,
// cümə axşamı "eve of Friday", cümə, şənbə), as given by Azerbaijani dictionaries
// (e.g. Wiktionary's Azerbaijani days of the week) and by South Azerbaijani teaching
// material, written in the Iranian Azeri orthography (e → ئ, ü → ۆ, medial ə → ه‌).
// Many speakers in Tabriz also say the Persian names, which Persian-reading residents
// understand anyway; ParseJalaliDate accepts both.
var (
	weekdayFa      = [7]string{"یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه"}
	weekdayAz      = [7]string{"بازار", "بازار ائرته‌سی", "چرشنبه آخشامی", "چرشنبه", "جۆمعه آخشامی", "جۆمعه", "شنبه"}
	weekdayAzLatin = [7]string{"bazar", "bazar ertəsi", "çərşənbə axşamı", "çərşənbə", "cümə axşamı", "cümə", "şənbə"}
)

// Weekday returns the name of the weekday of t in Asia/Tehran: Persian for LangFa
// (شنبه … جمعه), Azeri for LangAz (شنبه، بازار، بازار ائرته‌سی، چرشنبه آخشامی، چرشنبه،
// جۆمعه آخشامی، جۆمعه).
func Weekday(t time.Time, lang Lang) string {
	wd := t.In(Tehran).Weekday()
	if lang.azeri() {
		return weekdayAz[wd]
	}
	return weekdayFa[wd]
}

// LongDate formats t in Asia/Tehran as weekday, day, month name and year, in Persian
// digits: "دوشنبه ۱۷ آذر ۱۴۰۴" (fa), "بازار ائرته‌سی ۱۷ آذر ۱۴۰۴" (az). ParseJalaliDate
// reads it back.
func LongDate(t time.Time, lang Lang) string {
	d := JalaliOf(t)
	return Weekday(t, lang) + " " + FaDigits(strconv.Itoa(d.Day)) + " " + MonthName(d.Month) + " " + FaDigits(strconv.Itoa(d.Year))
}

// Phone formats a phone number for display as one unbroken run of Persian digits in
// LRI…PDI. An Iranian mobile number (any form ParseMobile accepts, normally the stored
// "+989121234567") is shown the way residents write it, "۰۹۱۲۱۲۳۴۵۶۷": no "+" that
// could jump to the wrong side, no spaces that would let groups swap. Any other number
// keeps a leading "+" inside the isolate, which holds it on the left; characters other
// than digits and that "+" are dropped.
func Phone(e164 string) string {
	if m, r := ParseMobile(e164); r == OK {
		return lri + FaDigits("0"+m[3:]) + pdi
	}
	d := Digits(Clean(e164))
	var b strings.Builder
	for i, r := range d {
		if '0' <= r && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 || b.String() == "+" {
		return ""
	}
	return lri + FaDigits(b.String()) + pdi
}

// MaskedPhone shows a phone number with its middle hidden, for a screen that says what is
// on file without spelling the number out: the first four and the last two digits as
// Phone writes them, the others as •, in LRI…PDI ("۰۹۱۲•••••۶۷"). "" stays "".
func MaskedPhone(e164 string) string {
	shown := []rune(Phone(e164))
	if len(shown) < 2 {
		return ""
	}
	d := shown[1 : len(shown)-1] // inside the isolate
	if d[0] == '+' {
		d = d[1:]
	}
	if len(d) <= 6 {
		return lri + strings.Repeat("•", len(d)) + pdi
	}
	return lri + string(d[:4]) + strings.Repeat("•", len(d)-6) + string(d[len(d)-2:]) + pdi
}

// NationalID formats a national ID for display: its digits as one run of Persian
// digits in LRI…PDI, "۰۰۱۲۳۴۵۶۷۸" (leading zeros kept). Non-digits are dropped.
func NationalID(id string) string {
	d := Digits(Clean(id))
	var b strings.Builder
	for _, r := range d {
		if '0' <= r && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return lri + FaDigits(b.String()) + pdi
}

// isBidiControl reports the characters that change or end a direction run.
func isBidiControl(r rune) bool {
	return r == 0x200E || r == 0x200F || r == 0x061C || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// Isolate wraps s in FSI…PDI so that, inside RTL text, Latin or other LTR text (a Latin
// name, an e-mail address, a code) keeps its order and does not reorder the text around
// it; the direction inside is that of the first strong letter of s (LTR if none). Bidi
// controls inside s are removed first, so that user text cannot close the isolate early
// or override directions (the RLO spoofing trick). Isolate("") == "".
func Isolate(s string) string {
	if strings.IndexFunc(s, isBidiControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isBidiControl(r) {
				return -1
			}
			return r
		}, s)
	}
	if s == "" {
		return ""
	}
	return fsi + s + pdi
}

// extendsCluster reports whether r continues the user-perceived character before it.
func extendsCluster(r rune) bool {
	return isMark(r) || r == zwj ||
		r >= 0xFE00 && r <= 0xFE0F || // variation selectors
		r >= 0x1F3FB && r <= 0x1F3FF || // emoji skin tones
		r >= 0xE0020 && r <= 0xE007F || // emoji tag sequences
		r >= 0xE0100 && r <= 0xE01EF
}

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// Truncate returns s cut to at most n runes. It never cuts inside a rune, and it backs
// off rather than split a letter from its combining marks (harakat), an emoji from its
// modifiers, variation selectors or ZWJ sequence, or a flag's pair of regional
// indicators; a trailing ZWNJ, ZWJ or space is dropped. No ellipsis is added. If the
// first such cluster alone is longer than n, the result is "".
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	cut, count := 0, 0
	for cut < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
		count++
	}
	if cut == len(s) {
		return s
	}
	for cut > 0 {
		next, _ := utf8.DecodeRuneInString(s[cut:])
		prev, size := utf8.DecodeLastRuneInString(s[:cut])
		switch {
		case cut < len(s) && (extendsCluster(next) || prev == zwj):
			cut -= size
			continue
		case cut < len(s) && isRegionalIndicator(next) && isRegionalIndicator(prev):
			ris := 0
			for i := cut; i > 0; {
				r, sz := utf8.DecodeLastRuneInString(s[:i])
				if !isRegionalIndicator(r) {
					break
				}
				ris++
				i -= sz
			}
			if ris%2 == 1 {
				cut -= size
				continue
			}
		case prev == zwnj || prev == ' ' || unicode.IsSpace(prev):
			cut -= size
			continue
		}
		break
	}
	return s[:cut]
}
