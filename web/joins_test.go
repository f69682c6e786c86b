package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// applies submits a membership request of a resident in the store, as the join flow
// does, and returns its id.
func applies(t *testing.T, h *chattest.Harness, resident, coop int64, name, nid string) int64 {
	t.Helper()
	id, _, err := h.DB.SubmitJoinRequest(context.Background(), &coopbot.JoinRequest{
		CooperativeID: coop, ResidentID: resident, FullName: name, NationalID: nid,
		Phone: "+989141234567", Share: 2_000_000, Skills: []string{"cooking"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// file downloads path and returns the status, the response's headers and the body.
func (b *browser) file(path string) (int, http.Header, []byte) {
	b.t.Helper()
	resp, err := b.http.Get(b.h.ConsoleURL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// name is the name a resident goes by.
func name(t *testing.T, h *chattest.Harness, u *chattest.User) string {
	t.Helper()
	var n string
	if err := h.DB.Pool.QueryRow(context.Background(), `SELECT name FROM residents WHERE id = $1`, u.ResidentID()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func reqNo(id int64) string { return text.FaDigits(strconv.FormatInt(id, 10)) }

func joinStatus(t *testing.T, h *chattest.Harness, id int64) string {
	t.Helper()
	var s string
	if err := h.DB.Pool.QueryRow(context.Background(), `SELECT status FROM join_requests WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// A cooperative's admin reads their cooperative's pending request in the console (the
// list without personal data, the request as the chat's card shows it, national ID and
// mobile number included) and approves it: the applicant reads the chat's notice. A
// decision from another browser then comes second and is told who decided first; a
// decision the chat made first is told so too. A rejection needs a reason, as in the
// chat, and the applicant reads it. A form without its CSRF token decides nothing.
func TestJoinDecidedInConsole(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7504)})
	nbh := h.Neighborhood("سرخاب")
	const coopFa = "تعاونی فرش‌بافی میز کار"
	coop := h.Cooperative(nbh, coopFa)
	a := h.User(7501)
	a.Onboard("سرخاب")
	a.CoopAdmin(coop)
	r1 := h.User(7502)
	r1.Onboard("سرخاب")
	r2 := h.User(7503).Speaks(coopbot.Azeri)
	r2.Onboard("سرخاب")
	id1 := applies(t, h, r1.ResidentID(), coop, "مریم رضایی", "0012345679")
	id2 := applies(t, h, r2.ResidentID(), coop, "آیدین حسن‌زاده", "0023456780")
	// The first applicant applied to another cooperative too, under the same national ID.
	const elsewhereFa = "تعاونی دوم میز کار سرخاب"
	applies(t, h, r1.ResidentID(), h.Cooperative(nbh, elsewhereFa), "مریم رضایی", "0012345679")
	kv := func(id int64) []any {
		return []any{"Coop", coopFa, "CoopAz", coopFa + " تعاونیسی", "ID", reqNo(id)}
	}

	b := newBrowser(t, h)
	overview := b.signIn(a.ConsoleLink())
	if !strings.Contains(overview, `href="/joins?coop=`+strconv.FormatInt(coop, 10)+`"`) || !strings.Contains(overview, `href="/joins"`) {
		t.Fatalf("the overview does not lead to the cooperative's requests:\n%s", overview)
	}
	code, list := b.get("/joins?coop=" + strconv.FormatInt(coop, 10))
	if code != http.StatusOK || !strings.Contains(list, `href="/joins/`+strconv.FormatInt(id1, 10)+`"`) ||
		!strings.Contains(list, "مریم رضایی") || !strings.Contains(list, "/joins/export?coop="+strconv.FormatInt(coop, 10)) {
		t.Fatalf("the admin's list (%d) lacks request %d:\n%s", code, id1, list)
	}
	if strings.Contains(list, text.NationalID("0012345679")) || strings.Contains(list, "0012345679") {
		t.Errorf("the list shows a national ID")
	}
	path := "/joins/" + strconv.FormatInt(id1, 10)
	code, page := b.get(path)
	for _, want := range []string{
		b.text(coopbot.Persian, "coop.card.nid", "NationalID", text.NationalID("0012345679")),
		b.text(coopbot.Persian, "coop.card.phone", "Phone", text.Phone("+989141234567")),
		b.text(coopbot.Persian, "coop.card.name", "Name", text.Isolate("مریم رضایی")),
		b.text(coopbot.Persian, "coop.reason.capacity"),
		b.text(coopbot.Persian, "coop.card.elsewhere.applied", "Coop", elsewhereFa, "CoopAz", elsewhereFa+" تعاونیسی"),
	} {
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Fatalf("the request page (%d) lacks %q:\n%s", code, want, page)
		}
	}
	token := b.csrf(page)

	// Without the token: refused, recorded, still pending.
	if c, _ := b.do(http.MethodPost, path+"/decide", url.Values{"verdict": {"approve"}}); c != http.StatusForbidden {
		t.Errorf("a decision without CSRF token: %d, want 403", c)
	}
	if n := refused(t, h, a.ResidentID(), "console_csrf"); n != 1 || joinStatus(t, h, id1) != "pending" {
		t.Fatalf("CSRF refusal recorded %d times, request %s", n, joinStatus(t, h, id1))
	}

	c, page := b.do(http.MethodPost, path+"/decide", url.Values{"csrf": {token}, "verdict": {"approve"}})
	if c != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "coop.toast.approved")) || !strings.Contains(page, text.Isolate(name(t, h, a))) {
		t.Fatalf("approval: %d\n%s", c, page)
	}
	if joinStatus(t, h, id1) != "approved" || count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'join_decide' AND allowed`, a.ResidentID()) != 1 {
		t.Fatal("the approval was not stored and audited once")
	}
	r1.Sees("join.notify.approved", kv(id1)...)

	// Office staff in another browser decide the same request: the first decision stays.
	s := h.User(7504).Speaks(coopbot.Azeri)
	s.Onboard("سرخاب")
	sb := newBrowser(t, h)
	sb.signIn(s.ConsoleLink())
	_, spage := sb.get("/joins")
	if !strings.Contains(spage, `href="/joins/`+strconv.FormatInt(id2, 10)+`"`) {
		t.Fatalf("office staff do not see the pending request:\n%s", spage)
	}
	stoken := sb.csrf(spage)
	c, spage = sb.do(http.MethodPost, path+"/decide", url.Values{"csrf": {stoken}, "verdict": {"reject"}, "reason": {"capacity"}})
	if c != http.StatusConflict || !strings.Contains(spage, sb.text(coopbot.Azeri, "coop.decided.already", "ID", reqNo(id1))) ||
		!strings.Contains(spage, text.Isolate(name(t, h, a))) {
		t.Fatalf("a second decision: %d, want the page saying who decided first\n%s", c, spage)
	}
	if joinStatus(t, h, id1) != "approved" {
		t.Fatal("the second decision changed the request")
	}

	// A rejection without a reason, or with a listed one and words of its own: asked again.
	path2 := "/joins/" + strconv.FormatInt(id2, 10)
	if c, p := sb.do(http.MethodPost, path2+"/decide", url.Values{"csrf": {stoken}, "verdict": {"reject"}}); c != http.StatusUnprocessableEntity ||
		!strings.Contains(p, sb.text(coopbot.Azeri, "console.joins.reason_needed")) {
		t.Errorf("a rejection without a reason: %d", c)
	}
	if c, p := sb.do(http.MethodPost, path2+"/decide", url.Values{"csrf": {stoken}, "verdict": {"reject"}, "reason": {"share"}, "text": {"سهم آز"}}); c != http.StatusUnprocessableEntity ||
		!strings.Contains(p, sb.text(coopbot.Azeri, "console.joins.reason_one")) || !strings.Contains(p, "سهم آز") {
		t.Errorf("a rejection with two reasons: %d", c)
	}
	c, spage = sb.do(http.MethodPost, path2+"/decide", url.Values{"csrf": {stoken}, "verdict": {"reject"}, "reason": {"other"}, "text": {"  ظرفیت بو ایل دولدو  "}})
	if c != http.StatusOK || !strings.Contains(spage, sb.text(coopbot.Azeri, "coop.reject.done", "ID", reqNo(id2), "Name", text.Isolate("آیدین حسن‌زاده"))) {
		t.Fatalf("rejection: %d\n%s", c, spage)
	}
	if msg := r2.Sees("join.notify.rejected", kv(id2)...); !strings.Contains(msg.Text, r2.Text("join.reason.own", "Text", text.Isolate("ظرفیت بو ایل دولدو"))) {
		t.Errorf("the applicant's notice lacks the reason: %q", msg.Text)
	}

	// A request the chat decided first: the console's decision comes second.
	r3 := h.User(7505)
	r3.Onboard("سرخاب")
	id3 := applies(t, h, r3.ResidentID(), coop, "رضا محمدی", "0034567891")
	_, page = b.get("/joins/" + strconv.FormatInt(id3, 10))
	if _, _, err := h.DB.DecideJoinRequest(context.Background(), coopbot.JoinDecision{RequestID: id3, ActorID: s.ResidentID(), ReasonCode: coopbot.RejectIncomplete}); err != nil {
		t.Fatal(err)
	}
	c, page = b.do(http.MethodPost, "/joins/"+strconv.FormatInt(id3, 10)+"/decide", url.Values{"csrf": {b.csrf(page)}, "verdict": {"approve"}})
	if c != http.StatusConflict || !strings.Contains(page, b.text(coopbot.Persian, "coop.decided.already", "ID", reqNo(id3))) ||
		!strings.Contains(page, b.text(coopbot.Persian, "coop.reason.incomplete")) {
		t.Fatalf("a decision after the chat's: %d\n%s", c, page)
	}
	if joinStatus(t, h, id3) != "rejected" {
		t.Fatal("the console's late decision changed the request")
	}
	// The decided requests are listed under their status.
	if _, list := b.get("/joins?status=approved"); !strings.Contains(list, `href="/joins/`+strconv.FormatInt(id1, 10)+`"`) || strings.Contains(list, `href="/joins/`+strconv.FormatInt(id2, 10)+`"`) {
		t.Errorf("approved requests:\n%s", list)
	}
}

// An admin of another cooperative, an applicant who administers the cooperative they
// applied to, and a person whose role was taken away get 403 on the request, its
// decision, the list and the export, each refusal recorded; an id of no request is
// refused like one outside the scope, and a malformed one is not found.
func TestJoinRefusedOutsideScope(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	nbh := h.Neighborhood("مارالان")
	coop := h.Cooperative(nbh, "تعاونی نان میز کار مارالان")
	other := h.Cooperative(nbh, "تعاونی گلیم میز کار مارالان")
	r := h.User(7602)
	r.Onboard("مارالان")
	id := applies(t, h, r.ResidentID(), coop, "مریم رضایی", "0012345679")
	o := h.User(7603)
	o.Onboard("مارالان")
	o.CoopAdmin(other)

	b := newBrowser(t, h)
	b.signIn(o.ConsoleLink())
	_, page := b.get("/")
	token := b.csrf(page)
	path := "/joins/" + strconv.FormatInt(id, 10)
	if c, p := b.get(path); c != http.StatusForbidden || strings.Contains(p, "مریم رضایی") || strings.Contains(p, text.NationalID("0012345679")) {
		t.Errorf("another cooperative's request: %d, want 403 without its data", c)
	}
	if c, _ := b.do(http.MethodPost, path+"/decide", url.Values{"csrf": {token}, "verdict": {"approve"}}); c != http.StatusForbidden {
		t.Errorf("deciding another cooperative's request: %d, want 403", c)
	}
	if c, _ := b.get("/joins?coop=" + strconv.FormatInt(coop, 10)); c != http.StatusForbidden {
		t.Errorf("another cooperative's list: %d, want 403", c)
	}
	if c, _, _ := b.file("/joins/export?coop=" + strconv.FormatInt(coop, 10) + "&format=xlsx"); c != http.StatusForbidden {
		t.Errorf("another cooperative's export: %d, want 403", c)
	}
	if c, list := b.get("/joins"); c != http.StatusOK || strings.Contains(list, path) {
		t.Errorf("the other admin's own list (%d) shows the request", c)
	}
	if c, _ := b.get("/joins/99999999"); c != http.StatusForbidden {
		t.Errorf("a forged id: %d, want 403", c)
	}
	if c, _ := b.get("/joins/abc"); c != http.StatusNotFound {
		t.Errorf("a malformed id: %d, want 404", c)
	}
	for action, want := range map[string]int{"join_view": 2, "join_decide": 1, "join_list": 1, "join_export": 1} {
		if n := refused(t, h, o.ResidentID(), action); n != want {
			t.Errorf("%s refused and recorded %d times, want %d", action, n, want)
		}
	}
	if joinStatus(t, h, id) != "pending" {
		t.Fatal("a refused decision changed the request")
	}

	// The applicant is an admin of the cooperative too: nobody decides on their own.
	r.CoopAdmin(coop)
	rb := newBrowser(t, h)
	rb.signIn(r.ConsoleLink())
	_, page = rb.get("/")
	if c, _ := rb.get(path); c != http.StatusForbidden {
		t.Errorf("the applicant's own request: %d, want 403", c)
	}
	if c, _ := rb.do(http.MethodPost, path+"/decide", url.Values{"csrf": {rb.csrf(page)}, "verdict": {"approve"}}); c != http.StatusForbidden {
		t.Errorf("deciding one's own request: %d, want 403", c)
	}
	if refused(t, h, r.ResidentID(), "join_view") != 1 || refused(t, h, r.ResidentID(), "join_decide") != 1 || joinStatus(t, h, id) != "pending" {
		t.Error("the applicant's own attempts were not refused and recorded")
	}

	// The role taken away since sign-in: a resident like any other now.
	if _, err := h.DB.Pool.Exec(context.Background(), `DELETE FROM cooperative_admins WHERE resident_id = $1`, o.ResidentID()); err != nil {
		t.Fatal(err)
	}
	if c, _ := b.get("/joins"); c != http.StatusForbidden {
		t.Errorf("the list for a resident: %d, want 403", c)
	}
	if c, _ := b.do(http.MethodPost, path+"/decide", url.Values{"csrf": {token}, "verdict": {"approve"}}); c != http.StatusForbidden {
		t.Errorf("a decision by a resident: %d, want 403", c)
	}
	if n := refused(t, h, o.ResidentID(), "console_page"); n != 2 || joinStatus(t, h, id) != "pending" {
		t.Errorf("a resident's attempts recorded %d times, want 2", n)
	}
}

// A cooperative's requests as a workbook and as CSV, through the chat's export: headers
// in the reader's language, a row per request with the national ID, the download
// audited as the chat's is.
func TestJoinExportInConsole(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	nbh := h.Neighborhood("ششگلان")
	coop := h.Cooperative(nbh, "تعاونی خروجی میز کار ششگلان")
	a := h.User(7701).Speaks(coopbot.Azeri)
	a.Onboard("ششگلان")
	a.CoopAdmin(coop)
	for i, nid := range []string{"0012345679", "0023456780"} {
		u := h.User(int64(7702 + i))
		u.Onboard("ششگلان")
		applies(t, h, u.ResidentID(), coop, "متقاضی "+strconv.Itoa(i+1), nid)
	}
	b := newBrowser(t, h)
	b.signIn(a.ConsoleLink())
	c, hdr, body := b.file("/joins/export?coop=" + strconv.FormatInt(coop, 10) + "&format=xlsx")
	if c != http.StatusOK || !strings.Contains(hdr.Get("Content-Type"), "spreadsheetml") || !strings.HasSuffix(strings.Trim(hdr.Get("Content-Disposition"), `"`), ".xlsx") {
		t.Fatalf("workbook: %d %q %q\n%s", c, hdr.Get("Content-Type"), hdr.Get("Content-Disposition"), body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	sheet := f.GetSheetName(0)
	if sheet != b.text(coopbot.Azeri, "coop.export.sheet") {
		t.Errorf("sheet %q", sheet)
	}
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) != 3 {
		t.Fatalf("rows %q, %v: want a header and a row per request", rows, err)
	}
	var header []string
	for _, id := range []string{"coop.export.col.no", "coop.export.col.date", "coop.export.col.name", "coop.export.col.nid", "coop.export.col.phone",
		"coop.export.col.share", "coop.export.col.skills", "coop.export.col.status", "coop.export.col.decided_by", "coop.export.col.decided_at", "coop.export.col.reason"} {
		header = append(header, b.text(coopbot.Azeri, id))
	}
	if !slices.Equal(rows[0], header) {
		t.Fatalf("header %q, want %q", rows[0], header)
	}
	if rows[1][2] != "متقاضی 1" || rows[1][3] != "0012345679" || rows[2][3] != "0023456780" || rows[1][7] != b.text(coopbot.Azeri, "coop.export.status.pending") {
		t.Errorf("rows %q", rows[1:])
	}
	c, hdr, body = b.file("/joins/export?coop=" + strconv.FormatInt(coop, 10) + "&format=csv")
	if c != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %q", c, hdr.Get("Content-Type"))
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][3] != header[3] {
		t.Errorf("CSV records %q, %v", recs, err)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'join_export' AND allowed AND subject = $2`,
		a.ResidentID(), "cooperative:"+strconv.FormatInt(coop, 10)); n != 2 {
		t.Errorf("exports audited %d times, want 2", n)
	}
	if c, _, _ := b.file("/joins/export?coop=" + strconv.FormatInt(coop, 10) + "&format=pdf"); c != http.StatusBadRequest {
		t.Errorf("an unknown format: %d, want 400", c)
	}
}

// Each person lists what they may decide on: office staff every cooperative's requests,
// a neighborhood manager their neighborhood's, a cooperative's admin their cooperative's.
// Requests past their reminder are marked (⏰, as in the chat) and listed first, their
// cooperative first; decided requests follow under their status.
func TestJoinListOverdueFirstByScope(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7801)})
	nbhA, nbhB := h.Neighborhood("باغمیشه"), h.Neighborhood("خیابان")
	a1 := h.Cooperative(nbhA, "تعاونی الف میز کار باغمیشه")
	a2 := h.Cooperative(nbhA, "تعاونی ب میز کار باغمیشه")
	b1 := h.Cooperative(nbhB, "تعاونی میز کار خیابان")
	s := h.User(7801)
	s.Onboard("باغمیشه")
	m := h.User(7802)
	m.Onboard("باغمیشه")
	m.Manager(nbhA)
	ad := h.User(7803)
	ad.Onboard("باغمیشه")
	ad.CoopAdmin(a1)
	var ids []int64
	for i, c := range []int64{a2, a1, a1, b1} {
		u := h.User(int64(7810 + i))
		u.Onboard("باغمیشه")
		ids = append(ids, applies(t, h, u.ResidentID(), c, "متقاضی "+strconv.Itoa(i+1), "00"+strconv.Itoa(12345670+i)))
	}
	inA2, newA1, oldA1, inB1 := ids[0], ids[1], ids[2], ids[3]
	// The last request to a1 was sent ten days ago: past its reminder.
	if _, err := h.DB.Pool.Exec(context.Background(), `UPDATE join_requests SET created_at = now() - interval '10 days' WHERE id = $1`, oldA1); err != nil {
		t.Fatal(err)
	}
	href := func(id int64) string { return `href="/joins/` + strconv.FormatInt(id, 10) + `"` }
	at := func(page string, id int64) int { return strings.Index(page, href(id)) }

	mb := newBrowser(t, h)
	mb.signIn(m.ConsoleLink())
	code, page := mb.get("/joins")
	if code != http.StatusOK || at(page, inA2) < 0 || at(page, newA1) < 0 || at(page, oldA1) < 0 || at(page, inB1) >= 0 {
		t.Fatalf("the manager's list (%d) should hold their neighborhood's three requests:\n%s", code, page)
	}
	if !(at(page, oldA1) < at(page, newA1) && at(page, newA1) < at(page, inA2)) {
		t.Errorf("the overdue request and its cooperative are not first: %d, %d, %d", at(page, oldA1), at(page, newA1), at(page, inA2))
	}
	row := page[at(page, oldA1):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "⏰") || !strings.Contains(row, mb.text(coopbot.Persian, "console.joins.overdue")) ||
		!strings.Contains(row, mb.text(coopbot.Persian, "console.joins.waiting", "Days", "۱۰")) {
		t.Errorf("the overdue request is not marked: %s", row)
	}
	if !strings.Contains(page, mb.text(coopbot.Persian, "coop.pending.overdue", "Count", "۱")) {
		t.Errorf("the cooperative does not say how many are overdue")
	}
	newRow := page[at(page, newA1):]
	if newRow = newRow[:strings.Index(newRow, "</tr>")]; strings.Contains(newRow, "⏰") {
		t.Errorf("a request on time is marked overdue: %s", newRow)
	}

	sb := newBrowser(t, h)
	sb.signIn(s.ConsoleLink())
	if _, page := sb.get("/joins"); at(page, inB1) < 0 || at(page, inA2) < 0 {
		t.Errorf("office staff do not see every cooperative's requests:\n%s", page)
	}
	ab := newBrowser(t, h)
	ab.signIn(ad.ConsoleLink())
	if _, page := ab.get("/joins"); at(page, oldA1) < 0 || at(page, newA1) < 0 || at(page, inA2) >= 0 || at(page, inB1) >= 0 {
		t.Errorf("the admin's list holds other cooperatives' requests:\n%s", page)
	}

	// Decided: listed with the recent ones by default and under their status.
	if _, _, err := h.DB.DecideJoinRequest(context.Background(), coopbot.JoinDecision{RequestID: inA2, ActorID: m.ResidentID(), Approve: true}); err != nil {
		t.Fatal(err)
	}
	_, page = mb.get("/joins")
	if i := strings.Index(page, `class="list decided"`); i < 0 || !strings.Contains(page[i:], href(inA2)) || !strings.Contains(page[i:], mb.text(coopbot.Persian, "coop.export.status.approved")) {
		t.Errorf("the decided request is not listed as decided:\n%s", page)
	}
	if _, page = mb.get("/joins?status=pending"); at(page, inA2) >= 0 || at(page, oldA1) < 0 {
		t.Errorf("pending only lists a decided request")
	}
	if _, page = mb.get("/joins?status=rejected"); at(page, inA2) >= 0 || at(page, oldA1) >= 0 || !strings.Contains(page, `id="none"`) {
		t.Errorf("rejected lists what is not rejected")
	}
	if c, _ := mb.get("/joins?status=lost"); c != http.StatusBadRequest {
		t.Errorf("a malformed status: %d, want 400", c)
	}
}
