package web

// The join requests: the requests a person may decide on, by cooperative (the overdue
// ones marked and first), one request as the chat's admin card shows it, its decision
// through the chat's own store method (the first decision wins, the applicant is told in
// the chat), and a cooperative's requests as a workbook or CSV, built by the chat's
// export.

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coopbot"
	"coopbot/flows"
	"coopbot/text"
)

// joinStore is what the join pages need from the system of record: the chat's methods.
type joinStore interface {
	// JoinRequest loads one request with its personal data opened (shown only to those
	// CanDecideJoin allows), and where else its national ID applied.
	JoinRequest(ctx context.Context, id int64) (*coopbot.JoinRequest, error)
	CanDecideJoin(ctx context.Context, actorID, coopID int64) (bool, error)
	// DecideJoinRequest decides a pending request, checking the rights again and
	// auditing; the first decision wins and queues the applicant's notice.
	DecideJoinRequest(ctx context.Context, d coopbot.JoinDecision) (*coopbot.JoinRequest, bool, error)
	// PendingJoinRequests lists the pending requests a person may decide, oldest first,
	// without personal data.
	PendingJoinRequests(ctx context.Context, actorID int64) ([]coopbot.JoinRequest, error)
	// DecidedJoinRequests lists decided requests in the same scope, newest first.
	DecidedJoinRequests(ctx context.Context, actorID, coopID int64, status coopbot.JoinStatus, since time.Time, limit int) ([]coopbot.JoinRequest, error)
	// JoinExport loads a cooperative's requests for the export, personal data opened
	// (forbidden, audited, outside the person's scope).
	JoinExport(ctx context.Context, actorID, coopID int64) (*coopbot.Cooperative, []coopbot.JoinRequest, error)
}

// recentDecided is how far back the list shows decided requests when no status is asked
// for, and decidedMax how many it shows at most.
const (
	recentDecided = 30 * 24 * time.Hour
	decidedMax    = 200
)

// joinStatuses are the list's status filter's choices, after "pending and recent".
var joinStatuses = []coopbot.JoinStatus{coopbot.JoinPending, coopbot.JoinApproved, coopbot.JoinRejected, coopbot.JoinWithdrawn}

// Lines renders messages as the chat shows them: one paragraph a line.
func (l *words) Lines(ms []coopbot.Msg) (string, error) {
	out := make([]string, len(ms))
	for i, m := range ms {
		s, err := l.Msg(m)
		if err != nil {
			return "", err
		}
		out[i] = s
	}
	return strings.TrimSpace(strings.Join(out, "\n")), nil
}

// JoinStatus names where a request stands, as the export's cells do.
func (l *words) JoinStatus(s coopbot.JoinStatus) (string, error) {
	return l.T("coop.export.status." + string(s))
}

// Waiting says how many days a request has waited.
func (l *words) Waiting(days int) (string, error) {
	return l.Msg(coopbot.M("console.joins.waiting", "Days", text.Number(int64(days))).WithCount(days))
}

// Overdue says how many of a cooperative's requests are overdue, as the chat's list does.
func (l *words) Overdue(n int) (string, error) {
	return l.Msg(coopbot.M("coop.pending.overdue", "Count", text.Number(int64(n))).WithCount(n))
}

// Reason names a rejection reason of the short list.
func (l *words) Reason(code coopbot.RejectReason) (string, error) {
	return l.Msg(flows.JoinReason(code))
}

// ---- the list ----

type joinsData struct {
	Groups   []*joinGroup
	Status   string
	Coop     int64
	Coops    []coopbot.Cooperative // the cooperative filter's choices
	Statuses []coopbot.JoinStatus
	Recent   int // days of decided requests shown without a status filter
}

// joinGroup is one cooperative's part of the list.
type joinGroup struct {
	Coop    coopbot.Cooperative
	Pending []joinRow
	Decided []joinRow
	Overdue int
}

type joinRow struct {
	R    coopbot.JoinRequest
	Days int
}

func (s *Server) joins(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	st := s.cfg.Store
	me := q.sess.ResidentID
	v := q.r.URL.Query()
	d := joinsData{Status: v.Get("status"), Statuses: joinStatuses, Recent: int(recentDecided / (24 * time.Hour))}
	if d.Status != "" && !slices.Contains(joinStatuses, coopbot.JoinStatus(d.Status)) {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	// The cooperatives this person may decide on, as the overview counts them.
	counts, err := st.PendingJoinCounts(ctx, me)
	if err != nil {
		return err
	}
	if c := v.Get("coop"); c != "" {
		id, err := strconv.ParseInt(c, 10, 64)
		if err != nil || id <= 0 {
			return refuse(http.StatusBadRequest, "console.error.bad_request")
		}
		ok, err := st.CanDecideJoin(ctx, me, id)
		if err != nil {
			return err
		}
		if !ok {
			return s.denied(ctx, q, "join_list", "cooperative:"+strconv.FormatInt(id, 10), nil)
		}
		d.Coop = id
	}
	groups := map[int64]*joinGroup{}
	var order []int64
	group := func(co coopbot.Cooperative) *joinGroup {
		g := groups[co.ID]
		if g == nil {
			g = &joinGroup{Coop: co}
			groups[co.ID] = g
			order = append(order, co.ID)
		}
		return g
	}
	now := time.Now()
	if d.Status == "" || d.Status == string(coopbot.JoinPending) {
		pending, err := st.PendingJoinRequests(ctx, me)
		if err != nil {
			return err
		}
		// The overdue ones first, as the chat's list has them; each part oldest first.
		pending = slices.Clone(pending)
		slices.SortStableFunc(pending, func(a, b coopbot.JoinRequest) int {
			switch {
			case a.Overdue == b.Overdue:
				return 0
			case a.Overdue:
				return -1
			}
			return 1
		})
		for _, r := range pending {
			if d.Coop != 0 && r.CooperativeID != d.Coop {
				continue
			}
			g := group(r.Cooperative)
			g.Pending = append(g.Pending, joinRow{R: r, Days: r.DaysWaiting(now)})
			if r.Overdue {
				g.Overdue++
			}
		}
	}
	if d.Status != string(coopbot.JoinPending) {
		var since time.Time
		if d.Status == "" {
			since = now.Add(-recentDecided)
		}
		decided, err := st.DecidedJoinRequests(ctx, me, d.Coop, coopbot.JoinStatus(d.Status), since, decidedMax)
		if err != nil {
			return err
		}
		for _, r := range decided {
			g := group(r.Cooperative)
			g.Decided = append(g.Decided, joinRow{R: r})
		}
	}
	for _, c := range counts {
		co := coopbot.Cooperative{ID: c.Cooperative.ID, NeighborhoodID: c.Cooperative.NeighborhoodID, NameFa: c.Cooperative.NameFa, NameAz: c.Cooperative.NameAz}
		d.Coops = append(d.Coops, co)
		if c.Cooperative.ID == d.Coop {
			group(co) // the cooperative asked for, even with nothing to list
		}
	}
	l := &words{s: s, lang: q.lang, nbhs: q.nbhs}
	text.SortFunc(text.Lang(q.lang), d.Coops, func(co coopbot.Cooperative) string { return l.Coop(co) })
	// Cooperatives with overdue requests first (in the order of their oldest), then those
	// with pending ones, then the rest.
	rank := func(g *joinGroup) int {
		switch {
		case g.Overdue > 0:
			return 0
		case len(g.Pending) > 0:
			return 1
		}
		return 2
	}
	for _, id := range order {
		d.Groups = append(d.Groups, groups[id])
	}
	slices.SortStableFunc(d.Groups, func(a, b *joinGroup) int { return rank(a) - rank(b) })
	s.render(w, q.r, q, http.StatusOK, "joins", d)
	return nil
}

// ---- one request ----

type joinData struct {
	R       *coopbot.JoinRequest
	Card    []coopbot.Msg
	Notice  []coopbot.Msg // a decision made, or one that came second
	Error   string        // message ID of what was wrong with the form
	ErrData []any
	Reasons []coopbot.RejectReason
	Reason  string // the form as it was sent, shown again with its error
	Text    string
	Max     int
}

// joinRequest loads the request of the address for a person who may decide on it, as the
// chat's card does: anyone else (and an id of no request) is refused and recorded.
func (s *Server) joinRequest(q *req, action string, detail map[string]any) (*coopbot.JoinRequest, error) {
	ctx := q.r.Context()
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, refuse(http.StatusNotFound, "console.error.not_found")
	}
	subject := "join_request:" + strconv.FormatInt(id, 10)
	r, err := s.cfg.Store.JoinRequest(ctx, id)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return nil, s.denied(ctx, q, action, subject, detail)
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.cfg.Store.CanDecideJoin(ctx, q.sess.ResidentID, r.CooperativeID)
	if err != nil {
		return nil, err
	}
	if !ok || r.ResidentID == q.sess.ResidentID {
		// Nobody decides on (or reads the card of) their own request.
		return nil, s.denied(ctx, q, action, subject, detail)
	}
	return r, nil
}

func (s *Server) joinPage(w http.ResponseWriter, q *req, code int, d *joinData) {
	d.Card = flows.JoinCardText(d.R)
	d.Reasons = coopbot.RejectReasons
	d.Max = coopbot.MaxReasonText
	s.render(w, q.r, q, code, "join", d)
}

func (s *Server) join(w http.ResponseWriter, q *req) error {
	r, err := s.joinRequest(q, "join_view", nil)
	if err != nil {
		return err
	}
	d := &joinData{R: r}
	if q.r.URL.Query().Get("decided") == "1" && r.Status != coopbot.JoinPending && r.DecidedBy == q.sess.ResidentID {
		d.Notice = flows.JoinDecidedNow(r)
	}
	s.joinPage(w, q, http.StatusOK, d)
	return nil
}

// joinDecide decides a request as the chat's card does: the same store method, so the
// same rights, the first decision wins, the same audit row and the same notice to the
// applicant in the chat. A decision that comes second says who decided first.
func (s *Server) joinDecide(w http.ResponseWriter, q *req) error {
	form := q.r.PostForm
	verdict := form.Get("verdict")
	// Refusals are recorded with the verdict as the chat's card names it.
	logged := map[string]string{"approve": "ok", "reject": "no"}[verdict]
	if logged == "" {
		logged = "?"
	}
	r, err := s.joinRequest(q, "join_decide", map[string]any{"verdict": logged})
	if err != nil {
		return err
	}
	d := &joinData{R: r, Reason: form.Get("reason"), Text: text.CleanMultiline(form.Get("text"))}
	if r.Status != coopbot.JoinPending {
		d.Notice = flows.JoinDecidedAlready(r)
		s.joinPage(w, q, http.StatusConflict, d)
		return nil
	}
	bad := func(msg string, kv ...any) error {
		d.Error, d.ErrData = msg, kv
		s.joinPage(w, q, http.StatusUnprocessableEntity, d)
		return nil
	}
	dec := coopbot.JoinDecision{RequestID: r.ID, ActorID: q.sess.ResidentID}
	switch verdict {
	case "approve":
		dec.Approve = true
	case "reject":
		code := coopbot.RejectReason(d.Reason)
		n := utf8.RuneCountInString(d.Text)
		switch {
		case n > coopbot.MaxReasonText:
			return bad("coop.reject.too_long", "Max", text.Number(coopbot.MaxReasonText))
		case code.Listed() && n > 0:
			return bad("console.joins.reason_one")
		case code.Listed():
			dec.ReasonCode = code
		case (code == "" || code == coopbot.RejectOther) && n > 0:
			dec.ReasonCode, dec.ReasonText = coopbot.RejectOther, d.Text
		default:
			return bad("console.joins.reason_needed")
		}
	default:
		return bad("console.joins.choose")
	}
	after, won, err := s.cfg.Store.DecideJoinRequest(q.r.Context(), dec)
	switch coopbot.ErrorCode(err) {
	case "":
	case coopbot.EForbidden:
		// The store re-checked the rights and recorded the refusal.
		return refuse(http.StatusForbidden, "console.error.forbidden")
	case coopbot.EInvalid:
		return bad("console.joins.reason_needed")
	default:
		return err
	}
	if !won {
		d.R, d.Notice = after, flows.JoinDecidedAlready(after)
		s.joinPage(w, q, http.StatusConflict, d)
		return nil
	}
	http.Redirect(w, q.r, "/joins/"+strconv.FormatInt(r.ID, 10)+"?decided=1", http.StatusSeeOther)
	return nil
}

// ---- the export ----

// joinExport sends a cooperative's requests as the chat's export does: the same store
// method (which refuses and records anyone outside its scope), the same table and file
// builder, the same audit row.
func (s *Server) joinExport(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	v := q.r.URL.Query()
	format := v.Get("format")
	if format != "xlsx" && format != "csv" {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	id, err := strconv.ParseInt(v.Get("coop"), 10, 64)
	if err != nil || id <= 0 {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	co, list, err := s.cfg.Store.JoinExport(ctx, q.sess.ResidentID, id)
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return refuse(http.StatusForbidden, "console.error.forbidden")
	}
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return refuse(http.StatusNotFound, "console.joins.export_empty")
	}
	if err := s.cfg.Store.Audit(ctx, q.sess.ResidentID, "join_export", "cooperative:"+strconv.FormatInt(co.ID, 10), true,
		map[string]any{"rows": len(list), "format": format}); err != nil {
		return err
	}
	return s.download(w, q, flows.JoinTable(*co, list, time.Now()), format)
}
