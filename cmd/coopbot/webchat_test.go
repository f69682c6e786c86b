package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator/browsertest"
	"coopbot/locales"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestWebChatOnboarding is what a newcomer does: start coopbot with no token, open the web
// chat in a browser and complete onboarding in Persian, then as another user in Azeri.
func TestWebChatOnboarding(t *testing.T) {
	t.Parallel()
	bctx := browsertest.New(t)
	in := start(t, nil)
	if !strings.Contains(in.stdout.String(), "http://"+in.addr+"/") {
		t.Fatalf("the web chat's address is not printed: %q", in.stdout.String())
	}
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	msg := func(lang, id string) string {
		s, err := cat.Text(langOf(lang), id, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	poll := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(20*time.Second))
	}
	botSays := func(text string) chromedp.Action[chromedp.Void] {
		return poll(fmt.Sprintf(`[...document.querySelectorAll(".msg.bot")].some(e => e.textContent.includes(%q))`, text))
	}
	click := func(sel, label string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const b = [...document.querySelectorAll(%q)].reverse().find(e => e.textContent.trim() === %q);
			if (!b) throw new Error("no button " + %q);
			b.click();
		})()`, sel, label, label))
	}
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(80))
			path := t.TempDir() + "/webchat.jpg"
			os.WriteFile(path, shot, 0o644)
			t.Fatalf("%s: %v (screenshot %s)", name, err, path)
		}
	}
	waitButton := func(sel, label string) chromedp.Action[chromedp.Void] {
		return poll(fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.textContent.trim() === %q)`, sel, label))
	}

	step("open the web chat",
		chromedp.Navigate("http://"+in.addr+"/"),
		chromedp.WaitVisible(chromedp.CSS("#text")),
		poll(`document.documentElement.dir === "rtl"`),
	)
	step("start in Persian",
		chromedp.SendKeys(chromedp.CSS("#text"), "/start"+kb.Enter),
		botSays(msg("fa", "onboarding.welcome")),
		waitButton(".inline button", "فارسی"),
		click(".inline button", "فارسی"),
		botSays(msg("fa", "onboarding.neighborhood.prompt")),
	)
	step("type the neighborhood with a space instead of the ZWNJ",
		chromedp.SendKeys(chromedp.CSS("#text"), "ائل گلی"+kb.Enter),
		botSays(msg("fa", "onboarding.phone.prompt")),
		waitButton(".reply-kb button", msg("fa", "onboarding.phone.skip")),
		click(".reply-kb button", msg("fa", "onboarding.phone.skip")),
		botSays(msg("fa", "menu.title")),
	)
	step("switch to another user and onboard in Azeri",
		chromedp.SetValue(chromedp.CSS("#user-id"), "1002"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#user-id").dispatchEvent(new Event("change"))`),
		poll(`location.hash === "#1002" && document.querySelectorAll(".msg").length === 0`),
		chromedp.SendKeys(chromedp.CSS("#text"), "سلام"+kb.Enter),
		waitButton(".inline button", "تۆرکجه"),
		click(".inline button", "تۆرکجه"),
		botSays(msg("az", "onboarding.neighborhood.prompt")),
		waitButton(".inline button", "ائل‌گؤلو"),
	)
	step("pick from the list and share the phone",
		chromedp.Evaluate[chromedp.Void](`window.prompt = () => "09141234567"`),
		click(".inline button", "ائل‌گؤلو"),
		botSays(msg("az", "onboarding.phone.prompt")),
		waitButton(".reply-kb button", msg("az", "onboarding.phone.share")),
		click(".reply-kb button", msg("az", "onboarding.phone.share")),
		botSays(msg("az", "onboarding.done_phone")),
		botSays(msg("az", "menu.title")),
	)
}

func langOf(s string) coopbot.Lang { return coopbot.Lang(s) }
