package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"coopbot"
	"coopbot/text"
)

// People and roles: the console's twin of the chat's "people and roles" (flows/roles.go)
// and of its invite codes (flows/coopadmin.go). Every list and every change goes through
// the same store method as in the chat, which checks who acts, audits and tells the
// person concerned; the console decides nothing of its own beyond what to show.

// peopleStore is what the people pages need from the store.
type peopleStore interface {
	StaffMembers(ctx context.Context, actorID int64) ([]coopbot.StaffMember, error)
	CoopAdmins(ctx context.Context, actorID, coopID int64) ([]coopbot.Person, error)
	CoopInvites(ctx context.Context, actorID, coopID int64) ([]coopbot.Invite, error)
	RevokeStaff(ctx context.Context, actorID, residentID int64) error
	RevokeCoopAdmin(ctx context.Context, actorID, coopID, residentID int64) error
	RevokeCoopInvite(ctx context.Context, actorID, inviteID int64) error
	GrantManager(ctx context.Context, actorID, residentID, nbh int64) error
	CreateCoopInvite(ctx context.Context, actorID, coopID int64) (coopbot.InviteCode, time.Time, error)
	JoinCooperatives(ctx context.Context) ([]coopbot.Cooperative, error)
	// FindResidents finds residents by a part of the name, a phone or a national ID
	// (office-wide staff: everyone, with phones; a manager: their neighborhood's).
	FindResidents(ctx context.Context, actorID int64, q coopbot.ResidentQuery, limit int) ([]coopbot.FoundResident, int, error)
}

// peopleDone are the notices shown after a change, by the address's done=.
var peopleDone = map[string]string{
	"granted":        "console.people.granted",
	"revoked":        "console.people.revoked",
	"invite_revoked": "console.people.invite_revoked",
}

// peopleErrors are the store's refusals of a change that the people page explains (a
// conflict or a record gone meanwhile), by the address's err=.
var peopleErrors = []string{"roles.already_staff", "roles.from_config", "roles.not_yourself", "roles.gone", "roles.person_gone", "roles.coop_gone"}

// findMax bounds the residents a search shows.
const findMax = 50

// findQueryMax bounds what is typed into the search.
const findQueryMax = 100

type coopPeople struct {
	Coop    coopbot.Cooperative
	Admins  []coopbot.Person
	Invites []coopbot.Invite
}

type peopleData struct {
	Office bool
	Me     int64
	Staff  []coopbot.StaffMember
	Coops  []coopPeople
	Error  string
}

// scopeCoops are the active cooperatives the person looks after, by name in their
// language: all for office staff, their neighborhood's for a manager (as in the chat).
func (s *Server) scopeCoops(ctx context.Context, q *req) ([]coopbot.Cooperative, error) {
	all, err := s.cfg.Store.JoinCooperatives(ctx)
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(slices.Clone(all), func(co coopbot.Cooperative) bool { return !q.staff.CanSee(co.NeighborhoodID) })
	text.SortFunc(text.Lang(q.lang), out, func(co coopbot.Cooperative) string { return co.Name(q.lang) })
	return out, nil
}

func (s *Server) people(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	if q.staff == nil {
		// The chat's people and roles are for staff and managers only.
		return s.denied(ctx, q, "people_list", "", nil)
	}
	st := s.cfg.Store
	d := peopleData{Office: q.office(), Me: q.sess.ResidentID}
	v := q.r.URL.Query()
	if msg, ok := peopleDone[v.Get("done")]; ok {
		q.notice = msg
	}
	if e := v.Get("err"); slices.Contains(peopleErrors, e) {
		d.Error = e
	}
	if d.Office {
		var err error
		if d.Staff, err = st.StaffMembers(ctx, q.sess.ResidentID); err != nil {
			return storeRefusal(err)
		}
	}
	coops, err := s.scopeCoops(ctx, q)
	if err != nil {
		return err
	}
	for _, co := range coops {
		cp := coopPeople{Coop: co}
		if cp.Admins, err = st.CoopAdmins(ctx, q.sess.ResidentID, co.ID); err != nil {
			return storeRefusal(err)
		}
		if cp.Invites, err = st.CoopInvites(ctx, q.sess.ResidentID, co.ID); err != nil {
			return storeRefusal(err)
		}
		d.Coops = append(d.Coops, cp)
	}
	s.render(w, q.r, q, http.StatusOK, "people", d)
	return nil
}

// storeRefusal turns the store's forbidden (already audited there) into a 403.
func storeRefusal(err error) error {
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return refuse(http.StatusForbidden, "console.error.forbidden")
	}
	return err
}

// changed answers a change of roles: back to the people page with what was done, or
// with why it was not (a conflict or a record gone, as the chat says it).
func (s *Server) changed(w http.ResponseWriter, q *req, err error, done string) error {
	switch coopbot.ErrorCode(err) {
	case "":
		http.Redirect(w, q.r, "/people?done="+done, http.StatusSeeOther)
		return nil
	case coopbot.EConflict, coopbot.ENotFound:
		if msg := coopbot.ErrorMsgID(err); slices.Contains(peopleErrors, msg) {
			http.Redirect(w, q.r, "/people?err="+url.QueryEscape(msg), http.StatusSeeOther)
			return nil
		}
	}
	return storeRefusal(err)
}

// pathID reads a positive id from the path.
func pathID(q *req, name string) (int64, error) {
	id, err := strconv.ParseInt(q.r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, refuse(http.StatusNotFound, "console.error.not_found")
	}
	return id, nil
}

// formID reads a positive id from the posted form.
func formID(q *req, name string) (int64, error) {
	id, err := strconv.ParseInt(q.r.PostForm.Get(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	return id, nil
}

func (s *Server) revokeStaff(w http.ResponseWriter, q *req) error {
	id, err := pathID(q, "id")
	if err != nil {
		return err
	}
	return s.changed(w, q, s.cfg.Store.RevokeStaff(q.r.Context(), q.sess.ResidentID, id), "revoked")
}

func (s *Server) revokeCoopAdmin(w http.ResponseWriter, q *req) error {
	coop, err := pathID(q, "coop")
	if err != nil {
		return err
	}
	id, err := pathID(q, "id")
	if err != nil {
		return err
	}
	return s.changed(w, q, s.cfg.Store.RevokeCoopAdmin(q.r.Context(), q.sess.ResidentID, coop, id), "revoked")
}

func (s *Server) revokeInvite(w http.ResponseWriter, q *req) error {
	id, err := pathID(q, "id")
	if err != nil {
		return err
	}
	return s.changed(w, q, s.cfg.Store.RevokeCoopInvite(q.r.Context(), q.sess.ResidentID, id), "invite_revoked")
}

// grantManager makes a found resident a neighborhood's manager: GrantManager decides
// (office-wide staff only, audited either way) and tells the new manager in the chat.
func (s *Server) grantManager(w http.ResponseWriter, q *req) error {
	id, err := pathID(q, "id")
	if err != nil {
		return err
	}
	nbh, err := formID(q, "nbh")
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(q.nbhs, func(n coopbot.Neighborhood) bool { return n.ID == nbh }) {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	return s.changed(w, q, s.cfg.Store.GrantManager(q.r.Context(), q.sess.ResidentID, id, nbh), "granted")
}

// ---- finding a resident ----

type findData struct {
	Q       string // the name typed, shown again; a phone or national ID never is
	Error   string
	Done    bool
	Found   []coopbot.FoundResident
	Total   int
	Office  bool
	Nbhs    []coopbot.Neighborhood // the grant form's choice (office staff only)
	Coops   []coopbot.Cooperative  // the invite form's choice
	names   map[int64]string
	QueryMx int
}

// CoopName names a cooperative of the found residents' roles.
func (d *findData) CoopName(id int64) string { return d.names[id] }

// Shown is how many of the found are on the page.
func (d *findData) Shown() int { return len(d.Found) }

// residentQuery reads what was typed: a national ID or a mobile number (both, when it
// reads as both) or else a part of a name. The message ID says what is wrong with it.
func residentQuery(typed string) (coopbot.ResidentQuery, string) {
	var rq coopbot.ResidentQuery
	if utf8.RuneCountInString(typed) > findQueryMax {
		return rq, "console.find.too_long"
	}
	if nid, r := text.ParseNationalID(typed); r == text.OK {
		rq.NationalID = nid
	}
	if phone, r := text.ParseMobile(typed); r == text.OK {
		rq.Phone = phone
	}
	if rq.NationalID != "" || rq.Phone != "" {
		return rq, ""
	}
	if strings.IndexFunc(typed, unicode.IsLetter) < 0 {
		if strings.IndexFunc(typed, unicode.IsDigit) >= 0 {
			return rq, "console.find.bad_number"
		}
		return rq, "console.find.too_short"
	}
	if utf8.RuneCountInString(text.Key(typed)) < 2 {
		return rq, "console.find.too_short"
	}
	rq.Name = typed
	return rq, ""
}

func (s *Server) findForm(q *req) (*findData, error) {
	d := &findData{Office: q.office(), QueryMx: findQueryMax, names: map[int64]string{}}
	all, err := s.cfg.Store.JoinCooperatives(q.r.Context())
	if err != nil {
		return nil, err
	}
	for _, co := range all {
		d.names[co.ID] = co.Name(q.lang)
	}
	if d.Coops, err = s.scopeCoops(q.r.Context(), q); err != nil {
		return nil, err
	}
	if d.Office {
		d.Nbhs = slices.Clone(q.nbhs)
		l := &words{s: s, lang: q.lang, nbhs: q.nbhs}
		text.SortFunc(text.Lang(q.lang), d.Nbhs, func(n coopbot.Neighborhood) string { return l.Nbh(n.ID) })
	}
	return d, nil
}

// findPage shows the search form; the search itself is posted, so that a phone or
// national ID never stands in an address (nor in a log of addresses).
func (s *Server) findPage(w http.ResponseWriter, q *req) error {
	if q.staff == nil {
		return s.denied(q.r.Context(), q, "resident_search", "", nil)
	}
	d, err := s.findForm(q)
	if err != nil {
		return err
	}
	s.render(w, q.r, q, http.StatusOK, "people_find", d)
	return nil
}

func (s *Server) find(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	if q.staff == nil {
		return s.denied(ctx, q, "resident_search", "", nil)
	}
	d, err := s.findForm(q)
	if err != nil {
		return err
	}
	typed := text.Clean(q.r.PostForm.Get("q"))
	rq, bad := residentQuery(typed)
	if rq.Name != "" || bad == "console.find.too_short" {
		d.Q = typed
	}
	if bad != "" {
		d.Error = bad
		s.render(w, q.r, q, http.StatusUnprocessableEntity, "people_find", d)
		return nil
	}
	d.Found, d.Total, err = s.cfg.Store.FindResidents(ctx, q.sess.ResidentID, rq, findMax)
	if err != nil {
		return storeRefusal(err)
	}
	d.Done = true
	s.render(w, q.r, q, http.StatusOK, "people_find", d)
	return nil
}

// ---- invite codes ----

type inviteData struct {
	Coop    coopbot.Cooperative
	Code    string
	Expires time.Time
}

// createInvite makes a one-time admin invite code for a cooperative, as the chat's
// "admin invite" does, and shows it once.
func (s *Server) createInvite(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	coop, err := formID(q, "coop")
	if err != nil {
		return err
	}
	code, expires, err := s.cfg.Store.CreateCoopInvite(ctx, q.sess.ResidentID, coop)
	switch coopbot.ErrorCode(err) {
	case "":
	case coopbot.ENotFound:
		return refuse(http.StatusNotFound, "console.error.not_found")
	default:
		return storeRefusal(err)
	}
	d := inviteData{Code: code.Show(), Expires: expires}
	all, err := s.cfg.Store.JoinCooperatives(ctx)
	if err != nil {
		return err
	}
	if i := slices.IndexFunc(all, func(co coopbot.Cooperative) bool { return co.ID == coop }); i >= 0 {
		d.Coop = all[i]
	}
	s.render(w, q.r, q, http.StatusOK, "people_invite", d)
	return nil
}

// inviteBack is where the invite page's language switch leads: a code is shown once.
func (s *Server) inviteBack(w http.ResponseWriter, q *req) error {
	http.Redirect(w, q.r, "/people/find", http.StatusSeeOther)
	return nil
}
