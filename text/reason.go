package text

// Reason is why an input was rejected. Its value is a message ID in the project's
// locale files (locales/active.fa.toml and locales/active.az-Arab.toml), so a caller
// can hand it straight to the localizer. The empty Reason, OK, means the input was
// accepted.
//
// Messages take no template data unless the constant's comment lists data keys.
type Reason string

// OK is the Reason of an accepted input.
const OK Reason = ""

// Reasons shared by every parser.
const (
	// ReasonEmpty: nothing (or only spaces, invisible marks) was typed.
	ReasonEmpty Reason = "input.empty"
	// ReasonTooLong: far more text than any value of the field could need
	// (over MaxFieldRunes runes after cleaning), e.g. a pasted paragraph.
	ReasonTooLong Reason = "input.too_long"
)

// National ID (کد ملی) reasons, see ParseNationalID.
const (
	// NationalIDFormat: contains something other than digits, spaces, dashes and ZWNJ.
	NationalIDFormat Reason = "input.nationalid.format"
	// NationalIDLength: not exactly 10 digits (8 and 9 digits are not zero-padded).
	NationalIDLength Reason = "input.nationalid.length"
	// NationalIDRepeated: one digit repeated ten times (they all pass the checksum).
	NationalIDRepeated Reason = "input.nationalid.repeated"
	// NationalIDPrefix: the first three digits are 000.
	NationalIDPrefix Reason = "input.nationalid.prefix"
	// NationalIDZeros: digits 4 to 9 are all zero (a place code and six zeros), which
	// passes the check digit but is no one's code.
	NationalIDZeros Reason = "input.nationalid.zeros"
	// NationalIDChecksum: the check digit (the last one) does not match.
	NationalIDChecksum Reason = "input.nationalid.checksum"
)

// Mobile number reasons, see ParseMobile.
const (
	// MobileInvalid: not an Iranian mobile number in any accepted form.
	MobileInvalid Reason = "input.mobile.invalid"
	// MobileForeign: an international number (+ or 00) whose country code is not 98.
	MobileForeign Reason = "input.mobile.foreign"
	// MobileLandline: a well-formed Iranian number that is not a mobile (e.g. 041…, Tabriz).
	MobileLandline Reason = "input.mobile.landline"
)

// Number and money reasons, see ParseInt, ParseMoney and ParseHouseholdSize.
const (
	// NumberInvalid: not a whole number (letters, stray signs, badly grouped separators).
	NumberInvalid Reason = "input.number.invalid"
	// NumberDecimal: a decimal number where a whole number is expected.
	NumberDecimal Reason = "input.number.decimal"
	// NumberRange: outside [min, max] (or beyond int64). Template data: "Min" and "Max",
	// the bounds already formatted for display, e.g. RangeData(min, max).
	NumberRange Reason = "input.number.range"
	// MoneyInvalid: not an amount (see ParseMoney for the accepted forms).
	MoneyInvalid Reason = "input.money.invalid"
	// MoneyNegative: a minus sign.
	MoneyNegative Reason = "input.money.negative"
	// MoneyZero: the amount is zero.
	MoneyZero Reason = "input.money.zero"
	// MoneyTooLarge: more than MaxMoney rials.
	MoneyTooLarge Reason = "input.money.too_large"
	// HouseholdRange: household size outside 1..30 (the message names the bounds).
	HouseholdRange Reason = "input.household.range"
)

// Name reasons, see ParseName.
const (
	// NameDigits: the name contains a digit of any script.
	NameDigits Reason = "input.name.digits"
	// NameInvalid: emoji, symbols, letters of other scripts, or misplaced - and '.
	NameInvalid Reason = "input.name.invalid"
	// NameTooShort: fewer than 2 letters.
	NameTooShort Reason = "input.name.too_short"
	// NameTooLong: more than 80 characters (runes) after cleaning.
	NameTooLong Reason = "input.name.too_long"
)

// Date and time reasons, see ParseJalaliDate and ParseClock.
const (
	// DateFormat: not written as a Jalali date in an accepted form.
	DateFormat Reason = "input.date.format"
	// DateInvalid: looks like a date but does not exist (month 13, 31 Mehr,
	// 30 Esfand of a common year) or its year is outside 1300..1499.
	DateInvalid Reason = "input.date.invalid"
	// DateGregorian: the year looks Gregorian (1900..2199).
	DateGregorian Reason = "input.date.gregorian"
	// DateWeekday: a weekday name was typed and it is not the weekday of that date.
	DateWeekday Reason = "input.date.weekday"
	// TimeFormat: not written as a time of day in an accepted form.
	TimeFormat Reason = "input.time.format"
	// TimeInvalid: hour over 23 or minute over 59.
	TimeInvalid Reason = "input.time.invalid"
)

// Duration reasons, see ParseDuration.
const (
	// DurationInvalid: not a duration in minutes or hours in an accepted form.
	DurationInvalid Reason = "input.duration.invalid"
)

// Reasons returns every Reason this package returns (not OK), e.g. for a check that
// the locale files define them all (this package's tests do that).
func Reasons() []Reason { return append([]Reason(nil), allReasons...) }

var allReasons = []Reason{
	ReasonEmpty, ReasonTooLong,
	NationalIDFormat, NationalIDLength, NationalIDRepeated, NationalIDPrefix, NationalIDZeros, NationalIDChecksum,
	MobileInvalid, MobileForeign, MobileLandline,
	NumberInvalid, NumberDecimal, NumberRange,
	MoneyInvalid, MoneyNegative, MoneyZero, MoneyTooLarge, HouseholdRange,
	NameDigits, NameInvalid, NameTooShort, NameTooLong,
	DateFormat, DateInvalid, DateGregorian, DateWeekday,
	TimeFormat, TimeInvalid,
	DurationInvalid,
}

// RangeData is the template data of NumberRange: the bounds in Persian digits with
// thousands separators, under the keys "Min" and "Max".
func RangeData(min, max int64) map[string]any {
	return map[string]any{"Min": Number(min), "Max": Number(max)}
}
