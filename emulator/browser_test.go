package emulator_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"coopbot/emulator"
	"coopbot/emulator/browsertest"
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
