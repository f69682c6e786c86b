package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"time"

	"coopbot"
	"coopbot/text"
)

// view is what every page template gets: the wording in the reader's language, who is
// signed in (nil on the sign-in and message pages) and the page's own data.
type view struct {
	L    *words
	Me   *me
	Path string
	D    any
	// Notice is a message ID shown above the page (a change made, a refusal).
	Notice string
	// Refresh, when positive, has the browser reload the page every that many seconds
	// (a page whose data implements refresher: a broadcast being sent).
	Refresh int
}

// refresher is page data that asks for the page to reload itself (no script needed).
type refresher interface{ Refresh() int }

// me is the signed-in person as the header shows them.
type me struct {
	Name   string
	Role   string // message ID
	Nbh    string // a manager's neighborhood
	Staff  bool   // staff or a neighborhood manager: the needs pages
	Office bool   // office-wide staff: the audit log
	Joins  bool   // staff, a manager or a cooperative admin: the join requests
	CSRF   string
	Lang   coopbot.Lang
}

// words renders texts, numbers, dates and names in one language.
type words struct {
	s    *Server
	lang coopbot.Lang
	nbhs []coopbot.Neighborhood
}

// T renders a message ID with template data as key/value pairs.
func (l *words) T(id string, kv ...any) (string, error) {
	m := coopbot.M(id, kv...)
	return l.s.cfg.Labels.Text(l.lang, id, m.Data, nil)
}

// TData renders a message ID with template data given as one list of key/value pairs.
func (l *words) TData(id string, kv []any) (string, error) { return l.T(id, kv...) }

// Num64 formats an id in Persian digits.
func (l *words) Num64(n int64) string { return text.Number(n) }

// Phone shows a phone number as one unbroken run of digits.
func (l *words) Phone(e164 string) string { return text.Phone(e164) }

// msg renders a message in the reader's language.
func (s *Server) msg(l coopbot.Lang, m coopbot.Msg) (string, error) {
	if m.ID == "" {
		return m.Raw, nil
	}
	if m.Lang.Valid() {
		l = m.Lang
	}
	return s.cfg.Labels.Text(l, m.ID, m.Data, m.Count)
}

// Msg renders a message of the chat in the reader's language (Raw as it is).
func (l *words) Msg(m coopbot.Msg) (string, error) { return l.s.msg(l.lang, m) }

// Inc is i+1: the place of the i-th item (from 0) counted from 1.
func (l *words) Inc(i int) int { return i + 1 }

// Num formats a number in Persian digits.
func (l *words) Num(n int) string { return text.Number(int64(n)) }

// Date and Clock format a time in the Jalali calendar, Tehran time.
func (l *words) Date(t time.Time) string  { return text.Date(t) }
func (l *words) Clock(t time.Time) string { return text.Clock(t) }

// Status, Cat and Urgency name a need report's status, category and urgency.
func (l *words) Status(s coopbot.NeedStatus) (string, error) { return l.T("need.status." + string(s)) }
func (l *words) Cat(c coopbot.NeedCategory) (string, error)  { return l.T("need.cat." + string(c)) }
func (l *words) CatShort(c coopbot.NeedCategory) (string, error) {
	return l.T("need.catshort." + string(c))
}
func (l *words) Urgency(u coopbot.NeedUrgency) (string, error) {
	switch u {
	case coopbot.NeedUrgent:
		return l.T("need.urgency.urgent")
	case coopbot.NeedSoon:
		return l.T("need.urgency.soon")
	}
	return l.T("need.urgency.normal")
}

// Row is the number of the i-th row of a page whose first row is first.
func (l *words) Row(first, i int) string { return text.Number(int64(first + i)) }

// Code shows a tracking code in Persian digits.
func (l *words) Code(code string) string { return text.FaDigits(code) }

// Nbh names a neighborhood.
func (l *words) Nbh(id int64) string {
	for _, n := range l.nbhs {
		if n.ID == id {
			return n.Name(l.lang)
		}
	}
	return ""
}

// Coop names a cooperative.
func (l *words) Coop(c coopbot.Cooperative) string { return c.Name(l.lang) }

// Isolate keeps text of either direction (a name, a note) from mixing with the page's.
func (l *words) Isolate(s string) string { return text.Isolate(s) }

// HTMLLang is the page's lang attribute.
func (l *words) HTMLLang() string {
	if l.lang == coopbot.Azeri {
		return "az-Arab"
	}
	return "fa"
}

// render executes a page into a buffer first, so a template error becomes a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, q *req, code int, page string, data any) {
	v := view{L: &words{s: s, lang: coopbot.Persian}, Path: r.URL.RequestURI(), D: data}
	if r.Method != http.MethodGet {
		// A form's answer page: the language switch leads back to the page of the form.
		v.Path = s.pageOf(r.URL.Path)
	}
	if rf, ok := data.(refresher); ok {
		v.Refresh = rf.Refresh()
	}
	if q != nil {
		v.L.lang, v.L.nbhs, v.Notice = q.lang, q.nbhs, q.notice
		v.Me = &me{Name: q.name, Staff: q.staff != nil, Office: q.office(), CSRF: q.csrf(), Lang: q.lang,
			Joins: q.staff != nil || len(q.coops) > 0}
		switch {
		case q.office():
			v.Me.Role = "console.role.staff"
		case q.staff != nil:
			v.Me.Role = "console.role.manager"
			v.Me.Nbh = v.L.Nbh(q.staff.NeighborhoodID)
		default:
			v.Me.Role = "console.role.coop_admin"
		}
	}
	var b bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&b, "layout", v); err != nil {
		s.cfg.Log.Error("web console: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// pageOf is the page a form posted to path belongs to: path without its action
// ("/needs/7/status" → "/needs/7"), or the nearest page above it ("/people/12/manager" →
// "/people"), else the overview.
func (s *Server) pageOf(path string) string {
	for _, action := range []string{"/status", "/decide", "/cancel", "/answer", "/close", "/preview"} {
		path = strings.TrimSuffix(path, action)
	}
	for p := path; p != "" && p != "/"; p = p[:strings.LastIndex(p, "/")] {
		if _, pattern := s.mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}}); strings.HasPrefix(pattern, "GET ") {
			return p
		}
	}
	return "/"
}
