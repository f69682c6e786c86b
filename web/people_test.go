package web_test

import (
	"context"
	"io"
	"net/http"
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

// joined takes a resident through the chat's membership request, which gives the office
// their full name, national ID and phone (at a cooperative with no admin in the bot).
func joined(u *chattest.User, coop, name, nid, phone string) {
	u.Press("join.menu")
	u.Fill("join.review.title", map[string]func(){
		"join.coop.prompt":  func() { u.Send(coop) },
		"join.name.prompt":  func() { u.Send(name) },
		"join.nid.prompt":   func() { u.Send(nid) },
		"join.phone.prompt": func() { u.Send(phone) },
		"join.share.prompt": func() { u.Send("۲۰۰۰۰۰۰") },
		"join.skills.prompt": func() {
			u.Press("join.skill.cooking")
			u.SeesLike("join.skills.chosen")
			u.Press("join.skills.done")
		},
		"join.consent.data":  func() { u.Press("join.consent.yes") },
		"join.consent.rules": func() { u.Press("join.consent.yes") },
	})
	u.Press("join.review.submit")
	u.SeesLike("join.submitted_office")
}

// find posts a search and returns the status, the page and the address it ended on.
func (b *browser) find(token, q string) (int, string, string) {
	b.t.Helper()
	resp, err := b.http.PostForm(b.h.ConsoleURL+"/people/find", url.Values{"csrf": {token}, "q": {q}})
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, string(page), resp.Request.URL.String()
}

func found(page string, id int64) bool {
	return strings.Contains(page, `id="found-`+strconv.FormatInt(id, 10)+`"`)
}

// Office staff find a resident by a part of the name typed with Arabic letters, by their
// phone in Persian digits and by their national ID; each search is audited without the
// value, which is in no address either. They make the resident a neighborhood manager
// (a form without its CSRF token changes nothing): the resident is told in the chat, has
// the managers' entries in the menu and a console of their own. Taking the role away is
// audited, told, and closes the console to them at once.
func TestPeopleFindAndGrant(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7501)})
	nbh := h.Neighborhood("سرخاب")
	h.Cooperative(nbh, "تعاونی آزمون افراد")
	s := h.User(7501)
	s.Onboard("سرخاب")
	r := h.User(7502)
	r.Onboard("سرخاب")
	const nid, phone = "0012345679", "+989141234567"
	joined(r, "تعاونی آزمون افراد", "مریم رضایی", text.FaDigits(nid), "۰۹۱۴ ۱۲۳ ۴۵۶۷")
	other := h.User(7503)
	other.Onboard("سرخاب")
	rid := r.ResidentID()

	b := newBrowser(t, h)
	b.signIn(s.ConsoleLink())
	code, page := b.get("/people")
	if code != http.StatusOK || !strings.Contains(page, `id="staff"`) || !strings.Contains(page, "تعاونی آزمون افراد") || !strings.Contains(page, `href="/people"`) {
		t.Fatalf("people page of office staff: %d\n%s", code, page)
	}
	code, page = b.get("/people/find")
	if code != http.StatusOK || !strings.Contains(page, `id="find"`) {
		t.Fatalf("search form: %d\n%s", code, page)
	}
	token := b.csrf(page)

	// A part of the name, typed with the Arabic yeh.
	code, page, _ = b.find(token, "رضايي")
	if code != http.StatusOK || !found(page, rid) || !strings.Contains(page, "مریم رضایی") || found(page, other.ResidentID()) {
		t.Fatalf("search by name: %d\n%s", code, page)
	}
	if !strings.Contains(page, text.Phone(phone)) || !strings.Contains(page, b.text(coopbot.Persian, "console.find.no_role")) {
		t.Errorf("office staff should see the phone and that there is no role:\n%s", page)
	}
	// The phone in Persian digits, as 0914…
	if code, page, _ = b.find(token, "۰۹۱۴ ۱۲۳ ۴۵۶۷"); code != http.StatusOK || !found(page, rid) {
		t.Fatalf("search by phone: %d\n%s", code, page)
	}
	// The national ID: found, not shown back, not in the address.
	code, page, at := b.find(token, text.FaDigits(nid))
	if code != http.StatusOK || !found(page, rid) {
		t.Fatalf("search by national ID: %d\n%s", code, page)
	}
	if strings.Contains(page, nid) || strings.Contains(page, text.FaDigits(nid)) || strings.Contains(at, nid) || strings.Contains(at, "q=") {
		t.Errorf("the national ID is echoed (address %s):\n%s", at, page)
	}
	if code, page, _ = b.find(token, "0012345678"); code != http.StatusUnprocessableEntity || !strings.Contains(page, b.text(coopbot.Persian, "console.find.bad_number")) {
		t.Errorf("a national ID with a wrong check digit: %d", code)
	}
	if code, page, _ = b.find(token, "کاظم‌زاده"); code != http.StatusOK || !strings.Contains(page, `id="none"`) {
		t.Errorf("a name nobody has: %d", code)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'resident_search' AND allowed`, s.ResidentID()); n != 4 {
		t.Errorf("searches audited %d times, want 4", n)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'resident_search' AND detail->>'by' = 'national_id' AND (detail->>'found')::int = 1`, s.ResidentID()); n != 1 {
		t.Errorf("the national ID search is not audited by its kind: %d", n)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE subject || detail::text LIKE '%' || $1 || '%' OR subject || detail::text LIKE '%9141234567%'`, nid); n != 0 {
		t.Errorf("%d audit rows hold the national ID or the phone", n)
	}

	// Granting without the form's token changes nothing.
	grant := "/people/" + strconv.FormatInt(rid, 10) + "/manager"
	if c, _ := b.do(http.MethodPost, grant, url.Values{"nbh": {strconv.FormatInt(nbh, 10)}}); c != http.StatusForbidden {
		t.Errorf("grant without CSRF token: %d, want 403", c)
	}
	if n := refused(t, h, s.ResidentID(), "console_csrf"); n != 1 {
		t.Errorf("CSRF refusal recorded %d times, want 1", n)
	}
	if n := count(t, h, `SELECT count(*) FROM staff WHERE resident_id = $1`, rid); n != 0 {
		t.Fatal("a form without its token made a manager")
	}
	code, page = b.do(http.MethodPost, grant, url.Values{"csrf": {token}, "nbh": {strconv.FormatInt(nbh, 10)}})
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.people.granted")) || !strings.Contains(page, `id="staff-`+strconv.FormatInt(rid, 10)+`"`) {
		t.Fatalf("grant: %d\n%s", code, page)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'manager_grant' AND allowed AND subject = $2`, s.ResidentID(), "resident:"+strconv.FormatInt(rid, 10)); n != 1 {
		t.Errorf("grant audited %d times, want 1", n)
	}
	r.Sees("roles.notice.manager", "Neighborhood", text.Isolate("سرخاب"))
	r.Send("/menu")
	r.Sees("menu.title")
	if !slices.Contains(r.Buttons(), r.Text("needs.menu.inbox")) || !slices.Contains(r.Buttons(), r.Text("console.menu")) {
		t.Errorf("the new manager's menu lacks the managers' entries: %q", r.Buttons())
	}
	// The search shows the role now.
	if _, page, _ = b.find(token, "مریم"); !strings.Contains(page, b.text(coopbot.Persian, "console.role.manager", "Name", "سرخاب")) {
		t.Errorf("the found resident's role:\n%s", page)
	}
	rb := newBrowser(t, h)
	if page = rb.signIn(r.ConsoleLink()); !strings.Contains(page, b.text(coopbot.Persian, "console.role.manager", "Name", "سرخاب")) || !strings.Contains(page, `id="heat"`) {
		t.Fatalf("the new manager's console:\n%s", page)
	}

	// Taking the role away.
	code, page = b.do(http.MethodPost, "/people/staff/"+strconv.FormatInt(rid, 10)+"/revoke", url.Values{"csrf": {token}})
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.people.revoked")) || strings.Contains(page, `id="staff-`+strconv.FormatInt(rid, 10)+`"`) {
		t.Fatalf("revoke: %d\n%s", code, page)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'staff_revoke' AND allowed`, s.ResidentID()); n != 1 {
		t.Errorf("revoke audited %d times, want 1", n)
	}
	r.Sees("roles.notice.revoked")
	if c, _ := rb.get("/needs"); c != http.StatusForbidden {
		t.Errorf("the former manager's console after the revoke: %d, want 403", c)
	}
	// Again: the role is gone, and the page says so as the chat does.
	code, page = b.do(http.MethodPost, "/people/staff/"+strconv.FormatInt(rid, 10)+"/revoke", url.Values{"csrf": {token}})
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "roles.gone")) {
		t.Errorf("revoke twice: %d", code)
	}
	// Nobody takes their own role, and a role from ADMINS has no revoke button.
	if strings.Contains(page, `id="revoke-staff-`+strconv.FormatInt(s.ResidentID(), 10)+`"`) || !strings.Contains(page, b.text(coopbot.Persian, "console.people.from_config")) {
		t.Errorf("the office's own role from ADMINS:\n%s", page)
	}
}

var inviteCodeRE = regexp.MustCompile(`id="invite-code">([^<]+)<`)

// A neighborhood manager sees their neighborhood's cooperatives with admins and invite
// codes, finds only their neighborhood's residents and never a phone, may not appoint a
// manager (403, audited), removes a cooperative admin, makes an invite code the chat
// accepts and ends another; another neighborhood's cooperative is refused. A cooperative
// admin without a staff role has no people pages.
func TestPeopleManagerScope(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	own, other := h.Neighborhood("ششگلان"), h.Neighborhood("مارالان")
	coop := h.Cooperative(own, "تعاونی ششگلان آزمون")
	far := h.Cooperative(other, "تعاونی مارالان آزمون")
	m := h.User(7601)
	m.Onboard("ششگلان")
	m.Manager(own)
	x := h.User(7602)
	x.Onboard("ششگلان")
	y := h.User(7603)
	y.Onboard("مارالان")
	if err := h.DB.SetPhone(context.Background(), x.ResidentID(), "+989141112233"); err != nil {
		t.Fatal(err)
	}
	a := h.User(7604)
	a.Onboard("ششگلان")
	a.CoopAdmin(coop)
	fa := h.User(7605)
	fa.Onboard("مارالان")
	fa.CoopAdmin(far)
	b := newBrowser(t, h)
	b.signIn(m.ConsoleLink())
	code, page := b.get("/people")
	if code != http.StatusOK || !strings.Contains(page, `id="coop-`+strconv.FormatInt(coop, 10)+`"`) || strings.Contains(page, `id="coop-`+strconv.FormatInt(far, 10)+`"`) || strings.Contains(page, `id="staff"`) {
		t.Fatalf("a manager's people page: %d\n%s", code, page)
	}
	if !strings.Contains(page, `id="admin-`+strconv.FormatInt(coop, 10)+`-`+strconv.FormatInt(a.ResidentID(), 10)+`"`) {
		t.Errorf("the cooperative's admin is not listed:\n%s", page)
	}
	token := b.csrf(page)

	// Search: their neighborhood only, no phones, no grant form.
	xName := residentName(t, h, x.ResidentID())
	code, page, _ = b.find(token, xName)
	if code != http.StatusOK || !found(page, x.ResidentID()) || strings.Contains(page, `class="phone"`) || strings.Contains(page, "/manager") {
		t.Fatalf("a manager's search: %d\n%s", code, page)
	}
	if _, page, _ = b.find(token, "۰۹۱۴۱۱۱۲۲۳۳"); !found(page, x.ResidentID()) {
		t.Errorf("a manager's search by phone:\n%s", page)
	}
	if _, page, _ = b.find(token, residentName(t, h, y.ResidentID())); found(page, y.ResidentID()) {
		t.Errorf("a manager found another neighborhood's resident:\n%s", page)
	}
	// Appointing is for office staff: refused in the store, audited, nothing changed.
	if c, _ := b.do(http.MethodPost, "/people/"+strconv.FormatInt(x.ResidentID(), 10)+"/manager", url.Values{"csrf": {token}, "nbh": {strconv.FormatInt(own, 10)}}); c != http.StatusForbidden {
		t.Errorf("a manager appointing: %d, want 403", c)
	}
	if n := refused(t, h, m.ResidentID(), "manager_grant"); n != 1 {
		t.Errorf("refused grant recorded %d times, want 1", n)
	}
	if n := count(t, h, `SELECT count(*) FROM staff WHERE resident_id = $1`, x.ResidentID()); n != 0 {
		t.Fatal("a manager appointed a manager")
	}

	// Removing the cooperative's admin.
	code, page = b.do(http.MethodPost, "/people/coops/"+strconv.FormatInt(coop, 10)+"/admins/"+strconv.FormatInt(a.ResidentID(), 10)+"/revoke", url.Values{"csrf": {token}})
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.people.revoked")) {
		t.Fatalf("removing a cooperative admin: %d\n%s", code, page)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'coop_admin_revoke' AND allowed`, m.ResidentID()); n != 1 {
		t.Errorf("removal audited %d times, want 1", n)
	}
	a.Sees("roles.notice.admin_revoked", "Coop", text.Isolate("تعاونی ششگلان آزمون"))
	// Another neighborhood's cooperative: refused and audited by the store.
	if c, _ := b.do(http.MethodPost, "/people/coops/"+strconv.FormatInt(far, 10)+"/admins/"+strconv.FormatInt(fa.ResidentID(), 10)+"/revoke", url.Values{"csrf": {token}}); c != http.StatusForbidden {
		t.Errorf("removing another neighborhood's admin: %d, want 403", c)
	}
	if n := refused(t, h, m.ResidentID(), "coop_admin_revoke"); n != 1 {
		t.Errorf("refused removal recorded %d times, want 1", n)
	}

	// An invite code, listed, then ended.
	code, page = b.do(http.MethodPost, "/people/invite", url.Values{"csrf": {token}, "coop": {strconv.FormatInt(coop, 10)}})
	if code != http.StatusOK || inviteCodeRE.FindStringSubmatch(page) == nil || !strings.Contains(page, "تعاونی ششگلان آزمون") {
		t.Fatalf("invite code: %d\n%s", code, page)
	}
	invite := count(t, h, `SELECT max(id)::int FROM coop_invites WHERE cooperative_id = $1`, coop)
	if _, page = b.get("/people"); !strings.Contains(page, `id="invite-`+strconv.Itoa(invite)+`"`) {
		t.Fatalf("the invite code is not listed:\n%s", page)
	}
	code, page = b.do(http.MethodPost, "/people/invites/"+strconv.Itoa(invite)+"/revoke", url.Values{"csrf": {token}})
	if code != http.StatusOK || !strings.Contains(page, b.text(coopbot.Persian, "console.people.invite_revoked")) || strings.Contains(page, `id="invite-`+strconv.Itoa(invite)+`"`) {
		t.Fatalf("ending an invite code: %d\n%s", code, page)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'coop_invite_revoke' AND allowed`, m.ResidentID()); n != 1 {
		t.Errorf("ending audited %d times, want 1", n)
	}
	// A second code, which the chat turns into admin rights.
	_, page = b.do(http.MethodPost, "/people/invite", url.Values{"csrf": {token}, "coop": {strconv.FormatInt(coop, 10)}})
	got := inviteCodeRE.FindStringSubmatch(page)
	if got == nil {
		t.Fatalf("second invite code:\n%s", page)
	}
	x.Send(got[1])
	x.SeesLike("admin.invite.redeemed")
	if _, page = b.get("/people"); !strings.Contains(page, `id="admin-`+strconv.FormatInt(coop, 10)+`-`+strconv.FormatInt(x.ResidentID(), 10)+`"`) {
		t.Errorf("the invited admin is not listed:\n%s", page)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'coop_invite_create' AND allowed`, m.ResidentID()); n != 2 {
		t.Errorf("invite codes audited %d times, want 2", n)
	}
	if c, _ := b.do(http.MethodPost, "/people/invite", url.Values{"csrf": {token}, "coop": {strconv.FormatInt(far, 10)}}); c != http.StatusForbidden {
		t.Errorf("an invite code for another neighborhood's cooperative: %d, want 403", c)
	}
	if n := refused(t, h, m.ResidentID(), "coop_invite_create"); n != 1 {
		t.Errorf("refused invite code recorded %d times, want 1", n)
	}

	// A cooperative admin without a staff role.
	ab := newBrowser(t, h)
	page = ab.signIn(fa.ConsoleLink())
	if strings.Contains(page, `href="/people"`) {
		t.Errorf("a cooperative admin's nav offers people and roles")
	}
	if c, _ := ab.get("/people"); c != http.StatusForbidden {
		t.Errorf("people page for a cooperative admin: %d, want 403", c)
	}
	if n := refused(t, h, fa.ResidentID(), "people_list"); n != 1 {
		t.Errorf("refused people page recorded %d times, want 1", n)
	}
	_, page = ab.get("/")
	if c, _, _ := ab.find(ab.csrf(page), "۰۹۱۴۱۱۱۲۲۳۳"); c != http.StatusForbidden {
		t.Errorf("a cooperative admin's search: %d, want 403", c)
	}
	if n := refused(t, h, fa.ResidentID(), "resident_search"); n != 1 {
		t.Errorf("refused search recorded %d times, want 1", n)
	}
}

// residentName is the name the office knows a resident by.
func residentName(t *testing.T, h *chattest.Harness, id int64) string {
	t.Helper()
	var name string
	if err := h.DB.Pool.QueryRow(context.Background(), `SELECT name FROM resident_names WHERE resident_id = $1`, id).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}
