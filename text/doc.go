// Package text cleans, parses, matches and displays the Persian and Azeri text that
// residents and staff type: Persian, South Azerbaijani in Arabic script and Latin Azeri,
// with Persian, Arabic-Indic or ASCII digits. It owns every rule about characters,
// digits, Iranian identifiers, amounts, Jalali dates and right-to-left display, so that
// no other package needs to know them.
//
// It imports nothing of the project and no Telegram, Bale, Redis or Postgres code: only
// the standard library, golang.org/x/text and github.com/yaa110/go-persian-calendar.
// Everything in it is safe for concurrent use.
//
// # Three layers
//
// Keep them apart:
//
//   - Clean and CleanMultiline give the form that is stored and shown back: normalized
//     (NFC; NFKC only for Arabic presentation and fullwidth forms), Arabic ي ى ك turned
//     into Persian ی ک, invisible and direction marks removed, spaces collapsed, but
//     every letter that carries meaning kept (آ ئ ؤ ة ۀ ۆ ۇ ؽ, ə ğ ı ö ü ş ç,
//     meaningful ZWNJ, which a zero-width space inside a word is taken for) and the
//     digits as typed.
//   - The Parse functions turn a field into a canonical value or a Reason; a Reason's
//     value is the message ID of a localized explanation ("input.nationalid.checksum")
//     in locales/active.fa.toml and locales/active.az-Arab.toml. Every parser cleans
//     its input first, so parse(s) == parse(Clean(s)).
//   - Key gives a loose match key for typed button labels, neighborhood and
//     cooperative names and duplicate detection: "ائل گلی", "ائلگلی", "ائل‌گلی" and
//     "ايل گلي" have the same key, and so do Latin Azeri words typed on an ASCII
//     keyboard and their proper spelling ("Turkce" and "Türkçe"). Never store or show
//     a key.
//
// # Accepted input, by parser
//
// All parsers accept digits in any script (Persian ۰-۹, Arabic-Indic ٠-٩, ASCII,
// fullwidth), ignore direction marks and surrounding spaces, and reject an empty input
// with ReasonEmpty. The parsers of short fields (all but ParseName) reject more than
// MaxFieldRunes runes with ReasonTooLong.
//
// ParseNationalID → 10 ASCII digits:
//   - exactly 10 digits, grouped or not by spaces, dashes or ZWNJ: "0084575948",
//     "۰۰۸-۴۵۷۵۹۴-۸", "۰۰۸ ۴۵۷۵۹۴ ۸";
//   - rejected: other characters (NationalIDFormat); 8 or 9 digits, which are NOT
//     zero-padded, and 11 or more (NationalIDLength); one repeated digit
//     (NationalIDRepeated); first three digits 000 (NationalIDPrefix); digits 4 to 9
//     all zero, a place code and six zeros that pass the check digit but are issued to
//     nobody (NationalIDZeros); a wrong check digit (NationalIDChecksum: weights 10…2
//     on the first nine digits, r = sum mod 11, check digit r if r < 2 else 11 − r).
//
// ParseMobile → "+989XXXXXXXXX":
//   - 09XXXXXXXXX, 9XXXXXXXXX, 989XXXXXXXXX, +989XXXXXXXXX, 00989XXXXXXXXX, and
//     +98/0098 followed by 09…; spaces, dashes and parentheses anywhere; any operator
//     digit after the 9; Telegram shared-contact numbers;
//   - rejected: another country code (MobileForeign), an Iranian landline such as
//     04133334444 (MobileLandline), anything else (MobileInvalid).
//
// ParseInt(s, min, max) → int64:
//   - an optional sign (+ - −) and digits, grouped in threes or not, by ٬ , ، or
//     spaces ("۱۲٬۵۰۰", "12,500", "12 500"), or by two or more dots ("1.000.000");
//   - rejected: a decimal point . ٫ / with digits after it, including a single dot
//     before three digits ("1.500") (NumberDecimal); letters, units, misplaced or badly
//     grouped separators (NumberInvalid); outside [min, max] or int64 (NumberRange,
//     template data RangeData(min, max)).
//
// ParseMoney → rials (ParseMoneyAs(s, Toman) when a bare number means tomans):
//   - a whole number as for ParseInt, optionally followed by a unit: ریال ﷼ rial IRR
//     (×1) or تومان تومن toman tümən (×10), glued or not: "۵۰۰٬۰۰۰ تومان", "۵۰۰۰۰۰تومان";
//   - terms with multiplier words هزار/مین/min (10³), میلیون/ملیون/milyon (10⁶),
//     میلیارد/milyard (10⁹), largest first, optionally joined by و: "۵۰۰ هزار تومان",
//     "۲ میلیون و ۵۰۰ هزار تومان", "هزار تومان"; a decimal only before a multiplier and
//     only if the result is whole rials: "۲٫۵ میلیون تومان";
//   - rejected: a minus sign (MoneyNegative), zero (MoneyZero), a decimal without a
//     multiplier (NumberDecimal), more than MaxMoney rials (MoneyTooLarge), number
//     words, other currencies, a bare number after a multiplied term ("۲ میلیون و ۵۰۰",
//     ambiguous) and anything else (MoneyInvalid).
//
// ParseCount(s, min, max) → int64, and ParseHouseholdSize → 1..30:
//   - a whole number as for ParseInt, optionally followed by a counter word, glued or
//     not: نفر, تا, نفریم, تاییم, عدد, دانا, nəfər, dənə: "۴", "۴ نفر", "۷ تا", "7تا";
//   - with a counter word, also a number 1..39 in Persian or Azeri words: "هفت تا",
//     "بیست و یک نفر", "دؤرد نفر", "اون بیر نفر", "yeddi nəfər";
//   - rejected: out of range (NumberRange; HouseholdRange for the household size), a
//     number word without a counter ("چهار": Persian نه, nine, is also "no") and other
//     text (NumberInvalid), decimals (NumberDecimal).
//
// ParseName → the cleaned name:
//   - 2..80 runes of Arabic-script letters (Persian, Azeri) and Latin letters (ə ğ ı ö
//     ü ş ç), harakat, ZWNJ, spaces, hyphens and apostrophes (' ’ ʼ ʻ ‘); it starts with
//     a letter and a hyphen or apostrophe is never first, last or doubled: "علی رضایی",
//     "محمد‌رضا", "Aydın Məmmədov", "O'Brien";
//   - rejected: any digit (NameDigits); emoji, symbols, other punctuation, other
//     scripts (NameInvalid); fewer than two letters (NameTooShort); over 80 runes
//     (NameTooLong).
//
// ParseJalaliDate → JalaliDate:
//   - year/month/day with / - . ٫ or \ (the same one twice) or spaces: "1404/09/17",
//     "۱۴۰۴/۹/۱۷", "1404-09-17", "1404.9.17"; year last: "17/9/1404"; eight digits
//     "14040917"; day, month name (alone or followed by ماه, with a space, ZWNJ or
//     glued), year: "۱۷ آذر ۱۴۰۴", "۴ آذر ماه ۱۴۰۵", "۴ آذرماه ۱۴۰۵", optionally after
//     a Persian or Azeri weekday: "دوشنبه ۱۷ آذر ۱۴۰۴" (what LongDate and Date print);
//   - the date must exist: it is converted to the Gregorian calendar and back and must
//     come out the same, so 1404/12/30 (1404 is not a leap year) and 1404/07/31 are
//     rejected while 1403/12/30 is accepted;
//   - rejected: two-digit years and other forms (DateFormat); a Gregorian-looking year
//     1900..2199 or a Gregorian month name (DateGregorian); a day that does not exist or
//     a year outside MinJalaliYear..MaxJalaliYear (DateInvalid); a weekday that does
//     not match (DateWeekday).
//
// ParseDate → ParsedDate{JalaliDate, Gregorian}:
//   - everything ParseJalaliDate accepts (Gregorian false), and Gregorian dates, told
//     apart by a year 1900..2199 or a Gregorian month name, converted to the Jalali
//     calendar with Gregorian true: "2026-11-25", "2026/11/25", "25/11/2026" (day first,
//     as in Iran; "11/25/2026" when the middle number cannot be a month), "20261125",
//     "۲۵ نوامبر ۲۰۲۶", "25 Nov 2026" all give 1405/09/04. The caller shows the Jalali
//     date back and asks for confirmation;
//   - rejected: a Gregorian day that does not exist or lies after 2098 (DateInvalid); a
//     Jalali month name with a Gregorian year (DateGregorian); the rest as
//     ParseJalaliDate.
//
// LanguageOf → LangFa or LangAz, for a typed answer to the language question:
//   - the endonyms فارسی and تۆرکجه and the usual names: پارسی, Farsi, Persian; ترکی,
//     آذری, ترکی آذربایجانی, Türkçe, Turkce, Azeri, Azərbaycan…, compared under Key and
//     with filler words such as "زبان" or "به" ignored.
//
// ParseClock → hour, minute (24-hour clock):
//   - "17:30", "۱۷:۳۰", "17.30", "۱۷٫۳۰", "5:30", "17" (17:00), "1730", "930",
//     "17:30:00", optionally after ساعت/ساعات/saat;
//   - rejected: one-digit minutes, am/pm words and other forms (TimeFormat); hour over
//     23 or minute over 59 (TimeInvalid).
//
// # Display
//
// Numbers are shown in Persian digits in both languages (FaDigits, Number with the
// separator ٬). Dates are Jalali in Asia/Tehran (Tehran, from embedded tzdata) with
// Persian month names, which Azeri speakers in Iran use too (Date, LongDate,
// MonthName); weekday names exist in Persian and Azeri (Weekday). Values whose order
// would break inside right-to-left text are printed as one unbroken digit run wrapped
// in the isolates U+2066…U+2069: Date ("۱۴۰۴/۰۹/۱۷", always with "/"), Phone
// ("۰۹۱۲۳۴۵۶۷۸۹" for Iranian mobiles), NationalID, negative numbers; Isolate wraps
// Latin or other user text in FSI…PDI. Truncate shortens without splitting a letter
// from its marks or an emoji sequence. List joins the parts of a one-line list with
// ListSeparator « — »; never separate numbers with a middle dot « · », which reads as
// the Persian digit zero ۰.
//
// # Sorting
//
// Lists of names are sorted with SortFunc, SortStrings or Compare in the alphabetical
// order of the reader's language, never by code point (which puts پ چ ژ گ after every
// Arabic letter): Persian by the CLDR Persian collation, Azeri by the same with the
// Azeri vowel letters ؤ ۆ ۇ ئ ێ ؽ as letters of their own after their carrier (و or ی);
// numbers inside names compare by value. See collate.go for why.
package text
