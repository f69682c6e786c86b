package web_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"coopbot/emulator/browsertest"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// In headless Chromium, as an office expert does: sign in through the link the bot sent,
// open people and roles from the menu, find a resident by a part of the name, choose a
// neighborhood and make them its manager. The resident then has the role: the store
// says so, the chat tells them, and their menu has the managers' entries.
func TestPeopleInBrowser(t *testing.T) {
	bctx := browsertest.New(t)
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7701)})
	h.Cooperative(h.Neighborhood("سرخاب"), "تعاونی آزمون مرورگر")
	nbh := h.Neighborhood("مارالان")
	s := h.User(7701)
	s.Onboard("سرخاب")
	r := h.User(7702)
	r.Onboard("سرخاب")
	joined(r, "تعاونی آزمون مرورگر", "زهرا کریمی", "۰۰۱۲۳۴۵۶۷۹", "۰۹۱۴۷۶۵۴۳۲۱")
	rid := strconv.FormatInt(r.ResidentID(), 10)
	link := s.ConsoleLink()

	c := newChrome(t, bctx)
	poll, step := c.poll, c.step
	step("open the link from the bot and enter",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#enter")),
		press("#enter"),
		chromedp.WaitVisible(chromedp.CSS("#heat")),
	)
	step("people and roles, then the search",
		press(`nav a[href="/people"]`),
		chromedp.WaitVisible(chromedp.CSS("#staff")),
		press("#find-link"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	step("find the resident by a part of the name",
		chromedp.SendKeys(chromedp.CSS("#q"), "کريمي"), // typed with Arabic yeh
		press("#find-submit"),
		chromedp.WaitVisible(chromedp.CSS("#found-"+rid)),
		poll(`document.querySelector("#found-`+rid+` h2").textContent.includes("زهرا کریمی") && location.search === ""`),
	)
	step("make them the manager of another neighborhood",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#grant-nbh-`+rid+`").value = "`+strconv.FormatInt(nbh, 10)+`"`),
		press("#grant-"+rid),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
		chromedp.WaitVisible(chromedp.CSS("#staff-"+rid)),
		poll(`document.querySelector("#staff-`+rid+`").textContent.includes("مارالان")`),
	)
	if n := count(t, h, `SELECT count(*) FROM staff WHERE resident_id = $1 AND role = 'neighborhood_manager' AND neighborhood_id = $2`, r.ResidentID(), nbh); n != 1 {
		t.Fatal("the resident is not the manager of the chosen neighborhood")
	}
	r.Sees("roles.notice.manager", "Neighborhood", text.Isolate("مارالان"))
	r.Send("/menu")
	r.Sees("menu.title")
	if !slices.Contains(r.Buttons(), r.Text("needs.menu.inbox")) {
		t.Errorf("the new manager's menu: %q", r.Buttons())
	}
}
