package emulator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"coopbot"
	"coopbot/emulator"
	"coopbot/emulator/browsertest"
	"coopbot/locales"
)

// fakeBot is a tiny bot: it greets with an inline button and a reply keyboard,
// and answers a press with a toast and an edit.
func fakeBot(ctx context.Context, t *testing.T, bot *tgbotapi.BotAPI) {
	offset := 0
	for ctx.Err() == nil {
		cfg := tgbotapi.NewUpdate(offset)
		cfg.Timeout = 1
		ups, err := bot.GetUpdates(cfg)
		if err != nil {
			if ctx.Err() == nil {
				t.Errorf("fake bot: %v", err)
			}
			return
		}
		for _, u := range ups {
			offset = u.UpdateID + 1
			switch {
			case u.Message != nil && u.Message.Location != nil:
				_, err = bot.Send(tgbotapi.NewMessage(u.Message.Chat.ID, "موقعیت شما دریافت شد"))
			case u.Message != nil:
				m := tgbotapi.NewMessage(u.Message.Chat.ID, "سلام "+u.Message.Text+"!\nبرای عضویت دکمه را بزنید.")
				m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
					tgbotapi.NewInlineKeyboardButtonData("عضویت در تعاونی", "join")))
				if _, err = bot.Send(m); err == nil {
					k := tgbotapi.NewMessage(u.Message.Chat.ID, "یا موقعیت خود را بفرستید")
					k.ReplyMarkup = tgbotapi.NewReplyKeyboard(tgbotapi.NewKeyboardButtonRow(
						tgbotapi.NewKeyboardButtonLocation("📍 ارسال موقعیت")))
					_, err = bot.Send(k)
				}
			case u.CallbackQuery != nil:
				cq := u.CallbackQuery
				if _, err = bot.Request(tgbotapi.NewCallback(cq.ID, "درخواست شما ثبت شد")); err == nil {
					_, err = bot.Send(tgbotapi.NewEditMessageText(cq.Message.Chat.ID, cq.Message.MessageID, "عضویت شما ثبت شد ✅"))
				}
			}
			if err != nil && ctx.Err() == nil {
				t.Errorf("fake bot reply: %v", err)
			}
		}
	}
}

func TestWebChatInBrowser(t *testing.T) {
	bctx := browsertest.New(t)
	e := newEnv(t, emulator.Options{})

	botCtx, stopBot := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { fakeBot(botCtx, t, e.bot) })
	t.Cleanup(func() { stopBot(); wg.Wait() })

	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()
	poll := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(20*time.Second))
	}
	step := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, e.s.User(1001).Dump())
		}
	}
	step("load page",
		chromedp.Navigate(e.hs.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#text")),
		poll(`document.documentElement.dir === "rtl" && document.querySelector("#user-id").value === "1001"`),
	)
	step("type and send with Enter",
		chromedp.Click(chromedp.CSS("#text")),
		chromedp.SendKeys(chromedp.CSS("#text"), "علی"+kb.Enter),
		poll(`[...document.querySelectorAll(".msg.user")].some(e => e.textContent === "علی")`),
		poll(`[...document.querySelectorAll(".msg.bot")].some(e => e.textContent.includes("سلام علی!"))`),
		poll(`document.querySelectorAll(".inline button").length === 1 && document.querySelectorAll(".reply-kb button").length === 1`),
	)
	if got := e.s.User(1001).Messages(); len(got) != 2 || !strings.Contains(got[0].Text, "سلام علی!") {
		t.Fatalf("server side: %+v", got)
	}
	step("press the inline button",
		chromedp.Click(chromedp.CSS(".inline button")),
		poll(`document.querySelector("#toast").textContent === "درخواست شما ثبت شد"`),
		poll(`[...document.querySelectorAll(".msg.bot")].some(e => e.textContent === "عضویت شما ثبت شد ✅")`),
		poll(`document.querySelectorAll(".inline button").length === 0`),
	)
	step("reply keyboard location",
		chromedp.Click(chromedp.CSS(".reply-kb button")),
		poll(`[...document.querySelectorAll(".msg.bot")].some(e => e.textContent === "موقعیت شما دریافت شد")`),
	)
	step("send with the button",
		chromedp.SetValue(chromedp.CSS("#text"), "دوم"),
		chromedp.Click(chromedp.CSS("#send")),
		poll(`[...document.querySelectorAll(".msg.bot")].some(e => e.textContent.includes("سلام دوم!"))`),
	)
	if p := os.Getenv("COOPBOT_SCREENSHOT"); p != "" {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err == nil {
			err = os.WriteFile(p, png, 0o644)
		}
		if err != nil {
			t.Logf("screenshot: %v", err)
		}
	}
	step("switch user",
		chromedp.SetValue(chromedp.CSS("#user-id"), "1002"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#user-id").dispatchEvent(new Event("change"))`),
		poll(`location.hash === "#1002" && document.querySelectorAll(".msg").length === 0`),
		chromedp.SendKeys(chromedp.CSS("#text"), "رضا"+kb.Enter),
		poll(`[...document.querySelectorAll(".msg.bot")].some(e => e.textContent.includes("سلام رضا!"))`),
	)
	if n := len(e.s.User(1002).Messages()); n != 2 {
		t.Fatalf("user 1002 has %d bot messages", n)
	}
}

// swapEnv serves whichever emulator is current at one address, so a test can restart the
// emulator under a page that stays open, as a restart of coopbot does.
type swapEnv struct {
	cur atomic.Pointer[emulator.Server]
	hs  *httptest.Server
	bot *tgbotapi.BotAPI
}

func newSwapEnv(t *testing.T) *swapEnv {
	t.Helper()
	e := &swapEnv{}
	e.cur.Store(emulator.New(emulator.Options{Token: testToken}))
	e.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.cur.Load().Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		e.cur.Load().Close()
		e.hs.Close()
	})
	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(testToken, e.hs.URL+"/bot%s/%s")
	if err != nil {
		t.Fatal(err)
	}
	e.bot = bot
	return e
}

// restart replaces the emulator by a fresh one: every chat is gone from the server.
func (e *swapEnv) restart() {
	old := e.cur.Swap(emulator.New(emulator.Options{Token: testToken}))
	old.Close() // wakes the page's long poll, which then asks the new one
}

func (e *swapEnv) say(t *testing.T, chat int64, text string, markup any) {
	t.Helper()
	m := tgbotapi.NewMessage(chat, text)
	m.ReplyMarkup = markup
	if _, err := e.bot.Send(m); err != nil {
		t.Fatalf("bot says %q: %v", text, err)
	}
}

func browserSteps(t *testing.T, bctx context.Context, dump func() string) (context.Context, func(js string) chromedp.Action[chromedp.Void], func(name string, steps ...chromedp.Action[chromedp.Void])) {
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(cancel)
	poll := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(10*time.Second))
	}
	step := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, dump())
		}
	}
	return ctx, poll, step
}

// After a restart of the emulator the page still shows the conversation so far (kept in
// the browser per user id), marks where the restart was, and goes on with the new messages;
// a reload shows the same.
func TestWebChatTranscriptSurvivesRestart(t *testing.T) {
	bctx := browsertest.New(t)
	e := newSwapEnv(t)
	_, poll, step := browserSteps(t, bctx, func() string { return e.cur.Load().User(1001).Dump() })
	step("load page",
		chromedp.Navigate(e.hs.URL+"/#1001"),
		chromedp.WaitVisible(chromedp.CSS("#text")),
		poll(`document.querySelector("#chat .empty") !== null`),
		chromedp.SendKeys(chromedp.CSS("#text"), "سلام"+kb.Enter),
		poll(`[...document.querySelectorAll(".msg.user")].some(e => e.textContent === "سلام")`),
	)
	e.say(t, 1001, "محله خود را انتخاب کنید", tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("ائل‌گلی", "n:1"))))
	e.say(t, 1001, "یا نام محله را بنویسید", tgbotapi.NewReplyKeyboard(tgbotapi.NewKeyboardButtonRow(
		tgbotapi.NewKeyboardButton("بازگشت"), tgbotapi.NewKeyboardButton("لغو"))))
	step("the conversation so far",
		poll(`document.querySelectorAll(".msg").length === 3 && document.querySelectorAll(".reply-kb button").length === 2`))

	e.restart()
	if n := len(e.cur.Load().User(1001).Messages()); n != 0 {
		t.Fatalf("the new emulator has %d messages", n)
	}
	const kept = `(() => {
		const old = [...document.querySelectorAll(".item.old .msg")].map(e => e.textContent);
		return old.length === 3 && old[0] === "سلام" && old[1] === "محله خود را انتخاب کنید" &&
			old[2] === "یا نام محله را بنویسید" &&
			document.querySelectorAll(".item.old .inline button:disabled").length === 1 &&
			document.querySelectorAll(".divider").length === 1 &&
			document.querySelector(".divider").compareDocumentPosition(document.querySelector(".item.old")) === Node.DOCUMENT_POSITION_PRECEDING;
	})()`
	step("after the restart the old messages stay, marked",
		poll(kept),
		// The reply keyboard of the question in progress stays too: its buttons send text.
		poll(`document.querySelectorAll(".reply-kb button").length === 2`),
		poll(`document.querySelector("#chat .empty") === null`),
	)
	step("the bot goes on",
		chromedp.Click(chromedp.CSS(".reply-kb button")),
		poll(`[...document.querySelectorAll(".item:not(.old) .msg.user")].some(e => e.textContent === "بازگشت")`),
	)
	if got := e.cur.Load().User(1001).Messages(); len(got) != 0 {
		t.Fatalf("user message reached the bot's side as %+v", got)
	}
	e.say(t, 1001, "پرسش بعدی", nil)
	const after = `(() => {
		const live = [...document.querySelectorAll(".item:not(.old) .msg")].map(e => e.textContent);
		return live.length === 2 && live[0] === "بازگشت" && live[1] === "پرسش بعدی" &&
			document.querySelector(".divider").compareDocumentPosition(document.querySelector(".item:not(.old)")) === Node.DOCUMENT_POSITION_FOLLOWING;
	})()`
	step("new messages after the mark", poll(after), poll(kept))
	step("a reload shows the same",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#text")),
		poll(after), poll(kept),
	)
	step("another user has their own transcript",
		chromedp.SetValue(chromedp.CSS("#user-id"), "1002"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#user-id").dispatchEvent(new Event("change"))`),
		poll(`location.hash === "#1002" && document.querySelectorAll(".msg").length === 0 && document.querySelector("#chat .empty") !== null`),
		chromedp.SetValue(chromedp.CSS("#user-id"), "1001"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#user-id").dispatchEvent(new Event("change"))`),
		poll(after), poll(kept),
	)
}

// On a phone-sized screen a new reply keyboard must not hide the question it answers:
// the chat scrolls so that the last message stays in view above the keyboard.
func TestWebChatLastMessageStaysAboveKeyboard(t *testing.T) {
	bctx := browsertest.New(t)
	e := newSwapEnv(t)
	ctx, poll, step := browserSteps(t, bctx, func() string { return e.cur.Load().User(1001).Dump() })
	step("load page at 390×844 and start",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.hs.URL+"/#1001"),
		chromedp.WaitVisible(chromedp.CSS("#text")),
		chromedp.SendKeys(chromedp.CSS("#text"), "/start"+kb.Enter),
		poll(`document.querySelectorAll(".msg.user").length === 1`),
	)
	for i := range 8 {
		e.say(t, 1001, "پیام "+itoa(int64(i+1))+"\nخط دوم این پیام\nخط سوم این پیام", nil)
	}
	step("the messages fill the screen",
		poll(`document.querySelectorAll(".msg.bot").length === 8 && document.querySelector("#chat").scrollHeight > document.querySelector("#chat").clientHeight`))
	var rows [][]tgbotapi.KeyboardButton
	for i := range 6 {
		rows = append(rows, tgbotapi.NewKeyboardButtonRow(
			tgbotapi.NewKeyboardButton("گزینه "+itoa(int64(2*i+1))), tgbotapi.NewKeyboardButton("گزینه "+itoa(int64(2*i+2)))))
	}
	e.say(t, 1001, "تعداد اعضای خانوار چند نفر است؟", tgbotapi.NewReplyKeyboard(rows...))
	const visible = `(() => {
		const ms = document.querySelectorAll(".msg.bot"), m = ms[ms.length - 1];
		if (!m || m.textContent !== "تعداد اعضای خانوار چند نفر است؟" || document.querySelectorAll(".reply-kb button").length !== 12) return false;
		const r = m.getBoundingClientRect(), c = document.querySelector("#chat").getBoundingClientRect();
		const f = document.querySelector("footer").getBoundingClientRect();
		return r.height > 0 && r.top >= c.top - 1 && r.bottom <= c.bottom + 1 && r.bottom <= f.top + 1 && r.bottom <= innerHeight;
	})()`
	step("the question is visible above the keyboard", poll(visible))
	// The keyboard leaves the chat most of the screen.
	chatH, err1 := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("#chat").getBoundingClientRect().height`))
	footH, err2 := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("footer").getBoundingClientRect().height`))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if chatH < 300 || footH > 844/2 {
		t.Errorf("chat %.0f px, footer %.0f px high on an 844 px screen", chatH, footH)
	}
}

// The page's texts follow the chosen language; the empty chat's hint shows the command as
// "/start" (isolated left to right), not "start/"; the staff hint is there.
func TestWebChatLanguageAndHints(t *testing.T) {
	bctx := browsertest.New(t)
	e := newSwapEnv(t)
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	text := func(l coopbot.Lang, id string) string {
		s, err := cat.Text(l, id, map[string]any{"ID": "۱"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	_, poll, step := browserSteps(t, bctx, func() string { return "" })
	// slashFirst: in the empty chat's hint, the "/" of "/start" is drawn left of the "s".
	const slashFirst = `(() => {
		const p = document.querySelector("#chat .empty");
		if (!p) return false;
		const w = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
		for (let n; (n = w.nextNode());) {
			const i = n.data.indexOf("/start");
			if (i < 0) continue;
			const at = (k) => { const r = document.createRange(); r.setStart(n, k); r.setEnd(n, k + 1); return r.getBoundingClientRect(); };
			return at(i).right <= at(i + 1).left + 0.5;
		}
		return false;
	})()`
	step("Persian by default",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.hs.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#text")),
		poll(`document.querySelector("h1").textContent === `+jsString(text(coopbot.Persian, "webchat.title"))),
		poll(`document.title === `+jsString(text(coopbot.Persian, "webchat.title"))),
		poll(`document.querySelector("#staff-hint").textContent === `+jsString(text(coopbot.Persian, "webchat.staff_hint"))),
		poll(`document.querySelector("#staff-hint").getBoundingClientRect().height > 0`),
		poll(`document.querySelector("#chat .empty").textContent === `+jsString(text(coopbot.Persian, "webchat.empty"))),
		poll(slashFirst),
		poll(`document.querySelector("#text").placeholder === `+jsString(text(coopbot.Persian, "webchat.placeholder"))),
	)
	step("switch to Azeri",
		chromedp.Click(chromedp.CSS(`[data-lang="az"]`)),
		poll(`document.documentElement.lang === "azb" && document.querySelector("h1").textContent === `+jsString(text(coopbot.Azeri, "webchat.title"))),
		poll(`document.querySelector("#staff-hint").textContent === `+jsString(text(coopbot.Azeri, "webchat.staff_hint"))),
		poll(`document.querySelector("#chat .empty").textContent === `+jsString(text(coopbot.Azeri, "webchat.empty"))),
		poll(slashFirst),
		poll(`document.querySelector('[data-lang="az"]').getAttribute("aria-pressed") === "true"`),
	)
	step("the choice is remembered",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#text")),
		poll(`document.querySelector("#send").textContent === `+jsString(text(coopbot.Azeri, "webchat.send"))),
		chromedp.Click(chromedp.CSS(`[data-lang="fa"]`)),
		poll(`document.documentElement.lang === "fa" && document.querySelector("#send").textContent === `+jsString(text(coopbot.Persian, "webchat.send"))),
	)
}

// jsString writes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
