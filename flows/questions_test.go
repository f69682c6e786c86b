package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// qManager makes u the manager of a neighborhood and refreshes their menu.
func qManager(t *testing.T, h *chattest.Harness, u *chattest.User, nbh string) {
	t.Helper()
	n := needNeighborhood(t, h, nbh)
	if _, err := h.DB.Pool.Exec(context.Background(), `INSERT INTO staff (resident_id, role, neighborhood_id, source) VALUES ($1, 'neighborhood_manager', $2, 'app')`,
		needResident(t, h, u), n.ID); err != nil {
		t.Fatal(err)
	}
	u.Send("/menu")
	u.Sees("menu.title")
}

// qAsk has a resident ask the office through the conversation, with the words typed and
// no photo, and returns the question's id.
func qAsk(t *testing.T, h *chattest.Harness, u *chattest.User, words string) int64 {
	t.Helper()
	u.Press("question.menu.ask")
	u.Sees("question.text.prompt", "Max", "۱٬۰۰۰")
	u.Send(words)
	u.Sees("question.photo.prompt")
	u.Press("question.photo.none")
	review := u.Sees("question.review.title")
	contains(t, u, review, msg("question.field.no_photo"))
	u.Press("question.review.submit")
	return qSent(t, h, u)
}

// qSent waits for the confirmation and returns the resident's newest question.
func qSent(t *testing.T, h *chattest.Harness, u *chattest.User) int64 {
	t.Helper()
	u.SeesText(u.Text("question.sent", "ID", chattest.Any))
	h.Idle()
	list, err := h.DB.MyQuestions(context.Background(), needResident(t, h, u))
	if err != nil || len(list) == 0 {
		t.Fatalf("questions of %d: %v, %v", u.ID, list, err)
	}
	return list[0].ID
}

// An Azeri resident asks with a photo and its caption; the Persian-speaking manager of
// their neighborhood is alerted, opens it, sees the photo, answers; the resident gets
// the answer in Azeri and finds it in "my questions"; the manager closes it.
func TestQuestionAnsweredAndClosed(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	ctx := context.Background()
	mgr := h.User(7101)
	mgr.Onboard("سرخاب")
	qManager(t, h, mgr, "سرخاب")
	r := h.User(7102).Speaks(coopbot.Azeri)
	r.Onboard("سرخاب")

	// A sticker is not a photo; a photo with a caption gives both and goes to the review.
	r.Press("question.menu.ask")
	r.Sees("question.text.prompt", "Max", "۱٬۰۰۰")
	r.E.SendDocument("قبض.pdf", []byte("%PDF"), "")
	r.Sees("question.photo.only_photo")
	const words = "لیفت بیناسی ایکی آیدیر خاراب‌دیر <b>"
	photo := r.E.SendPhoto([]byte("jpeg"), words)
	review := r.Sees("question.review.title")
	contains(t, r, review, msg("question.field.photo"), msg("question.field.text", "Text", text.Isolate(words)))
	r.Press("question.review.submit")
	id := qSent(t, h, r)

	// The manager's alert opens the question's card.
	mgr.Sees("questions.alert.new", "ID", recordNo(id), "Neighborhood", "سرخاب", "Text", text.Isolate(words))
	mgr.Press("questions.alert.open")
	card := mgr.Sees("questions.card.asker", "Name", chattest.Any)
	contains(t, mgr, card, msg("question.detail.no_answer"), msg("question.detail.status", "Status", mgr.Text("question.status.open")))
	mgr.Press("question.photo.show")
	h.Idle()
	if !qGotPhoto(mgr, photo) {
		t.Fatalf("the manager was not shown the photo %s", photo)
	}

	// The answer: too long first, then the words; the resident is told in Azeri.
	mgr.Press("questions.card.answer")
	mgr.Sees("questions.answer.prompt", "ID", recordNo(id), "Max", "۱٬۰۰۰")
	mgr.Send(strings.Repeat("ا", 1001))
	mgr.Sees("questions.answer.too_long", "Count", "۱٬۰۰۱", "Max", "۱٬۰۰۰")
	const answer = "همکاران ما فردا برای بازدید می‌آیند."
	mgr.Send(answer)
	mgr.Sees("questions.answer.sent", "ID", recordNo(id))
	mgr.Sees("question.detail.status", "Status", mgr.Text("question.status.answered"))
	note := r.Sees("question.notify.answer", "ID", recordNo(id), "Question", text.Isolate(words))
	contains(t, r, note, msg("question.notify.text", "Text", text.Isolate(answer)), msg("question.notify.footer"))

	r.Send("/menu")
	r.Sees("menu.title")
	r.Press("question.menu.mine")
	r.Sees("question.mine.title", "Count", "۱")
	r.Press("question.mine.open", "ID", recordNo(id))
	detail := r.Sees("question.detail.title", "ID", recordNo(id), "Date", chattest.Any)
	contains(t, r, detail, msg("question.detail.status", "Status", r.Text("question.status.answered")))
	if !strings.Contains(detail.Text, answer) {
		t.Fatalf("my question does not show the answer: %q", detail.Text)
	}

	// Closing: "no" keeps it, "yes" closes it; no more answer button.
	mgr.Press("questions.card.close")
	mgr.Sees("questions.close.confirm", "ID", recordNo(id))
	mgr.Press("questions.close.no")
	mgr.Sees("questions.card.asker", "Name", chattest.Any)
	mgr.Press("questions.card.close")
	mgr.Press("questions.close.yes")
	mgr.Sees("questions.close.done", "ID", recordNo(id))
	closed := mgr.Sees("question.detail.status", "Status", mgr.Text("question.status.closed"))
	for _, row := range closed.Inline {
		for _, b := range row {
			if b.Text == mgr.Text("questions.card.answer") {
				t.Fatal("a closed question can still be answered")
			}
		}
	}
	s, err := h.DB.Staff(ctx, needResident(t, h, mgr))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.DB.AnswerQuestion(ctx, s, id, "باز هم"); coopbot.ErrorCode(err) != coopbot.EConflict {
		t.Fatalf("answering a closed question: %v, want conflict", err)
	}
	q, err := h.DB.MyQuestion(ctx, needResident(t, h, r), id)
	if err != nil || q.Status != coopbot.QuestionClosed || len(q.Answers) != 1 || q.Photo == nil || q.Photo.ID != photo {
		t.Fatalf("question after closing = %+v, %v", q, err)
	}
	for action, want := range map[string]int{"question_ask": 1, "question_answer": 1, "question_close": 1} {
		var n int
		if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = $1 AND allowed AND subject = $2`,
			action, fmt.Sprintf("question:%d", id)).Scan(&n); err != nil || n != want {
			t.Fatalf("%s audited %d times, %v; want %d", action, n, err, want)
		}
	}
}

func qGotPhoto(u *chattest.User, id string) bool {
	for _, m := range u.E.Messages() {
		if m.Photo != nil && m.Photo.FileID == id && m.Photo.Caption != "" {
			return true
		}
	}
	return false
}

// A neighborhood without managers: the office staff are alerted and answer from the
// inbox; a manager of another neighborhood neither hears of the question nor reaches it,
// by the inbox, a forged alert button or a forged pick from the list.
func TestQuestionManagerScope(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7200)})
	ctx := context.Background()
	staff := h.User(7200)
	staff.Onboard("ولیعصر")
	other := h.User(7201).Speaks(coopbot.Azeri)
	other.Onboard("ولیعصر")
	qManager(t, h, other, "ولیعصر")
	r := h.User(7202)
	r.Onboard("سرخاب")
	id := qAsk(t, h, r, "شکایت از تأخیر در پرداخت وام تعاونی")
	staff.Sees("questions.alert.new", "ID", recordNo(id), "Neighborhood", "سرخاب", "Text", chattest.Any)

	// The other neighborhood's manager: nothing in their inbox.
	other.Press("questions.menu.inbox")
	list := other.Sees("questions.list.title", "Group", other.Text("questions.group.open"), "Count", "۰")
	contains(t, other, list, msg("questions.list.none"))
	for _, m := range other.E.Messages() {
		if strings.Contains(m.Text, recordNo(id)) && len(m.Inline) > 0 && m.Inline[0][0].Text == other.Text("questions.alert.open") {
			t.Fatalf("the other manager was alerted: %q", m.Text)
		}
	}
	// A forged pick from the list and a forged alert button: refused and recorded.
	seq, _, _ := strings.Cut(strings.TrimPrefix(list.Inline[0][0].Data, "c:"), ":")
	other.E.PressData(list.ID, fmt.Sprintf("c:%s:i:%d", seq, id))
	other.Sees("questions.denied")
	h.Idle()
	before := len(other.E.Toasts())
	other.E.PressData(list.ID, fmt.Sprintf("a:q:%d", id))
	h.Idle()
	if toasts := other.E.Toasts(); len(toasts) != before+1 || toasts[len(toasts)-1] != other.Text("questions.denied") {
		t.Fatalf("toasts after a forged alert = %q", toasts)
	}
	var denied int
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND subject = $2 AND NOT allowed`,
		needResident(t, h, other), fmt.Sprintf("question:%d", id)).Scan(&denied); err != nil || denied != 2 {
		t.Fatalf("denied attempts recorded = %d, %v; want 2", denied, err)
	}
	s, err := h.DB.Staff(ctx, needResident(t, h, other))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.DB.AnswerQuestion(ctx, s, id, "پاسخ"); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Fatalf("the other manager answering: %v, want not_found", err)
	}
	if err := h.DB.CloseQuestion(ctx, s, id); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Fatalf("the other manager closing: %v, want not_found", err)
	}

	// The office staff answer from the inbox; the Persian resident is told.
	staff.Send("/menu")
	staff.Sees("menu.title")
	staff.Press("questions.menu.inbox")
	staff.Sees("questions.list.title", "Group", staff.Text("questions.group.open"), "Count", "۱")
	staff.PressContaining(recordNo(id))
	staff.Press("questions.card.answer")
	staff.Send("پرونده شما به کارشناس وام ارجاع شد.")
	staff.Sees("questions.answer.sent", "ID", recordNo(id))
	r.Sees("question.notify.answer", "ID", recordNo(id), "Question", chattest.Any)
	staff.Send("/menu")
	staff.Sees("menu.title")
	staff.Press("questions.menu.inbox")
	staff.Sees("questions.list.none")
	staff.Press("questions.filter.answered")
	staff.Sees("questions.list.title", "Group", staff.Text("questions.group.answered"), "Count", "۱")
}

// Help: /help and the menu entry show what the bot does and the office's details as
// configured, in the reader's language; its button starts a question.
func TestHelpShowsTheOffice(t *testing.T) {
	t.Parallel()
	office := coopbot.Office{Phone: "04135550000",
		Address: coopbot.Names{Fa: "تبریز، خیابان آزمایش، پلاک ۱", Az: "تبریز، سیناق خیابانی، ۱ نؤمره"},
		Hours:   coopbot.Names{Fa: "شنبه تا چهارشنبه ۸ تا ۱۴", Az: "شنبه‌دن چهارشنبه‌یه کیمی ۸-دن ۱۴-ه"}}
	h := chattest.New(t, chattest.Options{Office: office})
	fa := h.User(7301)
	fa.Onboard("سرخاب")
	fa.Send("/help")
	m := fa.Sees("help.title")
	contains(t, fa, m, msg("help.about"), msg("help.commands"), msg("help.address", "Address", office.Address.Fa),
		msg("help.phone", "Phone", text.Phone(office.Phone)), msg("help.hours", "Hours", office.Hours.Fa))
	fa.Press("question.menu.mine")
	fa.Sees("question.mine.none")

	az := h.User(7302).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	az.Press("help.menu")
	m = az.Sees("help.title")
	contains(t, az, m, msg("help.address", "Address", office.Address.Az), msg("help.hours", "Hours", office.Hours.Az))
	if strings.Contains(m.Text, office.Address.Fa) {
		t.Fatalf("the Azeri help shows the Persian address: %q", m.Text)
	}
	az.Press("question.menu.ask")
	az.Sees("question.text.prompt", "Max", "۱٬۰۰۰")
}

// Staff write to the resident behind a need report from its card, and a cooperative's
// admin to the applicant behind a join request from theirs: each gets it as a notice in
// their language, with what it is about; the messages are audited.
func TestMessageResidentFromCards(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	ctx := context.Background()
	mgr := h.User(7401)
	mgr.Onboard("سرخاب")
	qManager(t, h, mgr, "سرخاب")
	r := h.User(7402).Speaks(coopbot.Azeri)
	r.Onboard("سرخاب")
	code := needQuickReport(t, r, "need.cat.food", "need.urgency.soon", "اوشاقلار اوچون یئمک")
	mgr.Sees("needs.alert.new", "Code", text.FaDigits(code), "NameFa", chattest.Any, "CatFa", chattest.Any, "UrgFa", chattest.Any)
	mgr.Send("/menu")
	mgr.Sees("menu.title")
	mgr.Press("needs.menu.inbox")
	mgr.Sees("needs.card.position", "Pos", "۱", "Total", "۱")
	mgr.Press("office.message.button")
	mgr.Sees("office.message.prompt_need", "Max", "۱٬۰۰۰")
	const words = "لطفاً فردا با کارت ملی به سرای محله بیایید."
	mgr.Send(words)
	mgr.Sees("office.message.sent")
	mgr.Sees("needs.card.position", "Pos", "۱", "Total", "۱")
	note := r.Sees("office.notify.need", "Code", text.FaDigits(code))
	contains(t, r, note, msg("office.notify.text", "Text", text.Isolate(words)), msg("office.notify.footer"))

	// The join card: the cooperative's admin writes to the applicant.
	var coopID int64
	if err := h.DB.Pool.QueryRow(ctx, `SELECT id FROM cooperatives WHERE name_fa = $1`, carpetFa).Scan(&coopID); err != nil {
		t.Fatal(err)
	}
	admin := h.User(7403).Speaks(coopbot.Azeri)
	admin.Onboard("نوبر")
	if _, err := h.DB.Pool.Exec(ctx, `INSERT INTO cooperative_admins (cooperative_id, resident_id) VALUES ($1, $2)`, coopID, needResident(t, h, admin)); err != nil {
		t.Fatal(err)
	}
	applicant := h.User(7404)
	applicant.Onboard("سرخاب")
	req, _, err := h.DB.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: coopID, ResidentID: needResident(t, h, applicant),
		FullName: "مریم رضایی", NationalID: nid1, Phone: mobile2, Share: 6_000_000, Skills: []string{"cooking"}})
	if err != nil {
		t.Fatal(err)
	}
	admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(req))...)
	admin.Press("office.message.button")
	admin.Sees("office.message.prompt_join", "ID", recordNo(req), "Max", "۱٬۰۰۰")
	admin.Send("سلام، لطفاً کپی کارت ملی را بیاورید.")
	admin.Sees("office.message.sent")
	applicant.Sees("office.notify.join", coop(carpetFa, "ID", recordNo(req))...)

	// Someone with no say over the request, pressing the same (forged) button, is refused.
	stranger := h.User(7405)
	stranger.Onboard("سرخاب")
	ms := stranger.E.Messages()
	stranger.E.PressData(ms[len(ms)-1].ID, fmt.Sprintf("a:jm:%d", req))
	stranger.Sees("admin.denied")
	for who, want := range map[int64]int{needResident(t, h, mgr): 1, needResident(t, h, admin): 1} {
		var n int
		if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'resident_message' AND allowed`, who).Scan(&n); err != nil || n != want {
			t.Fatalf("messages audited for %d: %d, %v", who, n, err)
		}
	}
	if _, err := h.DB.MessageResident(ctx, needResident(t, h, stranger), coopbot.AboutJoinRequest, req, "سلام"); coopbot.ErrorCode(err) != coopbot.EForbidden {
		t.Fatalf("a stranger's message: %v, want forbidden", err)
	}
}

// The data summary lists the resident's questions; "delete my data" empties their words,
// photo and the answers (nowhere in the database, sealed or not) and closes them, which
// takes them out of the staff's open inbox.
func TestQuestionErased(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7500)})
	ctx := context.Background()
	staff := h.User(7500)
	staff.Onboard("ولیعصر")
	r := h.User(7501).Speaks(coopbot.Azeri)
	r.Onboard("سرخاب")
	const words = "منیم قونشوم سس‌لی ماشین ایشلدیر، گئجه‌لر یاتا بیلمیریک"
	const answer = "کارشناس محله با همسایه صحبت خواهد کرد"
	r.Press("question.menu.ask")
	photo := r.E.SendPhoto([]byte("jpeg"), "")
	r.Sees("question.text.after_photo")
	r.Send(words)
	r.Sees("question.photo.prompt")
	r.Press("question.photo.remove")
	review := r.Sees("question.review.title")
	contains(t, r, review, msg("question.field.no_photo"))
	r.Press("question.review.edit_photo")
	r.Sees("question.photo.prompt")
	photo = r.E.SendPhoto([]byte("jpeg2"), "")
	review = r.Sees("question.review.title")
	contains(t, r, review, msg("question.field.photo"))
	r.Press("question.review.submit")
	id := qSent(t, h, r)
	staff.Sees("questions.alert.new", "ID", recordNo(id), "Neighborhood", chattest.Any, "Text", chattest.Any)
	staff.Press("questions.alert.open")
	staff.Press("questions.card.answer")
	staff.Send(answer)
	staff.Sees("questions.answer.sent", "ID", recordNo(id))
	r.Sees("question.notify.answer", "ID", recordNo(id), "Question", chattest.Any)

	r.Send("/menu")
	r.Sees("menu.title")
	r.Press("profile.menu")
	r.Press("profile.data")
	sum := r.Sees("profile.data.title")
	contains(t, r, sum, msg("profile.data.questions", "Count", "۱"), msg("profile.data.questions_hold"))
	if !strings.Contains(sum.Text, r.Text("question.status.answered")) {
		t.Fatalf("summary = %q", sum.Text)
	}
	personal := []string{words, answer, photo}
	if found := prFind(t, h, personal); len(found) != len(personal) {
		t.Fatalf("before the erasure only %v were found: the search would prove nothing", found)
	}
	r.Press("profile.erase")
	r.Sees("profile.erase.explain")
	r.Press("profile.erase.yes")
	r.Sees("profile.erase.done")
	h.Idle()
	if found := prFind(t, h, personal); len(found) != 0 {
		t.Fatalf("after the erasure the database still holds %v", found)
	}
	var status string
	if err := h.DB.Pool.QueryRow(ctx, `SELECT status FROM questions WHERE id = $1`, id).Scan(&status); err != nil || status != "closed" {
		t.Fatalf("erased question status = %q, %v", status, err)
	}
	staff.Send("/menu")
	staff.Sees("menu.title")
	staff.Press("questions.menu.inbox")
	staff.Sees("questions.list.none")
}
