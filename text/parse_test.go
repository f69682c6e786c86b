package text

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// testCheckDigit is an independent implementation of the national ID check digit:
// weights 10 down to 2 over the first nine digits, remainder mod 11, then r or 11-r.
func testCheckDigit(first9 string) int {
	sum := 0
	w := 10
	for _, c := range first9 {
		sum += int(c-'0') * w
		w--
	}
	if r := sum % 11; r >= 2 {
		return 11 - r
	} else {
		return r
	}
}

func withCheckDigit(first9 string) string {
	return first9 + fmt.Sprint(testCheckDigit(first9))
}

// toScript writes the ASCII digits of s in another digit script.
func toScript(s string, zero rune) string {
	return strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return zero + r - '0'
		}
		return r
	}, s)
}

// generatedIDs returns valid national IDs made with testCheckDigit, including ones with
// leading zeros.
func generatedIDs(n int) []string {
	rng := rand.New(rand.NewPCG(1404, 9))
	var ids []string
	for len(ids) < n {
		first9 := fmt.Sprintf("%09d", rng.IntN(1_000_000_000))
		if len(ids)%5 == 0 {
			first9 = "00" + first9[2:] // Tehran-style leading zeros
		}
		id := withCheckDigit(first9)
		if id[:3] == "000" || strings.Count(id, id[:1]) == 10 || id[3:9] == "000000" {
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

func TestParseNationalIDGenerated(t *testing.T) {
	for _, id := range generatedIDs(300) {
		forms := []string{
			id,
			toScript(id, '۰'),
			toScript(id, '٠'),
			toScript(id, '０'),
			id[:3] + "-" + id[3:9] + "-" + id[9:],
			toScript(id[:3]+" "+id[3:9]+" "+id[9:], '۰'),
			toScript(id[:5], '۰') + id[5:],
			"\u200f" + toScript(id, '۰') + "\u200f",
			id[:3] + "\u200c" + id[3:],
			" " + id + "\n",
		}
		for _, f := range forms {
			got, r := ParseNationalID(f)
			if r != OK || got != id {
				t.Errorf("ParseNationalID(%+q) = %q, %q; want %q", f, got, r, id)
			}
		}
		// Every other check digit must fail.
		for d := 0; d <= 9; d++ {
			bad := id[:9] + fmt.Sprint(d)
			if bad == id {
				continue
			}
			if _, r := ParseNationalID(bad); r != NationalIDChecksum {
				t.Errorf("ParseNationalID(%q) reason %q, want checksum", bad, r)
			}
		}
		// With two neighbouring digits swapped (a common typo) the parser agrees with the
		// independent checksum (remainders 1 and 10 share check digit 1, so not all fail).
		swapped := id[:3] + id[4:5] + id[3:4] + id[5:]
		want := NationalIDChecksum
		if testCheckDigit(swapped[:9]) == int(swapped[9]-'0') {
			want = OK
		}
		if _, r := ParseNationalID(swapped); r != want {
			t.Errorf("swapped %q: reason %q, want %q", swapped, r, want)
		}
	}
}

func TestParseNationalID(t *testing.T) {
	cases := []struct {
		in, want string
		reason   Reason
	}{
		{"0084575948", "0084575948", OK}, // the sample code printed in many Iranian forms
		{"۰۰۸۴۵۷۵۹۴۸", "0084575948", OK},
		{"٠٠٨٤٥٧٥٩٤٨", "0084575948", OK},
		{"۰۰۸-۴۵۷۵۹۴-۸", "0084575948", OK},
		{"۰۰۸ ۴۵۷ ۵۹۴ ۸", "0084575948", OK},
		{"۰۰8۴57۵۹۴8", "0084575948", OK}, // mixed scripts
		{"0084575949", "", NationalIDChecksum},
		{"", "", ReasonEmpty},
		{" \u200f ", "", ReasonEmpty},
		{"084575948", "", NationalIDLength}, // 9 digits: not zero-padded
		{"84575948", "", NationalIDLength},
		{"00845759480", "", NationalIDLength},
		{"۰۰۸۴۵۷۵۹۴۸ کد ملی", "", NationalIDFormat},
		{"00845759a8", "", NationalIDFormat},
		{"0084575948.", "", NationalIDFormat},
		{"👍", "", NationalIDFormat},
		{strings.Repeat("1", 500), "", ReasonTooLong},
	}
	for d := '0'; d <= '9'; d++ {
		cases = append(cases, struct {
			in, want string
			reason   Reason
		}{strings.Repeat(string(d), 10), "", NationalIDRepeated})
	}
	// All-same codes really do pass the checksum, which is why they need their own rule.
	for d := '0'; d <= '9'; d++ {
		s := strings.Repeat(string(d), 10)
		if testCheckDigit(s[:9]) != int(d-'0') {
			t.Errorf("%s unexpectedly fails the checksum", s)
		}
	}
	// A 000 prefix with a correct check digit.
	for _, first9 := range []string{"000123456", "000999999", "000000001"} {
		cases = append(cases, struct {
			in, want string
			reason   Reason
		}{withCheckDigit(first9), "", NationalIDPrefix})
	}
	// A place code followed by six zeros passes the check digit but is no one's code.
	for _, first9 := range []string{"123000000", "001000000", "999000000", "641000000"} {
		id := withCheckDigit(first9)
		if testCheckDigit(id[:9]) != int(id[9]-'0') {
			t.Fatalf("%s should pass the checksum", id)
		}
		cases = append(cases, struct {
			in, want string
			reason   Reason
		}{id, "", NationalIDZeros}, struct {
			in, want string
			reason   Reason
		}{toScript(id[:3]+"-"+id[3:9]+"-"+id[9:], '۰'), "", NationalIDZeros})
	}
	// Zeros in the middle are fine as long as not all six are zero.
	for _, first9 := range []string{"123000001", "123100000", "001000010"} {
		id := withCheckDigit(first9)
		cases = append(cases, struct {
			in, want string
			reason   Reason
		}{id, id, OK})
	}
	for _, c := range cases {
		got, r := ParseNationalID(c.in)
		if got != c.want || r != c.reason {
			t.Errorf("ParseNationalID(%+q) = %q, %q; want %q, %q", c.in, got, r, c.want, c.reason)
		}
	}
}

func TestParseMobile(t *testing.T) {
	const want = "+989123456789"
	ok := []string{
		"09123456789", "9123456789", "989123456789", "+989123456789", "00989123456789",
		"۰۹۱۲۳۴۵۶۷۸۹", "٠٩١٢٣٤٥٦٧٨٩", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "۰۹۱۲-۳۴۵-۶۷۸۹", "(0912) 345 6789",
		"+98 912 345 6789", "+98 (912) 345-6789", "+98 0912 345 6789", "0098 912 345 67 89",
		"\u200e+98 912 345 6789\u200e", "＋۹۸۹۱۲۳۴۵۶۷۸۹", "۰۹۱۲۳۴۵6789", "۰۹۱۲\u200c۳۴۵۶۷۸۹",
		"9809123456789",
	}
	for _, s := range ok {
		got, r := ParseMobile(s)
		if got != want || r != OK {
			t.Errorf("ParseMobile(%+q) = %q, %q; want %q", s, got, r, want)
		}
	}
	// The operator digit may be anything.
	for op := '0'; op <= '9'; op++ {
		s := "09" + string(op) + "12345678"
		got, r := ParseMobile(s)
		if r != OK || got != "+989"+string(op)+"12345678" {
			t.Errorf("ParseMobile(%q) = %q, %q", s, got, r)
		}
	}
	bad := []struct {
		in     string
		reason Reason
	}{
		{"", ReasonEmpty},
		{"0912345678", MobileInvalid},     // 10 digits with 0
		{"091234567890", MobileInvalid},   // 12 digits
		{"912345678", MobileInvalid},      // 9 digits
		{"+98912345678", MobileInvalid},   // one short
		{"+9891234567890", MobileInvalid}, // one long
		{"0912345678a", MobileInvalid},
		{"شماره من ۰۹۱۲۳۴۵۶۷۸۹", MobileInvalid},
		{"+", MobileInvalid},
		{"09123+456789", MobileInvalid},
		{"+14155550123", MobileForeign},
		{"+90 532 123 4567", MobileForeign},
		{"00447911123456", MobileForeign},
		{"04133334444", MobileLandline}, // Tabriz landline
		{"02188776655", MobileLandline},
		{"+98 41 3333 4444", MobileLandline},
		{"33334444", MobileInvalid},
		{"00912345678", MobileForeign}, // 0091 is India
	}
	for _, c := range bad {
		if got, r := ParseMobile(c.in); r != c.reason || got != "" {
			t.Errorf("ParseMobile(%+q) = %q, %q; want reason %q", c.in, got, r, c.reason)
		}
	}
}

func TestParseInt(t *testing.T) {
	cases := []struct {
		in       string
		min, max int64
		want     int64
		reason   Reason
	}{
		{"12", 0, 100, 12, OK},
		{"۱۲", 0, 100, 12, OK},
		{"١٢", 0, 100, 12, OK},
		{"１２", 0, 100, 12, OK},
		{"۱2", 0, 100, 12, OK},
		{" 12 ", 0, 100, 12, OK},
		{"012", 0, 100, 12, OK},
		{"۱۲٬۵۰۰", 0, 1e9, 12500, OK},
		{"12,500", 0, 1e9, 12500, OK},
		{"12،500", 0, 1e9, 12500, OK},
		{"12 500 000", 0, 1e9, 12500000, OK},
		{"۱٬۰۰۰٬۰۰۰", 0, 1e9, 1000000, OK},
		{"1.000.000", 0, 1e9, 1000000, OK},
		{"-5", -10, 10, -5, OK},
		{"−5", -10, 10, -5, OK},
		{"- ۵", -10, 10, -5, OK},
		{"+5", -10, 10, 5, OK},
		{"-0", 0, 10, 0, OK},
		{"9223372036854775807", 0, math.MaxInt64, math.MaxInt64, OK},
		{"-9223372036854775808", math.MinInt64, 0, math.MinInt64, OK},
		{"9223372036854775808", 0, math.MaxInt64, 0, NumberRange},
		{"99999999999999999999999", 0, math.MaxInt64, 0, NumberRange},
		{"-5", 0, 10, 0, NumberRange},
		{"11", 0, 10, 0, NumberRange},
		{"", 0, 10, 0, ReasonEmpty},
		{"\u200f", 0, 10, 0, ReasonEmpty},
		{"1.5", 0, 10, 0, NumberDecimal},
		{"۲٫۵", 0, 10, 0, NumberDecimal},
		{"۲/۵", 0, 10, 0, NumberDecimal},
		{"1,000.5", 0, 1e9, 0, NumberDecimal},
		{"1.500", 0, 1e9, 0, NumberDecimal}, // one dot: a decimal, not grouping
		{"1,5", 0, 10, 0, NumberInvalid},
		{"12,50", 0, 1e9, 0, NumberInvalid},
		{"1234,567", 0, 1e9, 0, NumberInvalid},
		{"1,,000", 0, 1e9, 0, NumberInvalid},
		{",1000", 0, 1e9, 0, NumberInvalid},
		{"1000,", 0, 1e9, 0, NumberInvalid},
		{"1.000,5", 0, 1e9, 0, NumberInvalid},
		{"12a", 0, 100, 0, NumberInvalid},
		{"دوازده", 0, 100, 0, NumberInvalid},
		{"5 نفر", 0, 100, 0, NumberInvalid},
		{"--5", -10, 10, 0, NumberInvalid},
		{"5-", -10, 10, 0, NumberInvalid},
		{"👍", 0, 10, 0, NumberInvalid},
		{strings.Repeat("۱", 101), 0, 10, 0, ReasonTooLong},
	}
	for _, c := range cases {
		got, r := ParseInt(c.in, c.min, c.max)
		if got != c.want || r != c.reason {
			t.Errorf("ParseInt(%+q, %d, %d) = %d, %q; want %d, %q", c.in, c.min, c.max, got, r, c.want, c.reason)
		}
	}
}

func TestParseMoney(t *testing.T) {
	cases := []struct {
		in     string
		want   int64
		reason Reason
	}{
		{"500000", 500000, OK},
		{"۵۰۰٬۰۰۰", 500000, OK},
		{"٥٠٠,٠٠٠", 500000, OK},
		{"۵۰۰ ۰۰۰", 500000, OK},
		{"۵۰۰٬۰۰۰ ریال", 500000, OK},
		{"۵۰۰٬۰۰۰ ﷼", 500000, OK},
		{"۵۰۰٬۰۰۰﷼", 500000, OK},
		{"۵۰۰٬۰۰۰ ريال", 500000, OK},
		{"500000 rial", 500000, OK},
		{"500000 IRR", 500000, OK},
		{"۵۰۰٬۰۰۰ تومان", 5000000, OK},
		{"۵۰۰٬۰۰۰ تومن", 5000000, OK},
		{"۵۰۰۰۰۰تومان", 5000000, OK},
		{"50000 toman", 500000, OK},
		{"50000 TOMAN", 500000, OK},
		{"50 000 tümən", 500000, OK},
		{"۵۰۰ هزار تومان", 5000000, OK},
		{"۵۰۰هزارتومان", 5000000, OK},
		{"۵۰۰ هزار", 500000, OK},
		{"۲ میلیون تومان", 20000000, OK},
		{"۲ ملیون ریال", 2000000, OK},
		{"۲ میلیون و ۵۰۰ هزار تومان", 25000000, OK},
		{"۲ میلیون ۵۰۰ هزار تومان", 25000000, OK},
		{"۱ میلیارد و ۲۰۰ میلیون ریال", 1200000000, OK},
		{"۲٫۵ میلیون تومان", 25000000, OK},
		{"2.5 میلیون", 2500000, OK},
		{"۲/۵ میلیون تومان", 25000000, OK},
		{"1.25 هزار ریال", 1250, OK},
		{"هزار تومان", 10000, OK},
		{"بئش یوز مین", 0, MoneyInvalid}, // Azeri number words are not understood
		{"۵۰۰ مین تومن", 5000000, OK},    // Azeri "min" = thousand
		{"2 milyon tümən", 20000000, OK},
		{"\u200f۵۰۰٬۰۰۰\u200f تومان", 5000000, OK},
		{"", 0, ReasonEmpty},
		{"0", 0, MoneyZero},
		{"۰ تومان", 0, MoneyZero},
		{"-500", 0, MoneyNegative},
		{"−۵۰۰ تومان", 0, MoneyNegative},
		{"12.5", 0, NumberDecimal},
		{"۱۲٫۵ تومان", 0, NumberDecimal},
		{"1.2345 هزار", 0, NumberDecimal},
		{"۲ میلیون و ۵۰۰", 0, MoneyInvalid}, // ambiguous: 2,000,500 or 2,500,000
		{"۵۰۰ هزار ۲ میلیون", 0, MoneyInvalid},
		{"هزار هزار", 0, MoneyInvalid},
		{"تومان ۵۰۰", 0, MoneyInvalid},
		{"۵۰۰ تومان ۵۰۰", 0, MoneyInvalid},
		{"۵۰۰ دلار", 0, MoneyInvalid},
		{"$500", 0, MoneyInvalid},
		{"۵۰۰ و", 0, MoneyInvalid},
		{"و ۵۰۰", 0, MoneyInvalid},
		{"12,50", 0, MoneyInvalid},
		{"پانصد تومان", 0, MoneyInvalid},
		{"1000000000000001", 0, MoneyTooLarge},
		{"100000000000001 تومان", 0, MoneyTooLarge},
		{"99999999999999999999999", 0, MoneyTooLarge},
		{"999999999 میلیارد", 0, MoneyTooLarge},
		{"1000000000000000", 1000000000000000, OK},
	}
	for _, c := range cases {
		got, r := ParseMoney(c.in)
		if got != c.want || r != c.reason {
			t.Errorf("ParseMoney(%+q) = %d, %q; want %d, %q", c.in, got, r, c.want, c.reason)
		}
	}
	if got, r := ParseMoneyAs("۵۰۰ هزار", Toman); got != 5000000 || r != OK {
		t.Errorf("ParseMoneyAs toman: %d, %q", got, r)
	}
	if got, r := ParseMoneyAs("۵۰۰ هزار ریال", Toman); got != 500000 || r != OK {
		t.Errorf("ParseMoneyAs toman with rial word: %d, %q", got, r)
	}
}

func TestParseHouseholdSize(t *testing.T) {
	cases := []struct {
		in     string
		want   int
		reason Reason
	}{
		{"4", 4, OK},
		{"۴", 4, OK},
		{"٤", 4, OK},
		{"۴ نفر", 4, OK},
		{"۴نفر", 4, OK},
		{"4 nəfər", 4, OK},
		{"1", 1, OK},
		{"۳۰", 30, OK},
		{"0", 0, HouseholdRange},
		{"31", 0, HouseholdRange},
		{"-2", 0, HouseholdRange},
		{"۱۰۰۰", 0, HouseholdRange},
		{"2.5", 0, NumberDecimal},
		{"چهار", 0, NumberInvalid},
		{"نفر", 0, NumberInvalid},
		{"", 0, ReasonEmpty},
		// Colloquial counters and number words with a counter.
		{"۷ تا", 7, OK},
		{"7تا", 7, OK},
		{"۷تا", 7, OK},
		{"۷ نفر", 7, OK},
		{"۷ نفريم", 7, OK},
		{"7 تاییم", 7, OK},
		{"۷ عدد", 7, OK},
		{"۴ دانا", 4, OK},
		{"4 nefer", 4, OK},
		{"4 NƏFƏR", 4, OK},
		{"۱۲ تا", 12, OK},
		{"هفت تا", 7, OK},
		{"هفتتا", 7, OK},
		{"هفت‌تا", 7, OK},
		{"هفت نفر", 7, OK},
		{"یه نفر", 1, OK},
		{"یک نفر", 1, OK},
		{"نه نفر", 9, OK},
		{"دوازده تا", 12, OK},
		{"بیست و یک نفر", 21, OK},
		{"بیست و یکنفر", 21, OK},
		{"سی نفر", 30, OK},
		{"دؤرد نفر", 4, OK},
		{"دورد نفر", 4, OK},
		{"بئش نفریک", 5, OK},
		{"اون بیر نفر", 11, OK},
		{"ییرمی ایکی نفر", 22, OK},
		{"yeddi nəfər", 7, OK},
		{"uc nefer", 3, OK},
		{"۳۱ نفر", 0, HouseholdRange},
		{"سی و یک نفر", 0, HouseholdRange},
		{"۰ تا", 0, HouseholdRange},
		{"نه", 0, NumberInvalid}, // nine, but also "no"
		{"هفت", 0, NumberInvalid},
		{"تا", 0, NumberInvalid},
		{"نفر ۴", 0, NumberInvalid},
		{"۴ تا نفر", 0, NumberInvalid},
		{"۴ کیلو", 0, NumberInvalid},
		{"بیست و نفر", 0, NumberInvalid},
		{"یک و بیست نفر", 0, NumberInvalid},
		{"یک دو نفر", 0, NumberInvalid},
		{"۴ هفت تا", 0, NumberInvalid},
		{"۲.۵ نفر", 0, NumberDecimal},
	}
	for _, c := range cases {
		got, r := ParseHouseholdSize(c.in)
		if got != c.want || r != c.reason {
			t.Errorf("ParseHouseholdSize(%+q) = %d, %q; want %d, %q", c.in, got, r, c.want, c.reason)
		}
	}
}

func TestParseCount(t *testing.T) {
	cases := []struct {
		in       string
		min, max int64
		want     int64
		reason   Reason
	}{
		{"۷ تا", 1, 100, 7, OK},
		{"۴۰ نفر", 1, 100, 40, OK},
		{"۱۲۰ نفر", 1, 100, 0, NumberRange},
		{"۱٬۰۰۰ تا", 1, 5000, 1000, OK},
		{"بیست تا", 1, 100, 20, OK},
		{"هفت", 1, 100, 0, NumberInvalid},
		{"۰", 0, 10, 0, OK},
		{"-۳ تا", -5, 5, -3, OK},
	}
	for _, c := range cases {
		got, r := ParseCount(c.in, c.min, c.max)
		if got != c.want || r != c.reason {
			t.Errorf("ParseCount(%+q, %d, %d) = %d, %q; want %d, %q", c.in, c.min, c.max, got, r, c.want, c.reason)
		}
	}
}

func TestParseName(t *testing.T) {
	cases := []struct {
		in, want string
		reason   Reason
	}{
		{"علی رضایی", "علی رضایی", OK},
		{"  علي   رضائي ", "علی رضائی", OK},
		{"محمد\u200cرضا", "محمد\u200cرضا", OK},
		{"مُحَمَّد", "مُحَمَّد", OK},
		{"آیدین مممدوف", "آیدین مممدوف", OK},
		{"تۆرکان اۇلدوز", "تۆرکان اۇلدوز", OK},
		{"Aydın Məmmədov", "Aydın Məmmədov", OK},
		{"Şükür Çələbi-Ağa", "Şükür Çələbi-Ağa", OK},
		{"O'Brien", "O'Brien", OK},
		{"Ə’li", "Ə’li", OK},
		{"زهرا-سادات", "زهرا-سادات", OK},
		{"فاطمه‌ی مؤمنی", "فاطمه\u200cی مؤمنی", OK},
		{"\u202bعلی\u202c", "علی", OK},
		{"ﻋﻠﯽ", "علی", OK},
		{"عل", "عل", OK},
		{"", "", ReasonEmpty},
		{"\u200f", "", ReasonEmpty},
		{"ع", "", NameTooShort},
		{"A", "", NameTooShort},
		{"علی۲", "", NameDigits},
		{"Ali 2", "", NameDigits},
		{"علی ٣", "", NameDigits},
		{"علی 😀", "", NameInvalid},
		{"❤️ مریم", "", NameInvalid},
		{"علی!", "", NameInvalid},
		{"علی.رضا", "", NameInvalid},
		{"-علی", "", NameInvalid},
		{"علی-", "", NameInvalid},
		{"علی--رضا", "", NameInvalid},
		{"'Ali", "", NameInvalid},
		{"Иван", "", NameInvalid},
		{"李小龙", "", NameInvalid},
		{"@ali", "", NameInvalid},
		{strings.Repeat("ب", 80), strings.Repeat("ب", 80), OK},
		{strings.Repeat("ب", 81), "", NameTooLong},
		{strings.Repeat("علی ", 2500), "", NameTooLong},
	}
	for _, c := range cases {
		got, r := ParseName(c.in)
		if got != c.want || r != c.reason {
			t.Errorf("ParseName(%+q) = %+q, %q; want %+q, %q", c.in, got, r, c.want, c.reason)
		}
	}
}

func TestParseClock(t *testing.T) {
	cases := []struct {
		in     string
		h, m   int
		reason Reason
	}{
		{"17:30", 17, 30, OK},
		{"۱۷:۳۰", 17, 30, OK},
		{"١٧:٣٠", 17, 30, OK},
		{"17.30", 17, 30, OK},
		{"۱۷٫۳۰", 17, 30, OK},
		{"17 : 30", 17, 30, OK},
		{"5:30", 5, 30, OK},
		{"05:30", 5, 30, OK},
		{"17", 17, 0, OK},
		{"۹", 9, 0, OK},
		{"0", 0, 0, OK},
		{"1730", 17, 30, OK},
		{"930", 9, 30, OK},
		{"17:30:00", 17, 30, OK},
		{"ساعت ۱۷:۳۰", 17, 30, OK},
		{"ساعات 9", 9, 0, OK},
		{"saat 17:30", 17, 30, OK},
		{"１７：３０", 17, 30, OK},
		{"23:59", 23, 59, OK},
		{"00:00", 0, 0, OK},
		{"24:00", 0, 0, TimeInvalid},
		{"17:60", 0, 0, TimeInvalid},
		{"25", 0, 0, TimeInvalid},
		{"17:30:61", 0, 0, TimeInvalid},
		{"17:5", 0, 0, TimeFormat},
		{"17:", 0, 0, TimeFormat},
		{":30", 0, 0, TimeFormat},
		{"17::30", 0, 0, TimeFormat},
		{"5 عصر", 0, 0, TimeFormat},
		{"5pm", 0, 0, TimeFormat},
		{"17 30", 0, 0, TimeFormat},
		{"12345", 0, 0, TimeFormat},
		{"ساعت", 0, 0, TimeFormat},
		{"", 0, 0, ReasonEmpty},
	}
	for _, c := range cases {
		h, m, r := ParseClock(c.in)
		if h != c.h || m != c.m || r != c.reason {
			t.Errorf("ParseClock(%+q) = %d, %d, %q; want %d, %d, %q", c.in, h, m, r, c.h, c.m, c.reason)
		}
	}
}
