package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// bcHarness starts the bot with user 1 as staff.
func bcHarness(t *testing.T, rate float64) *chattest.Harness {
	t.Helper()
	return chattest.New(t, chattest.Options{Admins: chattest.Staff(1), SendRate: rate})
}

// bcMessage waits until the bot's message msgID in u's chat contains want.
func bcMessage(t *testing.T, u *chattest.User, msgID int, want string) emulator.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chattest.Wait)
	defer cancel()
	var found emulator.Message
	err := u.E.Wait(ctx, func(ms []emulator.Message) bool {
		for _, m := range ms {
			if m.ID == msgID && strings.Contains(m.Text, want) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("message %d never showed %q:\n%s", msgID, want, u.E.Dump())
	}
	return found
}

// bcTicked waits until the newest message's buttons are the neighborhood list with
// exactly these neighborhoods ticked.
func bcTicked(t *testing.T, u *chattest.User, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chattest.Wait)
	defer cancel()
	err := u.E.Wait(ctx, func(ms []emulator.Message) bool {
		if len(ms) == 0 || !strings.Contains(ms[len(ms)-1].Text, u.Text("broadcast.neighborhoods.prompt")) {
			return false
		}
		var ticked []string
		for _, row := range ms[len(ms)-1].Inline {
			for _, b := range row {
				if name, ok := strings.CutPrefix(b.Text, "✅ "); ok {
					ticked = append(ticked, name)
				}
			}
		}
		return strings.Join(ticked, ",") == strings.Join(names, ",")
	})
	if err != nil {
		t.Fatalf("neighborhood list never showed %q ticked:\n%s", names, u.E.Dump())
	}
}

// bcResidents adds n residents of a neighborhood straight to the database (Persian, user
// ids from first) and has each start the bot, so that it may write to them.
func bcResidents(t *testing.T, h *chattest.Harness, first int64, n int, neighborhood string) []*chattest.User {
	t.Helper()
	nb := needNeighborhood(t, h, neighborhood)
	_, err := h.DB.Pool.Exec(context.Background(), `
		INSERT INTO residents (platform, user_id, chat_id, lang, neighborhood_id, name)
		SELECT 'telegram', g, g, 'fa', $3, 'resident' FROM generate_series($1::bigint, $2::bigint) g`,
		first, first+int64(n)-1, nb.ID)
	if err != nil {
		t.Fatal(err)
	}
	var users []*chattest.User
	for i := range n {
		u := h.User(first + int64(i))
		u.Send("/start")
		users = append(users, u)
	}
	for _, u := range users {
		u.Sees("menu.title")
	}
	return users
}

// bcNoExtras answers the wizard's questions on a file and a button: neither.
func bcNoExtras(t *testing.T, u *chattest.User) {
	t.Helper()
	u.Sees("broadcast.file.prompt", "Max", "۱٬۰۲۴")
	u.Press("broadcast.file.none")
	u.Sees("broadcast.button.prompt")
	u.Press("broadcast.button.none")
}

const (
	bcTextFa = "کارگاه رایگان <b>قالی‌بافی</b> از شنبه ۱۵ آذر در سرای محلهٔ سرخاب.\nثبت‌نام: دفتر تعاون & سرای محله"
	bcTextAz = "سورخاب محله ائوینده شنبه گونو پولسوز <b>خالچا توخوما</b> کارگاهی.\nیازیلماق: تعاون دفتری & محله ائوی"
)

// Staff send a broadcast to a neighborhood, with a text per language: the preview shows
// the texts as residents get them and the counts; residents of that neighborhood get
// their language's text once, as plain text; the preview turns into the progress message
// and then the final counts, and the report follows.
func TestBroadcastToNeighborhood(t *testing.T) {
	t.Parallel()
	h := bcHarness(t, 1000)
	staff := h.User(1)
	staff.Onboard("ولیعصر")
	fa := h.User(1101)
	fa.Onboard("سرخاب")
	az := h.User(1102).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	other := h.User(1103)
	other.Onboard("نوبر")

	staff.Press("broadcast.menu")
	staff.Sees("broadcast.audience.prompt")
	staff.Press("broadcast.audience.neighborhoods")
	staff.Sees("broadcast.neighborhoods.prompt")
	staff.Send(staff.Text("broadcast.neighborhoods.continue")) // not offered yet: read as a name
	staff.Sees("broadcast.neighborhoods.not_found", "Typed", text.Isolate(staff.Text("broadcast.neighborhoods.continue")))
	staff.Send("سورخاب") // the Azeri name, typed, ticks the neighborhood
	bcTicked(t, staff, "سرخاب")
	staff.PressLabel("✅ سرخاب") // pressed again: unticked
	bcTicked(t, staff)
	// A neighborhood where nobody lives yet: nobody to send to, said at once.
	staff.PressLabel("ششگلان")
	bcTicked(t, staff, "ششگلان")
	staff.Press("broadcast.neighborhoods.continue")
	staff.Sees("broadcast.audience.empty")
	staff.PressLabel("✅ ششگلان")
	bcTicked(t, staff)
	staff.PressLabel("سرخاب")
	bcTicked(t, staff, "سرخاب")
	staff.Press("broadcast.neighborhoods.continue")
	staff.Sees("broadcast.mode.prompt")
	staff.Press("broadcast.mode.both")
	staff.Sees("broadcast.text.prompt_fa")

	staff.E.SendSticker()
	staff.Sees("broadcast.text.not_text")
	long := strings.Repeat("ب", 4097)
	staff.Send(long)
	staff.Sees("broadcast.text.too_long", "Max", "۴٬۰۹۶", "Len", "۴٬۰۹۷")
	staff.Send(bcTextFa)
	staff.Sees("broadcast.text.prompt_az")
	staff.Send(bcTextAz)
	bcNoExtras(t, staff)
	staff.Sees("broadcast.when.prompt")
	staff.Press("broadcast.when.now")

	staff.Sees("broadcast.preview.label_fa")
	if m := staff.SeesText(bcTextFa); m.Text != bcTextFa || m.ParseMode != "" {
		t.Fatalf("preview of the Persian text = %q (parse mode %q), want it exactly as sent", m.Text, m.ParseMode)
	}
	staff.Sees("broadcast.preview.label_az")
	staff.SeesText(bcTextAz)
	preview := staff.Sees("broadcast.preview.count_telegram", "Fa", "۱", "Az", "۱")
	if !strings.Contains(preview.Text, staff.Text("broadcast.preview.total", "Total", "۲")) ||
		!strings.Contains(preview.Text, staff.Text("broadcast.preview.now")) {
		t.Fatalf("preview = %q", preview.Text)
	}
	staff.Press("broadcast.confirm")
	staff.Sees("menu.title")

	if m := fa.SeesText(bcTextFa); m.Text != bcTextFa || m.ParseMode != "" {
		t.Fatalf("Persian reader got %q (parse mode %q)", m.Text, m.ParseMode)
	}
	if m := az.SeesText(bcTextAz); m.Text != bcTextAz {
		t.Fatalf("Azeri reader got %q", m.Text)
	}
	report := staff.Sees("broadcast.report.title", "ID", "۱")
	for _, line := range []string{
		staff.Text("broadcast.report.sent", "Count", "۲"),
		staff.Text("broadcast.report.unreachable", "Count", "۰"),
		staff.Text("broadcast.report.failed", "Count", "۰"),
		staff.Text("broadcast.report.unknown", "Count", "۰"),
	} {
		if !strings.Contains(report.Text, line) {
			t.Fatalf("report %q lacks %q", report.Text, line)
		}
	}
	done := bcMessage(t, staff, preview.ID, staff.Text("broadcast.progress.done", "ID", "۱"))
	if !strings.Contains(done.Text, "۱۰۰٪") || len(done.Inline) != 0 {
		t.Fatalf("final progress message = %q with buttons %v", done.Text, done.Inline)
	}
	other.Quiet(200 * time.Millisecond)
	for _, c := range []struct {
		u    *chattest.User
		text string
	}{{fa, bcTextFa}, {az, bcTextAz}, {other, bcTextFa}} {
		n := 0
		for _, m := range c.u.E.Messages() {
			if m.Text == c.text {
				n++
			}
		}
		if want := map[bool]int{true: 0, false: 1}[c.u == other]; n != want {
			t.Fatalf("user %d got the broadcast %d times, want %d", c.u.ID, n, want)
		}
	}
}

// While a broadcast runs, the preview message shows a progress bar with Persian digits
// and a Cancel button; Cancel stops what is not sent yet; a resident's forged press of it
// is refused and recorded.
func TestBroadcastProgressAndCancel(t *testing.T) {
	t.Parallel()
	// Progress edits and replies take their share of the send rate too.
	h := bcHarness(t, 6)
	staff := h.User(1)
	staff.Onboard("ولیعصر")
	users := bcResidents(t, h, 5000, 30, "مارالان")
	resident := h.User(1201)
	resident.Onboard("نوبر")

	staff.Press("broadcast.menu")
	staff.Sees("broadcast.audience.prompt")
	staff.Press("broadcast.audience.neighborhoods")
	staff.Sees("broadcast.neighborhoods.prompt")
	staff.Send("مارالان")
	bcTicked(t, staff, "مارالان")
	staff.Press("broadcast.neighborhoods.continue")
	staff.Sees("broadcast.mode.prompt")
	staff.Press("broadcast.mode.one")
	staff.Sees("broadcast.text.prompt_one")
	staff.Send("جلسهٔ مجمع عمومی تعاونی، پنجشنبه ساعت ۱۷")
	bcNoExtras(t, staff)
	staff.Sees("broadcast.when.prompt")
	staff.Press("broadcast.when.now")
	staff.Sees("broadcast.preview.label_one")
	preview := staff.Sees("broadcast.preview.total", "Total", "۳۰")
	staff.Press("broadcast.confirm")

	bcMessage(t, staff, preview.ID, staff.Text("broadcast.progress.running", "ID", "۱"))
	m := bcMessage(t, staff, preview.ID, "▓")
	if !strings.Contains(m.Text, strings.TrimSpace(staff.Text("broadcast.progress.eta", "Clock", ""))) || !strings.Contains(m.Text, "رسید: ") || len(m.Inline) != 1 || m.Inline[0][0].Text != staff.Text("broadcast.cancel") {
		t.Fatalf("progress message = %q with %v, want a bar, counts, an estimated finish and Cancel", m.Text, m.Inline)
	}

	// Replies to residents keep flowing while the broadcast runs: they never wait for
	// the send budget the broadcast is waiting on.
	start := time.Now()
	resident.Press("menu.language")
	resident.Sees("language.prompt")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("a reply took %v while the broadcast ran", d)
	}
	resident.Send("/cancel")
	resident.Sees("menu.title")

	// A resident forges the Cancel button: refused, recorded, nothing stops.
	resident.E.PressData(0, "a:bcx:1")
	h.Idle()
	if toasts := resident.E.Toasts(); len(toasts) == 0 || toasts[len(toasts)-1] != resident.Text("broadcast.cancel.denied") {
		t.Fatalf("toasts = %q, want the refusal", toasts)
	}
	var denied int
	h.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'broadcast_cancel' AND NOT allowed`).Scan(&denied)
	if denied != 1 {
		t.Fatalf("%d denied cancel attempts recorded, want 1", denied)
	}

	if err := staff.E.PressOn(preview.ID, staff.Text("broadcast.cancel")); err != nil {
		t.Fatal(err)
	}
	bcMessage(t, staff, preview.ID, staff.Text("broadcast.progress.cancelled", "ID", "۱"))
	sent := 0
	for _, u := range users {
		sent += len(u.E.Messages()) - 1 // the menu after /start
	}
	time.Sleep(time.Second) // several more sends, had it gone on
	after := 0
	for _, u := range users {
		after += len(u.E.Messages()) - 1
	}
	if after-sent > 1 || after >= 30 {
		t.Fatalf("%d sent at the cancel, %d a second later: want nothing more but the one on its way", sent, after)
	}
	report := staff.Sees("broadcast.report.title", "ID", "۱")
	if !strings.Contains(report.Text, staff.Text("broadcast.report.cancelled", "Count", text.Number(int64(30-after)))) {
		t.Fatalf("report = %q, want %d not sent", report.Text, 30-after)
	}
}

// A scheduled broadcast: the date and time are asked in Jalali and Tehran time, past ones
// refused; a Gregorian date is shown back in Jalali and taken once confirmed; the preview
// says when; the progress message says it is scheduled and can be
// cancelled before it starts.
func TestBroadcastScheduledToOneLanguage(t *testing.T) {
	t.Parallel()
	h := bcHarness(t, 1000)
	staff := h.User(1).Speaks(coopbot.Azeri)
	staff.Onboard("ولیعصر")
	az := h.User(1301).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")

	staff.Press("broadcast.menu")
	staff.Sees("broadcast.audience.prompt")
	staff.Press("broadcast.audience.lang")
	staff.Sees("broadcast.lang.prompt")
	staff.Press("lang.az.name")
	staff.Sees("broadcast.text.prompt_az") // one language addressed: one text
	staff.Send("تعاونی‌نین ایللیک ییغینجاغی")
	bcNoExtras(t, staff)
	staff.Sees("broadcast.when.prompt")
	staff.Press("broadcast.when.later")
	staff.Sees("broadcast.date.prompt", "Today", text.Date(time.Now()))
	staff.Send("1400/01/01")
	staff.Sees("broadcast.date.past", "Today", text.Date(time.Now()))
	staff.Send("۱۴۰۴/۱۳/۰۱")
	staff.Sees("input.date.invalid")
	// A Gregorian date is read, and shown back in Jalali to be confirmed.
	day := time.Now().Add(48 * time.Hour)
	jday := text.JalaliOf(day)
	gregorian := day.In(text.Tehran).Format("2006-01-02")
	staff.Send(gregorian)
	staff.Sees("broadcast.date.gregorian", "Date", text.LongDate(jday.At(12, 0), text.LangAz))
	staff.Press("broadcast.date.gregorian_no")
	staff.Sees("broadcast.date.prompt", "Today", text.Date(time.Now()))
	staff.Send(day.In(text.Tehran).Format("02/01/2006"))
	staff.Sees("broadcast.date.gregorian", "Date", text.LongDate(jday.At(12, 0), text.LangAz))
	staff.Press("broadcast.date.gregorian_yes")
	staff.Sees("broadcast.clock.prompt")
	staff.Press("common.back") // back to the confirmation, back to the date: a Jalali one
	staff.Sees("broadcast.date.gregorian", "Date", text.LongDate(jday.At(12, 0), text.LangAz))
	staff.Press("common.back")
	staff.Sees("broadcast.date.prompt", "Today", text.Date(time.Now()))
	staff.Send(jday.String())
	staff.Sees("broadcast.clock.prompt")
	staff.Send("25:00")
	staff.Sees("input.time.invalid")
	staff.Send("۱۰:۳۰")
	at := jday.At(10, 30)
	preview := staff.Sees("broadcast.preview.at", "Date", text.LongDate(at, text.LangAz), "Clock", "۱۰:۳۰")
	if !strings.Contains(preview.Text, staff.Text("broadcast.who.lang_az")) ||
		!strings.Contains(preview.Text, staff.Text("broadcast.preview.count_telegram", "Fa", "۰", "Az", "۲")) {
		t.Fatalf("preview = %q", preview.Text)
	}
	staff.Press("broadcast.confirm")
	bcMessage(t, staff, preview.ID, staff.Text("broadcast.progress.scheduled", "ID", "۱", "Date", text.Date(at), "Clock", "۱۰:۳۰"))
	az.Quiet(300 * time.Millisecond)

	if err := staff.E.PressOn(preview.ID, staff.Text("broadcast.cancel")); err != nil {
		t.Fatal(err)
	}
	bcMessage(t, staff, preview.ID, staff.Text("broadcast.progress.cancelled", "ID", "۱"))
	staff.Sees("broadcast.report.title", "ID", "۱")
	st, err := h.DB.BroadcastStatus(context.Background(), 1)
	if err != nil || st.Cancelled != 2 || st.Sent != 0 {
		t.Fatalf("status = %+v, %v; want both recipients cancelled", st, err)
	}
}

// A neighborhood manager may broadcast only to their own neighborhood; losing the role
// before confirming is caught on the server.
func TestBroadcastNeighborhoodManager(t *testing.T) {
	t.Parallel()
	h := bcHarness(t, 1000)
	mgr := h.User(1401)
	mgr.Onboard("نوبر")
	near := h.User(1402)
	near.Onboard("نوبر")
	far := h.User(1403)
	far.Onboard("سرخاب")
	nb := needNeighborhood(t, h, "نوبر")
	ctx := context.Background()
	id := needResident(t, h, mgr)
	if _, err := h.DB.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`, id, nb.ID); err != nil {
		t.Fatal(err)
	}
	mgr.Send("/menu")
	mgr.Press("broadcast.menu")
	mgr.Sees("broadcast.audience.prompt")
	if b := mgr.Buttons(); len(b) != 3 || b[0] != mgr.Text("broadcast.audience.own", "Name", "نوبر") {
		t.Fatalf("manager's audience buttons = %q, want only their neighborhood", b)
	}
	mgr.Send(mgr.Text("broadcast.audience.all")) // not offered to them
	mgr.Sees("broadcast.audience.invalid")
	mgr.Press("broadcast.audience.own", "Name", "نوبر")
	mgr.Sees("broadcast.mode.prompt")
	mgr.Press("broadcast.mode.one")
	mgr.Sees("broadcast.text.prompt_one")
	mgr.Send("آب محله فردا قطع است.")
	bcNoExtras(t, mgr)
	mgr.Sees("broadcast.when.prompt")
	mgr.Press("broadcast.when.now")
	mgr.Sees("broadcast.preview.total", "Total", "۲")
	mgr.Press("broadcast.confirm")
	near.SeesText("آب محله فردا قطع است.")
	mgr.Sees("broadcast.report.title", "ID", "۱")
	far.Quiet(100 * time.Millisecond)

	// The role is taken away while the next preview is open: confirming is refused.
	mgr.Press("broadcast.menu")
	mgr.Sees("broadcast.audience.prompt")
	mgr.Press("broadcast.audience.own", "Name", "نوبر")
	mgr.Sees("broadcast.mode.prompt")
	mgr.Press("broadcast.mode.one")
	mgr.Sees("broadcast.text.prompt_one")
	mgr.Send("پیام دوم")
	bcNoExtras(t, mgr)
	mgr.Sees("broadcast.when.prompt")
	mgr.Press("broadcast.when.now")
	mgr.Sees("broadcast.preview.title")
	h.DB.Pool.Exec(ctx, `DELETE FROM staff WHERE resident_id = $1`, id)
	mgr.Press("broadcast.confirm")
	mgr.Sees("broadcast.denied")
	near.Quiet(300 * time.Millisecond)
	var denied int
	h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'broadcast_create' AND NOT allowed AND actor_id = $1`, id).Scan(&denied)
	if denied != 1 {
		t.Fatalf("%d denied attempts recorded, want 1", denied)
	}
}

// Staff send to the enrollees of a training: confirmed and wait-listed ones get it, a
// cancelled enrolment does not.
func TestBroadcastToTrainingEnrollees(t *testing.T) {
	t.Parallel()
	h := bcHarness(t, 1000)
	staff := h.User(1)
	staff.Onboard("ولیعصر")
	var users []*chattest.User
	for i := range 3 {
		u := h.User(1501 + int64(i))
		u.Onboard("سرخاب")
		users = append(users, u)
	}
	ctx := context.Background()
	var training int64
	var title string
	var starts time.Time
	if err := h.DB.Pool.QueryRow(ctx, `SELECT id, title_fa, starts_at FROM trainings WHERE starts_at > now() ORDER BY starts_at, id LIMIT 1`).Scan(&training, &title, &starts); err != nil {
		t.Fatal(err)
	}
	for i, status := range []string{"confirmed", "waitlisted", "cancelled"} {
		if _, err := h.DB.Pool.Exec(ctx, `INSERT INTO training_enrollments (training_id, resident_id, status) VALUES ($1, $2, $3)`,
			training, needResident(t, h, users[i]), status); err != nil {
			t.Fatal(err)
		}
	}
	staff.Press("broadcast.menu")
	staff.Sees("broadcast.audience.prompt")
	staff.Press("broadcast.audience.training")
	staff.Sees("broadcast.training.prompt")
	staff.Send("دورهٔ دیگری") // a typed name that matches no training
	staff.Sees("broadcast.choice.not_found", "Typed", text.Isolate("دورهٔ دیگری"))
	staff.PressLabel(title + " — " + text.Date(starts) + " (۲)")
	staff.Sees("broadcast.mode.prompt")
	staff.Press("broadcast.mode.one")
	staff.Sees("broadcast.text.prompt_one")
	staff.Send("محل برگزاری دوره به سرای محلهٔ سرخاب منتقل شد.")
	bcNoExtras(t, staff)
	staff.Sees("broadcast.when.prompt")
	staff.Press("broadcast.when.now")
	preview := staff.Sees("broadcast.who.training", "Name", title, "Date", text.Date(starts))
	if !strings.Contains(preview.Text, staff.Text("broadcast.preview.total", "Total", "۲")) {
		t.Fatalf("preview = %q", preview.Text)
	}
	staff.Press("broadcast.confirm")
	users[0].SeesText("محل برگزاری دوره به سرای محلهٔ سرخاب منتقل شد.")
	users[1].SeesText("محل برگزاری دوره به سرای محلهٔ سرخاب منتقل شد.")
	staff.Sees("broadcast.report.title", "ID", "۱")
	users[2].Quiet(100 * time.Millisecond)
}

// On Bale the text goes out as plain text too, markup and all, and the progress message
// is kept there.
func TestBroadcastOnBale(t *testing.T) {
	t.Parallel()
	var o chattest.Options
	o.Platform = coopbot.Bale
	o.Admins = []coopbot.UserRef{{Platform: coopbot.Bale, UserID: 1}}
	h := chattest.New(t, o)
	staff := h.User(1)
	staff.Onboard("ولیعصر")
	r := h.User(1601)
	r.Onboard("ولیعصر")
	staff.Press("broadcast.menu")
	staff.Sees("broadcast.audience.prompt")
	staff.Press("broadcast.audience.all")
	staff.Sees("broadcast.mode.prompt")
	staff.Press("broadcast.mode.one")
	staff.Sees("broadcast.text.prompt_one")
	const msg = "<b>مهم</b> _فردا_ *جلسه* [اینجا](https://example.org) & <i>"
	staff.Send(msg)
	bcNoExtras(t, staff)
	staff.Sees("broadcast.when.prompt")
	staff.Press("broadcast.when.now")
	preview := staff.Sees("broadcast.preview.count_bale", "Fa", "۲", "Az", "۰")
	staff.Press("broadcast.confirm")
	if m := r.SeesText(msg); m.Text != msg || m.ParseMode != "" {
		t.Fatalf("resident on Bale got %q with parse mode %q", m.Text, m.ParseMode)
	}
	bcMessage(t, staff, preview.ID, staff.Text("broadcast.progress.done", "ID", "۱"))
	staff.Sees("broadcast.report.title", "ID", "۱")
}
