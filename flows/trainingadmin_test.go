package flows_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// trDraft is what a staff member types into the training form, up to who it is for.
type trDraft struct {
	title        string
	neighborhood string // "" for a neighborhood manager, who is not asked
	day          text.JalaliDate
	clock        string
}

// trFillForm opens the staff trainings and types a new training up to its capacity; the
// form then asks who it is for.
func trFillForm(t *testing.T, u *chattest.User, d trDraft) {
	t.Helper()
	u.Press("trainings.menu")
	u.Sees("trainings.list.title")
	u.Press("trainings.new.button")
	u.Sees("trainings.form.title_fa")
	u.Send(d.title)
	u.Sees("trainings.form.title_az")
	u.Send(d.title + " (تۆرکجه)")
	u.Sees("trainings.form.desc_fa")
	u.Send("شرح " + d.title)
	u.Sees("trainings.form.desc_az")
	u.Send(d.title + " حاقیندا")
	u.Sees("trainings.form.venue")
	u.Send("مسجد جامع محله")
	u.Sees("trainings.form.address")
	u.Send("خیابان اصلی، کوچهٔ ۳")
	if d.neighborhood != "" {
		u.Sees("trainings.form.neighborhood")
		u.Send(d.neighborhood)
	}
	u.Sees("trainings.form.date", "Example", text.JalaliOf(time.Now().AddDate(0, 0, 7)).Fa())
	u.Send(text.FaDigits(d.day.String()))
	u.Sees("trainings.form.time")
	u.Send(d.clock)
	u.Sees("trainings.form.duration")
	u.Send("۹۰ دقیقه")
	u.Sees("trainings.form.capacity")
	u.Send("۲۰ نفر")
}

// trByTitle returns the stored training with this Persian title.
func trByTitle(t *testing.T, h *chattest.Harness, title string) *coopbot.Training {
	t.Helper()
	list, _, err := h.DB.StaffTrainings(context.Background(), 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range list {
		if list[i].TitleFa == title {
			return &list[i]
		}
	}
	t.Fatalf("no training %q", title)
	return nil
}

// TestTrainingAudienceInBothLanguages: who a training is for is asked in Persian and then
// in Azeri, like its title; residents read it in their language (the demo trainings too);
// a note written before in Persian only is flagged on the staff card and its Azeri text is
// asked before the next save.
func TestTrainingAudienceInBothLanguages(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 6101)
	ctx := context.Background()
	s := h.User(6101)
	s.Onboard("سرخاب")
	trFillForm(t, s, trDraft{title: "قالی‌بافی برای بانوان", neighborhood: "سرخاب", day: text.JalaliOf(time.Now().AddDate(0, 0, 9)), clock: "۱۰:۰۰"})
	s.Sees("trainings.form.audience")
	s.Send("بانوان سرپرست خانوار")
	s.Sees("trainings.form.audience_az")
	s.Send("عاییله باشچیسی اولان خانیملار")
	review := s.Sees("trainings.review.title")
	for _, want := range []string{
		s.Text("trainings.review.audience", "Value", "بانوان سرپرست خانوار"),
		s.Text("trainings.review.audience_az", "Value", "عاییله باشچیسی اولان خانیملار"),
	} {
		if !strings.Contains(review.Text, want) {
			t.Fatalf("review lacks %q:\n%s", want, review.Text)
		}
	}
	s.Press("trainings.review.publish")
	s.Sees("menu.title")
	tr := trByTitle(t, h, "قالی‌بافی برای بانوان")
	if tr.AudienceFa != "بانوان سرپرست خانوار" || tr.AudienceAz != "عاییله باشچیسی اولان خانیملار" {
		t.Fatalf("stored audience %q / %q", tr.AudienceFa, tr.AudienceAz)
	}

	// Each resident reads it in their own language.
	az := h.User(6102).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	az.Press("training.menu")
	az.Sees("training.list.title")
	pressTraining(t, az, tr.TitleAz)
	if m := az.Sees("training.detail.audience", "Audience", "عاییله باشچیسی اولان خانیملار"); strings.Contains(m.Text, "بانوان سرپرست خانوار") {
		t.Fatalf("an Azeri resident is shown the Persian note:\n%s", m.Text)
	}
	fa := h.User(6103)
	fa.Onboard("سرخاب")
	fa.Press("training.menu")
	fa.Sees("training.list.title")
	pressTraining(t, fa, tr.TitleFa)
	fa.Sees("training.detail.audience", "Audience", "بانوان سرپرست خانوار")

	// The demo training of Sorkhab says in Azeri who it is for.
	az.Send("/menu")
	az.Sees("menu.title")
	az.Press("training.menu")
	az.Sees("training.list.title")
	pressTraining(t, az, "محله تعاونیسی قورماغا گیریش")
	az.Sees("training.detail.audience", "Audience", "سورخاب و یاخین محله‌لرین ساکینلری")

	// From the review: "for everyone" removes both texts; a new Persian note asks for
	// the Azeri one again.
	trFillForm(t, s, trDraft{title: "نان‌پزی خانگی", neighborhood: "سرخاب", day: text.JalaliOf(time.Now().AddDate(0, 0, 9)), clock: "۱۶:۰۰"})
	s.Sees("trainings.form.audience")
	s.Send("نوجوانان")
	s.Sees("trainings.form.audience_az")
	s.Send("یئنی یئتمه‌لر")
	s.Sees("trainings.review.title")
	s.Press("trainings.field.audience")
	s.Sees("trainings.form.current", "Value", "نوجوانان")
	s.Press("trainings.form.skip")
	if m := s.Sees("trainings.review.title"); strings.Contains(m.Text, "یئنی یئتمه‌لر") || slices.Contains(s.Buttons(), s.Text("trainings.field.audience_az")) {
		t.Fatalf("the Azeri note stayed after 'for everyone':\n%s\n%q", m.Text, s.Buttons())
	}
	s.Press("trainings.field.audience")
	s.Send("جوانان")
	s.Sees("trainings.form.audience_az")
	s.Send("گنجلر")
	s.Sees("trainings.review.audience_az", "Value", "گنجلر")
	s.Press("trainings.review.publish")
	s.Sees("menu.title")

	// A note of before, in Persian only: the card says so, and saving asks for Azeri.
	old := trNew(t, h, "سرخاب", "خیاطی پیشرفته", 10, 6)
	if _, err := h.DB.Pool.Exec(ctx, `UPDATE trainings SET audience_fa = 'خیاطان با تجربه' WHERE id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, old.TitleFa)
	s.Sees("trainings.manage.audience_az_missing", "Edit", s.Text("trainings.manage.edit"))
	az.Send("/menu")
	az.Sees("menu.title")
	az.Press("training.menu")
	az.Sees("training.list.title")
	pressTraining(t, az, old.TitleAz)
	az.Sees("training.detail.audience", "Audience", "خیاطان با تجربه") // rather than nothing
	s.Press("trainings.manage.edit")
	s.Sees("trainings.review.title")
	s.Press("trainings.review.save")
	s.Sees("trainings.form.audience_az")
	s.Send("تجروبه‌لی درزیلر")
	s.Sees("trainings.review.title")
	s.Press("trainings.review.save")
	s.Sees("trainings.edit.saved", "Count", "۰")
	if got, err := h.DB.Training(ctx, old.ID); err != nil || got.AudienceAz != "تجروبه‌لی درزیلر" {
		t.Fatalf("after the save: %+v, %v", got, err)
	}
}

// TestTrainingCancelIsUnmistakable: cancelling a training reads as cancelling the
// training, and leaving the screen as leaving it: the confirmation says that only its yes
// button cancels; leaving with the main-menu button, No or Back cancels nothing and tells
// nobody; No goes back to the card and Back from there does not return to the question.
// In both languages.
func TestTrainingCancelIsUnmistakable(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 6201, 6202)
	ctx := context.Background()
	tr := trNew(t, h, "سرخاب", "گلدوزی سنتی", 5, 4)
	r := h.User(6203)
	r.Onboard("سرخاب")
	if _, err := h.DB.SignUp(ctx, tr.ID, trResidentID(t, h, r)); err != nil {
		t.Fatal(err)
	}
	openCancel := func(u *chattest.User, l coopbot.Lang) {
		t.Helper()
		u.Press("trainings.menu")
		u.Sees("trainings.list.title")
		pressTraining(t, u, tr.Title(l))
		u.Sees("trainings.manage.seats", "Taken", "۱", "Capacity", "۵", "Waiting", "۰")
		u.Press("trainings.manage.cancel")
		m := u.Sees("trainings.cancel.confirm", append(trData(tr, l), "Count", "۱")...)
		how := u.Text("trainings.cancel.how", "Yes", u.Text("trainings.cancel.yes"), "No", u.Text("trainings.cancel.no"),
			"Back", u.Text("common.back"), "Leave", u.Text("common.cancel"))
		if !strings.Contains(m.Text, how) {
			t.Fatalf("the confirmation does not say what each button does:\n%s", m.Text)
		}
		want := []string{u.Text("trainings.cancel.yes"), u.Text("trainings.cancel.no"), u.Text("common.back"), u.Text("common.cancel")}
		if got := u.Buttons(); !slices.Equal(got, want) {
			t.Fatalf("confirmation buttons %q, want %q", got, want)
		}
	}
	stillOn := func() {
		t.Helper()
		h.Idle()
		got, err := h.DB.Training(ctx, tr.ID)
		if err != nil || got.Status != coopbot.TrainingPublished {
			t.Fatalf("the training after leaving: %+v, %v", got, err)
		}
		var told int
		if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'notify' AND args->'notice'->>'kind' = 'training_cancelled'`).Scan(&told); err != nil || told != 0 {
			t.Fatalf("cancellation notices queued: %d, %v", told, err)
		}
	}

	s := h.User(6201)
	s.Onboard("سرخاب")
	openCancel(s, coopbot.Persian)
	s.Press("common.cancel") // leaving the screen
	s.Sees("conv.cancelled")
	s.Sees("menu.title")
	stillOn()

	openCancel(s, coopbot.Persian)
	s.Press("trainings.cancel.no")
	s.Sees("trainings.manage.seats", "Taken", "۱", "Capacity", "۵", "Waiting", "۰")
	s.Press("common.back")
	s.Sees("trainings.list.title") // not the cancel question again
	stillOn()

	// An Azeri staff member sees the same in Azeri, and cancels.
	a := h.User(6202).Speaks(coopbot.Azeri)
	a.Onboard("سرخاب")
	openCancel(a, coopbot.Azeri)
	a.Press("common.back")
	a.Sees("trainings.manage.seats", "Taken", "۱", "Capacity", "۵", "Waiting", "۰")
	stillOn()
	a.Press("trainings.manage.cancel")
	a.Sees("trainings.cancel.confirm", append(trData(tr, coopbot.Azeri), "Count", "۱")...)
	a.Press("trainings.cancel.yes")
	a.Sees("trainings.cancel.done", append(trData(tr, coopbot.Azeri), "Count", "۱")...)
	trSeesAny(t, r, "training.notice.cancelled", trData(tr, coopbot.Persian)...)
}

// TestTrainingNumbersFitTheQuestion: a duration or a capacity that cannot be read gets an
// answer with examples of a duration or of a capacity, not of any number; durations are
// taken in minutes or hours as people write them.
func TestTrainingNumbersFitTheQuestion(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 6301)
	s := h.User(6301)
	s.Onboard("سرخاب")
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	s.Press("trainings.new.button")
	for _, step := range []struct{ question, answer string }{
		{"trainings.form.title_fa", "مرغداری خانگی"}, {"trainings.form.title_az", "ائوده تویوق ساخلاماق"},
		{"trainings.form.desc_fa", "نگهداری و تغذیه"}, {"trainings.form.desc_az", "ساخلاماق و یئملمک"},
		{"trainings.form.venue", "کانون محله"}, {"trainings.form.address", "کوچهٔ باغ"}, {"trainings.form.neighborhood", "سرخاب"},
	} {
		s.Sees(step.question)
		s.Send(step.answer)
	}
	s.Sees("trainings.form.date", "Example", text.JalaliOf(time.Now().AddDate(0, 0, 7)).Fa())
	s.Send(text.JalaliOf(time.Now().AddDate(0, 0, 5)).String())
	s.Sees("trainings.form.time")
	s.Send("۱۷:۰۰")
	s.Sees("trainings.form.duration")
	generic := s.Text(string(text.NumberInvalid))
	for _, typed := range []string{"حدود یک ساعت", "۱.۵", "-30"} {
		s.Send(typed)
		if m := s.Sees(string(text.DurationInvalid)); strings.Contains(m.Text, generic) {
			t.Fatalf("%q: the answer gives examples of any number:\n%s", typed, m.Text)
		}
	}
	for _, typed := range []string{"5", "۱۳ ساعت", "۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹ دقیقه"} {
		s.Send(typed)
		s.Sees("trainings.form.duration_range", "Min", "۱۰", "Max", "۱۲")
	}
	s.Send("یک ساعت و نیم")
	s.Sees("trainings.form.capacity")
	s.Press("common.back")
	s.Sees("trainings.form.current_minutes", "Minutes", "۹۰")
	s.Send("۱.۵ ساعت")
	s.Sees("trainings.form.capacity")
	s.Send("بیست‌وپنج")
	if m := s.Sees("trainings.form.capacity_invalid"); strings.Contains(m.Text, generic) {
		t.Fatalf("capacity: the answer gives examples of any number:\n%s", m.Text)
	}
	s.Send("۲۰۰۰۰")
	s.Sees("trainings.form.capacity_range", "Max", "۱۰٬۰۰۰")
	s.Send("۰")
	s.Sees("trainings.form.capacity_positive")
	s.Send("۲۵ نفر")
	s.Sees("trainings.form.audience")
	s.Press("trainings.form.skip")
	m := s.Sees("trainings.review.title")
	for _, want := range []string{s.Text("trainings.review.duration", "Value", "۹۰"), s.Text("trainings.review.capacity", "Value", "۲۵")} {
		if !strings.Contains(m.Text, want) {
			t.Fatalf("review lacks %q:\n%s", want, m.Text)
		}
	}
	// An edit of the duration in hours, from the review.
	s.Press("trainings.field.duration")
	s.Send("دو ساعت")
	s.Sees("trainings.review.duration", "Value", "۱۲۰")
	s.Press("trainings.review.publish")
	s.Sees("menu.title")
	if tr := trByTitle(t, h, "مرغداری خانگی"); tr.Duration != 2*time.Hour || tr.Capacity != 25 {
		t.Fatalf("stored %v, %d seats", tr.Duration, tr.Capacity)
	}
}

// TestTrainingGregorianDate: a Gregorian date typed by staff (2026-11-25, 25/11/2026) is
// converted and shown back as the Jalali day to confirm before going on; another date may
// be typed at the confirmation, and Back returns to it.
func TestTrainingGregorianDate(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 6401)
	s := h.User(6401)
	s.Onboard("سرخاب")
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	s.Press("trainings.new.button")
	for _, step := range []struct{ question, answer string }{
		{"trainings.form.title_fa", "زنبورداری"}, {"trainings.form.title_az", "آری‌چیلیق"},
		{"trainings.form.desc_fa", "کندو و عسل"}, {"trainings.form.desc_az", "پتک و بال"},
		{"trainings.form.venue", "سرای محله"}, {"trainings.form.address", "میدان اصلی"}, {"trainings.form.neighborhood", "سرخاب"},
	} {
		s.Sees(step.question)
		s.Send(step.answer)
	}
	s.Sees("trainings.form.date", "Example", text.JalaliOf(time.Now().AddDate(0, 0, 7)).Fa())
	first := time.Now().In(text.Tehran).AddDate(0, 0, 20)
	typed := first.Format("2006-01-02")
	s.Send(typed)
	day := text.LongDate(first, text.LangFa)
	s.Sees("trainings.form.date_gregorian", "Typed", text.Isolate(typed), "Day", day)
	// Another date, day first as in Iran, typed at the confirmation.
	second := first.AddDate(0, 0, 3)
	typed = second.Format("02/01/2006")
	s.Send(typed)
	day = text.LongDate(second, text.LangFa)
	s.Sees("trainings.form.date_gregorian", "Typed", text.Isolate(typed), "Day", day)
	s.Press("trainings.form.date_gregorian_yes", "Day", day)
	s.Sees("trainings.form.time")
	s.Press("common.back")
	s.Sees("trainings.form.date_gregorian", "Typed", text.Isolate(typed), "Day", day)
	s.Press("trainings.form.date_gregorian_yes", "Day", day)
	s.Sees("trainings.form.time")
	s.Send("۹:۰۰")
	s.Sees("trainings.form.duration")
	s.Send("۶۰")
	s.Sees("trainings.form.capacity")
	s.Send("۱۰")
	s.Sees("trainings.form.audience")
	s.Press("trainings.form.skip")
	s.Sees("trainings.review.date", "Value", day)
	s.Press("trainings.review.publish")
	start := text.JalaliOf(second).At(9, 0)
	s.Sees("trainings.new.published", "Title", "زنبورداری", "Day", text.LongDate(start, text.LangFa), "Time", "۰۹:۰۰")
	if tr := trByTitle(t, h, "زنبورداری"); !tr.StartsAt.Equal(start) {
		t.Fatalf("stored start %v, want %v", tr.StartsAt, start)
	}
}

// TestTrainingEnrolleesByRealName: the enrollee list, the CSV export and the attendance
// buttons name people by the full name of their membership request, when they made one,
// rather than by their messenger's display name.
func TestTrainingEnrolleesByRealName(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 6501)
	ctx := context.Background()
	tr := trNew(t, h, "سرخاب", "صابون‌سازی", 5, 3)
	joined, other := h.User(6502), h.User(6503)
	joined.Onboard("سرخاب")
	other.Onboard("سرخاب")
	coops, err := h.DB.JoinCooperatives(ctx)
	if err != nil || len(coops) == 0 {
		t.Fatalf("cooperatives: %v, %v", coops, err)
	}
	if _, _, err := h.DB.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: coops[0].ID, ResidentID: trResidentID(t, h, joined),
		FullName: "مریم احمدی", NationalID: "0013542419", Phone: "+989141234567", Share: coops[0].MinShare, Skills: []string{"cooking"}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*chattest.User{joined, other} {
		if _, err := h.DB.SignUp(ctx, tr.ID, trResidentID(t, h, u)); err != nil {
			t.Fatal(err)
		}
	}
	s := h.User(6501)
	s.Onboard("سرخاب")
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, tr.TitleFa)
	s.Press("trainings.manage.enrollees")
	m := s.Sees("trainings.enrollees.confirmed", "Count", "۲")
	if !strings.Contains(m.Text, "۱. "+text.Isolate("مریم احمدی")) || strings.Contains(m.Text, "User 6502") ||
		!strings.Contains(m.Text, "۲. "+text.Isolate("User 6503")) {
		t.Fatalf("enrollee list:\n%s", m.Text)
	}
	rows := trExport(t, s)
	if len(rows) != 3 || rows[1][1] != "مریم احمدی" || rows[2][1] != "User 6503" {
		t.Fatalf("csv names: %q", rows)
	}
	trMakeStarted(t, h, tr.ID)
	s.Send("/menu")
	s.Sees("menu.title")
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, tr.TitleFa)
	s.Press("trainings.manage.attendance")
	s.Sees("trainings.attendance.summary", "Present", "۰", "Absent", "۰", "Unmarked", "۲")
	s.PressLabel("⬜ مریم احمدی")
	s.Sees("trainings.attendance.summary", "Present", "۱", "Absent", "۰", "Unmarked", "۱")
}

// trExport presses the export button and returns the rows of the CSV file sent.
func trExport(t *testing.T, u *chattest.User) [][]string {
	t.Helper()
	n := len(u.E.Messages())
	u.Press("trainings.manage.export")
	_, doc := u.Export(n)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(doc.Data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestTrainingNoticesWordedWhenSent: notices about a training are worded when they are
// sent, from the training as it stands then, in the reader's language: edited twice and
// then cancelled before any was sent, the enrollees get the cancellation under the last
// title, and no word of the edits.
func TestTrainingNoticesWordedWhenSent(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(6601), NoJobs: true})
	ctx := context.Background()
	tr := trNew(t, h, "سرخاب", "چرم‌دوزی", 5, 4)
	fa, az := h.User(6602), h.User(6603).Speaks(coopbot.Azeri)
	fa.Onboard("سرخاب")
	az.Onboard("سرخاب")
	for _, u := range []*chattest.User{fa, az} {
		if _, err := h.DB.SignUp(ctx, tr.ID, trResidentID(t, h, u)); err != nil {
			t.Fatal(err)
		}
	}
	s := h.User(6601)
	s.Onboard("سرخاب")
	staff := trResidentID(t, h, s)
	tr.VenueName = "سرای محله"
	if _, err := h.DB.UpdateTraining(ctx, staff, tr); err != nil {
		t.Fatal(err)
	}
	tr.TitleFa, tr.TitleAz = "چرم‌دوزی مقدماتی", "ایلک دری تیکیشی"
	if _, err := h.DB.UpdateTraining(ctx, staff, tr); err != nil {
		t.Fatal(err)
	}
	if _, err := h.DB.CancelTraining(ctx, staff, tr.ID); err != nil {
		t.Fatal(err)
	}
	before := map[*chattest.User]int{fa: len(fa.E.Messages()), az: len(az.E.Messages())}
	h.StartJobs()
	trSeesAny(t, fa, "training.notice.cancelled", trData(tr, coopbot.Persian)...)
	trSeesAny(t, az, "training.notice.cancelled", trData(tr, coopbot.Azeri)...)
	fa.Quiet(300 * time.Millisecond)
	for u, n := range before {
		if got := len(u.E.Messages()) - n; got != 1 {
			t.Fatalf("user %d got %d messages, want only the cancellation: %+v", u.ID, got, u.E.Messages()[n:])
		}
	}
}
