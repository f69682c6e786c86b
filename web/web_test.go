package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// browser is a person's browser on the console: it keeps the session cookie.
type browser struct {
	t    *testing.T
	h    *chattest.Harness
	http *http.Client
}

func newBrowser(t *testing.T, h *chattest.Harness) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, h: h, http: &http.Client{Jar: jar}}
}

// do sends a request and returns the status and the body.
func (b *browser) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = b.h.ConsoleURL + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		b.t.Errorf("%s %s: Content-Security-Policy %q", method, path, csp)
	}
	return resp.StatusCode, string(out)
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the form token from a page.
func (b *browser) csrf(page string) string {
	b.t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	return m[1]
}

// signIn opens the link and presses "enter", as a person does.
func (b *browser) signIn(link string) string {
	b.t.Helper()
	code, page := b.get(link)
	if code != http.StatusOK || !strings.Contains(page, `id="enter"`) {
		b.t.Fatalf("sign-in page: %d\n%s", code, page)
	}
	return b.login(link, http.StatusOK)
}

// login posts the link's token and wants code; it returns the page it lands on.
func (b *browser) login(link string, want int) string {
	b.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		b.t.Fatal(err)
	}
	code, page := b.do(http.MethodPost, "/login", url.Values{"t": {u.Query().Get("t")}})
	if code != want {
		b.t.Fatalf("POST /login: %d, want %d\n%s", code, want, page)
	}
	return page
}

func (b *browser) text(lang coopbot.Lang, id string, kv ...any) string {
	b.t.Helper()
	m := coopbot.M(id, kv...)
	s, err := b.h.Cat.Text(lang, id, m.Data, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// count runs a counting query.
func count(t *testing.T, h *chattest.Harness, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func refused(t *testing.T, h *chattest.Harness, actor int64, action string) int {
	t.Helper()
	return count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = $2 AND NOT allowed`, actor, action)
}

// A neighborhood manager signs in through the bot's link and sees their neighborhood's
// reports; another neighborhood's report and the office-only audit log answer 403 and
// are recorded; the link works once; an expired link fails; the cookie is HttpOnly and
// SameSite=Strict.
func TestManagerSignsInWithinScope(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	own, other := h.Neighborhood("سرخاب"), h.Neighborhood("مارالان")
	m := h.User(7001)
	m.Onboard("سرخاب")
	m.Manager(own)
	r1 := h.User(7002)
	r1.Onboard("سرخاب")
	mine := r1.ReportNeed("کار ندارم و اجاره عقب افتاده")
	r2 := h.User(7003)
	r2.Onboard("مارالان")
	theirs := r2.ReportNeed("سقف خانه چکه می‌کند و پول تعمیر نداریم")
	_ = other

	link := m.ConsoleLink()
	b := newBrowser(t, h)
	// Opening the link alone (a messenger's preview does) spends nothing.
	b.get(link)
	overview := b.signIn(link)
	if !strings.Contains(overview, `id="heat"`) || !strings.Contains(overview, b.text(coopbot.Persian, "console.role.manager", "Name", "سرخاب")) {
		t.Fatalf("overview of a manager:\n%s", overview)
	}
	u, _ := url.Parse(h.ConsoleURL)
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name != "coopbot_console" {
			t.Errorf("unexpected cookie %s", c.Name)
		}
	}

	code, list := b.get("/needs")
	if code != http.StatusOK || !strings.Contains(list, "/needs/"+strconv.FormatInt(mine, 10)) || strings.Contains(list, "/needs/"+strconv.FormatInt(theirs, 10)) {
		t.Fatalf("manager's need list (%d) should hold report %d only:\n%s", code, mine, list)
	}
	if code, page := b.get("/needs/" + strconv.FormatInt(mine, 10)); code != http.StatusOK || !strings.Contains(page, "کار ندارم و اجاره عقب افتاده") {
		t.Fatalf("own neighborhood's report: %d\n%s", code, page)
	}
	code, page := b.get("/needs/" + strconv.FormatInt(theirs, 10))
	if code != http.StatusForbidden || strings.Contains(page, "سقف خانه") {
		t.Fatalf("another neighborhood's report: %d, want 403 without its text\n%s", code, page)
	}
	if n := refused(t, h, m.ResidentID(), "need_open"); n != 1 {
		t.Errorf("refused report recorded %d times, want 1", n)
	}
	if code, _ := b.get("/audit"); code != http.StatusForbidden {
		t.Errorf("audit log for a manager: %d, want 403", code)
	}
	if n := refused(t, h, m.ResidentID(), "audit_list"); n != 1 {
		t.Errorf("refused audit log recorded %d times, want 1", n)
	}
	// A manager cannot widen the list with the address either.
	if code, list := b.get("/needs?nbh=" + strconv.FormatInt(other, 10)); code != http.StatusOK || strings.Contains(list, "/needs/"+strconv.FormatInt(theirs, 10)) {
		t.Errorf("manager's list with another neighborhood in the address: %d", code)
	}

	// The link was used: a second browser gets nowhere with it.
	b2 := newBrowser(t, h)
	page = b2.login(link, http.StatusForbidden)
	if !strings.Contains(page, b.text(coopbot.Persian, "console.link.invalid")) {
		t.Errorf("used link's page:\n%s", page)
	}
	if code, _ := b2.get("/needs"); code != http.StatusUnauthorized {
		t.Errorf("after a used link: /needs %d, want 401", code)
	}
	// An expired link fails too.
	late := m.ConsoleLink()
	if _, err := h.DB.Pool.Exec(context.Background(), `UPDATE console_links SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	b2.login(late, http.StatusForbidden)
	if n := refused(t, h, m.ResidentID(), "console_signin"); n != 2 {
		t.Errorf("failed sign-ins recorded %d times, want 2", n)
	}
	// Signing out ends the session on the server.
	_, page = b.get("/")
	if code, _ := b.do(http.MethodPost, "/logout", url.Values{"csrf": {b.csrf(page)}}); code != http.StatusOK {
		t.Errorf("sign-out: %d", code)
	}
	if code, _ := b.get("/"); code != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d, want 401", code)
	}
}

// The cookie's attributes, read from the response that sets it.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7101)})
	s := h.User(7101)
	s.Onboard("سرخاب")
	link := s.ConsoleLink()
	u, _ := url.Parse(link)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		PostForm(h.ConsoleURL+"/login", url.Values{"t": {u.Query().Get("t")}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sc := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") || !strings.Contains(sc, "Expires=") || strings.Contains(sc, "Secure") {
		t.Fatalf("sign-in: %d, Set-Cookie %q (want HttpOnly, SameSite=Strict, expiring, not Secure over http)", resp.StatusCode, sc)
	}
	if p := resp.Header.Get("Referrer-Policy"); p != "same-origin" {
		t.Errorf("Referrer-Policy %q", p)
	}
}

// A manager moves a report to "reviewing" in the console: the chat's rules apply (a move
// backwards is refused), the change is audited as in the chat, and the resident, who
// speaks Azeri, is told in Azeri. A form without its CSRF token changes nothing. The
// console speaks the manager's language and switches to the other.
func TestStatusChangeTellsTheResident(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	nbh := h.Neighborhood("ششگلان")
	m := h.User(7201).Speaks(coopbot.Azeri)
	m.Onboard("ششگلان")
	m.Manager(nbh)
	r := h.User(7202).Speaks(coopbot.Azeri)
	r.Onboard("ششگلان")
	id := r.ReportNeed("ایشسیزم و ائوین کیراسینی وئره بیلمیرم")
	code := count(t, h, `SELECT code::int FROM need_reports WHERE id = $1`, id)

	b := newBrowser(t, h)
	b.signIn(m.ConsoleLink())
	path := "/needs/" + strconv.FormatInt(id, 10)
	_, page := b.get(path)
	if !strings.Contains(page, `lang="az-Arab"`) || !strings.Contains(page, b.text(coopbot.Azeri, "console.need.change")) {
		t.Fatalf("the report page is not in Azeri:\n%s", page)
	}
	token := b.csrf(page)

	// Without the token: refused, recorded, nothing changed.
	if c, _ := b.do(http.MethodPost, path+"/status", url.Values{"from": {"received"}, "to": {"reviewing"}}); c != http.StatusForbidden {
		t.Errorf("status change without CSRF token: %d, want 403", c)
	}
	if c, _ := b.do(http.MethodPost, path+"/status", url.Values{"csrf": {"x" + token}, "from": {"received"}, "to": {"reviewing"}}); c != http.StatusForbidden {
		t.Errorf("status change with a wrong CSRF token: %d, want 403", c)
	}
	if n := refused(t, h, m.ResidentID(), "console_csrf"); n != 2 {
		t.Errorf("CSRF refusals recorded %d times, want 2", n)
	}
	if n := count(t, h, `SELECT count(*) FROM need_reports WHERE id = $1 AND status = 'received'`, id); n != 1 {
		t.Fatal("a form without its token changed the report")
	}
	// A referral without whom it goes to: the same question again, with the reason.
	c, page := b.do(http.MethodPost, path+"/status", url.Values{"csrf": {token}, "from": {"received"}, "to": {"referred"}})
	if c != http.StatusUnprocessableEntity || !strings.Contains(page, b.text(coopbot.Azeri, "needs.referto.invalid")) {
		t.Errorf("referral without a name: %d\n%s", c, page)
	}

	c, page = b.do(http.MethodPost, path+"/status", url.Values{"csrf": {token}, "from": {"received"}, "to": {"reviewing"}, "note": {"صاباح باخاجاغیق"}})
	if c != http.StatusOK || !strings.Contains(page, b.text(coopbot.Azeri, "console.need.changed")) {
		t.Fatalf("status change: %d\n%s", c, page)
	}
	if n := count(t, h, `SELECT count(*) FROM need_reports WHERE id = $1 AND status = 'reviewing'`, id); n != 1 {
		t.Fatal("the report did not move to reviewing")
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'need_status' AND allowed`, m.ResidentID()); n != 1 {
		t.Errorf("status change audited %d times, want 1", n)
	}
	if msg := r.Sees("need.notify.title", "Code", text.FaDigits(strconv.Itoa(code))); !strings.Contains(msg.Text, r.Text("need.notify.reviewing", "To", "")) {
		t.Errorf("the resident's notice does not say reviewing: %q", msg.Text)
	}

	// The same form again (a double press): the report moved meanwhile, nothing twice.
	c, page = b.do(http.MethodPost, path+"/status", url.Values{"csrf": {token}, "from": {"received"}, "to": {"reviewing"}})
	if c != http.StatusUnprocessableEntity || !strings.Contains(page, b.text(coopbot.Azeri, "needs.card.conflict")) {
		t.Errorf("the same change again: %d", c)
	}
	// Backwards is not a move the chat allows either.
	c, _ = b.do(http.MethodPost, path+"/status", url.Values{"csrf": {token}, "from": {"reviewing"}, "to": {"received"}})
	if c != http.StatusUnprocessableEntity {
		t.Errorf("a move backwards: %d, want 422", c)
	}
	if n := count(t, h, `SELECT count(*) FROM need_events WHERE report_id = $1`, id); n != 2 {
		t.Errorf("history has %d entries, want the submission and one change", n)
	}

	// The language switch.
	c, page = b.do(http.MethodPost, "/lang", url.Values{"csrf": {token}, "lang": {"fa"}, "back": {path}})
	if c != http.StatusOK || !strings.Contains(page, `lang="fa"`) || !strings.Contains(page, b.text(coopbot.Persian, "console.need.history")) {
		t.Errorf("after switching to Persian: %d", c)
	}
}

// Office staff read the whole picture and the audit log; a cooperative admin without a
// staff role sees their cooperative's pending requests and nothing of the needs.
func TestOfficeAndCoopAdminPages(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7301)})
	s := h.User(7301)
	s.Onboard("ائل‌گلی")
	res := h.User(7302)
	res.Onboard("ائل‌گلی")
	res.ReportNeed("دارو برای مادرم لازم داریم")
	coop := h.Cooperative(h.Neighborhood("ائل‌گلی"), "تعاونی آزمون میز کار")
	a := h.User(7303)
	a.Onboard("ائل‌گلی")
	a.CoopAdmin(coop)

	b := newBrowser(t, h)
	page := b.signIn(s.ConsoleLink())
	for _, want := range []string{`id="residents"`, `id="joins"`, `id="heat"`, `id="cats"`, "<svg", "تعاونی آزمون میز کار", `href="/audit"`} {
		if !strings.Contains(page, want) {
			t.Errorf("office overview lacks %s", want)
		}
	}
	code, audit := b.get("/audit?action=need_status")
	if code != http.StatusOK {
		t.Fatalf("audit log: %d\n%s", code, audit)
	}
	if code, audit = b.get("/audit?action=console_signin&allowed=yes"); code != http.StatusOK || !strings.Contains(audit, "console_signin") {
		t.Errorf("audit log filtered by sign-ins: %d", code)
	}
	if code, _ := b.get("/audit?allowed=maybe"); code != http.StatusBadRequest {
		t.Errorf("a malformed filter: %d, want 400", code)
	}
	if code, _ := b.get("/needs?status=lost"); code != http.StatusBadRequest {
		t.Errorf("a malformed status filter: %d, want 400", code)
	}
	if code, _ := b.get("/needs?page=-3"); code != http.StatusBadRequest {
		t.Errorf("a negative page: %d, want 400", code)
	}

	ab := newBrowser(t, h)
	page = ab.signIn(a.ConsoleLink())
	if !strings.Contains(page, "تعاونی آزمون میز کار") || strings.Contains(page, `id="heat"`) || strings.Contains(page, `href="/needs"`) {
		t.Errorf("a cooperative admin's overview:\n%s", page)
	}
	if code, _ := ab.get("/needs"); code != http.StatusForbidden {
		t.Errorf("needs for a cooperative admin: %d, want 403", code)
	}
	if n := refused(t, h, a.ResidentID(), "need_list"); n != 1 {
		t.Errorf("refused need list recorded %d times, want 1", n)
	}
	// A resident with no role is offered no link.
	res.Send("/menu")
	res.Sees("menu.title")
	if slices.Contains(res.Buttons(), res.Text("console.menu")) {
		t.Errorf("a resident's menu offers the console: %q", res.Buttons())
	}
}

// The language switch on the page a form's answer is shown on leads to a page that
// exists: the form's own, or the nearest above it.
func TestLanguageSwitchAfterAFormLeadsToAPage(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7951)})
	s := h.User(7951)
	s.Onboard("سرخاب")
	r := h.User(7952)
	r.Onboard("سرخاب")
	b := newBrowser(t, h)
	page := b.signIn(s.ConsoleLink())
	back := regexp.MustCompile(`name="back" value="([^"]*)"`)
	for path, want := range map[string]string{
		"/people/" + strconv.FormatInt(r.ResidentID(), 10) + "/manager": "/people",
		"/broadcasts/preview":  "/broadcasts",
		"/needs/999999/status": "/needs/999999",
	} {
		_, answer := b.do(http.MethodPost, path, url.Values{"csrf": {b.csrf(page)}, "nbh": {"0"}})
		m := back.FindStringSubmatch(answer)
		if m == nil || m[1] != want {
			t.Errorf("after POST %s the language switch leads to %v, want %s", path, m, want)
		}
	}
}
