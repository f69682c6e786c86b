package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// trForm is the training form filled in as staff type it, for a day days from today.
func trForm(csrf, title string, days int) url.Values {
	return url.Values{
		"csrf":     {csrf},
		"title_fa": {title}, "title_az": {title + " (تۆرکجه)"},
		"desc_fa": {"شرح " + title}, "desc_az": {title + " حاقیندا"},
		"venue": {"مسجد جامع محله"}, "address": {"خیابان اصلی، کوچهٔ ۳"},
		"date": {text.FaDigits(text.JalaliOf(time.Now().AddDate(0, 0, days)).String())}, "time": {"۱۶:۳۰"},
		"duration": {"۹۰ دقیقه"}, "capacity": {"۲۰ نفر"},
	}
}

// trPublish stores a training in a neighborhood, days from today at 10:00.
func trPublish(t *testing.T, h *chattest.Harness, nbh int64, title string, capacity, days int) *coopbot.Training {
	t.Helper()
	tr := &coopbot.Training{
		NeighborhoodID: nbh, TitleFa: title, TitleAz: title + " (تۆرکجه)",
		DescriptionFa: "شرح " + title, DescriptionAz: title + " حاقیندا",
		VenueName: "سرای محله", VenueAddress: "کوچهٔ گلستان",
		StartsAt: text.JalaliOf(time.Now().AddDate(0, 0, days)).At(10, 0),
		Duration: 90 * time.Minute, Capacity: capacity,
	}
	if _, err := h.DB.CreateTraining(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func trSignUp(t *testing.T, h *chattest.Harness, training, resident int64) {
	t.Helper()
	if _, err := h.DB.SignUp(context.Background(), training, resident); err != nil {
		t.Fatal(err)
	}
}

func trPath(id int64, tail string) string { return "/trainings/" + strconv.FormatInt(id, 10) + tail }

// A neighborhood manager publishes a training with the console's form; a resident of the
// neighborhood finds it in the chat's catalogue, and the console lists it with its seats.
// The creation is audited as the chat's is.
func TestTrainingCreatedInConsoleShowsInChat(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	nbh := h.Neighborhood("سرخاب")
	m := h.User(7601)
	m.Onboard("سرخاب")
	m.Manager(nbh)
	r := h.User(7602)
	r.Onboard("سرخاب")

	b := newBrowser(t, h)
	page := b.signIn(m.ConsoleLink())
	if !strings.Contains(page, `href="/trainings"`) {
		t.Fatalf("the nav has no trainings link:\n%s", page)
	}
	code, page := b.get("/trainings/new")
	if code != http.StatusOK || !strings.Contains(page, `id="training-form"`) || strings.Contains(page, `name="nbh"`) {
		t.Fatalf("a manager's new training form (%d) should have no neighborhood field:\n%s", code, page)
	}
	const title = "پرورش قارچ خوراکی در خانه"
	code, page = b.do(http.MethodPost, "/trainings", trForm(b.csrf(page), title, 6))
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.trainings.created")) || !strings.Contains(page, title) {
		t.Fatalf("publishing: %d\n%s", code, page)
	}
	if n := count(t, h, `SELECT count(*) FROM trainings WHERE title_fa = $1 AND neighborhood_id = $2 AND capacity = 20
		AND duration_minutes = 90 AND created_by = $3`, title, nbh, m.ResidentID()); n != 1 {
		t.Fatalf("%d trainings stored as typed, want 1", n)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'training_create' AND allowed`, m.ResidentID()); n != 1 {
		t.Errorf("creation audited %d times, want 1", n)
	}
	code, list := b.get("/trainings")
	if code != http.StatusOK || !strings.Contains(list, title) || !strings.Contains(list, "<svg") {
		t.Fatalf("the console's list (%d) lacks the training or its fill bar:\n%s", code, list)
	}

	r.Press("training.menu")
	if msg := r.Sees("training.list.title"); !strings.Contains(msg.Text, title) {
		t.Fatalf("the resident's catalogue lacks the new training:\n%s", msg.Text)
	}
}

// A wrong date and a capacity of zero show the form again with each field's message beside
// it, in the chat's words, and what was typed kept; nothing is stored. A Gregorian date is
// shown back as its Jalali day to confirm, as in the chat.
func TestTrainingFormRefusesAndKeepsValues(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7701)})
	s := h.User(7701)
	s.Onboard("ائل‌گلی")
	b := newBrowser(t, h)
	b.signIn(s.ConsoleLink())
	_, page := b.get("/trainings/new")
	if !strings.Contains(page, `name="nbh"`) {
		t.Fatalf("office staff's form has no neighborhood field:\n%s", page)
	}
	const title = "آشپزی سالم برای کودکان"
	form := trForm(b.csrf(page), title, 3)
	form.Set("nbh", strconv.FormatInt(h.Neighborhood("ائل‌گلی"), 10))
	form.Set("date", "۱۴۰۰/۰۱/۰۱")
	form.Set("capacity", "۰")
	code, page := b.do(http.MethodPost, "/trainings", form)
	today := text.JalaliOf(time.Now()).Fa()
	for _, want := range []string{
		b.text(coopbot.Persian, "trainings.form.date_past", "Today", today),
		b.text(coopbot.Persian, "trainings.form.capacity_positive"),
		`id="error-date"`, `id="error-capacity"`,
		`value="` + title + `"`, `value="۱۴۰۰/۰۱/۰۱"`, `value="۰"`, "مسجد جامع محله",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("refused form (%d) lacks %q", code, want)
		}
	}
	if code != http.StatusUnprocessableEntity {
		t.Errorf("refused form: %d, want 422", code)
	}
	if strings.Contains(page, `id="error-title_fa"`) {
		t.Errorf("a good title is marked wrong")
	}
	// A capacity that is no number, and a Gregorian date to confirm.
	greg := time.Now().AddDate(0, 0, 10).In(text.Tehran)
	form.Set("date", greg.Format("2006-01-02"))
	form.Set("capacity", "زیاد")
	_, page = b.do(http.MethodPost, "/trainings", form)
	jalali := text.JalaliOf(greg)
	if !strings.Contains(page, b.text(coopbot.Persian, "trainings.form.capacity_invalid")) ||
		!strings.Contains(page, b.text(coopbot.Persian, "trainings.form.date_gregorian", "Typed", text.Isolate(greg.Format("2006-01-02")),
			"Day", text.LongDate(jalali.At(12, 0), text.LangFa))) ||
		!strings.Contains(page, `value="`+text.FaDigits(jalali.String())+`"`) {
		t.Errorf("a Gregorian date is not shown back as its Jalali day:\n%s", page)
	}
	if n := count(t, h, `SELECT count(*) FROM trainings WHERE title_fa = $1`, title); n != 0 {
		t.Fatalf("a refused form stored %d trainings", n)
	}
	// Sent again with the Jalali day and a capacity: published.
	form.Set("date", text.FaDigits(jalali.String()))
	form.Set("capacity", "۲۵")
	if code, page := b.do(http.MethodPost, "/trainings", form); code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.trainings.created")) {
		t.Fatalf("the corrected form: %d\n%s", code, page)
	}
	if n := count(t, h, `SELECT count(*) FROM trainings WHERE title_fa = $1 AND capacity = 25`, title); n != 1 {
		t.Fatalf("the corrected form stored %d trainings", n)
	}
}

// A neighborhood manager sees their neighborhood's trainings only: another's is refused
// (403, audited) when opened, edited, cancelled or exported, and a training posted for
// another neighborhood is refused and audited. A form without its CSRF token creates
// nothing.
func TestTrainingManagerScope(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	own, other := h.Neighborhood("ششگلان"), h.Neighborhood("مارالان")
	m := h.User(7801)
	m.Onboard("ششگلان")
	m.Manager(own)
	mine := trPublish(t, h, own, "خیاطی مقدماتی", 10, 4)
	theirs := trPublish(t, h, other, "سفالگری برای نوجوانان", 10, 4)

	b := newBrowser(t, h)
	b.signIn(m.ConsoleLink())
	_, list := b.get("/trainings")
	if !strings.Contains(list, trPath(mine.ID, "")) || strings.Contains(list, trPath(theirs.ID, "")) {
		t.Fatalf("a manager's list should hold their neighborhood's training only:\n%s", list)
	}
	code, page := b.get(trPath(theirs.ID, ""))
	if code != http.StatusForbidden || strings.Contains(page, theirs.TitleFa) {
		t.Fatalf("another neighborhood's training: %d, want 403 without its title", code)
	}
	if n := refused(t, h, m.ResidentID(), "training_view"); n != 1 {
		t.Errorf("refused view recorded %d times, want 1", n)
	}
	for path, action := range map[string]string{"/edit": "training_edit", "/cancel": "training_cancel", "/export?format=xlsx": "training_export"} {
		if code, _ := b.get(trPath(theirs.ID, path)); code != http.StatusForbidden {
			t.Errorf("GET %s of another neighborhood's training: %d, want 403", path, code)
		}
		if n := refused(t, h, m.ResidentID(), action); n != 1 {
			t.Errorf("refused %s recorded %d times, want 1", action, n)
		}
	}
	_, page = b.get(trPath(mine.ID, ""))
	token := b.csrf(page)
	if code, _ := b.do(http.MethodPost, trPath(theirs.ID, "/cancel"), url.Values{"csrf": {token}, "confirm": {"yes"}}); code != http.StatusForbidden {
		t.Errorf("cancelling another neighborhood's training: %d, want 403", code)
	}
	if n := count(t, h, `SELECT count(*) FROM trainings WHERE id = $1 AND status = 'published'`, theirs.ID); n != 1 {
		t.Fatal("another neighborhood's training was cancelled")
	}

	form := trForm(token, "کارگاه نجاری", 5)
	form.Set("nbh", strconv.FormatInt(other, 10))
	if code, _ := b.do(http.MethodPost, "/trainings", form); code != http.StatusForbidden {
		t.Errorf("creating for another neighborhood: %d, want 403", code)
	}
	if n := refused(t, h, m.ResidentID(), "training_create"); n != 1 {
		t.Errorf("refused creation recorded %d times, want 1", n)
	}
	form.Del("nbh")
	form.Del("csrf")
	if code, _ := b.do(http.MethodPost, "/trainings", form); code != http.StatusForbidden {
		t.Errorf("creating without the CSRF token: %d, want 403", code)
	}
	if n := refused(t, h, m.ResidentID(), "console_csrf"); n != 1 {
		t.Errorf("CSRF refusal recorded %d times, want 1", n)
	}
	if n := count(t, h, `SELECT count(*) FROM trainings WHERE title_fa = 'کارگاه نجاری'`); n != 0 {
		t.Fatalf("refused forms stored %d trainings", n)
	}

	// A cooperative admin without a staff role has no trainings pages.
	coop := h.Cooperative(own, "تعاونی آزمون آموزش")
	a := h.User(7802)
	a.Onboard("ششگلان")
	a.CoopAdmin(coop)
	ab := newBrowser(t, h)
	if page := ab.signIn(a.ConsoleLink()); strings.Contains(page, `href="/trainings"`) {
		t.Errorf("a cooperative admin's nav offers trainings")
	}
	if code, _ := ab.get("/trainings"); code != http.StatusForbidden {
		t.Errorf("trainings for a cooperative admin: %d, want 403", code)
	}
}

// An edit in the console tells the enrolled resident the new details, in their language,
// through the same notice as the chat's edit; cancelling asks first, then tells them too.
func TestTrainingEditAndCancelTellEnrollees(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	nbh := h.Neighborhood("باغمیشه")
	m := h.User(7901)
	m.Onboard("باغمیشه")
	m.Manager(nbh)
	r := h.User(7902).Speaks(coopbot.Azeri)
	r.Onboard("باغمیشه")
	tr := trPublish(t, h, nbh, "گلیم‌بافی", 10, 8)
	trSignUp(t, h, tr.ID, r.ResidentID())

	b := newBrowser(t, h)
	b.signIn(m.ConsoleLink())
	code, page := b.get(trPath(tr.ID, ""))
	if code != http.StatusOK || !strings.Contains(page, `id="enrollees"`) || !strings.Contains(page, trPath(tr.ID, "/edit")) {
		t.Fatalf("the training's page: %d\n%s", code, page)
	}
	code, page = b.get(trPath(tr.ID, "/edit"))
	if code != http.StatusOK || !strings.Contains(page, `value="گلیم‌بافی"`) || !strings.Contains(page, `value="۱۰:۰۰"`) {
		t.Fatalf("the edit form is not filled with the training: %d\n%s", code, page)
	}
	form := url.Values{"csrf": {b.csrf(page)}, "rev": {strconv.Itoa(tr.Rev)},
		"title_fa": {tr.TitleFa}, "title_az": {tr.TitleAz}, "desc_fa": {tr.DescriptionFa}, "desc_az": {tr.DescriptionAz},
		"venue": {"کانون فرهنگی باغمیشه"}, "address": {tr.VenueAddress},
		"date": {text.FaDigits(text.JalaliOf(tr.StartsAt).String())}, "time": {"۱۸:۰۰"}, "duration": {"۹۰"}, "capacity": {"۱۲"}}
	code, page = b.do(http.MethodPost, trPath(tr.ID, "/edit"), form)
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.trainings.saved")) {
		t.Fatalf("saving the edit: %d\n%s", code, page)
	}
	moved := *tr
	moved.StartsAt = text.JalaliOf(tr.StartsAt).At(18, 0)
	moved.VenueName = "کانون فرهنگی باغمیشه"
	r.Sees("training.notice.changed", "Title", moved.TitleAz, "Day", text.LongDate(moved.StartsAt, text.LangAz),
		"Time", text.Clock(moved.StartsAt), "Venue", moved.VenueName, "Address", moved.VenueAddress)
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'training_edit' AND allowed`, m.ResidentID()); n != 1 {
		t.Errorf("edit audited %d times, want 1", n)
	}
	// The same form again: made on the old revision, refused as in the chat.
	code, page = b.do(http.MethodPost, trPath(tr.ID, "/edit"), form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, b.text(coopbot.Persian, "trainings.edit.conflict")) {
		t.Errorf("an edit on an old revision: %d", code)
	}

	// Cancelling: first the question, and only the yes button cancels.
	code, page = b.do(http.MethodPost, trPath(tr.ID, "/cancel"), url.Values{"csrf": {b.csrf(page)}})
	if code != http.StatusOK || !strings.Contains(page, `id="cancel-yes"`) || !strings.Contains(page, b.text(coopbot.Persian, "trainings.cancel.yes")) {
		t.Fatalf("the cancel confirmation: %d\n%s", code, page)
	}
	if n := count(t, h, `SELECT count(*) FROM trainings WHERE id = $1 AND status = 'published'`, tr.ID); n != 1 {
		t.Fatal("the training was cancelled before it was confirmed")
	}
	code, page = b.do(http.MethodPost, trPath(tr.ID, "/cancel"), url.Values{"csrf": {b.csrf(page)}, "confirm": {"yes"}})
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.trainings.cancelled")) {
		t.Fatalf("cancelling: %d\n%s", code, page)
	}
	r.Sees("training.notice.cancelled", "Title", moved.TitleAz, "Day", text.LongDate(moved.StartsAt, text.LangAz), "Time", text.Clock(moved.StartsAt))
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'training_cancel' AND allowed`, m.ResidentID()); n != 1 {
		t.Errorf("cancel audited %d times, want 1", n)
	}
	if code, _ := b.get(trPath(tr.ID, "/edit")); code != http.StatusUnprocessableEntity {
		t.Errorf("editing a cancelled training: %d, want 422", code)
	}
}

// Once a training has started, staff mark who came: the mark is stored through the
// chat's method and audited; the page shows it and the wait-list by name.
func TestTrainingAttendanceSaved(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(8001)})
	nbh := h.Neighborhood("ولیعصر")
	s := h.User(8001)
	s.Onboard("ولیعصر")
	tr := trPublish(t, h, nbh, "کمک‌های اولیه", 1, 2)
	came, waiting := h.User(8002), h.User(8003)
	came.Onboard("ولیعصر")
	waiting.Onboard("ولیعصر")
	trSignUp(t, h, tr.ID, came.ResidentID())
	trSignUp(t, h, tr.ID, waiting.ResidentID())
	enrol := int64(count(t, h, `SELECT id::int FROM training_enrollments WHERE training_id = $1 AND resident_id = $2`, tr.ID, came.ResidentID()))
	if err := h.DB.SetPhone(context.Background(), came.ResidentID(), "+989121234567"); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, h)
	b.signIn(s.ConsoleLink())
	_, page := b.get(trPath(tr.ID, ""))
	if strings.Contains(page, `id="present-`) || !strings.Contains(page, `id="waitlist"`) {
		t.Fatalf("before the start: attendance buttons, or no wait-list:\n%s", page)
	}
	token := b.csrf(page)
	// Before the start the store refuses, as in the chat.
	if code, _ := b.do(http.MethodPost, trPath(tr.ID, "/attendance"), url.Values{"csrf": {token}, "enrollment": {strconv.FormatInt(enrol, 10)}, "came": {"1"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("attendance before the start: %d, want 422", code)
	}
	if _, err := h.DB.Pool.Exec(context.Background(), `UPDATE trainings SET starts_at = now() - interval '1 minute' WHERE id = $1`, tr.ID); err != nil {
		t.Fatal(err)
	}
	_, page = b.get(trPath(tr.ID, ""))
	if !strings.Contains(page, `id="present-`+strconv.FormatInt(enrol, 10)+`"`) {
		t.Fatalf("after the start: no attendance buttons:\n%s", page)
	}
	code, page := b.do(http.MethodPost, trPath(tr.ID, "/attendance"), url.Values{"csrf": {token}, "enrollment": {strconv.FormatInt(enrol, 10)}, "came": {"1"}})
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.trainings.marked")) ||
		!strings.Contains(page, b.text(coopbot.Persian, "trainings.attendance.summary", "Present", "۱", "Absent", "۰", "Unmarked", "۰")) {
		t.Fatalf("marking present: %d\n%s", code, page)
	}
	if n := count(t, h, `SELECT count(*) FROM training_enrollments WHERE id = $1 AND attended`, enrol); n != 1 {
		t.Fatal("attendance not stored")
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'training_attendance' AND allowed`, s.ResidentID()); n != 1 {
		t.Errorf("attendance audited %d times, want 1", n)
	}
	// Without the token: refused, nothing changed.
	if code, _ := b.do(http.MethodPost, trPath(tr.ID, "/attendance"), url.Values{"enrollment": {strconv.FormatInt(enrol, 10)}, "came": {"0"}}); code != http.StatusForbidden {
		t.Errorf("attendance without the CSRF token: %d, want 403", code)
	}
	if n := count(t, h, `SELECT count(*) FROM training_enrollments WHERE id = $1 AND attended`, enrol); n != 1 {
		t.Fatal("a form without its token changed the attendance")
	}
	// The page names the enrollees without their phones, as the chat's list does; the
	// spreadsheet, as the chat's, has the phone and the attendance.
	if strings.Contains(page, "0912") || strings.Contains(page, "۰۹۱۲") || strings.Contains(page, "9121234567") {
		t.Errorf("the training's page shows a phone number")
	}
	code, csv := b.get(trPath(tr.ID, "/export?format=csv"))
	if code != http.StatusOK || !strings.Contains(csv, b.text(coopbot.Persian, "trainings.csv.phone")) ||
		!strings.Contains(csv, "0912 123 4567") || !strings.Contains(csv, b.text(coopbot.Persian, "trainings.csv.present")) {
		t.Errorf("the CSV export: %d\n%s", code, csv)
	}
	if code, _ := b.get(trPath(tr.ID, "/export?format=pdf")); code != http.StatusBadRequest {
		t.Errorf("an unknown export format: %d, want 400", code)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'training_export' AND allowed`, s.ResidentID()); n != 1 {
		t.Errorf("the export audited %d times, want 1", n)
	}
	// The wait-listed resident has no seat: no attendance for them.
	other := int64(count(t, h, `SELECT id::int FROM training_enrollments WHERE training_id = $1 AND resident_id = $2`, tr.ID, waiting.ResidentID()))
	if code, _ := b.do(http.MethodPost, trPath(tr.ID, "/attendance"), url.Values{"csrf": {token}, "enrollment": {strconv.FormatInt(other, 10)}, "came": {"1"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("attendance of a wait-listed resident: %d, want 422", code)
	}
}
