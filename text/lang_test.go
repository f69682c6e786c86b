package text

import (
	"path/filepath"
	"testing"
)

func TestLanguageOf(t *testing.T) {
	cases := []struct {
		in   string
		want Lang
		ok   bool
	}{
		// The button labels themselves and how they get typed.
		{"فارسی", LangFa, true},
		{"فارسي", LangFa, true},
		{"ﻓﺎﺭﺳﯽ", LangFa, true},
		{"تۆرکجه", LangAz, true},
		{"تورکجه", LangAz, true},
		{"تۇرکجه", LangAz, true},
		// Common names of Azeri.
		{"ترکی", LangAz, true},
		{"ترکي", LangAz, true},
		{"تورکی", LangAz, true},
		{"آذری", LangAz, true},
		{"اذری", LangAz, true},
		{"ترکی آذربایجانی", LangAz, true},
		{"ترکی‌آذربایجانی", LangAz, true},
		{"ترکی آذری", LangAz, true},
		{"آذربایجانی", LangAz, true},
		{"Türkçe", LangAz, true},
		{"Turkce", LangAz, true},
		{"TURKCE", LangAz, true},
		{"türkce", LangAz, true},
		{"Azeri", LangAz, true},
		{"azəri", LangAz, true},
		{"Azərbaycan", LangAz, true},
		{"Azerbaycan", LangAz, true},
		{"azərbaycanca", LangAz, true},
		{"Azerbaijani", LangAz, true},
		{"az", LangAz, true},
		// Common names of Persian.
		{"Farsi", LangFa, true},
		{"farsi", LangFa, true},
		{"Persian", LangFa, true},
		{"پارسی", LangFa, true},
		{"fa", LangFa, true},
		// With filler words.
		{"زبان فارسی", LangFa, true},
		{"به فارسی", LangFa, true},
		{"فارسی لطفاً", LangFa, true},
		{"زبان ترکی", LangAz, true},
		{"به ترکی لطفا", LangAz, true},
		{"تۆرک دیلی", LangAz, true},
		{"Azərbaycan dili", LangAz, true},
		{"🇮🇷 فارسی", LangFa, true},
		// Not a language.
		{"", "", false},
		{"زبان", "", false},
		{"سلام", "", false},
		{"فارسی و ترکی", "", false},
		{"English", "", false},
		{"عربی", "", false},
		{"ترک", "", false}, // also "leaving" in Persian
		{"۱", "", false},
	}
	for _, c := range cases {
		got, ok := LanguageOf(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("LanguageOf(%+q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// The endonyms on the language buttons in the locale files are recognised.
func TestLanguageOfButtonLabels(t *testing.T) {
	for _, file := range []string{"active.fa.toml", "active.az-Arab.toml"} {
		msgs := localeMessages(t, filepath.Join("..", "locales", file))
		for id, want := range map[string]Lang{"lang.fa.name": LangFa, "lang.az.name": LangAz} {
			label := msgs[id]["other"]
			if got, ok := LanguageOf(label); !ok || got != want {
				t.Errorf("%s %s %q: LanguageOf = %q, %v; want %q", file, id, label, got, ok, want)
			}
		}
	}
}

func FuzzLanguageOf(f *testing.F) {
	addSeeds(f)
	for _, names := range languageNames {
		for _, n := range names {
			f.Add(n)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, ok := LanguageOf(s)
		if ok != (l != "") || ok && l != LangFa && l != LangAz {
			t.Fatalf("LanguageOf(%+q) = %q, %v", s, l, ok)
		}
		if l2, ok2 := LanguageOf(Clean(s)); l2 != l || ok2 != ok {
			t.Fatalf("unstable under Clean: %+q", s)
		}
	})
}
