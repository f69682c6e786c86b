package text

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	m := time.Minute
	cases := []struct {
		in     string
		want   time.Duration
		reason Reason
	}{
		// A bare whole number is minutes.
		{"۹۰", 90 * m, OK},
		{"90", 90 * m, OK},
		{"٤٥", 45 * m, OK},
		{"0", 0, OK},
		// A number and a unit, glued or not, in any digit script.
		{"۹۰ دقیقه", 90 * m, OK},
		{"۹۰دقیقه", 90 * m, OK},
		{"90 دقه", 90 * m, OK},
		{"۲ ساعت", 120 * m, OK},
		{"۲ساعت", 120 * m, OK},
		{"۲ ساعته", 120 * m, OK},
		{"۳ ساعات", 180 * m, OK},
		{"90 dəqiqə", 90 * m, OK},
		{"90 deqiqe", 90 * m, OK},
		{"2 saat", 120 * m, OK},
		{"2h", 120 * m, OK},
		{"90 min", 90 * m, OK},
		// Hours with decimals, as long as they come to whole minutes.
		{"۱.۵ ساعت", 90 * m, OK},
		{"۱٫۵ ساعت", 90 * m, OK},
		{"۱/۵ ساعت", 90 * m, OK},
		{"2.25 ساعت", 135 * m, OK},
		{"1.5 saat", 90 * m, OK},
		// Numbers in words, Persian and Azeri.
		{"دو ساعت", 120 * m, OK},
		{"یه ساعت", 60 * m, OK},
		{"چهل و پنج دقیقه", 45 * m, OK},
		{"نود دقیقه", 90 * m, OK},
		{"صد و بیست دقیقه", 120 * m, OK},
		{"ایکی ساعات", 120 * m, OK},
		{"قیرخ بئش دقیقه", 45 * m, OK},
		{"نه ساعت", 9 * 60 * m, OK},
		// Halves and quarters.
		{"نیم ساعت", 30 * m, OK},
		{"یک ساعت و نیم", 90 * m, OK},
		{"یک ساعت ونیم", 90 * m, OK},
		{"یک‌ساعت‌ونیم", 90 * m, OK},
		{"یک و نیم ساعت", 90 * m, OK},
		{"۱ و نیم ساعت", 90 * m, OK},
		{"دو ساعت و نیم", 150 * m, OK},
		{"بیر ساعات یاریم", 90 * m, OK},
		{"بیر یاریم ساعات", 90 * m, OK},
		{"یاریم ساعات", 30 * m, OK},
		{"bir saat yarım", 90 * m, OK},
		{"یک ربع", 15 * m, OK},
		{"سه ربع ساعت", 45 * m, OK},
		{"دو ساعت و ربع", 135 * m, OK},
		// Hours, then minutes.
		{"یک ساعت و سی دقیقه", 90 * m, OK},
		{"۱ ساعت ۳۰ دقیقه", 90 * m, OK},
		{"۱ ساعت و ۳۰ دقیقه", 90 * m, OK},
		{"یک ساعت و ۳۰", 90 * m, OK},
		{"یک ساعت و سی", 90 * m, OK},
		{"بیر ساعات اوتوز دقیقه", 90 * m, OK},
		// Refused.
		{"", 0, ReasonEmpty},
		{"   ", 0, ReasonEmpty},
		{strings.Repeat("۹", 200), 0, ReasonTooLong},
		{"۱.۵", 0, DurationInvalid},               // hours or minutes?
		{"1.5 دقیقه", 0, DurationInvalid},         // not whole minutes
		{"1.33 ساعت", 0, DurationInvalid},         // 79.8 minutes
		{"-30", 0, DurationInvalid},               // a sign
		{"۳۰ دقیقه و ۱ ساعت", 0, DurationInvalid}, // units out of order
		{"۱ ساعت ۲ ساعت", 0, DurationInvalid},
		{"نه", 0, DurationInvalid}, // also "no"
		{"پنج", 0, DurationInvalid},
		{"۱۰ ۳۰", 0, DurationInvalid},
		{"ساعت", 0, DurationInvalid},
		{"ساعت ۲", 0, DurationInvalid},
		{"۹۰ نفر", 0, DurationInvalid},
		{"حدود یک ساعت", 0, DurationInvalid},
		{"1:30", 0, DurationInvalid},
		{"یک ساعت و نیم و نیم", 0, DurationInvalid},
		{"۱.۵ و نیم ساعت", 0, DurationInvalid},
		{"چهار ربع", 0, DurationInvalid},
		{"بیست و سی دقیقه", 0, DurationInvalid},
		{"۱.۲۳۴۵۶ ساعت", 0, DurationInvalid},
		{"99999999999999999999 ساعت", 0, NumberRange},
		{"1001 ساعت", 0, NumberRange},
		{"1000 ساعت", 1000 * time.Hour, OK},
	}
	for _, c := range cases {
		got, r := ParseDuration(c.in)
		if got != c.want || r != c.reason {
			t.Errorf("ParseDuration(%+q) = %v, %q; want %v, %q", c.in, got, r, c.want, c.reason)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"۹۰", "یک ساعت و نیم", "۱.۵ ساعت", "بیر ساعات یاریم", "دو ساعت و ربع", "صد و بیست دقیقه"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, r := ParseDuration(s)
		if r != OK && d != 0 || r == OK && (d < 0 || d > MaxDuration || d%time.Minute != 0) {
			t.Fatalf("ParseDuration(%q) = %v, %q", s, d, r)
		}
	})
}
