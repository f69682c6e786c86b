package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	zwnj = '\u200C' // zero-width non-joiner (نیم‌فاصله)
	zwj  = '\u200D' // zero-width joiner (emoji sequences)
)

// Clean returns the form of a one-line field that is stored and shown back:
//
//   - invalid UTF-8 bytes, NUL and other C0/C1 controls are dropped;
//   - direction marks and embeddings/isolates (U+200E, U+200F, U+061C, U+202A–U+202E,
//     U+2066–U+2069), BOM U+FEFF, soft hyphen U+00AD, tatweel U+0640, word joiner and
//     invisible operators (U+2060–U+206F) are dropped;
//   - a zero-width space U+200B is taken for a mistyped ZWNJ (some keyboards and copied
//     web text put it where a نیم‌فاصله belongs): it follows the ZWNJ rule below, so
//     between two Arabic-script letters it becomes a ZWNJ ("می\u200bشود" → "می‌شود")
//     and anywhere else it is dropped;
//   - Arabic presentation forms (U+FB50–U+FDFF except the rial sign ﷼ U+FDFC,
//     U+FE70–U+FEFE) and half/fullwidth forms (U+FF00–U+FFEF) get NFKC; nothing else does;
//   - the whole string is put in NFC (so آ ئ ؤ ۀ ü ş stay single letters);
//   - Arabic ي and ى become Persian ی, Arabic ك becomes Persian ک;
//   - every kind of space, tab and newline becomes one ASCII space; runs collapse; the
//     result is trimmed;
//   - a ZWNJ is kept only between two Arabic-script letters (می‌شود, ائل‌گلی); leading,
//     trailing and repeated ZWNJ and ZWNJ next to a space or a non-letter are dropped;
//     a ZWJ is kept only between two visible characters (emoji sequences);
//   - combining marks with no base (after a space, a ZWNJ or at the start) are dropped.
//
// Everything else is kept as typed: the digit script, ة, ۀ, هٔ, harakat on letters,
// the Azeri letters ۆ ۇ ؽ ێ, Latin ə ğ ı ö ü ş ç, emoji (with their ZWJ and variation
// selectors). Clean is idempotent: Clean(Clean(s)) == Clean(s).
func Clean(s string) string {
	if simpleASCII(s) {
		return s
	}
	return clean(s, false)
}

// CleanMultiline is Clean for multi-line text (descriptions, messages): it keeps line
// breaks. \r\n, \r, U+0085, U+2028 and U+2029 become \n; each line is cleaned like a
// Clean field (spaces collapsed, trimmed); runs of blank lines collapse to one blank
// line (so at most two \n in a row); leading and trailing blank lines are dropped.
func CleanMultiline(s string) string {
	if simpleASCII(s) {
		return s
	}
	return clean(s, true)
}

// simpleASCII reports whether s is printable ASCII with no leading, trailing or double
// spaces, which Clean returns unchanged (the common case of commands and digits).
func simpleASCII(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || (c == ' ' && s[i+1] == ' ') {
			return false
		}
	}
	return true
}

type runeClass uint8

const (
	clsKeep    runeClass = iota
	clsDrop              // invisible formatting or control: removed
	clsSpace             // any horizontal space: one ASCII space
	clsNewline           // line break: \n (multi-line) or a space (one line)
	clsExpand            // presentation or width form: NFKC
	clsZWSP              // zero-width space: treated as a ZWNJ
)

func classify(r rune) runeClass {
	if r < 0x80 {
		switch {
		case r == '\n' || r == '\r':
			return clsNewline
		case r == ' ' || r == '\t' || r == '\v' || r == '\f':
			return clsSpace
		case r < 0x20 || r == 0x7f:
			return clsDrop
		}
		return clsKeep
	}
	switch {
	case r == 0x85 || r == 0x2028 || r == 0x2029:
		return clsNewline
	case r < 0xA0: // C1 controls
		return clsDrop
	case r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x202F || r == 0x205F || r == 0x3000:
		return clsSpace
	case r == 0x200B:
		return clsZWSP
	case r == 0xAD || r == 0x0640 || r == 0x061C || r == 0x180E ||
		r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) ||
		(r >= 0x2060 && r <= 0x206F) || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB):
		return clsDrop
	case (r >= 0xFB50 && r <= 0xFDFF && r != 0xFDFC) || (r >= 0xFE70 && r <= 0xFEFE) || (r >= 0xFF00 && r <= 0xFFEF):
		return clsExpand
	}
	return clsKeep
}

// isMark reports whether r is a combining mark (harakat, hamza above, variation selectors…).
func isMark(r rune) bool {
	switch {
	case r < 0x300:
		return false
	case r >= 0x600 && r <= 0x6FF: // the Arabic block, without a table search
		return r >= 0x610 && r <= 0x61A || r >= 0x64B && r <= 0x65F || r == 0x670 ||
			r >= 0x6D6 && r <= 0x6DC || r >= 0x6DF && r <= 0x6E4 || r == 0x6E7 || r == 0x6E8 ||
			r >= 0x6EA && r <= 0x6ED
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

// nfcInert reports whether r can neither compose with nor reorder against its
// neighbours under NFC (so text made only of such runes is in NFC whatever is removed
// from it): Latin-1 and Latin Extended, Arabic letters, digits and punctuation (not
// the harakat and hamza marks), ZWNJ, ZWJ and the emoji blocks. Checked for every such
// rune by the tests.
func nfcInert(r rune) bool {
	return r < 0x300 || r >= 0x600 && r < 0x610 || r > 0x61A && r < 0x64B || r >= 0x660 && r < 0x6D6 && r != 0x670 ||
		r >= 0x6EE && r <= 0x6FF || r == zwnj || r == zwj || r >= 0x1F000 && r <= 0x1FAFF
}

// isArabicLetter reports whether r is a letter of the Arabic script (Persian, Azeri, Arabic).
func isArabicLetter(r rune) bool {
	if r >= 0x600 && r <= 0x6FF {
		return r != 0x640 && arabicBlockLetter(r) // tatweel is of the Common script
	}
	return r > 0x6FF && unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r)
}

// arabicBlockLetter is unicode.IsLetter for r in the Arabic block U+0600–U+06FF,
// without a table search (checked against unicode.IsLetter by the tests).
func arabicBlockLetter(r rune) bool {
	return r >= 0x620 && r <= 0x64A || r == 0x66E || r == 0x66F || r >= 0x671 && r <= 0x6D3 ||
		r == 0x6D5 || r == 0x6E5 || r == 0x6E6 || r == 0x6EE || r == 0x6EF || r >= 0x6FA && r <= 0x6FC || r == 0x6FF
}

// persianLetter maps the Arabic letters that Arabic keyboards produce to the Persian ones.
func persianLetter(r rune) rune {
	switch r {
	case 'ي', 'ى':
		return 'ی'
	case 'ك':
		return 'ک'
	}
	return r
}

// prepare is the first pass of clean: it drops invisible characters, expands presentation
// and width forms, turns every space into ' ' and every line break into '\n'. It returns
// s itself when there is nothing to change, and whether the result may need NFC.
func prepare(s string) (_ string, needNFC bool) {
	// Most input needs no change: find the first rune that does.
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		if c := classify(r); c != clsKeep && !(c == clsSpace && r == ' ') && !(c == clsNewline && r == '\n') {
			break
		}
		needNFC = needNFC || !nfcInert(r)
		i += n
	}
	if i == len(s) {
		return s, needNFC
	}
	var buf strings.Builder
	buf.Grow(len(s))
	buf.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			i++ // invalid byte: dropped
			continue
		}
		switch classify(r) {
		case clsKeep:
			buf.WriteString(s[i : i+n])
			needNFC = needNFC || !nfcInert(r)
		case clsZWSP:
			buf.WriteRune(zwnj)
		case clsSpace:
			buf.WriteByte(' ')
		case clsNewline:
			if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				break // \r\n is one line break
			}
			buf.WriteByte('\n')
		case clsExpand:
			for _, e := range norm.NFKC.String(s[i : i+n]) {
				switch classify(e) {
				case clsKeep, clsExpand:
					buf.WriteRune(e)
					needNFC = needNFC || !nfcInert(e)
				case clsSpace:
					buf.WriteByte(' ')
				case clsNewline:
					buf.WriteByte('\n')
				}
			}
		}
		i += n
	}
	return buf.String(), needNFC
}

func clean(s string, multiline bool) string {
	buf, needNFC := prepare(s)
	if needNFC && !norm.NFC.IsNormalString(buf) {
		buf = norm.NFC.String(buf)
	}
	out := make([]byte, 0, len(buf))
	var (
		pendingSpace bool
		newlines     int     // line breaks seen since the last emitted rune
		orphan       = true  // a combining mark here has no base and is dropped
		lastBase     rune    // last emitted rune that is not a mark, 0 at a line start
		lastJoiner   bool    // the last emitted rune is a ZWNJ or ZWJ
		la           [2]int  // joiner look-ahead cache (ZWNJ, ZWJ): valid before la[k]
		laNext       [2]rune // … and the rune found there
	)
	for i := 0; i < len(buf); {
		r, n := utf8.DecodeRuneInString(buf[i:])
		switch {
		case r == '\n' || r == ' ':
			if r == '\n' && multiline {
				pendingSpace = false
				if len(out) > 0 {
					newlines++
				}
				lastBase = 0
			} else if len(out) > 0 && newlines == 0 {
				pendingSpace = true
			}
			orphan = true
		case r == zwnj || r == zwj:
			orphan = true
			k := 0
			if r == zwj {
				k = 1
			}
			if i >= la[k] {
				la[k], laNext[k] = joinerLookahead(buf, i+n, r)
			}
			next := laNext[k]
			keep := !lastJoiner && !pendingSpace && newlines == 0 && lastBase != 0
			if r == zwnj {
				// Only between two Arabic-script letters does a ZWNJ change anything.
				keep = keep && isArabicLetter(lastBase) && isArabicLetter(next)
			} else {
				// A ZWJ joins two visible characters (emoji sequences).
				keep = keep && next >= 0 && next != ' ' && next != '\n' && next != zwnj
			}
			if keep {
				out = append(out, buf[i:i+n]...)
				lastJoiner = true
			}
		case isMark(r):
			if !orphan {
				out = append(out, buf[i:i+n]...)
			}
		default:
			if len(out) > 0 {
				out = append(out, "\n\n"[:min(newlines, 2)]...)
				if pendingSpace {
					out = append(out, ' ')
				}
			}
			newlines, pendingSpace = 0, false
			r = persianLetter(r)
			out = utf8.AppendRune(out, r)
			orphan, lastBase, lastJoiner = false, r, false
		}
		i += n
	}
	if needNFC && !norm.NFC.IsNormal(out) {
		// Dropping a ZWNJ between two Hangul jamo can leave a composable pair.
		out = norm.NFC.Append(nil, out...)
	}
	if string(out) == s {
		return s // already clean: no copy
	}
	return string(out)
}

// joinerLookahead looks past the run of joiners j and (orphan, to be dropped) marks
// that starts at i; it reports where the run ends and the rune after it (-1 at the end).
func joinerLookahead(buf string, i int, j rune) (end int, next rune) {
	for i < len(buf) {
		r, n := utf8.DecodeRuneInString(buf[i:])
		if r != j && !isMark(r) {
			return i, persianLetter(r)
		}
		i += n
	}
	return i, -1
}
