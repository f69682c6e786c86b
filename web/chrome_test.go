package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chrome is a headless Chromium tab (emulator/browsertest) as the console's browser tests
// drive it, at a phone's width, within 90 s.
type chrome struct {
	t   *testing.T
	ctx context.Context
}

func newChrome(t *testing.T, bctx context.Context) *chrome {
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(cancel)
	return &chrome{t: t, ctx: ctx}
}

// poll waits, at most 20 s, for a script's condition to hold.
func (c *chrome) poll(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(20*time.Second))
}

// step runs the actions of one step; a failure ends the test with the page as it was.
func (c *chrome) step(name string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		html, _ := chromedp.Run(c.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		c.t.Fatalf("%s: %v\n%s", name, err, html)
	}
}

// press clicks what navigates: chromedp's Click would see its page go away under it.
func press(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`setTimeout(() => document.querySelector(` + strconv.Quote(sel) + `).click(), 0)`)
}

// shot saves the whole page as name (PNG) in COOPBOT_SCREENSHOTS, when set, at a laptop's
// width, then goes back to the phone's.
func (c *chrome) shot(name string) {
	dir := os.Getenv("COOPBOT_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := chromedp.Do(c.ctx, chromedp.EmulateViewport(1280, 1350)); err != nil {
		c.t.Logf("screenshot %s: %v", name, err)
		return
	}
	defer chromedp.Do(c.ctx, chromedp.EmulateViewport(420, 800))
	png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}
	if err != nil {
		c.t.Logf("screenshot %s: %v", name, err)
	}
}
