package web_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"coopbot/emulator/browsertest"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// In headless Chromium, as an office expert does: the bot sends the sign-in link, the
// browser opens it and enters, the overview shows its charts, the need list leads to the
// report, and the report moves to "reviewing"; the resident reads the notice in the
// fake Bot API. With COOPBOT_SCREENSHOTS=dir the overview and the need list are saved
// there as PNG.
func TestConsoleInBrowser(t *testing.T) {
	bctx := browsertest.New(t)
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7401)})
	s := h.User(7401)
	s.Onboard("سرخاب")
	r := h.User(7402)
	r.Onboard("سرخاب")
	id := r.ReportNeed("برای خرید مواد غذایی کمک لازم داریم")
	code := count(t, h, `SELECT code::int FROM need_reports WHERE id = $1`, id)
	if os.Getenv("COOPBOT_SCREENSHOTS") != "" {
		pictureDay(t, h)
	}
	link := s.ConsoleLink()

	c := newChrome(t, bctx)
	poll, step, shot := c.poll, c.step, c.shot
	step("open the link from the bot and enter",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#enter")),
		poll(`document.documentElement.dir === "rtl"`),
		press("#enter"),
		chromedp.WaitVisible(chromedp.CSS("#heat")),
		poll(`document.querySelector("#heat") !== null && document.querySelector("svg.chart rect") !== null`),
	)
	shot("console-overview.png")
	step("the need list",
		press(`nav a[href="/needs"]`),
		chromedp.WaitVisible(chromedp.CSS("#needs")),
		poll(`document.querySelector("#needs a.code") !== null`),
	)
	shot("console-needs.png")
	step("open the report and move it to reviewing",
		press(`#needs a[href="/needs/`+strconv.FormatInt(id, 10)+`"]`),
		chromedp.WaitVisible(chromedp.CSS("#to-reviewing")),
		chromedp.Click(chromedp.CSS("#to-reviewing")),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="note"]`), "بررسی را شروع کردیم"),
		press("#change-submit"),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
		poll(`document.querySelector("#notice") !== null && document.querySelector("#status").className === "status-reviewing"`),
	)
	if n := count(t, h, `SELECT count(*) FROM need_reports WHERE id = $1 AND status = 'reviewing'`, id); n != 1 {
		t.Fatal("the report is not at reviewing")
	}
	r.Sees("need.notify.title", "Code", text.FaDigits(strconv.Itoa(code)))
	step("sign out",
		press("#signout"),
		chromedp.WaitVisible(chromedp.CSS("#message")),
		chromedp.Navigate(h.ConsoleURL+"/needs"),
		chromedp.WaitVisible(chromedp.CSS("#message")),
		poll(`document.querySelector("#message") !== null && document.querySelector("#needs") === null`),
	)
}

// pictureDay gives the screenshots something to show: residents in three neighborhoods,
// need reports of two kinds, and an upcoming training with some of its seats taken.
func pictureDay(t *testing.T, h *chattest.Harness) {
	t.Helper()
	nbhs := []string{"سرخاب", "مارالان", "ششگلان"}
	for i := range 9 {
		u := h.User(int64(7450 + i))
		u.Onboard(nbhs[i%3])
		switch i % 3 {
		case 0:
			u.ReportNeed("سرپرست خانوار بیکار شده و برای خرید مواد غذایی کمک لازم داریم")
		case 1:
			u.ReportNeedWithFiles("داروی مادرم تمام شده و نسخه دارم")
		}
	}
	tr := h.Training(h.Neighborhood("سرخاب"), "قالی‌بافی برای بانوان", 12, 6)
	for i := range 3 {
		h.SignUp(tr.ID, int64(count(t, h, `SELECT id FROM residents WHERE neighborhood_id = $1 ORDER BY id OFFSET $2 LIMIT 1`, h.Neighborhood("سرخاب"), i)))
	}
	h.Training(h.Neighborhood("مارالان"), "نان‌پزی خانگی", 10, 9)
	h.Idle()
}
