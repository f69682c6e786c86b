package coopbot

// Office is how residents reach the cooperatives office, shown with the help: its phone,
// its address and its opening hours in both languages. It comes from the configuration.
type Office struct {
	Phone   string // as dialled, e.g. 04133350000; "" when not given
	Address Names
	Hours   Names
}

// DefaultOffice is the provincial office of East Azerbaijan as shown when the
// configuration names nothing else: no phone (a number is never guessed), the office and
// city as its address, and the working hours of government offices in Iran.
func DefaultOffice() Office {
	return Office{
		Address: Names{
			Fa: "تبریز، اداره کل تعاون، کار و رفاه اجتماعی استان آذربایجان شرقی",
			Az: "تبریز، شرقی آذربایجان اوستانی تعاون، ایش و اجتماعی رفاه اداره‌سی",
		},
		Hours: Names{
			Fa: "شنبه تا چهارشنبه، ساعت ۷:۳۰ تا ۱۴:۳۰",
			Az: "شنبه‌دن چهارشنبه‌یه کیمی، ساعت ۷:۳۰ ایله ۱۴:۳۰ آراسی",
		},
	}
}
