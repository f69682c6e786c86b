package text

import (
	"slices"
	"strings"
	"testing"
)

var benchInputs = []struct{ name, s string }{
	{"ascii-command", "/start"},
	{"digits-fa", "۰۹۱۲۳۴۵۶۷۸۹"},
	{"persian-label", "🗓 دوره‌های آموزشی"},
	{"azeri-dirty", "\u200f ايل  گلي\u200c \u0640ـ تۆرکجه ك "},
	{"latin-azeri", "Aydın Məmmədov"},
	{"message-1k", strings.Repeat("سلام، می‌خواهم ثبت‌نام کنم. ", 40)},
}

func BenchmarkClean(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.s)))
			for b.Loop() {
				Clean(in.s)
			}
		})
	}
}

func BenchmarkKey(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.s)))
			for b.Loop() {
				Key(in.s)
			}
		})
	}
}

func BenchmarkParseMobile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ParseMobile("۰۹۱۲ ۳۴۵ ۶۷۸۹")
	}
}

// benchNames are 1,000 neighborhood-like names: the Tabriz demo names with a number.
func benchNames() []string {
	var names []string
	for i := 0; len(names) < 1000; i++ {
		names = append(names, tabrizAz[i%len(tabrizAz)]+" "+FaDigits(strings.Repeat("1", i%3+1)))
	}
	return shuffled(names, 7)
}

// SortFunc computes each collation key once; sorting with Compare computes two per
// comparison. Both are measured on 1,000 names.
func BenchmarkSortFunc(b *testing.B) {
	names := benchNames()
	b.Run("SortFunc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			SortStrings(LangAz, slices.Clone(names))
		}
	})
	b.Run("Compare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			slices.SortFunc(slices.Clone(names), func(x, y string) int { return Compare(LangAz, x, y) })
		}
	})
}
