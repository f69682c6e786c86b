package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"coopbot"
	"coopbot/emulator/browsertest"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// askOffice has a resident ask the office in the chat (no photo) and returns the
// question's id.
func askOffice(t *testing.T, h *chattest.Harness, u *chattest.User, words string) int64 {
	t.Helper()
	u.Press("question.menu.ask")
	u.SeesLike("question.text.prompt")
	u.Send(words)
	u.Sees("question.photo.prompt")
	u.Press("question.photo.none")
	u.Sees("question.review.title")
	u.Press("question.review.submit")
	u.SeesLike("question.sent")
	return int64(count(t, h, `SELECT max(id) FROM questions WHERE resident_id = $1`, u.ResidentID()))
}

// An Azeri resident asks in the chat; the manager of their neighborhood finds it in the
// console's inbox and answers it there: the resident gets the answer in the chat as from
// the chat's inbox, in Azeri; the answer is audited. A form without its CSRF token, a
// too short answer and another neighborhood's manager are refused; closing it removes
// the answer form and a late answer is refused.
func TestConsoleAnswerReachesTheResident(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	nbh, other := h.Neighborhood("سرخاب"), h.Neighborhood("مارالان")
	m := h.User(7601)
	m.Onboard("سرخاب")
	m.Manager(nbh)
	om := h.User(7602)
	om.Onboard("مارالان")
	om.Manager(other)
	r := h.User(7603).Speaks(coopbot.Azeri)
	r.Onboard("سرخاب")
	const words = "لیفت بیناسی ایکی آیدیر خاراب‌دیر"
	id := askOffice(t, h, r, words)
	path := "/questions/" + strconv.FormatInt(id, 10)

	b := newBrowser(t, h)
	b.signIn(m.ConsoleLink())
	code, inbox := b.get("/questions")
	if code != http.StatusOK || !strings.Contains(inbox, `href="`+path+`"`) || !strings.Contains(inbox, words) {
		t.Fatalf("inbox (%d) lacks question %d:\n%s", code, id, inbox)
	}
	if _, answered := b.get("/questions?status=answered"); strings.Contains(answered, `href="`+path+`"`) {
		t.Errorf("an open question is listed as answered")
	}
	if code, _ := b.get("/questions?status=lost"); code != http.StatusBadRequest {
		t.Errorf("a malformed status filter: %d, want 400", code)
	}
	code, page := b.get(path)
	if code != http.StatusOK || !strings.Contains(page, words) || !strings.Contains(page, `id="answer-form"`) {
		t.Fatalf("question page: %d\n%s", code, page)
	}
	token := b.csrf(page)

	const answer = "همکاران ما فردا برای بازدید می‌آیند."
	if c, _ := b.do(http.MethodPost, path+"/answer", url.Values{"answer": {answer}}); c != http.StatusForbidden {
		t.Errorf("answer without CSRF token: %d, want 403", c)
	}
	if n := refused(t, h, m.ResidentID(), "console_csrf"); n != 1 {
		t.Errorf("CSRF refusals recorded %d times, want 1", n)
	}
	c, page := b.do(http.MethodPost, path+"/answer", url.Values{"csrf": {token}, "answer": {" ب "}})
	if c != http.StatusUnprocessableEntity || !strings.Contains(page, b.text(coopbot.Persian, "questions.answer.invalid")) {
		t.Errorf("a one-letter answer: %d", c)
	}
	if n := count(t, h, `SELECT count(*) FROM question_answers WHERE question_id = $1`, id); n != 0 {
		t.Fatalf("refused answers stored: %d", n)
	}

	c, page = b.do(http.MethodPost, path+"/answer", url.Values{"csrf": {token}, "answer": {answer}})
	if c != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.questions.answered")) || !strings.Contains(page, answer) {
		t.Fatalf("answer: %d\n%s", c, page)
	}
	note := r.Sees("question.notify.answer", "ID", text.FaDigits(strconv.FormatInt(id, 10)), "Question", text.Isolate(words))
	if !strings.Contains(note.Text, r.Text("question.notify.text", "Text", text.Isolate(answer))) {
		t.Fatalf("the resident's notice %q lacks the answer", note.Text)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'question_answer' AND allowed`, m.ResidentID()); n != 1 {
		t.Errorf("answer audited %d times, want 1", n)
	}
	if _, answered := b.get("/questions?status=answered"); !strings.Contains(answered, `href="`+path+`"`) {
		t.Errorf("the answered question is not in the answered filter")
	}

	// Another neighborhood's manager: refused and recorded, without the words.
	ob := newBrowser(t, h)
	ob.signIn(om.ConsoleLink())
	if c, page := ob.get(path); c != http.StatusForbidden || strings.Contains(page, words) {
		t.Errorf("another neighborhood's question: %d, want 403 without its words", c)
	}
	_, other403 := ob.get("/questions")
	if c, _ := ob.do(http.MethodPost, path+"/answer", url.Values{"csrf": {ob.csrf(other403)}, "answer": {"پاسخ از محلهٔ دیگر"}}); c != http.StatusForbidden {
		t.Errorf("another neighborhood's manager answering: %d, want 403", c)
	}
	if a, b := refused(t, h, om.ResidentID(), "question_view"), refused(t, h, om.ResidentID(), "question_answer"); a != 1 || b != 1 {
		t.Errorf("refusals recorded: view %d, answer %d; want 1 each", a, b)
	}

	// Closing.
	c, page = b.do(http.MethodPost, path+"/close", url.Values{"csrf": {token}})
	if c != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.questions.closed")) || strings.Contains(page, `id="answer-form"`) {
		t.Fatalf("close: %d\n%s", c, page)
	}
	if n := count(t, h, `SELECT count(*) FROM questions WHERE id = $1 AND status = 'closed'`, id); n != 1 {
		t.Fatal("the question is not closed")
	}
	c, page = b.do(http.MethodPost, path+"/answer", url.Values{"csrf": {token}, "answer": {answer}})
	if c != http.StatusUnprocessableEntity || !strings.Contains(page, b.text(coopbot.Persian, "questions.card.closed_already")) {
		t.Errorf("an answer to a closed question: %d", c)
	}
	if n := count(t, h, `SELECT count(*) FROM question_answers WHERE question_id = $1`, id); n != 1 {
		t.Errorf("answers stored: %d, want 1", n)
	}
}

// In headless Chromium, as a neighborhood manager does: the inbox, the question, an
// answer typed and sent; the resident reads it in the chat. With COOPBOT_SCREENSHOTS=dir
// the answered question's page is saved there as PNG.
func TestQuestionInBrowser(t *testing.T) {
	bctx := browsertest.New(t)
	h := chattest.New(t)
	nbh := h.Neighborhood("ائل‌گلی")
	m := h.User(8101)
	m.Onboard("ائل‌گلی")
	m.Manager(nbh)
	r := h.User(8102)
	r.Onboard("ائل‌گلی")
	const words = "کوچهٔ ما سه هفته است چراغ ندارد"
	id := askOffice(t, h, r, words)
	link := m.ConsoleLink()

	c := newChrome(t, bctx)
	poll, step := c.poll, c.step
	const answer = "فردا با شهرداری منطقه تماس می‌گیریم."
	step("sign in and open the inbox",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#enter")),
		press("#enter"),
		chromedp.WaitVisible(chromedp.CSS("#heat")),
		press(`nav a[href="/questions"]`),
		chromedp.WaitVisible(chromedp.CSS("#questions")),
	)
	step("open the question and answer it",
		press(`#questions a[href="/questions/`+strconv.FormatInt(id, 10)+`"]`),
		chromedp.WaitVisible(chromedp.CSS("#answer-form")),
		chromedp.SetValue(chromedp.CSS(`textarea[name="answer"]`), answer),
		press("#answer-submit"),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
		poll(`document.querySelector("#status").className === "q-answered" && document.querySelector("ol.answers") !== null`),
	)
	c.shot("console-question.png")
	note := r.Sees("question.notify.answer", "ID", text.FaDigits(strconv.FormatInt(id, 10)), "Question", text.Isolate(words))
	if !strings.Contains(note.Text, answer) {
		t.Fatalf("the resident's notice %q lacks the answer", note.Text)
	}
}

// A question sent with a photo shows the photo on its page, fetched through the bot; a
// manager of another neighborhood gets 403 (recorded) for it, and a question without one
// has none.
func TestQuestionPhotoInConsole(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	own, other := h.Neighborhood("سرخاب"), h.Neighborhood("مارالان")
	m := h.User(7901)
	m.Onboard("سرخاب")
	m.Manager(own)
	o := h.User(7902)
	o.Onboard("مارالان")
	o.Manager(other)
	r := h.User(7903)
	r.Onboard("سرخاب")
	photo := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00 broken lift")
	r.Press("question.menu.ask")
	r.SeesLike("question.text.prompt")
	r.E.SendPhoto(photo, "آسانسور ساختمان دو ماه است خراب است")
	r.Sees("question.review.title")
	r.Press("question.review.submit")
	r.SeesLike("question.sent")
	id := int64(count(t, h, `SELECT max(id) FROM questions WHERE resident_id = $1`, r.ResidentID()))
	path := "/questions/" + strconv.FormatInt(id, 10)

	b := newBrowser(t, h)
	b.signIn(m.ConsoleLink())
	if c, page := b.get(path); c != http.StatusOK || !strings.Contains(page, `<img src="`+path+`/photo"`) {
		t.Fatalf("question page (%d) without its photo:\n%s", c, page)
	}
	if c, hdr, data := b.file(path + "/photo"); c != http.StatusOK || !bytes.Equal(data, photo) || hdr.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("photo: %d %q, %d bytes", c, hdr.Get("Content-Type"), len(data))
	}
	ob := newBrowser(t, h)
	ob.signIn(o.ConsoleLink())
	if c, _, data := ob.file(path + "/photo"); c != http.StatusForbidden || bytes.Equal(data, photo) {
		t.Fatalf("another neighborhood's manager got the photo: %d", c)
	}
	if n := refused(t, h, o.ResidentID(), "question_photo"); n != 1 {
		t.Errorf("refused photo recorded %d times, want 1", n)
	}
	plain := askOffice(t, h, r, "ساعت کار اداره در ماه رمضان چیست؟")
	if c, _, _ := b.file("/questions/" + strconv.FormatInt(plain, 10) + "/photo"); c != http.StatusNotFound {
		t.Errorf("the photo of a question without one: %d, want 404", c)
	}
}
