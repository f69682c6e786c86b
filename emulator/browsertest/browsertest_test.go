package browsertest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The test browser talks only to the test's own servers: with a proxy in the environment
// (as on CI machines and in containers, where it is the way out) it sends nothing to it,
// neither at start (component updates, field trials) nor when a page has a form (autofill).
func TestBrowserReachesNoOutsideHost(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Host)
		mu.Unlock()
		http.Error(w, "no way out", http.StatusForbidden)
	}))
	defer proxy.Close()
	for _, k := range []string{"http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"} {
		t.Setenv(k, proxy.URL)
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><form><input id="name" name="name" autocomplete="name">` +
			`<input name="tel" autocomplete="tel"><button>ok</button></form>`))
	}))
	defer site.Close()

	ctx := New(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(site.URL),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Ali"),
	); err != nil {
		t.Fatal(err)
	}
	// Chromium's background requests start within a second or two of launch and of a form
	// being shown; give them time to show up (a pass can only be too lenient, never flaky).
	time.Sleep(4 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) > 0 {
		slices.Sort(seen)
		t.Errorf("the browser tried to reach outside hosts through the proxy: %q", slices.Compact(seen))
	}
}
