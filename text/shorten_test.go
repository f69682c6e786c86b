package text

import (
	"testing"
	"unicode/utf8"
)

func TestShorten(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"آشنایی با تشکیل تعاونی محلی", 40, "آشنایی با تشکیل تعاونی محلی"},
		{"آشنایی با تشکیل تعاونی محلی", 20, "آشنایی با تشکیل…"},
		{"بازاریابی و فروش اینترنتی صنایع دستی", 24, "بازاریابی و فروش…"},
		{"حسابداری‌ساده‌برای‌تعاونی‌های‌کوچک", 10, "حسابداری…"},
		{"کیچیک تعاونیلر اوچون ساده حسابداری", 22, "کیچیک تعاونیلر اوچون…"},
		{"a, b, c, d", 6, "a, b…"},
	} {
		got := Shorten(c.in, c.n)
		if got != c.want {
			t.Errorf("Shorten(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		if utf8.RuneCountInString(got) > c.n {
			t.Errorf("Shorten(%q, %d) = %q is longer than %d", c.in, c.n, got, c.n)
		}
	}
}
