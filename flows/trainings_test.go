package flows_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/postgres"
	"coopbot/text"

	"github.com/xuri/excelize/v2"
)

// trHarness starts the bot for a trainings test, with these users as staff.
func trHarness(t *testing.T, admins ...int64) *chattest.Harness {
	t.Helper()
	return chattest.New(t, chattest.Options{Admins: chattest.Staff(admins...)})
}

// trNbhID returns the id of the neighborhood with this Persian name.
func trNbhID(t *testing.T, h *chattest.Harness, name string) int64 {
	t.Helper()
	list, err := h.DB.Neighborhoods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range list {
		if n.NameFa == name {
			return n.ID
		}
	}
	t.Fatalf("no neighborhood %s", name)
	return 0
}

// trResidentID returns the resident id of a chat user.
func trResidentID(t *testing.T, h *chattest.Harness, u *chattest.User) int64 {
	t.Helper()
	p, err := h.DB.Profile(context.Background(), coopbot.UserRef{Platform: coopbot.Telegram, UserID: u.ID})
	if err != nil || p.ResidentID == 0 {
		t.Fatalf("profile of %d: %+v, %v", u.ID, p, err)
	}
	return p.ResidentID
}

// trNew publishes a training straight in the store, starting at 10:00 Tehran time
// days from today.
func trNew(t *testing.T, h *chattest.Harness, nbh string, title string, capacity, days int) *coopbot.Training {
	t.Helper()
	tr := &coopbot.Training{
		NeighborhoodID: trNbhID(t, h, nbh), TitleFa: title, TitleAz: title + " (تۆرکجه)",
		DescriptionFa: "شرح " + title, DescriptionAz: title + " حاقیندا",
		VenueName: "حسینیهٔ محله", VenueAddress: "کوچهٔ گلستان",
		StartsAt: text.JalaliOf(time.Now().AddDate(0, 0, days)).At(10, 0),
		Duration: 90 * time.Minute, Capacity: capacity,
	}
	if _, err := h.DB.CreateTraining(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// trData is what the bot fills training messages with, in lang.
func trData(tr *coopbot.Training, l coopbot.Lang) []any {
	return []any{"Title", tr.Title(l), "Day", text.LongDate(tr.StartsAt, text.Lang(l)), "Time", text.Clock(tr.StartsAt),
		"Venue", tr.VenueName, "Address", tr.VenueAddress, "Minutes", text.Number(int64(tr.Duration.Minutes()))}
}

// pressTraining presses the list button of the training with this title.
func pressTraining(t *testing.T, u *chattest.User, title string) {
	t.Helper()
	ms := u.E.Messages()
	for i := len(ms) - 1; i >= 0; i-- {
		for _, row := range ms[i].Inline {
			for _, b := range row {
				if strings.HasSuffix(b.Text, ". "+title) {
					u.PressLabel(b.Text)
					return
				}
			}
		}
	}
	t.Fatalf("user %d: no button for training %q", u.ID, title)
}

// trCount returns how many bot messages contain want.
func trCount(u *chattest.User, want string) int {
	n := 0
	for _, m := range u.E.Messages() {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// trSeesAny waits for a message containing message id, in any place of the chat: jobs
// deliver notices in no set order.
func trSeesAny(t *testing.T, u *chattest.User, id string, kv ...any) {
	t.Helper()
	want := u.Text(id, kv...)
	ctx, cancel := context.WithTimeout(context.Background(), chattest.Wait)
	defer cancel()
	if err := u.E.Wait(ctx, func(ms []emulator.Message) bool { return trCount(u, want) > 0 }); err != nil {
		t.Fatalf("user %d never got %q: %v", u.ID, want, err)
	}
}

// trJob is a reminder job as River holds it.
type trJob struct {
	id    int64
	at    time.Time
	state string
	kind  coopbot.NoticeKind
}

func trReminders(t *testing.T, h *chattest.Harness, resident int64) []trJob {
	t.Helper()
	rows, err := h.DB.Pool.Query(context.Background(), `SELECT id, scheduled_at, state, args FROM river_job
		WHERE kind = 'notify' AND args->>'check' = 'training_reminder' AND (args->>'resident_id')::bigint = $1
		ORDER BY scheduled_at, id`, resident)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []trJob
	for rows.Next() {
		var j trJob
		var raw []byte
		var args postgres.NotifyArgs
		if err := rows.Scan(&j.id, &j.at, &j.state, &raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &args); err != nil {
			t.Fatal(err)
		}
		j.kind = args.Notice.Kind
		out = append(out, j)
	}
	return out
}

// trRunNow makes scheduled jobs due now, as if the clock had reached them, and waits until
// River has worked them.
func trRunNow(t *testing.T, h *chattest.Harness, jobs ...trJob) {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, j := range jobs {
		ids = append(ids, j.id)
	}
	if _, err := h.DB.Pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now(), state = 'available' WHERE id = ANY($1) AND state = 'scheduled'`, ids); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(chattest.Wait)
	for {
		var left int
		if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE id = ANY($1) AND state <> 'completed'`, ids).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reminder jobs not worked", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// trMakeStarted moves a training's start a minute into the past.
func trMakeStarted(t *testing.T, h *chattest.Harness, id int64) {
	t.Helper()
	if _, err := h.DB.Pool.Exec(context.Background(), `UPDATE trainings SET starts_at = now() - interval '1 minute' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
}

// TestTrainingCreateSignUpRemind: a staff member creates a training in Persian (with wrong
// dates, a past time and impossible capacities on the way), an Azeri resident signs up,
// sees it under "my trainings", staff see the reminders scheduled, and the day-before
// reminder reaches the resident in Azeri.
func TestTrainingCreateSignUpRemind(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 5101)
	ctx := context.Background()
	s := h.User(5101)
	s.Onboard("سرخاب")

	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	s.Press("trainings.new.button")
	s.Sees("trainings.form.title_fa")
	s.E.SendSticker()
	s.Sees("input.text_expected")
	s.Send("بسته‌بندی و فروش ترشی خانگی")
	s.Sees("trainings.form.title_az")
	s.Send("ائو تورشوسونون قابلاشدیریلماسی")
	s.Sees("trainings.form.desc_fa")
	s.Send("بسته‌بندی بهداشتی و برچسب\nهمراه با نمونهٔ عملی")
	s.Sees("trainings.form.desc_az")
	s.Send("ساغلام قابلاشدیرما و اتیکت")
	s.Sees("trainings.form.venue")
	s.Send("سالن اجتماعات سرای محله")
	s.Sees("trainings.form.address")
	s.Send("حکم‌آباد، خیابان اصلی")
	s.Sees("trainings.form.neighborhood")
	s.Send("حکم آباد") // a space for the ZWNJ still finds it

	now := time.Now()
	today := text.JalaliOf(now)
	s.Sees("trainings.form.date", "Example", text.JalaliOf(now.AddDate(0, 0, 7)).Fa())
	s.Send(fmt.Sprintf("%d/07/31", today.Year+1)) // Mehr has 30 days
	s.Sees("input.date.invalid")
	s.Send(text.JalaliOf(now.AddDate(0, 0, -1)).String())
	s.Sees("trainings.form.date_past", "Today", today.Fa())
	s.Send(text.FaDigits(today.String()))
	s.Sees("trainings.form.time")
	s.Send("۰۰:۰۰") // today at midnight is past
	s.Sees("trainings.form.time_past", "Day", text.LongDate(today.At(0, 0), text.LangFa), "Time", "۰۰:۰۰")
	s.Send("25:10")
	s.Sees("input.time.invalid")
	s.Press("common.back")
	s.Sees("trainings.form.date", "Example", text.JalaliOf(now.AddDate(0, 0, 7)).Fa())
	day := text.JalaliOf(now.AddDate(0, 0, 10))
	s.Send(text.FaDigits(day.String()))
	s.Sees("trainings.form.time")
	s.Send("۱۶:۳۰")
	s.Sees("trainings.form.duration")
	s.Send("5")
	s.Sees("trainings.form.duration_range", "Min", "۱۰", "Max", "۱۲")
	s.Send("۹۰")
	s.Sees("trainings.form.capacity")
	s.Send("0")
	s.Sees("trainings.form.capacity_positive")
	s.Send("-5")
	s.Sees("trainings.form.capacity_positive")
	s.Send("۲۵")
	s.Sees("trainings.form.audience")
	s.Press("trainings.form.skip")

	start := day.At(16, 30)
	body := func(capacity string) string {
		return strings.Join([]string{
			s.Text("trainings.review.title_fa", "Value", "بسته‌بندی و فروش ترشی خانگی"),
			s.Text("trainings.review.title_az", "Value", "ائو تورشوسونون قابلاشدیریلماسی"),
			s.Text("trainings.review.desc_fa", "Value", "بسته‌بندی بهداشتی و برچسب\nهمراه با نمونهٔ عملی"),
			s.Text("trainings.review.desc_az", "Value", "ساغلام قابلاشدیرما و اتیکت"),
			s.Text("trainings.review.venue", "Value", "سالن اجتماعات سرای محله"),
			s.Text("trainings.review.address", "Value", "حکم‌آباد، خیابان اصلی"),
			s.Text("trainings.review.neighborhood", "Value", "حکم‌آباد"),
			s.Text("trainings.review.date", "Value", text.LongDate(start, text.LangFa)),
			s.Text("trainings.review.time", "Value", "۱۶:۳۰"),
			s.Text("trainings.review.duration", "Value", "۹۰"),
			s.Text("trainings.review.capacity", "Value", capacity),
			s.Text("trainings.review.audience", "Value", "—"),
		}, "\n")
	}
	if m := s.Sees("trainings.review.title"); !strings.Contains(m.Text, body("۲۵")) {
		t.Fatalf("review:\n%s\nwant:\n%s", m.Text, body("۲۵"))
	}
	s.Press("trainings.field.capacity")
	s.Sees("trainings.form.current", "Value", "۲۵")
	s.Send("۳۰")
	if m := s.Sees("trainings.review.title"); !strings.Contains(m.Text, body("۳۰")) {
		t.Fatalf("review after the change:\n%s", m.Text)
	}
	s.Press("trainings.review.publish")
	s.Sees("trainings.new.published", "Title", "بسته‌بندی و فروش ترشی خانگی", "Day", text.LongDate(start, text.LangFa), "Time", "۱۶:۳۰")
	s.Sees("menu.title")

	list, _, err := h.DB.StaffTrainings(ctx, 0, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(x coopbot.Training) bool {
		return x.TitleFa == "بسته‌بندی و فروش ترشی خانگی"
	})
	if i < 0 {
		t.Fatal("the training is not stored")
	}
	tr := &list[i]
	if !tr.StartsAt.Equal(start) || tr.Capacity != 30 || tr.Duration != 90*time.Minute || tr.NeighborhoodID != trNbhID(t, h, "حکم‌آباد") || tr.CreatedBy != trResidentID(t, h, s) {
		t.Fatalf("stored training = %+v", tr)
	}

	// An Azeri resident of Hokmabad finds it first in the catalogue and signs up.
	r := h.User(5102).Speaks(coopbot.Azeri)
	r.Onboard("حکم‌آباد")
	r.Press("training.menu")
	m := r.Sees("training.list.title")
	card := r.Text("training.card", append(trData(tr, coopbot.Azeri), "N", "۱", "Neighborhood", "حؤکم‌آباد")...)
	if !strings.Contains(m.Text, card) || !strings.Contains(m.Text, r.Text("training.seats.left", "Seats", "۳۰")) {
		t.Fatalf("catalogue:\n%s\nwant first:\n%s", m.Text, card)
	}
	pressTraining(t, r, tr.TitleAz)
	r.Sees("training.seats.left", "Seats", "۳۰")
	r.Press("training.signup.button")
	r.Sees("training.signup.confirmed", trData(tr, coopbot.Azeri)...)
	r.Sees("menu.title")
	r.Press("training.menu")
	r.Sees("training.list.title")
	r.Press("training.mine.button")
	if m := r.Sees("training.mine.item", append(trData(tr, coopbot.Azeri), "N", "۱")...); !strings.Contains(m.Text, r.Text("training.status.confirmed")) {
		t.Fatalf("my trainings:\n%s", m.Text)
	}

	// The reminders are jobs in Postgres, due the day before at 16:30 and at 14:30 Tehran.
	jobs := trReminders(t, h, trResidentID(t, h, r))
	if len(jobs) != 2 || !jobs[0].at.Equal(start.AddDate(0, 0, -1)) || !jobs[1].at.Equal(start.Add(-2*time.Hour)) ||
		jobs[0].kind != coopbot.NoticeTrainingReminderDay || jobs[1].state != "scheduled" {
		t.Fatalf("reminder jobs = %+v", jobs)
	}
	if got := text.Clock(jobs[0].at) + " " + text.JalaliOf(jobs[0].at).String(); got != "۱۶:۳۰ "+text.JalaliOf(start.AddDate(0, 0, -1)).String() {
		t.Fatalf("day-before reminder at %s", got)
	}
	// Staff see them under the enrollees.
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, tr.TitleFa)
	s.Sees("trainings.manage.seats", "Taken", "۱", "Capacity", "۳۰", "Waiting", "۰")
	s.Press("trainings.manage.enrollees")
	s.Sees("trainings.reminders.day", "Day", text.LongDate(jobs[0].at, text.LangFa), "Time", "۱۶:۳۰", "Pending", "۱", "Done", "۰")

	// The clock reaches the first reminder.
	trRunNow(t, h, jobs[0])
	r.Sees("training.reminder.day", trData(tr, coopbot.Azeri)...)
}

// TestTrainingManagerCreatesAzeri: a neighborhood manager writes in Azeri; the training is
// in their neighborhood without asking, and they cannot choose another one.
func TestTrainingManagerCreatesAzeri(t *testing.T) {
	t.Parallel()
	h := trHarness(t)
	ctx := context.Background()
	m := h.User(5201).Speaks(coopbot.Azeri)
	m.Onboard("ائل‌گلی")
	elguli := trNbhID(t, h, "ائل‌گلی")
	if _, err := h.DB.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`, trResidentID(t, h, m), elguli); err != nil {
		t.Fatal(err)
	}
	m.Send("/menu")
	m.Sees("menu.title")
	m.Press("trainings.menu")
	m.Sees("trainings.list.empty") // the demo trainings are in other neighborhoods
	m.Press("trainings.new.button")
	m.Sees("trainings.form.title_fa")
	m.Send("آشپزی سنتی آذربایجان")
	m.Sees("trainings.form.title_az")
	m.Send("آذربایجان سنتی آشپزلیغی")
	m.Sees("trainings.form.desc_fa")
	m.Send("دلمه، کوفتهٔ تبریزی و کته")
	m.Sees("trainings.form.desc_az")
	m.Send("دولما، تبریز کۆفته‌سی\nو کته")
	m.Sees("trainings.form.venue")
	m.Send("مسجد محله")
	m.Sees("trainings.form.address")
	m.Send("ائل‌گلی، خیابان اصلی")
	m.Sees("trainings.form.date", "Example", text.JalaliOf(time.Now().AddDate(0, 0, 7)).Fa())
	m.Send("1405/13/01")
	m.Sees("input.date.invalid")
	when := time.Now().AddDate(0, 0, 12)
	m.Send(text.LongDate(when, text.LangAz)) // as the bot writes dates in Azeri
	m.Sees("trainings.form.time")
	m.Send("ساعات ۹:۳۰")
	m.Sees("trainings.form.duration")
	m.Send("۶۰")
	m.Sees("trainings.form.capacity")
	m.Send("۰")
	m.Sees("trainings.form.capacity_positive")
	m.Send("۱۵")
	m.Sees("trainings.form.audience")
	m.Send("بانوان جوان")
	m.Sees("trainings.form.audience_az")
	m.Send("گنج خانیملار")
	review := m.Sees("trainings.review.title")
	if slices.Contains(m.Buttons(), m.Text("trainings.field.neighborhood")) {
		t.Fatalf("a manager is offered another neighborhood: %q", m.Buttons())
	}
	if !strings.Contains(review.Text, "ائل‌گؤلو") {
		t.Fatalf("review does not name the manager's neighborhood:\n%s", review.Text)
	}
	// A forged press asking to change the neighborhood (the seventh field) is refused.
	data := review.Inline[0][0].Data
	m.E.PressData(review.ID, data[:strings.LastIndex(data[:strings.LastIndex(data, ":")], ":")+1]+"e:6")
	m.Sees("training.invalid")
	m.Press("trainings.review.publish")
	start := text.JalaliOf(when).At(9, 30)
	m.Sees("trainings.new.published", "Title", "آذربایجان سنتی آشپزلیغی", "Day", text.LongDate(start, text.LangAz), "Time", "۰۹:۳۰")

	list, _, err := h.DB.StaffTrainings(ctx, elguli, 0, 10)
	if err != nil || len(list) != 1 || list[0].NeighborhoodID != elguli || !list[0].StartsAt.Equal(start) ||
		list[0].AudienceFa != "بانوان جوان" || list[0].AudienceAz != "گنج خانیملار" {
		t.Fatalf("manager's trainings = %+v, %v", list, err)
	}
}

// TestTrainingSignUpWaitListCancel: sign-up in both languages, a double press through the
// chat, the wait-list, and a cancellation that confirms the first on the wait-list.
func TestTrainingSignUpWaitListCancel(t *testing.T) {
	t.Parallel()
	h := trHarness(t)
	ctx := context.Background()
	tr := trNew(t, h, "ششگلان", "سفالگری برای نوجوانان", 2, 5)

	a := h.User(5301)
	a.Onboard("ششگلان")
	a.Press("training.menu")
	list := a.Sees("training.list.title")
	own, other := strings.Index(list.Text, tr.TitleFa), strings.Index(list.Text, "آشنایی با تشکیل تعاونی محلی")
	if own < 0 || other < 0 || own > other {
		t.Fatalf("own neighborhood's training is not first:\n%s", list.Text)
	}
	pressTraining(t, a, tr.TitleFa)
	a.Sees("training.seats.left", "Seats", "۲")
	a.Press("training.signup.button")
	a.Sees("training.signup.confirmed", trData(tr, coopbot.Persian)...)
	a.Sees("menu.title")

	// A resident from elsewhere presses the sign-up button twice on the same message.
	b := h.User(5302)
	b.Onboard("سرخاب")
	b.Press("training.menu")
	b.Sees("training.list.title")
	pressTraining(t, b, tr.TitleFa)
	detail := b.Sees("training.seats.left", "Seats", "۱")
	label := b.Text("training.signup.button")
	if err := b.E.PressOn(detail.ID, label); err != nil {
		t.Fatal(err)
	}
	if err := b.E.PressOn(detail.ID, label); err != nil {
		t.Fatal(err)
	}
	b.Sees("training.signup.confirmed", trData(tr, coopbot.Persian)...)
	b.Sees("menu.title")
	h.Idle()
	var n int
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM training_enrollments WHERE resident_id = $1`, trResidentID(t, h, b)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("enrolments after a double press: %d, %v", n, err)
	}
	if c := trCount(b, b.Text("training.signup.confirmed", trData(tr, coopbot.Persian)...)); c != 1 {
		t.Fatalf("%d confirmations after a double press", c)
	}
	if toasts := b.E.Toasts(); len(toasts) == 0 || toasts[len(toasts)-1] != b.Text("conv.stale") {
		t.Fatalf("toasts = %q", toasts)
	}

	// Full now: an Azeri resident goes on the wait-list; asking again says so.
	c := h.User(5303).Speaks(coopbot.Azeri)
	c.Onboard("ششگلان")
	c.Press("training.menu")
	c.Sees("training.list.title")
	pressTraining(t, c, tr.TitleAz)
	c.Sees("training.seats.full", "Waiting", "۰")
	c.Press("training.signup.waitlist_button")
	c.Sees("training.signup.waitlisted", append(trData(tr, coopbot.Azeri), "Position", "۱")...)
	c.Sees("menu.title")
	c.Press("training.menu")
	c.Sees("training.list.title")
	pressTraining(t, c, tr.TitleAz)
	c.Sees("training.detail.waitlisted", "Position", "۱")
	if slices.Contains(c.Buttons(), c.Text("training.signup.waitlist_button")) {
		t.Fatalf("wait-listed resident offered to sign up again: %q", c.Buttons())
	}
	c.Send("/menu")
	c.Sees("menu.title")
	if jobs := trReminders(t, h, trResidentID(t, h, c)); len(jobs) != 0 {
		t.Fatalf("reminders for a wait-listed resident: %+v", jobs)
	}

	// The first resident cancels from "my trainings": the wait-listed one gets the seat and
	// is told in Azeri.
	a.Press("training.menu")
	a.Sees("training.list.title")
	a.Press("training.mine.button")
	a.Sees("training.status.confirmed")
	pressTraining(t, a, tr.TitleFa)
	a.Sees("training.detail.confirmed")
	a.Press("training.cancel.button")
	a.Sees("training.cancel.confirm", trData(tr, coopbot.Persian)...)
	a.Press("training.cancel.no")
	a.Sees("training.detail.confirmed")
	a.Press("training.cancel.button")
	a.Sees("training.cancel.confirm", trData(tr, coopbot.Persian)...)
	a.Press("training.cancel.yes")
	a.Sees("training.cancel.done", "Title", tr.TitleFa)
	a.Sees("menu.title")
	c.Sees("training.notice.promoted", trData(tr, coopbot.Azeri)...)
	c.Press("training.menu")
	c.Sees("training.list.title")
	c.Press("training.mine.button")
	c.Sees("training.status.confirmed")
	if jobs := trReminders(t, h, trResidentID(t, h, c)); len(jobs) != 2 {
		t.Fatalf("reminders after moving up: %+v", jobs)
	}
	a.Press("training.menu")
	a.Sees("training.list.title")
	a.Press("training.mine.button")
	a.Sees("training.mine.empty")
}

// TestTrainingClosedWhenStarted: once the start time passes, sign-up is refused even from
// details opened before, and the catalogue no longer lists the training.
func TestTrainingClosedWhenStarted(t *testing.T) {
	t.Parallel()
	h := trHarness(t)
	tr := trNew(t, h, "نوبر", "نگهداری گلخانهٔ خانگی", 10, 1)
	r := h.User(5401)
	r.Onboard("نوبر")
	r.Press("training.menu")
	r.Sees("training.list.title")
	pressTraining(t, r, tr.TitleFa)
	r.Sees("training.seats.left", "Seats", "۱۰")
	trMakeStarted(t, h, tr.ID)
	r.Press("training.signup.button")
	if m := r.Sees("training.signup.closed"); !strings.Contains(m.Text, r.Text("training.detail.closed")) {
		t.Fatalf("details after the refusal:\n%s", m.Text)
	}
	if slices.Contains(r.Buttons(), r.Text("training.signup.button")) {
		t.Fatalf("started training still offers sign-up: %q", r.Buttons())
	}
	r.Send("/menu")
	r.Sees("menu.title")
	r.Press("training.menu")
	if m := r.Sees("training.list.title"); strings.Contains(m.Text, tr.TitleFa) {
		t.Fatalf("started training still listed:\n%s", m.Text)
	}
}

// TestTrainingEditAndCancel: staff move a training and enlarge it (enrollees are told,
// the wait-listed one moves up, reminders follow the new time and the old ones stay
// silent), then cancel it (enrollees told, no reminder afterwards).
func TestTrainingEditAndCancel(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 5501)
	ctx := context.Background()
	tr := trNew(t, h, "سرخاب", "خیاطی مقدماتی", 1, 4)
	r1 := h.User(5502)
	r1.Onboard("سرخاب")
	r2 := h.User(5503).Speaks(coopbot.Azeri)
	r2.Onboard("سرخاب")
	id1, id2 := trResidentID(t, h, r1), trResidentID(t, h, r2)
	for _, id := range []int64{id1, id2} {
		if _, err := h.DB.SignUp(ctx, tr.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	old := trReminders(t, h, id1)

	s := h.User(5501)
	s.Onboard("ولیعصر")
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, tr.TitleFa)
	s.Sees("trainings.manage.seats", "Taken", "۱", "Capacity", "۱", "Waiting", "۱")
	s.Press("trainings.manage.edit")
	s.Sees("trainings.review.title")
	s.Press("trainings.field.time")
	s.Sees("trainings.form.current", "Value", "۱۰:۰۰")
	s.Send("18")
	s.Sees("trainings.review.title")
	s.Press("trainings.field.capacity")
	s.Sees("trainings.form.capacity")
	s.Send("۲")
	s.Sees("trainings.review.title")
	s.Press("trainings.review.save")
	s.Sees("trainings.edit.saved", "Count", "۲")
	s.Sees("menu.title")

	moved := *tr
	moved.StartsAt = tr.StartsAt.Add(8 * time.Hour)
	trSeesAny(t, r1, "training.notice.changed", trData(&moved, coopbot.Persian)...)
	trSeesAny(t, r2, "training.notice.changed", trData(&moved, coopbot.Azeri)...)
	trSeesAny(t, r2, "training.notice.promoted", trData(&moved, coopbot.Azeri)...)

	all := trReminders(t, h, id1)
	if len(all) != 4 {
		t.Fatalf("reminders after the move: %+v", all)
	}
	var fresh []trJob
	for _, j := range all {
		if !slices.ContainsFunc(old, func(o trJob) bool { return o.id == j.id }) {
			fresh = append(fresh, j)
		}
	}
	if len(fresh) != 2 || !fresh[0].at.Equal(moved.StartsAt.AddDate(0, 0, -1)) || !fresh[1].at.Equal(moved.StartsAt.Add(-2*time.Hour)) {
		t.Fatalf("new reminders = %+v", fresh)
	}
	trRunNow(t, h, all...)
	for _, id := range []string{"training.reminder.day", "training.reminder.hours"} {
		if n := trCount(r1, r1.Text(id, trData(&moved, coopbot.Persian)...)); n != 1 {
			t.Fatalf("%d %s for the new time, want 1", n, id)
		}
		if n := trCount(r1, r1.Text(id, trData(tr, coopbot.Persian)...)); n != 0 {
			t.Fatalf("%s for the old time was sent", id)
		}
	}

	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, tr.TitleFa)
	s.Sees("trainings.manage.seats", "Taken", "۲", "Capacity", "۲", "Waiting", "۰")
	s.Press("trainings.manage.cancel")
	s.Sees("trainings.cancel.confirm", append(trData(&moved, coopbot.Persian), "Count", "۲")...)
	s.Press("trainings.cancel.yes")
	s.Sees("trainings.cancel.done", append(trData(&moved, coopbot.Persian), "Count", "۲")...)
	trSeesAny(t, r1, "training.notice.cancelled", trData(&moved, coopbot.Persian)...)
	trSeesAny(t, r2, "training.notice.cancelled", trData(&moved, coopbot.Azeri)...)

	// "My trainings" says the office cancelled it.
	r1.Press("training.menu")
	r1.Sees("training.list.title")
	r1.Press("training.mine.button")
	if m := r1.Sees("training.mine.item", append(trData(&moved, coopbot.Persian), "N", "۱")...); !strings.Contains(m.Text, r1.Text("training.status.cancelled")) {
		t.Fatalf("my trainings after the cancellation:\n%s", m.Text)
	}

	// r2's reminders (from moving up) come due after the cancellation: nothing is sent.
	before := len(r2.E.Messages())
	later := trReminders(t, h, id2)
	if len(later) != 2 {
		t.Fatalf("r2 reminders = %+v", later)
	}
	trRunNow(t, h, later...)
	r2.Quiet(200 * time.Millisecond)
	if got := len(r2.E.Messages()); got != before {
		t.Fatalf("%d messages after the cancelled training's reminders came due", got-before)
	}
	var allowed bool
	if err := h.DB.Pool.QueryRow(ctx, `SELECT allowed FROM audit_log WHERE action = 'training_cancel' AND subject = $1`, fmt.Sprintf("training:%d", tr.ID)).Scan(&allowed); err != nil || !allowed {
		t.Fatalf("audit of the cancellation: %v, %v", allowed, err)
	}
}

// TestTrainingEnrolleesExportAttendance: the enrollee list, the CSV export (UTF-8 with BOM
// for Excel) and attendance marking once the training has started.
func TestTrainingEnrolleesExportAttendance(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 5601)
	ctx := context.Background()
	tr := trNew(t, h, "مارالان", "تعمیر لوازم خانگی", 2, 3)
	var users []*chattest.User
	for i := range 3 {
		u := h.User(5602 + int64(i))
		u.Onboard("مارالان")
		users = append(users, u)
	}
	// The first one's name starts like a spreadsheet formula and they shared their phone.
	if _, err := h.DB.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: 5602, ChatID: 5602, Lang: coopbot.Persian,
		NeighborhoodID: trNbhID(t, h, "مارالان"), Name: "=زهرا", Phone: "+989121234567"}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, u := range users {
		ids = append(ids, trResidentID(t, h, u))
		if _, err := h.DB.SignUp(ctx, tr.ID, ids[len(ids)-1]); err != nil {
			t.Fatal(err)
		}
	}

	s := h.User(5601)
	s.Onboard("مارالان")
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, tr.TitleFa)
	s.Sees("trainings.manage.seats", "Taken", "۲", "Capacity", "۲", "Waiting", "۱")
	if slices.Contains(s.Buttons(), s.Text("trainings.manage.attendance")) {
		t.Fatal("attendance offered before the start")
	}
	s.Press("trainings.manage.enrollees")
	m := s.Sees("trainings.enrollees.confirmed", "Count", "۲")
	for _, want := range []string{
		s.Text("trainings.enrollees.waitlist", "Count", "۱"),
		"۱. " + text.Isolate("=زهرا"), "۲. " + text.Isolate("User 5603"), "۱. " + text.Isolate("User 5604"),
		s.Text("trainings.reminders.hours", "Day", text.LongDate(tr.StartsAt, text.LangFa), "Time", "۰۸:۰۰", "Pending", "۲", "Done", "۰"),
	} {
		if !strings.Contains(m.Text, want) {
			t.Fatalf("enrollee list lacks %q:\n%s", want, m.Text)
		}
	}

	var book *emulator.Document
	export := func() *emulator.Document {
		t.Helper()
		n := len(s.E.Messages())
		s.Press("trainings.manage.export")
		var doc *emulator.Document
		book, doc = s.Export(n)
		if !strings.Contains(book.Caption, tr.TitleFa) {
			t.Fatalf("workbook caption %q", book.Caption)
		}
		return doc
	}
	doc := export()
	// The workbook: row numbers and wait-list places are numbers, the phone is text as
	// staff dial it, the sign-up time is the Jalali day and time in Persian digits.
	wb, err := excelize.OpenReader(bytes.NewReader(book.Data))
	if err != nil {
		t.Fatal(err)
	}
	sheet := wb.GetSheetName(0)
	if sheet != s.Text("trainings.export.sheet") {
		t.Fatalf("sheet %q", sheet)
	}
	for cell, want := range map[string]string{"A2": "1", "A4": "3", "G4": "1"} {
		v, _ := wb.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		if typ, _ := wb.GetCellType(sheet, cell); v != want || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
			t.Fatalf("%s = %q of type %v, want the number %s", cell, v, typ, want)
		}
	}
	if v, _ := wb.GetCellValue(sheet, "C2"); v != "0912 123 4567" {
		t.Fatalf("phone cell %q", v)
	}
	enrolled, err := h.DB.Enrollees(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := wb.GetCellValue(sheet, "H2")
	if want := text.FaDigits(text.JalaliOf(enrolled[0].CreatedAt).String()) + " " + text.Clock(enrolled[0].CreatedAt); signed != want {
		t.Fatalf("sign-up cell %q, want %q", signed, want)
	}
	wb.Close()
	wantName := fmt.Sprintf("training-%d-%s.csv", tr.ID, strings.ReplaceAll(text.JalaliOf(tr.StartsAt).String(), "/", "-"))
	if doc.FileName != wantName || !bytes.HasPrefix(doc.Data, []byte("\ufeff")) {
		t.Fatalf("document %q, starts %q", doc.FileName, doc.Data[:min(8, len(doc.Data))])
	}
	readCSV := func(d *emulator.Document) [][]string {
		t.Helper()
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(d.Data, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	rows := readCSV(doc)
	header := []string{s.Text("trainings.csv.row"), s.Text("trainings.csv.name"), s.Text("trainings.csv.phone"), s.Text("trainings.csv.neighborhood"),
		s.Text("trainings.csv.lang"), s.Text("trainings.csv.status"), s.Text("trainings.csv.position"), s.Text("trainings.csv.signed_up"), s.Text("trainings.csv.attended")}
	if len(rows) != 4 || !slices.Equal(rows[0], header) {
		t.Fatalf("csv = %q", rows)
	}
	if r := rows[1]; r[1] != "'=زهرا" || r[2] != "0912 123 4567" || r[3] != "مارالان" || r[4] != s.Text("lang.fa.name") || r[5] != s.Text("trainings.csv.confirmed") || r[8] != "" {
		t.Fatalf("first row = %q", r)
	}
	if r := rows[3]; r[1] != "User 5604" || r[5] != s.Text("trainings.csv.waitlisted") || r[6] != "1" {
		t.Fatalf("wait-list row = %q", r)
	}
	if !bytes.Contains(doc.Data, []byte("\r\n")) {
		t.Fatal("csv lines do not end with CRLF")
	}

	// Attendance once the training has started.
	trMakeStarted(t, h, tr.ID)
	s.Send("/menu")
	s.Sees("menu.title")
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, tr.TitleFa)
	s.Sees("trainings.manage.seats", "Taken", "۲", "Capacity", "۲", "Waiting", "۱")
	s.Press("trainings.manage.attendance")
	s.Sees("trainings.attendance.summary", "Present", "۰", "Absent", "۰", "Unmarked", "۲")
	s.PressLabel("⬜ =زهرا")
	s.Sees("trainings.attendance.summary", "Present", "۱", "Absent", "۰", "Unmarked", "۱")
	s.PressLabel("⬜ User 5603")
	s.Sees("trainings.attendance.summary", "Present", "۲", "Absent", "۰", "Unmarked", "۰")
	s.PressLabel("✅ User 5603")
	s.Sees("trainings.attendance.summary", "Present", "۱", "Absent", "۱", "Unmarked", "۰")
	list, err := h.DB.Enrollees(ctx, tr.ID)
	if err != nil || list[0].Attended == nil || !*list[0].Attended || list[1].Attended == nil || *list[1].Attended || list[2].Attended != nil {
		t.Fatalf("attendance stored = %+v, %v", list, err)
	}
	s.Press("common.back")
	s.Sees("trainings.manage.seats", "Taken", "۲", "Capacity", "۲", "Waiting", "۱")
	rows = readCSV(export())
	if rows[1][8] != s.Text("trainings.csv.present") || rows[2][8] != s.Text("trainings.csv.absent") {
		t.Fatalf("attendance in the csv: %q", rows)
	}
}

// TestTrainingStaffChecksOnServer: staff rights are checked on every action, whatever the
// conversation remembers, and refusals are audited; residents cannot reach staff screens,
// and a manager cannot open another neighborhood's training with forged data.
func TestTrainingStaffChecksOnServer(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 5701)
	ctx := context.Background()
	tr := trNew(t, h, "سرخاب", "آموزش نان‌پزی", 5, 3)

	s := h.User(5701)
	s.Onboard("سرخاب")
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, tr.TitleFa)
	s.Sees("trainings.manage.seats", "Taken", "۰", "Capacity", "۵", "Waiting", "۰")
	if _, err := h.DB.Pool.Exec(ctx, `DELETE FROM staff WHERE resident_id = $1`, trResidentID(t, h, s)); err != nil {
		t.Fatal(err)
	}
	s.Press("trainings.manage.export")
	s.Sees("trainings.denied")
	var denied int
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'training_admin' AND NOT allowed`, trResidentID(t, h, s)).Scan(&denied); err != nil || denied != 1 {
		t.Fatalf("denied export audited %d times, %v", denied, err)
	}
	for _, m := range s.E.Messages() {
		if m.Document != nil {
			t.Fatal("a former staff member got the export")
		}
	}

	// A resident forging the staff menu button gets nothing.
	r := h.User(5702)
	r.Onboard("سرخاب")
	menu := r.E.Messages()[len(r.E.Messages())-1]
	data := menu.Inline[0][0].Data
	r.E.PressData(menu.ID, data[:strings.LastIndex(data, ":")+1]+"trainingadmin")
	r.Sees("menu.unknown")

	// A manager of another neighborhood forges a press on that training.
	m := h.User(5703)
	m.Onboard("ائل‌گلی")
	if _, err := h.DB.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`, trResidentID(t, h, m), trNbhID(t, h, "ائل‌گلی")); err != nil {
		t.Fatal(err)
	}
	m.Send("/menu")
	m.Sees("menu.title")
	m.Press("trainings.menu")
	empty := m.Sees("trainings.list.empty")
	data = empty.Inline[0][0].Data
	m.E.PressData(empty.ID, data[:strings.LastIndex(data, ":")+1]+fmt.Sprintf("i:%d", tr.ID))
	m.Sees("trainings.denied")
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'training_view' AND NOT allowed`, trResidentID(t, h, m)).Scan(&denied); err != nil || denied != 1 {
		t.Fatalf("manager's forged view audited %d times, %v", denied, err)
	}
}

// TestTrainingCataloguePages: the catalogue shows five trainings a page, the resident's
// neighborhood first, and pages back and forth.
func TestTrainingCataloguePages(t *testing.T) {
	t.Parallel()
	h := trHarness(t)
	for i := range 4 {
		trNew(t, h, "امیرخیز", fmt.Sprintf("دورهٔ آموزشی شمارهٔ %d", i+1), 10, 2+i)
	}
	r := h.User(5801)
	r.Onboard("امیرخیز")
	r.Press("training.menu")
	first := r.Sees("common.page", "Page", "۱", "Pages", "۲")
	for i := range 4 {
		if !strings.Contains(first.Text, fmt.Sprintf("%s. دورهٔ آموزشی شمارهٔ %d", text.Number(int64(i+1)), i+1)) {
			t.Fatalf("own neighborhood's trainings are not first, in order:\n%s", first.Text)
		}
	}
	r.Press("common.next")
	second := r.Sees("common.page", "Page", "۲", "Pages", "۲")
	if second.ID != first.ID || !strings.Contains(second.Text, "۶. ") || strings.Contains(second.Text, "شمارهٔ") {
		t.Fatalf("second page (edited in place: %v):\n%s", second.ID == first.ID, second.Text)
	}
	r.Press("common.prev")
	r.Sees("common.page", "Page", "۱", "Pages", "۲")
}
