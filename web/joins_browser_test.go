package web_test

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"coopbot/emulator/browsertest"
	"coopbot/internal/chattest"
)

// In headless Chromium, as a cooperative's admin does: the bot sends the sign-in link,
// the browser opens it and enters, the nav leads to the join requests, the request opens
// as the chat's card and is approved; the applicant reads the chat's notice in the fake
// Bot API. With COOPBOT_SCREENSHOTS=dir the list and the request are saved there as PNG.
func TestJoinsInBrowser(t *testing.T) {
	bctx := browsertest.New(t)
	h := chattest.New(t)
	nbh := h.Neighborhood("ائل‌گلی")
	const coopFa = "تعاونی مرورگر میز کار"
	coop := h.Cooperative(nbh, coopFa)
	a := h.User(7901)
	a.Onboard("ائل‌گلی")
	a.CoopAdmin(coop)
	r := h.User(7902)
	r.Onboard("ائل‌گلی")
	id := applies(t, h, r.ResidentID(), coop, "مریم رضایی", "0012345679")
	link := a.ConsoleLink()

	c := newChrome(t, bctx)
	poll, step, shot := c.poll, c.step, c.shot
	req := `a.req[href="/joins/` + strconv.FormatInt(id, 10) + `"]`
	step("open the link from the bot and enter",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#enter")),
		press("#enter"),
		chromedp.WaitVisible(chromedp.CSS("#joins")),
	)
	step("the join requests",
		press(`nav a[href="/joins"]`),
		chromedp.WaitVisible(chromedp.CSS("#coop-"+strconv.FormatInt(coop, 10))),
		poll(`document.querySelector(`+strconv.Quote(req)+`) !== null`),
	)
	shot("console-joins.png")
	step("open the request",
		press(req),
		chromedp.WaitVisible(chromedp.CSS("#card")),
		poll(`document.querySelector("#card").innerText.includes("مریم رضایی") && document.querySelector("#approve") !== null`),
	)
	shot("console-join.png")
	step("approve it",
		press("#approve"),
		chromedp.WaitVisible(chromedp.CSS("#decision")),
		poll(`document.querySelector("#decision") !== null && document.querySelector("#approve") === null`),
	)
	shot("console-join-decided.png")
	if s := joinStatus(t, h, id); s != "approved" {
		t.Fatalf("the request is %s, want approved", s)
	}
	r.Sees("join.notify.approved", "Coop", coopFa, "CoopAz", coopFa+" تعاونیسی", "ID", reqNo(id))
}
