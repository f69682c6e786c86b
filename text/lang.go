package text

import "strings"

// languageNames are the names people type for the two languages when asked which one they
// want: the endonyms on the buttons (فارسی, تۆرکجه) and what residents of Tabriz commonly
// call them, in Persian, Azeri and Latin script. They are compared under Key, so spelling
// variants (ترکي, تورکجه, Turkce for Türkçe, Azeri for Azəri, with or without ZWNJ or
// spaces) need no entry of their own.
var languageNames = map[Lang][]string{
	LangFa: {
		"فارسی", "پارسی", "فارسی ایران", "Farsi", "Persian", "Parsi", "Farsca", "Fars dili", "fa",
		"فارس دیلی",
	},
	LangAz: {
		"تۆرکجه", "تۆرکی", "ترکی", "ترکی آذربایجانی", "ترکی آذری", "آذری", "آذری ترکی",
		"آذربایجانی", "آذربایجان ترکی", "آذربایجان تۆرکجه‌سی", "تۆرک دیلی", "تۆرک",
		"Türkçe", "Türk dili", "Türki", "Turki", "Azeri", "Azəri", "Azərbaycan", "Azərbaycanca",
		"Azərbaycan dili", "Azərbaycan türkcəsi", "Azerbaijani", "Azeri Turkish", "Turkish", "az", "azb",
	},
}

// languageKeys maps the Key of every language name to its language.
var languageKeys = func() map[string]Lang {
	m := map[string]Lang{}
	for l, names := range languageNames {
		for _, n := range names {
			k := Key(n)
			if other, dup := m[k]; dup && other != l {
				panic("text: language name " + n + " names both " + string(other) + " and " + string(l))
			}
			m[k] = l
		}
	}
	return m
}()

// languageFillers are words that may stand around a language name in a typed answer:
// "زبان فارسی", "به ترکی", "فارسی لطفاً", "تۆرکجه دیلی".
var languageFillers = []string{"زبان", "به", "با", "لطفا", "لطفاً", "دیلی", "دیل", "dili", "dil"}

// LanguageOf reports which language a typed answer to the language question names, for
// residents who type instead of pressing فارسی or تۆرکجه. It accepts the endonyms and the
// usual names in Persian, Azeri and Latin script under the loose Key (so ترکی, تورکی, آذری,
// ترکی آذربایجانی, Türkçe, Turkce, Azeri, Azərbaycan, Azerbaycan, فارسی, پارسی, Farsi,
// Persian all work), also with a filler word such as "زبان" or "به" before or "لطفاً"
// after: "زبان ترکی", "به فارسی". Anything else, including an empty answer and text
// that names both languages, reports false.
func LanguageOf(s string) (Lang, bool) {
	if l, ok := languageKeys[Key(s)]; ok {
		return l, true
	}
	// Drop filler words, then look again.
	var kept []string
	for _, w := range strings.Fields(Clean(s)) {
		if !isLanguageFiller(w) {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		return "", false
	}
	l, ok := languageKeys[Key(strings.Join(kept, " "))]
	return l, ok
}

func isLanguageFiller(w string) bool {
	k := Key(w)
	for _, f := range languageFillers {
		if k == Key(f) {
			return true
		}
	}
	return false
}
