package text

import (
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
