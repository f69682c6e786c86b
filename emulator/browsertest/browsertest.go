// Package browsertest starts Debian's headless Chromium for tests through
// chromedp. It lives apart from package emulator so that chromedp stays out
// of the production binary: import it only from _test.go files.
//
// The browser is /usr/bin/chromium (override with env COOPBOT_CHROMIUM). When
// it is missing the test is skipped, unless COOPBOT_REQUIRE_BROWSER=1, when it
// fails instead (set that in CI once Chromium is installed there).
package browsertest

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// DefaultPath is where Debian's chromium package puts the browser.
const DefaultPath = "/usr/bin/chromium"

// Path returns the Chromium binary to use.
func Path() string {
	if p := os.Getenv("COOPBOT_CHROMIUM"); p != "" {
		return p
	}
	return DefaultPath
}

// New launches a headless Chromium with a fresh profile and returns a
// chromedp context for one tab. The browser is kept off the network except
// for the test's own server: no background networking, component updates,
// sync, first-run pages, QUIC, domain reliability reports, pings or autofill
// queries; it ignores proxies in the environment and resolves no host name
// (tests use 127.0.0.1), so a test neither waits for nor reaches any outside
// host. As root (CI, containers) it needs --no-sandbox. The browser is closed when the test ends.
// Without a browser the test is skipped (or fails when
// COOPBOT_REQUIRE_BROWSER=1). Callers should bound their actions with
// context.WithTimeout on the returned context.
func New(t testing.TB) context.Context {
	t.Helper()
	path := Path()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("COOPBOT_REQUIRE_BROWSER") == "1" {
			t.Fatalf("browsertest: Chromium not found at %s (COOPBOT_REQUIRE_BROWSER=1): %v; install it with: apt-get install -y chromium", path, err)
		}
		t.Skipf("browsertest: Chromium not found at %s; skipping (apt-get install -y chromium, or set COOPBOT_CHROMIUM)", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-component-extensions-with-background-pages", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,AutofillServerCommunication,"+
			"OptimizationHints,MediaRouter,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions"),
		// Whatever is left cannot get out: no proxy from the environment (on CI and in
		// containers it is the way out), and no host name resolves. Tests use IP addresses.
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(420, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// Start the browser now, so a launch failure is reported here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: starting Chromium %s: %v", path, err)
	}
	return ctx
}
