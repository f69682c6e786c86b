package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"coopbot"
	"coopbot/emulator/browsertest"
	"coopbot/internal/chattest"
	"coopbot/text"
)

const (
	webTextFa = "کارگاه رایگان <b>قالی‌بافی</b> از شنبه در سرای محلهٔ سرخاب.\nثبت‌نام: دفتر تعاون & سرای محله"
	webTextAz = "سورخاب محله ائوینده شنبه گونو پولسوز <b>خالچا توخوما</b> کارگاهی.\nیازیلماق: تعاون دفتری & محله ائوی"
)

var keyFieldRE = regexp.MustCompile(`name="key" value="([^"]+)"`)

// composeForm opens the compose page and returns its form key and CSRF token.
func composeForm(t *testing.T, b *browser) (key, token string) {
	t.Helper()
	code, page := b.get("/broadcasts/new")
	if code != http.StatusOK {
		t.Fatalf("compose page: %d\n%s", code, page)
	}
	m := keyFieldRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form key on the compose page:\n%s", page)
	}
	return m[1], b.csrf(page)
}

// received counts u's messages whose text is exactly s.
func received(u *chattest.User, s string) int {
	n := 0
	for _, m := range u.E.Messages() {
		if m.Text == s {
			n++
		}
	}
	return n
}

// broadcastDone waits until broadcast id has no delivery on its way any more.
func broadcastDone(t *testing.T, h *chattest.Harness, id int64) *coopbot.BroadcastStatus {
	t.Helper()
	deadline := time.Now().Add(chattest.Wait)
	for {
		st, err := h.DB.BroadcastStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Finished {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("broadcast %d did not finish: %+v", id, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Office staff compose a broadcast to one neighborhood in the console: the preview shows
// both texts as residents get them and the recipients per platform; sending it delivers
// each resident of the neighborhood their language's text once and nobody else anything.
// The same send form posted twice creates one broadcast and one message per resident.
// The history and the broadcast's page show the outcome counts; the recipients' export
// is the chat's, audited.
func TestConsoleBroadcastToNeighborhood(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7701)})
	s := h.User(7701)
	s.Onboard("ولیعصر")
	fa := h.User(7702)
	fa.Onboard("سرخاب")
	az := h.User(7703).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	other := h.User(7704)
	other.Onboard("نوبر")
	nbh, empty := h.Neighborhood("سرخاب"), h.Neighborhood("ششگلان")

	b := newBrowser(t, h)
	page := b.signIn(s.ConsoleLink())
	if !strings.Contains(page, `href="/broadcasts"`) || !strings.Contains(page, `href="/questions"`) {
		t.Errorf("the nav lacks the broadcasts or questions link")
	}
	key, token := composeForm(t, b)
	form := url.Values{"csrf": {token}, "key": {key}, "audience": {"neighborhoods"}, "nbh": {strconv.FormatInt(nbh, 10)},
		"mode": {"both"}, "text_fa": {webTextFa}, "text_az": {webTextAz}, "when": {"now"}}

	// A send form without its CSRF token (another site's form, say): refused, recorded,
	// nothing sent.
	forged := url.Values{}
	for k, v := range form {
		if k != "csrf" {
			forged[k] = v
		}
	}
	if c, _ := b.do(http.MethodPost, "/broadcasts", forged); c != http.StatusForbidden {
		t.Errorf("send without CSRF token: %d, want 403", c)
	}
	if n := refused(t, h, s.ResidentID(), "console_csrf"); n != 1 {
		t.Errorf("CSRF refusals recorded %d times, want 1", n)
	}
	if n := count(t, h, `SELECT count(*) FROM broadcasts`); n != 0 {
		t.Fatalf("a form without its token created %d broadcasts", n)
	}

	// What the chat refuses, the console refuses, with the chat's words.
	long := url.Values{}
	for k, v := range form {
		long[k] = v
	}
	long.Set("text_fa", strings.Repeat("ب", 4097))
	if c, page := b.do(http.MethodPost, "/broadcasts/preview", long); c != http.StatusUnprocessableEntity ||
		!strings.Contains(page, b.text(coopbot.Persian, "broadcast.text.too_long", "Max", "۴٬۰۹۶", "Len", "۴٬۰۹۷")) {
		t.Errorf("a text too long: %d", c)
	}
	long.Set("text_fa", webTextFa)
	long.Set("nbh", strconv.FormatInt(empty, 10))
	if c, page := b.do(http.MethodPost, "/broadcasts", long); c != http.StatusUnprocessableEntity ||
		!strings.Contains(page, b.text(coopbot.Persian, "broadcast.audience.empty")) {
		t.Errorf("a neighborhood nobody lives in: %d", c)
	}

	c, preview := b.do(http.MethodPost, "/broadcasts/preview", form)
	if c != http.StatusOK {
		t.Fatalf("preview: %d\n%s", c, preview)
	}
	for _, want := range []string{
		template(webTextFa), template(webTextAz),
		b.text(coopbot.Persian, "broadcast.preview.label_fa"), b.text(coopbot.Persian, "broadcast.preview.label_az"),
		b.text(coopbot.Persian, "broadcast.preview.count_telegram", "Fa", "۱", "Az", "۱"),
		b.text(coopbot.Persian, "broadcast.preview.total", "Total", "۲"),
		b.text(coopbot.Persian, "broadcast.preview.now"),
		`id="send-form"`, `value="` + key + `"`,
	} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q", want)
		}
	}
	if n := count(t, h, `SELECT count(*) FROM broadcasts`); n != 0 {
		t.Fatalf("the preview created %d broadcasts", n)
	}

	// Send, then the same form again (a double press).
	c, sent := b.do(http.MethodPost, "/broadcasts", form)
	if c != http.StatusOK || !strings.Contains(sent, b.text(coopbot.Persian, "console.broadcasts.notice_sent")) {
		t.Fatalf("send: %d\n%s", c, sent)
	}
	c, again := b.do(http.MethodPost, "/broadcasts", form)
	if c != http.StatusOK || !strings.Contains(again, b.text(coopbot.Persian, "console.broadcasts.sent_already")) {
		t.Fatalf("the same form again: %d\n%s", c, again)
	}
	if n := count(t, h, `SELECT count(*) FROM broadcasts`); n != 1 {
		t.Fatalf("%d broadcasts, want 1", n)
	}
	id := int64(count(t, h, `SELECT id FROM broadcasts`))
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'broadcast_create' AND allowed`, s.ResidentID()); n != 1 {
		t.Errorf("broadcast_create audited %d times, want 1", n)
	}

	if m := fa.SeesText(webTextFa); m.ParseMode != "" {
		t.Errorf("the Persian reader's text has parse mode %q", m.ParseMode)
	}
	az.SeesText(webTextAz)
	st := broadcastDone(t, h, id)
	h.Idle()
	other.Quiet(200 * time.Millisecond)
	if st.Sent != 2 || st.Total != 2 {
		t.Fatalf("broadcast counts %+v, want 2 sent of 2", st)
	}
	for _, r := range []struct {
		u    *chattest.User
		text string
		want int
	}{{fa, webTextFa, 1}, {az, webTextAz, 1}, {fa, webTextAz, 0}, {az, webTextFa, 0}, {other, webTextFa, 0}, {other, webTextAz, 0}} {
		if n := received(r.u, r.text); n != r.want {
			t.Errorf("user %d got a text %d times, want %d", r.u.ID, n, r.want)
		}
	}

	// The page of the broadcast and the history.
	path := "/broadcasts/" + strconv.FormatInt(id, 10)
	c, one := b.get(path)
	if c != http.StatusOK || !strings.Contains(one, `id="n-sent">۲<`) || !strings.Contains(one, b.text(coopbot.Persian, "console.broadcasts.percent", "Percent", "۱۰۰", "Done", "۲", "Total", "۲")) || !strings.Contains(one, b.text(coopbot.Persian, "console.broadcasts.status.done")) ||
		strings.Contains(one, `http-equiv="refresh"`) || strings.Contains(one, `id="cancel"`) || !strings.Contains(one, "<svg") {
		t.Errorf("the page of a finished broadcast (%d):\n%s", c, one)
	}
	c, list := b.get("/broadcasts")
	row := regexp.MustCompile(`(?s)<tr id="broadcast-` + strconv.FormatInt(id, 10) + `">.*?</tr>`).FindString(list)
	if c != http.StatusOK || row == "" {
		t.Fatalf("history (%d) lacks broadcast %d:\n%s", c, id, list)
	}
	for _, want := range []string{`class="n sent">۲<`, `class="n blocked">۰<`, `class="n failed">۰<`, `class="n pending">۰<`,
		"سرخاب", text.Date(time.Now()), "<svg", `class="seg-sent"`} {
		if !strings.Contains(row, want) {
			t.Errorf("history row lacks %q:\n%s", want, row)
		}
	}

	// The overview shows it among the recent broadcasts, with its outcome.
	_, overview := b.get("/")
	recent := regexp.MustCompile(`(?s)<section class="panel" id="recent-broadcasts">.*?</section>`).FindString(overview)
	if !strings.Contains(recent, `href="`+path+`"`) || !strings.Contains(recent, `class="n sent">۲<`) || !strings.Contains(recent, "<svg") {
		t.Errorf("the overview's recent broadcasts lack this one:\n%s", recent)
	}

	// The recipients' export: the chat's table, audited.
	c, csv := b.get(path + "/recipients?format=csv")
	if c != http.StatusOK || strings.Count(csv, b.text(coopbot.Persian, "broadcast.export.outcome.sent")) != 2 {
		t.Errorf("recipients CSV (%d):\n%s", c, csv)
	}
	if c, xlsx := b.get(path + "/recipients?format=xlsx"); c != http.StatusOK || !strings.HasPrefix(xlsx, "PK") {
		t.Errorf("recipients workbook: %d", c)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'broadcast_export' AND allowed`, s.ResidentID()); n != 2 {
		t.Errorf("exports audited %d times, want 2", n)
	}
}

// template is s as html/template writes it in a page.
func template(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// While a broadcast is sent slowly, its page reloads itself and offers Cancel; Cancel
// (with its CSRF token) stops what was not sent yet: the residents not reached by then
// get nothing, the counts say so, and the stop is audited as in the chat.
func TestConsoleBroadcastCancelStopsTheRest(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7801), SendRate: 2})
	s := h.User(7801)
	s.Onboard("ولیعصر")
	nbh := h.Neighborhood("مارالان")
	if _, err := h.DB.Pool.Exec(context.Background(), `
		INSERT INTO residents (platform, user_id, chat_id, lang, neighborhood_id, name)
		SELECT 'telegram', g, g, 'fa', $1, 'resident' FROM generate_series(7810::bigint, 7829::bigint) g`, nbh); err != nil {
		t.Fatal(err)
	}
	var users []*chattest.User
	for i := range 20 {
		u := h.User(7810 + int64(i))
		u.Send("/start")
		users = append(users, u)
	}
	for _, u := range users {
		u.Sees("menu.title")
	}

	b := newBrowser(t, h)
	b.signIn(s.ConsoleLink())
	key, token := composeForm(t, b)
	const words = "جلسهٔ مجمع عمومی تعاونی، پنجشنبه ساعت ۱۷"
	c, page := b.do(http.MethodPost, "/broadcasts", url.Values{"csrf": {token}, "key": {key}, "audience": {"neighborhoods"},
		"nbh": {strconv.FormatInt(nbh, 10)}, "mode": {"one"}, "text_one": {words}, "when": {"now"}})
	if c != http.StatusOK || !strings.Contains(page, `http-equiv="refresh" content="5"`) || !strings.Contains(page, `id="cancel"`) {
		t.Fatalf("a running broadcast's page (%d) should reload itself and offer Cancel:\n%s", c, page)
	}
	id := int64(count(t, h, `SELECT id FROM broadcasts`))
	path := "/broadcasts/" + strconv.FormatInt(id, 10)
	users[0].SeesText(words) // under way

	if c, _ := b.do(http.MethodPost, path+"/cancel", url.Values{}); c != http.StatusForbidden {
		t.Errorf("cancel without CSRF token: %d, want 403", c)
	}
	if n := count(t, h, `SELECT count(*) FROM broadcasts WHERE id = $1 AND status = 'running'`, id); n != 1 {
		t.Fatal("a cancel without its token stopped the broadcast")
	}
	c, page = b.do(http.MethodPost, path+"/cancel", url.Values{"csrf": {token}})
	if c != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.broadcasts.notice_cancelled")) || strings.Contains(page, `id="cancel"`) {
		t.Fatalf("cancel: %d\n%s", c, page)
	}
	st := broadcastDone(t, h, id)
	if st.Status != coopbot.BroadcastCancelled || st.Cancelled == 0 || st.Sent+st.Cancelled+st.Failed+st.Unknown != 20 {
		t.Fatalf("after cancel: %+v", st)
	}
	h.Idle()
	got := 0
	for _, u := range users {
		got += received(u, words)
	}
	if got != st.Sent {
		t.Errorf("%d residents got the text, the counts say %d were sent", got, st.Sent)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'broadcast_cancel' AND allowed`, s.ResidentID()); n != 1 {
		t.Errorf("cancel audited %d times, want 1", n)
	}
	_, page = b.get(path)
	if !strings.Contains(page, `id="n-cancelled">`+text.Number(int64(st.Cancelled))+`<`) || strings.Contains(page, `http-equiv="refresh"`) {
		t.Errorf("the page of the cancelled broadcast:\n%s", page)
	}
	// Cancel again: it is over.
	if c, page := b.do(http.MethodPost, path+"/cancel", url.Values{"csrf": {token}}); c != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.broadcasts.cancel_over")) {
		t.Errorf("a second cancel: %d", c)
	}
}

// A neighborhood manager is offered their own neighborhood only; a forged form naming
// another neighborhood (or everyone) is refused with 403 and recorded, at the preview and
// at the send, and creates nothing; another neighborhood's broadcast is not theirs to
// open, cancel or export. Their own broadcast reaches their neighborhood. The manager
// reads the console in Azeri.
func TestConsoleBroadcastManagerScope(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7901)})
	own, other := h.Neighborhood("سرخاب"), h.Neighborhood("مارالان")
	m := h.User(7902).Speaks(coopbot.Azeri)
	m.Onboard("سرخاب")
	m.Manager(own)
	r := h.User(7903)
	r.Onboard("سرخاب")
	o := h.User(7904)
	o.Onboard("مارالان")
	// An office broadcast to the other neighborhood.
	st := h.User(7901)
	st.Onboard("ولیعصر")
	sb := newBrowser(t, h)
	sb.signIn(st.ConsoleLink())
	skey, stoken := composeForm(t, sb)
	if c, _ := sb.do(http.MethodPost, "/broadcasts", url.Values{"csrf": {stoken}, "key": {skey}, "audience": {"neighborhoods"},
		"nbh": {strconv.FormatInt(other, 10)}, "mode": {"one"}, "text_one": {"پیام اداره به مارالان"}, "when": {"now"}}); c != http.StatusOK {
		t.Fatalf("office broadcast: %d", c)
	}
	theirs := int64(count(t, h, `SELECT max(id) FROM broadcasts`))
	o.SeesText("پیام اداره به مارالان")

	b := newBrowser(t, h)
	b.signIn(m.ConsoleLink())
	code, page := b.get("/broadcasts/new")
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Azeri, "broadcast.audience.own", "Name", "سورخاب")) ||
		strings.Contains(page, `value="all"`) || strings.Contains(page, `name="nbh" value="`+strconv.FormatInt(other, 10)+`"`) {
		t.Fatalf("a manager's compose page (%d):\n%s", code, page)
	}
	key, token := composeForm(t, b)
	forged := url.Values{"csrf": {token}, "key": {key}, "audience": {"neighborhoods"}, "nbh": {strconv.FormatInt(other, 10)},
		"mode": {"one"}, "text_one": {"پیام جعلی"}, "when": {"now"}}
	if c, _ := b.do(http.MethodPost, "/broadcasts/preview", forged); c != http.StatusForbidden {
		t.Errorf("preview to another neighborhood: %d, want 403", c)
	}
	if c, _ := b.do(http.MethodPost, "/broadcasts", forged); c != http.StatusForbidden {
		t.Errorf("send to another neighborhood: %d, want 403", c)
	}
	forged.Set("audience", "all")
	if c, _ := b.do(http.MethodPost, "/broadcasts", forged); c != http.StatusForbidden {
		t.Errorf("send to everyone: %d, want 403", c)
	}
	if n := refused(t, h, m.ResidentID(), "broadcast_create"); n != 3 {
		t.Errorf("refused broadcasts recorded %d times, want 3", n)
	}
	if n := count(t, h, `SELECT count(*) FROM broadcasts WHERE created_by = $1`, m.ResidentID()); n != 0 {
		t.Fatalf("a refused form created %d broadcasts", n)
	}

	// The office's broadcast to the other neighborhood is not the manager's.
	path := "/broadcasts/" + strconv.FormatInt(theirs, 10)
	if c, page := b.get(path); c != http.StatusForbidden || strings.Contains(page, "پیام اداره به مارالان") {
		t.Errorf("another neighborhood's broadcast: %d, want 403", c)
	}
	if c, _ := b.do(http.MethodPost, path+"/cancel", url.Values{"csrf": {token}}); c != http.StatusForbidden {
		t.Errorf("cancel of another neighborhood's broadcast: %d, want 403", c)
	}
	if c, _ := b.get(path + "/recipients?format=csv"); c != http.StatusForbidden {
		t.Errorf("export of another neighborhood's broadcast: %d, want 403", c)
	}
	if a, c, e := refused(t, h, m.ResidentID(), "broadcast_open"), refused(t, h, m.ResidentID(), "broadcast_cancel"), refused(t, h, m.ResidentID(), "broadcast_export"); a != 1 || c != 1 || e != 1 {
		t.Errorf("refusals recorded: open %d, cancel %d, export %d; want 1 each", a, c, e)
	}
	if _, list := b.get("/broadcasts"); strings.Contains(list, `href="`+path+`"`) {
		t.Errorf("the manager's history lists another neighborhood's broadcast")
	}

	// Their own neighborhood: sent, to its residents (the manager lives there too), once
	// however many times the form goes at the same moment.
	send := url.Values{"csrf": {token}, "key": {key}, "audience": {"neighborhoods"},
		"nbh": {strconv.FormatInt(own, 10)}, "mode": {"one"}, "text_one": {"جلسهٔ محلهٔ سرخاب"}, "when": {"now"}}
	var wg sync.WaitGroup
	pages := make([]string, 3)
	codes := make([]int, 3)
	for i := range pages {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i], pages[i] = b.do(http.MethodPost, "/broadcasts", send) }()
	}
	wg.Wait()
	firsts := 0
	for i, page := range pages {
		if codes[i] != http.StatusOK {
			t.Fatalf("a send of the manager's own broadcast: %d\n%s", codes[i], page)
		}
		if strings.Contains(page, b.text(coopbot.Azeri, "console.broadcasts.notice_sent")) {
			firsts++
		}
	}
	if firsts != 1 {
		t.Errorf("%d of 3 sends of one form said they sent it, want 1", firsts)
	}
	if n := count(t, h, `SELECT count(*) FROM broadcasts WHERE created_by = $1`, m.ResidentID()); n != 1 {
		t.Fatalf("3 sends of one form created %d broadcasts", n)
	}
	r.SeesText("جلسهٔ محلهٔ سرخاب")
	broadcastDone(t, h, int64(count(t, h, `SELECT id FROM broadcasts WHERE created_by = $1`, m.ResidentID())))
	h.Idle()
	if n := received(r, "جلسهٔ محلهٔ سرخاب"); n != 1 {
		t.Errorf("the resident got the manager's broadcast %d times, want 1", n)
	}
	if n := received(o, "جلسهٔ محلهٔ سرخاب"); n != 0 {
		t.Errorf("another neighborhood's resident got the manager's broadcast %d times", n)
	}
}

// A later start: the preview shows the day in Jalali (also when typed in the Gregorian
// calendar) and the time; a day past is refused with the chat's words; the broadcast
// waits, scheduled, its page reloading and offering Cancel, and nobody gets it yet.
func TestConsoleBroadcastLater(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7951)})
	s := h.User(7951)
	s.Onboard("ولیعصر")
	r := h.User(7952)
	r.Onboard("نوبر")
	b := newBrowser(t, h)
	b.signIn(s.ConsoleLink())
	key, token := composeForm(t, b)
	day := time.Now().In(text.Tehran).Add(48 * time.Hour)
	form := url.Values{"csrf": {token}, "key": {key}, "audience": {"lang"}, "lang": {"fa"}, "text_fa": {"یادآوری جلسه"},
		"when": {"later"}, "day": {day.Format("2006-01-02")}, "clock": {"۱۰:۳۰"}}
	c, page := b.do(http.MethodPost, "/broadcasts/preview", form)
	at := text.JalaliOf(day).At(10, 30)
	if want := b.text(coopbot.Persian, "broadcast.preview.at", "Date", text.LongDate(at, text.LangFa), "Clock", text.Clock(at)); c != http.StatusOK || !strings.Contains(page, want) {
		t.Fatalf("preview of a later start (%d) lacks %q:\n%s", c, want, page)
	}
	if !strings.Contains(page, b.text(coopbot.Persian, "broadcast.who.lang_fa")) {
		t.Errorf("the preview does not name the audience")
	}
	past := url.Values{}
	for k, v := range form {
		past[k] = v
	}
	yesterday := time.Now().In(text.Tehran).Add(-24 * time.Hour)
	past.Set("day", text.JalaliOf(yesterday).String())
	if c, page := b.do(http.MethodPost, "/broadcasts/preview", past); c != http.StatusUnprocessableEntity ||
		!strings.Contains(page, b.text(coopbot.Persian, "broadcast.date.past", "Today", text.Date(time.Now()))) {
		t.Errorf("a day past: %d", c)
	}
	c, page = b.do(http.MethodPost, "/broadcasts", form)
	if c != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.broadcasts.status.scheduled")) ||
		!strings.Contains(page, `http-equiv="refresh"`) || !strings.Contains(page, `id="cancel"`) {
		t.Fatalf("a scheduled broadcast's page (%d):\n%s", c, page)
	}
	if n := count(t, h, `SELECT count(*) FROM broadcasts WHERE status = 'scheduled' AND start_at = $1`, at); n != 1 {
		t.Errorf("scheduled broadcasts at %v: %d, want 1", at, n)
	}
	r.Quiet(300 * time.Millisecond)
	if n := received(r, "یادآوری جلسه"); n != 0 {
		t.Errorf("a scheduled broadcast was sent at once")
	}
}

// In headless Chromium, as an office expert does: from the broadcasts page to the compose
// form, a neighborhood ticked and a text of two lines typed, the preview, the send; the
// resident gets the two lines exactly (the hidden fields carry the text unchanged) and
// the broadcast's page shows it delivered. With COOPBOT_SCREENSHOTS=dir the compose
// page with its preview, the broadcast's page and the history are saved there as PNG.
func TestBroadcastInBrowser(t *testing.T) {
	bctx := browsertest.New(t)
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(8001)})
	s := h.User(8001)
	s.Onboard("ولیعصر")
	r := h.User(8002)
	r.Onboard("سرخاب")
	nbh := h.Neighborhood("سرخاب")
	link := s.ConsoleLink()
	const words = "کارگاه رایگان قالی‌بافی\nثبت‌نام در سرای محله"

	c := newChrome(t, bctx)
	poll, step, shot := c.poll, c.step, c.shot
	step("sign in",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#enter")),
		press("#enter"),
		chromedp.WaitVisible(chromedp.CSS("#heat")),
	)
	step("compose",
		press(`nav a[href="/broadcasts"]`),
		chromedp.WaitVisible(chromedp.CSS("a#compose")),
		press("a#compose"),
		chromedp.WaitVisible(chromedp.CSS("#compose-form")),
		chromedp.Click(chromedp.CSS("#aud-neighborhoods")),
		chromedp.Click(chromedp.CSS(`input[name="nbh"][value="`+strconv.FormatInt(nbh, 10)+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name="mode"][value="one"]`)),
		// Typed keys would lose the zero-width non-joiner of Persian words: the value as pasted.
		chromedp.SetValue(chromedp.CSS(`textarea[name="text_one"]`), words),
		press("#preview-submit"),
		chromedp.WaitVisible(chromedp.CSS("#send-form")),
		poll(`document.querySelector("#preview .bubble") !== null && document.querySelector("#preview .bubble").textContent === `+strconv.Quote(words)),
	)
	shot("console-broadcast-preview.png")
	step("send",
		press("#send"),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
		poll(`document.querySelector("#progress svg.stack") !== null`),
	)
	if m := r.SeesText(words); m.Text != words {
		t.Fatalf("the resident got %q", m.Text)
	}
	id := int64(count(t, h, `SELECT id FROM broadcasts`))
	broadcastDone(t, h, id)
	step("the page shows it delivered",
		chromedp.Navigate(h.ConsoleURL+"/broadcasts/"+strconv.FormatInt(id, 10)),
		chromedp.WaitVisible(chromedp.CSS("#n-sent")),
		poll(`document.querySelector("#n-sent").textContent === "۱" && document.querySelector('meta[http-equiv="refresh"]') === null`),
	)
	shot("console-broadcast.png")
	step("the history",
		chromedp.Navigate(h.ConsoleURL+"/broadcasts"),
		chromedp.WaitVisible(chromedp.CSS("#broadcasts")),
	)
	shot("console-broadcasts.png")
}

// Office staff are offered the chat's audiences: everyone, neighborhoods, a cooperative
// (there is one), a language; no training (none has enrollees). A cooperative without
// members has nobody to send to, said as the chat says it. A cooperative admin without a
// staff role has neither broadcasts nor questions: refused and recorded.
func TestConsoleBroadcastAudiencesByRole(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(8201)})
	s := h.User(8201)
	s.Onboard("ولیعصر")
	coop := h.Cooperative(h.Neighborhood("ولیعصر"), "تعاونی فرش دستباف آزمون")
	a := h.User(8202)
	a.Onboard("ولیعصر")
	a.CoopAdmin(coop)

	b := newBrowser(t, h)
	b.signIn(s.ConsoleLink())
	_, page := b.get("/broadcasts/new")
	for _, want := range []string{`value="all"`, `value="neighborhoods"`, `value="cooperative"`, `value="lang"`, "تعاونی فرش دستباف آزمون"} {
		if !strings.Contains(page, want) {
			t.Errorf("office staff's compose page lacks %s", want)
		}
	}
	if strings.Contains(page, `value="training"`) {
		t.Errorf("a training audience is offered with no training to choose")
	}
	key, token := composeForm(t, b)
	c, page := b.do(http.MethodPost, "/broadcasts/preview", url.Values{"csrf": {token}, "key": {key}, "audience": {"cooperative"},
		"coop": {strconv.FormatInt(coop, 10)}, "mode": {"one"}, "text_one": {"مجمع عمومی"}, "when": {"now"}})
	if c != http.StatusUnprocessableEntity || !strings.Contains(page, b.text(coopbot.Persian, "broadcast.audience.empty")) {
		t.Errorf("a cooperative without members: %d", c)
	}
	c, page = b.do(http.MethodPost, "/broadcasts/preview", url.Values{"csrf": {token}, "key": {key}, "audience": {"cooperative"},
		"coop": {"999999"}, "mode": {"one"}, "text_one": {"مجمع عمومی"}, "when": {"now"}})
	if c != http.StatusUnprocessableEntity || !strings.Contains(page, b.text(coopbot.Persian, "console.broadcasts.choose_cooperative")) {
		t.Errorf("a cooperative not offered: %d", c)
	}

	ab := newBrowser(t, h)
	ab.signIn(a.ConsoleLink())
	for _, path := range []string{"/broadcasts", "/broadcasts/new", "/questions"} {
		if c, _ := ab.get(path); c != http.StatusForbidden {
			t.Errorf("%s for a cooperative admin: %d, want 403", path, c)
		}
	}
	if l, o, q := refused(t, h, a.ResidentID(), "broadcast_list"), refused(t, h, a.ResidentID(), "broadcast_open"), refused(t, h, a.ResidentID(), "question_inbox"); l != 1 || o != 1 || q != 1 {
		t.Errorf("refusals recorded: list %d, compose %d, questions %d; want 1 each", l, o, q)
	}
	if _, page := ab.get("/"); strings.Contains(page, `href="/broadcasts"`) || strings.Contains(page, `href="/questions"`) {
		t.Errorf("a cooperative admin's nav offers broadcasts or questions")
	}
}
