package text

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFieldRunes is the longest cleaned input (in runes) that the parsers of short
// fields (IDs, phone numbers, numbers, amounts, dates, times) look at; anything
// longer is rejected with ReasonTooLong.
const MaxFieldRunes = 100

// MaxMoney is the largest amount ParseMoney accepts, in rials (10^15 rials).
const MaxMoney int64 = 1_000_000_000_000_000

// field cleans a short one-line field and rejects empty and absurdly long input.
func field(s string) (string, Reason) {
	c := Clean(s)
	if c == "" {
		return "", ReasonEmpty
	}
	if utf8.RuneCountInString(c) > MaxFieldRunes {
		return "", ReasonTooLong
	}
	return c, OK
}

func isDash(r rune) bool {
	switch r {
	case '-', '‐', '‑', '‒', '–', '—', '―', '−', '﹣', '－':
		return true
	}
	return false
}

// compactDigits returns Digits(s) without spaces, ZWNJ, dashes and (with parens)
// parentheses.
func compactDigits(s string, parens bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range Digits(s) {
		if r == ' ' || r == zwnj || isDash(r) || parens && (r == '(' || r == ')') {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseNationalID parses an Iranian national ID (کد ملی) and returns it as 10 ASCII
// digits. Digits may be in any script and grouped with spaces, dashes or ZWNJ
// ("۰۰۱-۲۳۴۵۶۷-۸"). It must be exactly 10 digits: an 8- or 9-digit input is NOT
// zero-padded (Reason NationalIDLength) because a missing leading zero cannot be told
// from a missing digit elsewhere, and the resident can always read all 10 digits off
// the card. Codes of one repeated digit and codes starting with 000 are rejected, and
// so are codes whose digits 4 to 9 are all zero (a three-digit place code followed by
// six zeros and a check digit: it passes the check digit but is issued to nobody). The
// last digit must be the check digit: with s = Σ dᵢ·(11−i) over the first nine digits
// (weights 10…2) and r = s mod 11, it is r when r < 2 and 11 − r otherwise.
func ParseNationalID(s string) (string, Reason) {
	c, reason := field(s)
	if reason != OK {
		return "", reason
	}
	d := compactDigits(c, false)
	if !allASCIIDigits(d) {
		return "", NationalIDFormat
	}
	if len(d) != 10 {
		return "", NationalIDLength
	}
	if strings.Count(d, d[:1]) == 10 {
		return "", NationalIDRepeated
	}
	if d[:3] == "000" {
		return "", NationalIDPrefix
	}
	if d[3:9] == "000000" {
		return "", NationalIDZeros
	}
	if nationalIDCheckDigit(d) != d[9] {
		return "", NationalIDChecksum
	}
	return d, OK
}

// nationalIDCheckDigit returns the check digit (as an ASCII byte) of the first nine
// ASCII digits of d.
func nationalIDCheckDigit(d string) byte {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	r := sum % 11
	if r >= 2 {
		r = 11 - r
	}
	return byte('0' + r)
}

// ParseMobile parses an Iranian mobile number and returns it in E.164, "+989XXXXXXXXX"
// (13 characters). Accepted, in any digit script, with spaces, dashes and parentheses
// anywhere: 09XXXXXXXXX, 9XXXXXXXXX, 989XXXXXXXXX, +989XXXXXXXXX, 00989XXXXXXXXX, and
// the international forms with the trunk zero kept (+98 0912…, 0098 0912…). The digit
// after the first 9 (the operator) may be anything. A number with another country code
// is MobileForeign; a well-formed Iranian landline (e.g. 04133334444) is MobileLandline.
// Telegram's shared contacts ("989121234567" or "+989121234567") parse as well.
func ParseMobile(s string) (string, Reason) {
	c, reason := field(s)
	if reason != OK {
		return "", reason
	}
	d := compactDigits(c, true)
	intl := false
	switch {
	case strings.HasPrefix(d, "+"):
		d, intl = d[1:], true
	case strings.HasPrefix(d, "00"):
		d, intl = d[2:], true
	}
	if d == "" || !allASCIIDigits(d) {
		return "", MobileInvalid
	}
	var national string // the number after the country code, without the trunk zero
	switch {
	case intl:
		if !strings.HasPrefix(d, "98") {
			return "", MobileForeign
		}
		national = strings.TrimPrefix(d[2:], "0")
	case len(d) == 12 && strings.HasPrefix(d, "98"):
		national = d[2:]
	case len(d) == 13 && strings.HasPrefix(d, "980"):
		national = d[3:]
	case len(d) == 11 && d[0] == '0':
		national = d[1:]
	case len(d) == 10:
		national = d
	default:
		return "", MobileInvalid
	}
	if len(national) != 10 || national[0] == '0' {
		return "", MobileInvalid
	}
	if national[0] != '9' {
		return "", MobileLandline
	}
	return "+98" + national, OK
}

func isThousandsSep(r rune) bool { return r == ',' || r == '٬' || r == '،' || r == ' ' }
func isDecimalSep(r rune) bool   { return r == '.' || r == '٫' || r == '/' }

type numKind uint8

const (
	numInvalid numKind = iota
	numWhole
	numDecimal
)

// splitNumber splits an ASCII-digit number with optional thousands separators
// (, ٬ ، or space, in groups of three) and an optional decimal separator (. ٫ /) into
// its integer digits and fraction digits. "1.000.000" (two or more dots, groups of
// three) is read as thousands grouping.
func splitNumber(s string) (whole, frac string, kind numKind) {
	var groups []string
	var seps []rune
	start := 0
	for i, r := range s {
		switch {
		case '0' <= r && r <= '9':
		case isThousandsSep(r) || isDecimalSep(r):
			groups = append(groups, s[start:i])
			seps = append(seps, r)
			start = i + utf8.RuneLen(r)
		default:
			return "", "", numInvalid
		}
	}
	groups = append(groups, s[start:])
	for _, g := range groups {
		if g == "" {
			return "", "", numInvalid
		}
	}
	if len(seps) == 0 {
		return s, "", numWhole
	}
	dots, decimals := 0, 0
	for _, r := range seps {
		if isDecimalSep(r) {
			decimals++
			if r == '.' {
				dots++
			}
		}
	}
	if decimals >= 2 && dots == len(seps) {
		decimals = 0 // 1.000.000
	}
	if decimals > 0 {
		if decimals > 1 || !isDecimalSep(seps[len(seps)-1]) {
			return "", "", numInvalid
		}
		frac = groups[len(groups)-1]
		groups = groups[:len(groups)-1]
	}
	if len(groups) > 1 {
		if len(groups[0]) > 3 {
			return "", "", numInvalid
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return "", "", numInvalid
			}
		}
	}
	whole = strings.Join(groups, "")
	if decimals > 0 {
		return whole, frac, numDecimal
	}
	return whole, "", numWhole
}

// digitsValue returns the value of a string of ASCII digits, false if above limit.
func digitsValue(d string, limit uint64) (uint64, bool) {
	var v uint64
	for i := 0; i < len(d); i++ {
		x := uint64(d[i] - '0')
		if v > (limit-x)/10 {
			return 0, false
		}
		v = v*10 + x
	}
	return v, true
}

// ParseInt parses a whole number in any digit script and returns it if it lies in
// [min, max]. Accepted: an optional sign (+, -, −) and digits, optionally grouped in
// threes by "٬", ",", "،" or spaces ("۱۲٬۵۰۰", "12,500", "12 500") or by two or more
// dots ("1.000.000"). A decimal point (. ٫ /) followed by digits is NumberDecimal;
// anything else (letters, units, badly placed separators) is NumberInvalid; a value
// outside [min, max], including beyond int64, is NumberRange.
func ParseInt(s string, min, max int64) (int64, Reason) {
	c, reason := field(s)
	if reason != OK {
		return 0, reason
	}
	d := Digits(c)
	neg := false
	if r, n := utf8.DecodeRuneInString(d); r == '-' || r == '−' || r == '+' {
		neg = r != '+'
		d = strings.TrimLeft(d[n:], " ")
	}
	whole, _, kind := splitNumber(d)
	switch kind {
	case numInvalid:
		return 0, NumberInvalid
	case numDecimal:
		return 0, NumberDecimal
	}
	limit := uint64(1<<63 - 1)
	if neg {
		limit++
	}
	u, ok := digitsValue(whole, limit)
	if !ok {
		return 0, NumberRange
	}
	n := int64(u)
	if neg {
		n = -n // wraps correctly for math.MinInt64
	}
	if n < min || n > max {
		return 0, NumberRange
	}
	return n, OK
}

// MoneyUnit is the unit a bare amount (one with no unit word) is taken in, as the
// number of rials in one unit.
type MoneyUnit int64

// The units of Iranian money.
const (
	Rial  MoneyUnit = 1
	Toman MoneyUnit = 10
)

// ParseMoney parses an amount of money and returns it in RIALS. A bare number is taken
// in rials; use ParseMoneyAs when the question asks for tomans. See ParseMoneyAs.
func ParseMoney(s string) (int64, Reason) { return ParseMoneyAs(s, Rial) }

type wordKind uint8

const (
	wordMult wordKind = iota + 1
	wordUnit
	wordAnd
)

type moneyWord struct {
	kind wordKind
	val  uint64 // multiplier, or rials per unit
}

// moneyWords maps the Key of each word ParseMoneyAs understands.
var moneyWords = keyedWords(map[string]moneyWord{
	"هزار": {wordMult, 1e3}, "مین": {wordMult, 1e3}, "min": {wordMult, 1e3},
	"میلیون": {wordMult, 1e6}, "ملیون": {wordMult, 1e6}, "milyon": {wordMult, 1e6}, "million": {wordMult, 1e6},
	"میلیارد": {wordMult, 1e9}, "ملیارد": {wordMult, 1e9}, "milyard": {wordMult, 1e9},
	"ریال": {wordUnit, 1}, "rial": {wordUnit, 1}, "riyal": {wordUnit, 1}, "rials": {wordUnit, 1}, "irr": {wordUnit, 1},
	"تومان": {wordUnit, 10}, "تومن": {wordUnit, 10}, "toman": {wordUnit, 10}, "tomans": {wordUnit, 10},
	"tomen": {wordUnit, 10}, "tuman": {wordUnit, 10}, "tümən": {wordUnit, 10}, "tumen": {wordUnit, 10},
	"و": {wordAnd, 0},
})

// keyedWords returns m with its keys replaced by their Key, the form typed words are
// looked up in.
func keyedWords[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[Key(k)] = v
	}
	return out
}

// maxMoneyWordLen is the length in bytes of the longest key in moneyWords.
var maxMoneyWordLen = func() int {
	n := 0
	for k := range moneyWords {
		n = max(n, len(k))
	}
	return n
}()

// splitMoneyWords splits a folded word run such as "هزارتومان" into known words,
// longest first.
func splitMoneyWords(k string) ([]moneyWord, bool) {
	var out []moneyWord
	for k != "" {
		best := 0
		for i := min(len(k), maxMoneyWordLen); i > 0; i-- {
			if _, ok := moneyWords[k[:i]]; ok {
				best = i
				break
			}
		}
		if best == 0 {
			return nil, false
		}
		out = append(out, moneyWords[k[:best]])
		k = k[best:]
	}
	return out, true
}

type moneyTok struct {
	num  string // a number token (digits and separators), or
	word moneyWord
}

// ParseMoneyAs parses an amount of money and returns it in rials; a bare amount is in
// the unit bare. Accepted, in any digit script:
//
//   - a whole number, grouped as in ParseInt: "۱۲٬۵۰۰٬۰۰۰", "12,500,000", "12 500 000";
//   - optionally followed by a unit word: ریال ﷼ rial IRR (×1), تومان تومن toman tümən
//     (×10), glued or not ("۵۰۰تومان");
//   - amounts in words of thousands: terms "N هزار", "N میلیون", "N میلیارد" (also
//     Azeri مین, Latin min/milyon/milyard), each multiplier smaller than the one
//     before, optionally joined by "و": "۲ میلیون و ۵۰۰ هزار تومان", "هزار تومان";
//     only such a term may have a decimal point ("۲٫۵ میلیون", "2.5 میلیون") and only
//     when the result is a whole number of rials.
//
// Rejected: a minus sign (MoneyNegative), a decimal without a multiplier word
// (NumberDecimal), zero (MoneyZero), more than MaxMoney rials (MoneyTooLarge), and
// everything else, including a bare number after a multiplied term ("۲ میلیون و ۵۰۰",
// which people use for 2,500,000), as MoneyInvalid.
func ParseMoneyAs(s string, bare MoneyUnit) (int64, Reason) {
	c, reason := field(s)
	if reason != OK {
		return 0, reason
	}
	d := Digits(c)
	neg := false
	if r, n := utf8.DecodeRuneInString(d); r == '-' || r == '−' {
		neg = true
		d = d[n:]
	}
	var toks []moneyTok
	for i := 0; i < len(d); {
		r, n := utf8.DecodeRuneInString(d[i:])
		switch {
		case r == ' ':
			i += n
		case '0' <= r && r <= '9':
			j := i + 1
			for j < len(d) {
				r2, n2 := utf8.DecodeRuneInString(d[j:])
				if '0' <= r2 && r2 <= '9' {
					j += n2
					continue
				}
				if (isThousandsSep(r2) || isDecimalSep(r2)) && j+n2 < len(d) && '0' <= d[j+n2] && d[j+n2] <= '9' {
					j += n2
					continue
				}
				break
			}
			toks = append(toks, moneyTok{num: d[i:j]})
			i = j
		case r == '﷼':
			toks = append(toks, moneyTok{word: moneyWords["ریال"]})
			i += n
		case unicode.IsLetter(r):
			j := i + n
			for j < len(d) {
				r2, n2 := utf8.DecodeRuneInString(d[j:])
				if !unicode.IsLetter(r2) && !isMark(r2) && r2 != zwnj {
					break
				}
				j += n2
			}
			words, ok := splitMoneyWords(Key(d[i:j]))
			if !ok {
				return 0, MoneyInvalid
			}
			for _, w := range words {
				toks = append(toks, moneyTok{word: w})
			}
			i = j
		default:
			return 0, MoneyInvalid
		}
	}
	total, reason := moneyTotal(toks, uint64(bare))
	if reason != OK {
		return 0, reason
	}
	switch {
	case neg:
		return 0, MoneyNegative
	case total == 0:
		return 0, MoneyZero
	}
	return int64(total), OK
}

// moneyTotal evaluates the tokens of ParseMoneyAs, in rials.
func moneyTotal(toks []moneyTok, unit uint64) (uint64, Reason) {
	const limit = uint64(MaxMoney)
	var total uint64
	terms := 0
	lastMult := uint64(0) // multiplier of the previous term; 0 before the first
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.word.kind == wordUnit:
			if terms == 0 || i != len(toks)-1 {
				return 0, MoneyInvalid
			}
			unit = t.word.val
		case t.word.kind == wordAnd:
			if terms == 0 || i+1 >= len(toks) || toks[i+1].word.kind == wordUnit || toks[i+1].word.kind == wordAnd {
				return 0, MoneyInvalid
			}
		case t.word.kind == wordMult: // a multiplier with no number before it: "هزار تومان"
			if terms > 0 {
				return 0, MoneyInvalid
			}
			total, lastMult, terms = t.word.val, t.word.val, 1
		default: // a number
			mult := uint64(1)
			if i+1 < len(toks) && toks[i+1].word.kind == wordMult {
				mult = toks[i+1].word.val
				i++
			}
			if terms > 0 && (mult == 1 || mult >= lastMult) {
				return 0, MoneyInvalid
			}
			whole, frac, kind := splitNumber(t.num)
			if kind == numInvalid {
				return 0, MoneyInvalid
			}
			if kind == numDecimal && mult == 1 {
				return 0, NumberDecimal
			}
			w, ok := digitsValue(whole, limit)
			if !ok || mult > 1 && w > limit/mult {
				return 0, MoneyTooLarge
			}
			term := w * mult
			if kind == numDecimal {
				// frac·mult/10^len(frac) must be whole: strip trailing zeros, then the
				// remaining fraction digits must fit in the multiplier's zeros.
				frac = strings.TrimRight(frac, "0")
				p := uint64(1)
				for range frac {
					p *= 10
					if p > mult {
						return 0, NumberDecimal
					}
				}
				f, _ := digitsValue(frac, limit)
				term += f * (mult / p)
			}
			if term > limit-total {
				return 0, MoneyTooLarge
			}
			total += term
			lastMult = mult
			terms++
		}
	}
	if terms == 0 {
		return 0, MoneyInvalid
	}
	if total > limit/unit {
		return 0, MoneyTooLarge
	}
	return total * unit, OK
}

// counterWords are the words that may follow a count of people or things: نفر
// "person" and the colloquial counter تا (Persian), نفر and دانا/دانه (Azeri, Latin nəfər,
// dənə), with the first-person forms "we are N" (نفریم، تاییم، نفریک).
var counterWords = keyedWords(map[string]bool{
	"نفر": true, "نفریم": true, "تا": true, "تاییم": true, "عدد": true,
	"نفریک": true, "دانا": true, "دانه": true,
	"nəfər": true, "nafar": true, "nəfərik": true, "ta": true, "dənə": true, "dana": true,
})

// counterList is counterWords longest first (to cut a glued counter off a word).
var counterList = func() []string {
	l := make([]string, 0, len(counterWords))
	for w := range counterWords {
		l = append(l, w)
	}
	slices.SortFunc(l, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return l
}()

// numberWords are the Keys of the number words 1..30 that a count may be written in,
// Persian (with colloquial forms) and Azeri in both scripts. Compounds ("بیست و یک",
// "ییرمی بیر", "اون بیر") are read by countWords.
var numberWords = keyedWords(map[string]int{
	"یک": 1, "یه": 1, "دو": 2, "سه": 3, "چهار": 4, "چار": 4, "پنج": 5, "شش": 6, "شیش": 6,
	"هفت": 7, "هشت": 8, "نه": 9, "ده": 10, "یازده": 11, "دوازده": 12, "سیزده": 13,
	"چهارده": 14, "پانزده": 15, "پونزده": 15, "شانزده": 16, "شونزده": 16, "هفده": 17,
	"هیفده": 17, "هجده": 18, "هیجده": 18, "هژده": 18, "نوزده": 19, "بیست": 20, "سی": 30,
	"بیر": 1, "ایکی": 2, "اوچ": 3, "دؤرد": 4, "بئش": 5, "آلتی": 6, "یئددی": 7, "یددی": 7,
	"سگگیز": 8, "سککیز": 8, "دوققوز": 9, "اون": 10, "ییرمی": 20, "ایگیرمی": 20, "اوتوز": 30,
	"bir": 1, "iki": 2, "üç": 3, "dörd": 4, "beş": 5, "altı": 6, "yeddi": 7, "səkkiz": 8,
	"doqquz": 9, "on": 10, "iyirmi": 20, "otuz": 30,
})

// ParseCount parses a count typed the way people say it and returns it if it lies in
// [min, max]: a whole number as in ParseInt, optionally followed by a counter word —
// نفر, تا, نفریم, تاییم, عدد (Persian), نفر, نفریک, دانا (Azeri), nəfər, dənə, ta (Latin) —
// glued or not: "۷", "۷ تا", "7تا", "۷ نفر", "۴ نفریم", "4 nəfər". With a counter word the
// number may also be written in words, Persian or Azeri: "هفت تا", "بیست و یک نفر",
// "دؤرد نفر", "اون بیر نفر", "yeddi nəfər". A number word alone ("چهار") is NumberInvalid:
// Persian نه (nine) is also "no". Out of range is NumberRange; decimals NumberDecimal;
// anything else NumberInvalid.
func ParseCount(s string, min, max int64) (int64, Reason) {
	c, reason := field(s)
	if reason != OK {
		return 0, reason
	}
	// Split off a trailing run of letters and test it for a counter word.
	end := len(c)
	for end > 0 {
		r, n := utf8.DecodeLastRuneInString(c[:end])
		if !unicode.IsLetter(r) && !isMark(r) && r != zwnj {
			break
		}
		end -= n
	}
	if end == len(c) { // no letters at the end: a plain number
		return ParseInt(c, min, max)
	}
	tail := Key(c[end:])
	head := strings.TrimSpace(c[:end])
	var n int64
	switch {
	case counterWords[tail] && head != "" && strings.IndexFunc(head, unicode.IsLetter) < 0:
		return ParseInt(head, min, max) // "۷ تا", "7تا"
	case counterWords[tail]:
		v, ok := countWords(head) // "هفت تا", "بیست و یک نفر"
		if !ok {
			return 0, NumberInvalid
		}
		n = v
	default:
		// A number word glued to its counter: "هفتتا", "یه‌نفر".
		ok := false
		for _, cw := range counterList {
			if w, found := strings.CutSuffix(tail, cw); found && w != "" {
				if n, ok = countWords(head + " " + w); ok {
					break
				}
			}
		}
		if !ok {
			return 0, NumberInvalid
		}
	}
	if n < min || n > max {
		return 0, NumberRange
	}
	return n, OK
}

// countWords reads a number written in words, 1..39: one number word, or a tens word
// (ده/اون, بیست/ییرمی, سی/اوتوز) and a unit 1..9, joined by و or not.
func countWords(s string) (int64, bool) {
	var vals []int
	and := false
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == zwnj || r == '-' }) {
		k := Key(w)
		if k == "و" && len(vals) == 1 && !and {
			and = true
			continue
		}
		v, ok := numberWords[k]
		if !ok {
			return 0, false
		}
		vals = append(vals, v)
	}
	switch {
	case len(vals) == 1 && !and:
		return int64(vals[0]), true
	case len(vals) == 2 && vals[0]%10 == 0 && vals[1] < 10:
		return int64(vals[0] + vals[1]), true
	}
	return 0, false
}

// ParseHouseholdSize parses the number of people in a household: a count 1..30 as
// ParseCount reads it ("۴", "۴ نفر", "۷ تا", "7تا", "هفت تا", "دؤرد نفر"). Out of range
// (including 0 and negatives) is HouseholdRange; a number word without a counter word
// ("چهار") is NumberInvalid (Persian نه, nine, is also "no").
func ParseHouseholdSize(s string) (int, Reason) {
	n, reason := ParseCount(s, 1, 30)
	if reason == NumberRange {
		return 0, HouseholdRange
	}
	return int(n), reason
}

// Name limits, in runes of the cleaned name.
const (
	NameMinRunes = 2
	NameMaxRunes = 80
)

func isHyphen(r rune) bool { return r == '-' || r == '‐' || r == '‑' }
func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == 'ʼ' || r == 'ʻ' || r == '‘'
}

// ParseName parses a person's name and returns its cleaned form (see Clean). Accepted:
// 2..80 runes made of letters of the Arabic script (Persian, Azeri ۆ ۇ ؽ ێ ؤ ئ …) and the
// Latin script (ə ğ ı ö ü ş ç …), harakat on those letters, ZWNJ, spaces, hyphens
// (- ‐ ‑) and apostrophes (' ’ ʼ ʻ ‘), with at least two letters; it must start with a
// letter, and a hyphen or apostrophe must stand between letters or spaces (not first,
// not last, not next to another). Any digit is NameDigits; emoji, other symbols and
// punctuation, letters of other scripts are NameInvalid.
func ParseName(s string) (string, Reason) {
	c := Clean(s)
	if c == "" {
		return "", ReasonEmpty
	}
	n := utf8.RuneCountInString(c)
	if n > NameMaxRunes {
		return "", NameTooLong
	}
	letters, digits, invalid := 0, false, false
	prevPunct := true // at the start a hyphen or apostrophe is misplaced
	for _, r := range c {
		switch {
		case digitValue(r) >= 0 || unicode.IsNumber(r):
			digits = true
		case unicode.IsLetter(r):
			if !unicode.In(r, unicode.Arabic, unicode.Latin) {
				invalid = true
			}
			letters++
			prevPunct = false
		case isMark(r):
			if r >= 0xFE00 && r <= 0xFE0F || !unicode.In(r, unicode.Arabic, unicode.Inherited, unicode.Latin) || unicode.Is(unicode.Me, r) {
				invalid = true // emoji variation selectors, keycaps
			}
		case r == ' ' || r == zwnj:
		case isHyphen(r) || isApostrophe(r):
			if prevPunct {
				invalid = true
			}
			prevPunct = true
		default:
			invalid = true
		}
		if letters == 0 && !unicode.IsLetter(r) {
			invalid = true // must start with a letter
		}
	}
	if prevPunct && letters > 0 {
		invalid = true // ends with a hyphen or apostrophe
	}
	switch {
	case digits:
		return "", NameDigits
	case invalid:
		return "", NameInvalid
	case letters < 2 || n < NameMinRunes:
		return "", NameTooShort
	}
	return c, OK
}
