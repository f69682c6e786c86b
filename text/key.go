package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Key returns the loose match key of s: the form under which typed button labels,
// neighborhood and cooperative names and possible duplicates are compared (for
// equality, prefix or contains). It is never shown or stored as the value itself.
//
// Starting from Clean(s), it keeps only letters and digits:
//
//   - spaces, ZWNJ, ZWJ, punctuation, symbols and emoji are removed, so "ائل گلی",
//     "ائلگلی" and "ائل‌گلی" are one key;
//   - all combining marks (harakat, hamza above, superscript alef) are removed;
//   - Arabic and Persian variants fold: ي ى ئ ې ێ ؽ ۍ → ی; ك ڪ → ک; أ إ ٱ آ ٲ ٳ → ا;
//     ؤ ۆ ۇ ۈ ۉ ۋ ۅ ٶ → و; ۀ ة ە ہ ھ ۂ ۃ → ه (so هٔ ۀ ة ه are equal); ء is dropped;
//   - digits of every script become ASCII digits;
//   - Latin letters are lowercased with the Azerbaijani rules (I → ı, İ → i) and then
//     folded to ASCII, because Latin Azeri is mostly typed on keyboards that lack its
//     letters: ə ä ǝ → e, ö → o, ü → u, ı → i, ç → c, ş → s, ğ → g, and any other
//     Latin letter with a diacritic to its base letter (é → e, â → a). So "Türkçe",
//     "Turkce" and "TÜRKÇE" are one key, as are "Azərbaycan" and "Azerbaycan".
//
// Key("") == "", Key(Key(s)) == Key(s) and Key(Clean(s)) == Key(s).
func Key(s string) string {
	c := Clean(s)
	var out strings.Builder
	out.Grow(len(c))
	inert := true
	for i := 0; i < len(c); {
		b := c[i]
		if b < utf8.RuneSelf {
			switch {
			case 'a' <= b && b <= 'z' || '0' <= b && b <= '9':
				out.WriteByte(b)
			case 'A' <= b && b <= 'Z':
				out.WriteByte(b + 'a' - 'A')
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(c[i:])
		i += n
		if k := keyRune(r); k >= 0 {
			out.WriteRune(k)
			inert = inert && nfcInert(k)
		}
	}
	if !inert && !norm.NFC.IsNormalString(out.String()) {
		// Only possible for Hangul jamo that a dropped space or mark separated.
		return norm.NFC.String(out.String())
	}
	return out.String()
}

// keyRune folds one non-ASCII rune of a cleaned string for Key; -1 drops it.
func keyRune(r rune) rune {
	if r >= 0x600 && r <= 0x6FF {
		switch r {
		case 'ي', 'ى', 'ی', 'ئ', 'ې', 'ێ', 'ؽ', 'ۍ', 'ۑ':
			return 'ی'
		case 'ك', 'ڪ', 'ک':
			return 'ک'
		case 'أ', 'إ', 'ٱ', 'آ', 'ٲ', 'ٳ', 'ٵ':
			return 'ا'
		case 'ؤ', 'ۆ', 'ۇ', 'ۈ', 'ۉ', 'ۋ', 'ۅ', 'ٶ', 'ٷ', 'ۊ':
			return 'و'
		case 'ۀ', 'ة', 'ە', 'ہ', 'ھ', 'ۂ', 'ۃ':
			return 'ه'
		case 'ء':
			return -1
		}
		switch {
		case r >= 0x660 && r <= 0x669:
			return '0' + r - 0x660
		case r >= 0x6F0 && r <= 0x6F9:
			return '0' + r - 0x6F0
		case arabicBlockLetter(r): // no case in the Arabic script
			return r
		}
		return -1
	}
	if v := digitValue(r); v >= 0 {
		return '0' + rune(v)
	}
	if !unicode.IsLetter(r) {
		return -1
	}
	r = unicode.AzeriCase.ToLower(r)
	switch r {
	case 'ə', 'ä', 'ǝ':
		return 'e'
	case 'ı':
		return 'i'
	case 'ʼ', 'ʻ', 'ʽ': // modifier letters used as apostrophes
		return -1
	}
	if r < 0x250 && r >= 0xC0 { // Latin-1 Supplement and Latin Extended-A/B
		return latinBase(r)
	}
	return r
}

// latinBase returns the ASCII base letter of a Latin letter with diacritics (ö → o,
// ş → s, ğ → g, é → e), or r itself when it has none (ß, ø, æ).
func latinBase(r rune) rune {
	var buf [utf8.UTFMax]byte
	d := norm.NFD.Append(nil, buf[:utf8.EncodeRune(buf[:], r)]...)
	if len(d) < 2 || d[0] < 'a' || d[0] > 'z' {
		return r
	}
	for _, m := range string(d[1:]) {
		if !isMark(m) {
			return r
		}
	}
	return rune(d[0])
}

// Digits returns s with the digits of every script (Persian ۰-۹, Arabic-Indic ٠-٩,
// fullwidth and all other Unicode decimal digits) replaced by ASCII 0-9. Everything
// else is left as it is. It is a helper for parsing; it does not clean.
func Digits(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	out := make([]byte, i, len(s))
	copy(out, s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if v := digitValue(r); v >= 0 {
			out = append(out, byte('0'+v))
		} else {
			out = append(out, s[i:i+n]...)
		}
		i += n
	}
	return string(out)
}

// digitValue returns the value of a decimal digit of any script, or -1.
func digitValue(r rune) int {
	switch {
	case '0' <= r && r <= '9':
		return int(r - '0')
	case 0x6F0 <= r && r <= 0x6F9: // Persian
		return int(r - 0x6F0)
	case 0x660 <= r && r <= 0x669: // Arabic-Indic
		return int(r - 0x660)
	case r < 0x80 || r >= 0x600 && r <= 0x6FF || !unicode.IsDigit(r):
		return -1
	}
	// Unicode puts every set of decimal digits in a contiguous run 0…9, so the value is
	// the offset from the start of the run (checked for every digit by the tests).
	for _, rg := range unicode.Digit.R16 {
		if r <= rune(rg.Hi) {
			if r >= rune(rg.Lo) {
				return int(r-rune(rg.Lo)) % 10
			}
			return -1
		}
	}
	for _, rg := range unicode.Digit.R32 {
		if r <= rune(rg.Hi) {
			if r >= rune(rg.Lo) {
				return int(r-rune(rg.Lo)) % 10
			}
			return -1
		}
	}
	return -1
}
