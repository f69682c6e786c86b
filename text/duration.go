package text

import (
	"strings"
	"time"
	"unicode"
)

// MaxDuration bounds what ParseDuration reads; more is NumberRange (far beyond what any
// question asks, so the caller's range message fits).
const MaxDuration = 1000 * time.Hour

type durKind uint8

const (
	durNumber  durKind = iota + 1
	durMinute          // a unit word: minutes
	durHour            // a unit word: hours
	durHalf            // نیم, یاریم: half (an hour)
	durQuarter         // ربع: a quarter of an hour
	durAnd             // و
)

type durWord struct {
	kind durKind
	val  int64 // of a number word
}

// durWords maps the Key of every word ParseDuration understands: units, half and quarter,
// "and", and number words (those of ParseCount, and tens to ninety and a hundred).
var durWords = func() map[string]durWord {
	m := map[string]durWord{}
	for k, v := range numberWords {
		m[k] = durWord{durNumber, int64(v)}
	}
	for k, v := range keyedWords(map[string]int64{
		"چهل": 40, "پنجاه": 50, "شصت": 60, "هفتاد": 70, "هشتاد": 80, "نود": 90, "صد": 100,
		"قیرخ": 40, "اللی": 50, "آلتمیش": 60, "یئتمیش": 70, "سکسن": 80, "دوخسان": 90, "یوز": 100,
		"qırx": 40, "əlli": 50, "altmış": 60, "yetmiş": 70, "səksən": 80, "doxsan": 90, "yüz": 100,
	}) {
		m[k] = durWord{durNumber, v}
	}
	for k, v := range keyedWords(map[string]durKind{
		"دقیقه": durMinute, "دقه": durMinute, "دیقه": durMinute, "dəqiqə": durMinute, "min": durMinute,
		"minute": durMinute, "minutes": durMinute,
		"ساعت": durHour, "ساعات": durHour, "ساعته": durHour, "saat": durHour, "hour": durHour, "hours": durHour, "h": durHour,
		"نیم": durHalf, "یاریم": durHalf, "yarım": durHalf,
		"ربع": durQuarter,
		"و":   durAnd, "və": durAnd,
	}) {
		m[k] = durWord{kind: v}
	}
	return m
}()

// durTok is a token of a typed duration: a number in digits (whole part and decimal
// digits) or a known word.
type durTok struct {
	digits bool
	whole  string
	frac   string
	word   durWord
}

// ParseDuration parses how long something lasts, typed the way people say it, in any digit
// script, Persian or Azeri (either script):
//
//   - a bare whole number is minutes: "۹۰", "90";
//   - a number and a unit, glued or not: "۹۰ دقیقه", "90دقیقه", "۲ ساعت", "90 dəqiqə",
//     "2 saat"; hours may have decimals ("۱.۵ ساعت", "۱٫۵ ساعت", "۱/۵ ساعت": 90 minutes)
//     as long as they come to whole minutes;
//   - numbers in words with a unit: "دو ساعت", "یه ساعت", "چهل و پنج دقیقه", "ایکی ساعات";
//   - a half and a quarter: "نیم ساعت", "یک ساعت و نیم", "یک و نیم ساعت", "بیر ساعات
//     یاریم", "بیر یاریم ساعات", "یک ربع", "سه ربع ساعت", "دو ساعت و ربع";
//   - hours then minutes: "یک ساعت و سی دقیقه", "۱ ساعت ۳۰ دقیقه", and "یک ساعت و ۳۰"
//     (the minutes unit left out after hours).
//
// It returns the duration, which may be 0 (the caller checks its range). Anything else
// (a minus sign, a decimal number of minutes, a bare decimal, units out of order, unknown
// words) is DurationInvalid; more than MaxDuration is NumberRange.
func ParseDuration(s string) (time.Duration, Reason) {
	c, reason := field(s)
	if reason != OK {
		return 0, reason
	}
	toks, ok := durTokens(Digits(c))
	if !ok || len(toks) == 0 {
		return 0, DurationInvalid
	}
	p := durParser{toks: toks}
	total, ok := p.parse()
	switch {
	case !ok:
		return 0, DurationInvalid
	case total > int64(MaxDuration/time.Second):
		return 0, NumberRange
	case total%60 != 0:
		return 0, DurationInvalid // not whole minutes: "1.33 ساعت"
	}
	return time.Duration(total) * time.Second, OK
}

// durTokens splits a duration (ASCII digits already) into numbers and known words. A
// number ends where letters begin ("90دقیقه"); a word that is unknown as a whole but is
// و glued to a known word ("ونیم") is both.
func durTokens(s string) ([]durTok, bool) {
	var toks []durTok
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case '0' <= r && r <= '9':
			j := i
			for j < len(rs) && '0' <= rs[j] && rs[j] <= '9' {
				j++
			}
			t := durTok{digits: true, whole: string(rs[i:j])}
			if j+1 < len(rs) && isDecimalSep(rs[j]) && '0' <= rs[j+1] && rs[j+1] <= '9' {
				k := j + 1
				for k < len(rs) && '0' <= rs[k] && rs[k] <= '9' {
					k++
				}
				t.frac, j = string(rs[j+1:k]), k
			}
			toks = append(toks, t)
			i = j
		case unicode.IsLetter(r) || isMark(r):
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || isMark(rs[j])) {
				j++
			}
			k := Key(string(rs[i:j]))
			if w, ok := durWords[k]; ok {
				toks = append(toks, durTok{word: w})
			} else if rest, glued := strings.CutPrefix(k, "و"); glued && durWords[rest].kind != 0 {
				toks = append(toks, durTok{word: durWords["و"]}, durTok{word: durWords[rest]})
			} else if k != "" {
				return nil, false
			}
			i = j
		case r == ' ' || r == zwnj || r == ',' || r == '،':
			i++
		default:
			return nil, false // a sign, a colon, anything else
		}
	}
	return toks, true
}

// durParser reads tokens as parts (a quantity and a unit) in falling order of units;
// amounts are in seconds.
type durParser struct {
	toks []durTok
	i    int
}

func (p *durParser) peek() (durTok, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return durTok{}, false
}

// is reports whether the next token is a word of kind k, and takes it if so.
func (p *durParser) is(k durKind) bool {
	if t, ok := p.peek(); ok && !t.digits && t.word.kind == k {
		p.i++
		return true
	}
	return false
}

// half takes an optional "و نیم" / "یاریم" and reports whether there was one.
func (p *durParser) half() bool {
	save := p.i
	p.is(durAnd)
	if p.is(durHalf) {
		return true
	}
	p.i = save
	return false
}

// Levels of the parts, so that units fall: hours, then quarters, then minutes.
const (
	levelHour    = 3
	levelQuarter = 2
	levelMinute  = 1
)

func (p *durParser) parse() (int64, bool) {
	var total int64
	last := levelHour + 1
	for parts := 0; ; parts++ {
		if parts > 0 {
			if _, more := p.peek(); !more {
				return total, true
			}
			p.is(durAnd)
		}
		secs, level, ok := p.part(parts, last)
		if !ok || level >= last {
			return 0, false
		}
		total, last = total+secs, level
	}
}

// part reads one part: "نیم ساعت", "[n] ربع [ساعت]", "n [و نیم] unit [و نیم]", or a
// bare number (minutes: the whole input, or what follows hours).
func (p *durParser) part(parts, last int) (secs int64, level int, ok bool) {
	if p.is(durHalf) {
		if !p.is(durHour) {
			return 0, 0, false
		}
		return 30 * 60, levelHour, true
	}
	if p.is(durQuarter) {
		p.is(durHour)
		return 15 * 60, levelQuarter, true
	}
	words := false
	if t, _ := p.peek(); !t.digits {
		words = true
	}
	whole, frac, ok := p.quantity()
	if !ok {
		return 0, 0, false
	}
	halfBefore := p.half()
	switch {
	case p.is(durQuarter):
		p.is(durHour)
		if frac != "" || halfBefore {
			return 0, 0, false
		}
		return whole * 15 * 60, levelQuarter, whole <= 3
	case p.is(durHour):
		halfAfter := p.half()
		if halfBefore && (halfAfter || frac != "") {
			return 0, 0, false
		}
		secs, ok := amount(whole, frac, 3600)
		if halfBefore || halfAfter {
			if frac != "" {
				return 0, 0, false
			}
			secs += 1800
		}
		return secs, levelHour, ok
	case p.is(durMinute):
		if halfBefore || frac != "" {
			return 0, 0, false
		}
		return whole * 60, levelMinute, true
	}
	// No unit: minutes, when it is all that was typed (in digits: Persian نه, nine, is
	// also "no") or follows hours.
	if _, more := p.peek(); more || halfBefore || frac != "" || parts > 0 && last != levelHour || parts == 0 && words {
		return 0, 0, false
	}
	return whole * 60, levelMinute, true
}

// quantity reads a number in digits or in words; frac holds decimal digits.
func (p *durParser) quantity() (whole int64, frac string, ok bool) {
	t, more := p.peek()
	if !more {
		return 0, "", false
	}
	if t.digits {
		p.i++
		if len(t.frac) > 4 {
			return 0, "", false
		}
		v, ok := digitsValue(t.whole, uint64(MaxDuration/time.Minute))
		if !ok {
			v = uint64(MaxDuration/time.Minute) + 1 // the caller reports it as too long
		}
		return int64(v), t.frac, true
	}
	n, ok := p.numberWords()
	return n, "", ok
}

// numberWords reads number words in falling places, joined by و or not: "چهل و پنج",
// "ییرمی بئش", "صد و بیست".
func (p *durParser) numberWords() (int64, bool) {
	var vals []int64
	for {
		save := p.i
		if len(vals) > 0 {
			p.is(durAnd)
		}
		t, more := p.peek()
		if !more || t.digits || t.word.kind != durNumber {
			p.i = save
			break
		}
		if n := len(vals); n > 0 && !fitsAfter(vals[n-1], t.word.val) {
			p.i = save
			break
		}
		vals = append(vals, t.word.val)
		p.i++
	}
	var n int64
	for _, v := range vals {
		n += v
	}
	return n, len(vals) > 0
}

// fitsAfter reports whether number word b may follow a in one number: a hundred, then
// tens, then a unit (صد و بیست و پنج).
func fitsAfter(a, b int64) bool {
	switch {
	case a == 100:
		return b < 100
	case a%10 == 0 && a >= 20:
		return b < 10
	}
	return false
}

// amount is whole.frac units of unit seconds, false when it is not a whole second.
func amount(whole int64, frac string, unit int64) (int64, bool) {
	secs := whole * unit
	if frac == "" {
		return secs, true
	}
	den := int64(1)
	var num int64
	for i := 0; i < len(frac); i++ {
		num, den = num*10+int64(frac[i]-'0'), den*10
	}
	if num*unit%den != 0 {
		return 0, false
	}
	return secs + num*unit/den, true
}
