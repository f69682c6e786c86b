package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// needHarness starts the bot for a needs test, with these users as staff.
func needHarness(t *testing.T, admins ...int64) *chattest.Harness {
	t.Helper()
	return chattest.New(t, chattest.Options{Admins: chattest.Staff(admins...)})
}

// needResident returns the resident id of a chat user.
func needResident(t *testing.T, h *chattest.Harness, u *chattest.User) int64 {
	t.Helper()
	p, err := h.DB.Profile(context.Background(), coopbot.UserRef{Platform: coopbot.Telegram, UserID: u.ID})
	if err != nil || p.ResidentID == 0 {
		t.Fatalf("profile of %d: %+v, %v", u.ID, p, err)
	}
	return p.ResidentID
}

// needNeighborhood returns the id of the neighborhood with this Persian name.
func needNeighborhood(t *testing.T, h *chattest.Harness, name string) coopbot.Neighborhood {
	t.Helper()
	all, err := h.DB.Neighborhoods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range all {
		if n.NameFa == name {
			return n
		}
	}
	t.Fatalf("no neighborhood %s", name)
	return coopbot.Neighborhood{}
}

// needSubmitted waits for the tracking code and returns it in ASCII digits.
func needSubmitted(t *testing.T, u *chattest.User) string {
	t.Helper()
	prefix := u.Text("need.submitted", "Code", "")
	m := u.SeesText(prefix)
	rest := m.Text[strings.Index(m.Text, prefix)+len(prefix):]
	fa, _, _ := strings.Cut(rest, "\n")
	code, ok := coopbot.ParseNeedCode(fa)
	if !ok || fa != text.FaDigits(code) {
		t.Fatalf("tracking code %q is not six Persian digits (message %q)", fa, m.Text)
	}
	u.Sees("menu.title")
	return code
}

// needQuickReport reports a need from the main menu with the given category and urgency
// label IDs, no location, and returns the tracking code.
func needQuickReport(t *testing.T, u *chattest.User, cat, urgency, description string) string {
	t.Helper()
	u.Press("need.menu.report")
	u.Sees("need.category.prompt")
	u.Press(cat)
	u.Sees("need.household.prompt")
	u.PressLabel("۴")
	u.Sees("need.description.prompt", "Max", "۵۰۰")
	u.Send(description)
	u.Sees("need.urgency.prompt")
	u.Press(urgency)
	u.Sees("need.location.prompt")
	u.Send(u.Text("need.location.skip"))
	u.Sees("need.consent.prompt")
	u.Press("need.consent.yes")
	u.Sees("need.review.title")
	u.Press("need.review.submit")
	return needSubmitted(t, u)
}

func needCount(t *testing.T, h *chattest.Harness, residentID int64) int {
	t.Helper()
	list, err := h.DB.MyNeedReports(context.Background(), residentID)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestNeedReportPersian(t *testing.T) {
	t.Parallel()
	h := needHarness(t)
	u := h.User(3001)
	u.Onboard("سرخاب")

	u.Press("need.menu.report")
	u.Sees("need.category.prompt")
	u.Send("یه چیز دیگه")
	u.Sees("need.category.invalid")
	u.Press("need.cat.food")

	u.Sees("need.household.prompt")
	u.Send("۰")
	u.Sees("input.household.range")
	// Not a number: the hint's example is a household size, not an amount.
	u.Send("پنج")
	u.Sees("need.household.invalid")
	u.Send("۲٫۵")
	u.Sees("need.household.invalid")
	u.Send("۱۲ نفر")

	u.Sees("need.description.prompt", "Max", "۵۰۰")
	u.E.SendSticker()
	u.Sees("need.description.text_only")
	u.Send(strings.Repeat("ن", 501))
	u.Sees("need.description.too_long", "Count", "۵۰۱", "Max", "۵۰۰")
	u.Send("نه")
	u.Sees("need.description.too_short")
	u.Send("  نان و برنج برای   بچه‌ها نداریم\r\n\n\n\nپدر خانواده بیکار است  ")

	u.Sees("need.urgency.prompt")
	u.Send("خیلی زیاد")
	u.Sees("need.urgency.invalid")
	u.Press("need.urgency.urgent")

	u.Sees("need.location.prompt")
	kb := u.E.Keyboard()
	if len(kb) == 0 || !kb[0][0].RequestLocation || kb[0][0].Text != u.Text("need.location.share") {
		t.Fatalf("location keyboard = %+v, want the share-location button first", kb)
	}
	u.E.ShareContact("09121234567", u.ID)
	u.Sees("need.location.invalid")
	u.E.ShareLocation(38.079215, 46.288732)

	u.Sees("need.consent.prompt")
	u.Send("شاید")
	u.Sees("need.consent.invalid")
	u.Press("need.consent.yes")

	review := u.Sees("need.review.title")
	for _, want := range []string{
		u.Text("need.field.category", "Category", u.Text("need.cat.food")),
		u.Text("need.field.household", "Count", "۱۲"),
		u.Text("need.field.urgency", "Urgency", u.Text("need.urgency.urgent")),
		u.Text("need.field.description", "Text", text.Isolate("نان و برنج برای بچه‌ها نداریم")+"\n\n"+text.Isolate("پدر خانواده بیکار است")),
		u.Text("need.field.location"),
	} {
		if !strings.Contains(review.Text, want) {
			t.Fatalf("review %q lacks %q", review.Text, want)
		}
	}

	// Edit from the review: the urgency, then the location becomes a typed address.
	u.Press("need.review.edit_urgency")
	u.Sees("need.urgency.prompt")
	u.Press("need.urgency.soon")
	review = u.Sees("need.review.title")
	if !strings.Contains(review.Text, u.Text("need.field.urgency", "Urgency", u.Text("need.urgency.soon"))) {
		t.Fatalf("review after edit: %q", review.Text)
	}
	u.Press("need.review.edit_location")
	u.Sees("need.location.prompt")
	u.Send("ab")
	u.Sees("need.location.address_short")
	u.Send("خیابان ثقة‌الاسلام، کوچهٔ <b>۳</b>")
	review = u.Sees("need.review.title")
	if !strings.Contains(review.Text, u.Text("need.field.address", "Address", text.Isolate("خیابان ثقة‌الاسلام، کوچهٔ <b>۳</b>"))) {
		t.Fatalf("review after address: %q", review.Text)
	}
	u.Press("need.review.submit")
	code := needSubmitted(t, u)

	h.Idle()
	ctx := context.Background()
	res := needResident(t, h, u)
	r, err := h.DB.MyNeedReport(ctx, res, code)
	if err != nil {
		t.Fatal(err)
	}
	if r.Category != "food" || r.Household != 12 || r.Urgency != coopbot.NeedSoon || r.HasLocation ||
		r.Address != "خیابان ثقة‌الاسلام، کوچهٔ <b>۳</b>" || r.Description != "نان و برنج برای بچه‌ها نداریم\n\nپدر خانواده بیکار است" ||
		r.NeighborhoodID != needNeighborhood(t, h, "سرخاب").ID || r.Status != coopbot.NeedReceived {
		t.Fatalf("stored report = %+v", r)
	}

	// "My reports" lists it; its page shows the history with Jalali dates.
	u.Press("need.menu.mine")
	u.Sees("need.mine.row", "Code", text.FaDigits(code), "Date", text.Date(r.CreatedAt), "Category", u.Text("need.cat.food"), "Status", u.Text("need.status.received"))
	u.PressLabel(text.FaDigits(code))
	detail := u.Sees("need.detail.title", "Code", text.FaDigits(code), "Date", text.Date(r.CreatedAt))
	if line := u.Text("need.history.line", "Date", text.Date(r.CreatedAt), "Time", text.Clock(r.CreatedAt), "Status", u.Text("need.status.received")); !strings.Contains(detail.Text, line) {
		t.Fatalf("detail %q lacks history line %q", detail.Text, line)
	}
	u.Send("۹۹۹۹۹۹")
	u.Sees("need.mine.unknown", "Code", "۹۹۹۹۹۹")
	u.Send("/menu")
	u.Sees("menu.title")

	// The code typed back at the menu in Arabic-Indic digits opens the report.
	u.Send(strings.Map(func(r rune) rune { return r - '0' + '٠' }, code))
	u.Sees("need.detail.title", "Code", text.FaDigits(code), "Date", text.Date(r.CreatedAt))
}

func TestNeedReportAzeriCancelAndStartAgain(t *testing.T) {
	t.Parallel()
	h := needHarness(t)
	u := h.User(3002).Speaks(coopbot.Azeri)
	u.Onboard("ائل‌گلی")
	res := needResident(t, h, u)

	u.Press("need.menu.mine")
	u.Sees("need.mine.none")

	u.Press("need.menu.report")
	u.Sees("need.category.prompt")
	u.Press("need.cat.employment")
	u.Sees("need.household.prompt")
	u.PressLabel("۳")
	u.Sees("need.description.prompt", "Max", "۵۰۰")
	u.Send("/cancel")
	u.Sees("conv.cancelled")
	u.Sees("menu.title")
	h.Idle()
	if n := needCount(t, h, res); n != 0 {
		t.Fatalf("%d reports after cancel", n)
	}

	// Started again later: a fresh report.
	u.Press("need.menu.report")
	u.Sees("need.category.prompt")
	u.Press("need.cat.disability")
	u.Sees("need.household.prompt")
	u.Send("4") // typed, ASCII digit
	u.Sees("need.description.prompt", "Max", "۵۰۰")
	u.Send("Atam xəstədir, dərman lazımdır 🙏")
	u.Sees("need.urgency.prompt")
	u.Press("need.urgency.normal")
	u.Sees("need.location.prompt")
	u.Send(u.Text("need.location.skip"))
	u.Sees("need.consent.prompt")
	u.Press("common.back")
	u.Sees("need.location.prompt")
	u.Send("ولیعصر، فلسطین خیابانی")
	u.Sees("need.consent.prompt")
	u.Press("need.consent.no")
	u.Sees("need.consent.declined")
	u.Sees("menu.title")
	h.Idle()
	if n := needCount(t, h, res); n != 0 {
		t.Fatalf("%d reports after declining consent", n)
	}

	code := needQuickReport(t, u, "need.cat.debt", "need.urgency.urgent", "بورجوموزو اؤده‌یه بیلمیریک")
	h.Idle()
	r, err := h.DB.MyNeedReport(context.Background(), res, code)
	if err != nil || r.Category != "debt" || r.Household != 4 || r.Description != "بورجوموزو اؤده‌یه بیلمیریک" || r.Address != "" || r.HasLocation {
		t.Fatalf("stored report = %+v, %v", r, err)
	}
	if n := needCount(t, h, res); n != 1 {
		t.Fatalf("%d reports, want 1", n)
	}
}

func TestNeedStatusChangesReachResident(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 3100)
	staff := h.User(3100)
	staff.Onboard("سرخاب")
	res := h.User(3101).Speaks(coopbot.Azeri)
	res.Onboard("ولیعصر")
	nbh := needNeighborhood(t, h, "ولیعصر")

	code := needQuickReport(t, res, "need.cat.debt", "need.urgency.urgent", "بورجوموزو اؤده‌یه بیلمیریک")
	fa := text.FaDigits(code)

	// The neighborhood has no manager: the office staff is alerted, in their language.
	staff.Sees("needs.alert.new", "Code", fa, "NameFa", nbh.NameFa, "CatFa", staff.Text("need.cat.debt"), "UrgFa", staff.Text("need.urgency.urgent"))
	staff.Press("needs.alert.review")
	staff.Sees("needs.card.changed", "Code", fa, "Status", staff.Text("need.status.reviewing"))
	staff.Sees("needs.card.neighborhood", "Name", nbh.NameFa)
	n := res.Sees("need.notify.title", "Code", fa)
	if !strings.Contains(n.Text, res.Text("need.notify.reviewing")) {
		t.Fatalf("notice %q lacks the new status", n.Text)
	}

	// Referred, to whom and with a note.
	staff.Press("needs.set.referred")
	staff.Sees("needs.referto.prompt")
	staff.E.SendSticker()
	staff.Sees("needs.referto.invalid")
	staff.Send("کمیتهٔ امداد امام")
	staff.Sees("needs.note.prompt", "Status", staff.Text("need.status.referred"), "Max", "۵۰۰")
	staff.Send("پرونده برای وام قرض‌الحسنه فرستاده شد")
	staff.Sees("needs.card.changed", "Code", fa, "Status", staff.Text("need.status.referred"))
	n = res.Sees("need.notify.title", "Code", fa)
	for _, want := range []string{res.Text("need.notify.referred", "To", text.Isolate("کمیتهٔ امداد امام")), res.Text("need.notify.note", "Note", text.Isolate("پرونده برای وام قرض‌الحسنه فرستاده شد"))} {
		if !strings.Contains(n.Text, want) {
			t.Fatalf("notice %q lacks %q", n.Text, want)
		}
	}

	// Resolved without a note.
	staff.Press("needs.set.resolved")
	staff.Sees("needs.note.prompt", "Status", staff.Text("need.status.resolved"), "Max", "۵۰۰")
	staff.Press("needs.note.none")
	staff.Sees("needs.card.changed", "Code", fa, "Status", staff.Text("need.status.resolved"))
	n = res.Sees("need.notify.title", "Code", fa)
	if !strings.Contains(n.Text, res.Text("need.notify.resolved")) || strings.Contains(n.Text, res.Text("need.notify.note", "Note", "")) {
		t.Fatalf("resolved notice = %q", n.Text)
	}

	// The resident sees every change in "my reports".
	res.Press("need.menu.mine")
	res.Sees("need.mine.row", "Code", fa, "Date", text.Date(time.Now()), "Category", res.Text("need.cat.debt"), "Status", res.Text("need.status.resolved"))
	res.PressLabel(fa)
	detail := res.Sees("need.detail.title", "Code", fa, "Date", text.Date(time.Now()))
	for _, st := range []string{"received", "reviewing", "referred", "resolved"} {
		if !strings.Contains(detail.Text, res.Text("need.status."+st)) {
			t.Errorf("history %q lacks %s", detail.Text, st)
		}
	}
	for _, want := range []string{res.Text("need.history.referred", "To", text.Isolate("کمیتهٔ امداد امام")), res.Text("need.history.note", "Note", text.Isolate("پرونده برای وام قرض‌الحسنه فرستاده شد"))} {
		if !strings.Contains(detail.Text, want) {
			t.Errorf("history %q lacks %q", detail.Text, want)
		}
	}

	// Who and when is logged.
	h.Idle()
	var changes int
	if err := h.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM need_events e JOIN need_reports n ON n.id = e.report_id
		WHERE n.code = $1 AND e.actor_id = $2`, code, needResident(t, h, staff)).Scan(&changes); err != nil || changes != 3 {
		t.Fatalf("logged changes by staff = %d, %v; want 3", changes, err)
	}

	// The summary shows it.
	staff.Send("/menu")
	staff.Sees("menu.title")
	staff.Press("needs.menu.summary")
	sum := staff.Sees("needs.summary.title", "Total", "۱")
	for _, want := range []string{
		staff.Text("needs.summary.by_status", "Items", staff.Text("need.status.resolved")+" ۱"),
		staff.Text("needs.summary.row", "Name", nbh.NameFa, "Total", "۱", "Items", staff.Text("need.catshort.debt")+" ۱"),
	} {
		if !strings.Contains(sum.Text, want) {
			t.Fatalf("summary %q lacks %q", sum.Text, want)
		}
	}
}

// Text people typed is shown as typed, each value (each line of it) isolated, so that
// Latin text with brackets inside a Persian or Azeri message keeps its order and does not
// reorder the words around it; nothing in it is read as markup.
func TestNeedEchoedTextIsIsolated(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 3600)
	staff := h.User(3600)
	staff.Onboard("سرخاب")
	res := h.User(3601).Speaks(coopbot.Azeri)
	res.Onboard("سرخاب")
	typed := "<b>kömək</b> & edin"
	echo := "\u2068" + typed + "\u2069"

	res.Press("need.menu.report")
	res.Sees("need.category.prompt")
	res.Press("need.cat.food")
	res.Sees("need.household.prompt")
	res.PressLabel("۲")
	res.Sees("need.description.prompt", "Max", "۵۰۰")
	res.Send(typed + "\nÇörək yoxdur")
	res.Sees("need.urgency.prompt")
	res.Press("need.urgency.soon")
	res.Sees("need.location.prompt")
	res.Send("Şəhid Beheşti (küçə 3)")
	res.Sees("need.consent.prompt")
	res.Press("need.consent.yes")
	review := res.Sees("need.review.title")
	for _, want := range []string{
		res.Text("need.field.description", "Text", echo+"\n\u2068Çörək yoxdur\u2069"),
		res.Text("need.field.address", "Address", "\u2068Şəhid Beheşti (küçə 3)\u2069"),
	} {
		if !strings.Contains(review.Text, want) {
			t.Fatalf("review %q lacks %q", review.Text, want)
		}
	}
	res.Press("need.review.submit")
	code := needSubmitted(t, res)

	// Staff refer it with the same words, and a note; both come back isolated.
	staff.Sees("needs.alert.new", "Code", text.FaDigits(code), "NameFa", "سرخاب", "CatFa", staff.Text("need.cat.food"), "UrgFa", staff.Text("need.urgency.soon"))
	staff.Press("needs.alert.open")
	card := staff.Sees("needs.card.reporter", "Name", "\u2068"+res.E.FirstName()+"\u2069")
	if want := staff.Text("need.field.description", "Text", echo+"\n\u2068Çörək yoxdur\u2069"); !strings.Contains(card.Text, want) {
		t.Fatalf("card %q lacks %q", card.Text, want)
	}
	staff.Press("needs.set.referred")
	staff.Sees("needs.referto.prompt")
	staff.Send(typed)
	staff.Sees("needs.note.prompt", "Status", staff.Text("need.status.referred"), "Max", "۵۰۰")
	staff.Send("Call 0914 (evening)")
	staff.Sees("needs.card.changed", "Code", text.FaDigits(code), "Status", staff.Text("need.status.referred"))
	card = staff.Sees("need.detail.history")
	for _, want := range []string{
		staff.Text("need.history.referred", "To", echo),
		staff.Text("need.history.note", "Note", "\u2068Call 0914 (evening)\u2069"),
	} {
		if !strings.Contains(card.Text, want) {
			t.Fatalf("card %q lacks %q", card.Text, want)
		}
	}
	n := res.Sees("need.notify.title", "Code", text.FaDigits(code))
	for _, want := range []string{
		res.Text("need.notify.referred", "To", echo),
		res.Text("need.notify.note", "Note", "\u2068Call 0914 (evening)\u2069"),
	} {
		if !strings.Contains(n.Text, want) {
			t.Fatalf("notice %q lacks %q", n.Text, want)
		}
	}

	// A neighborhood typed in the filter that matches none is said back isolated too.
	staff.Press("needs.card.filter")
	staff.Sees("needs.filter.prompt")
	staff.Press("needs.filter.neighborhood")
	staff.Sees("needs.filter.neighborhood.prompt")
	staff.Send(typed)
	staff.Sees("needs.filter.neighborhood.not_found", "Typed", echo)
}
