package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"coopbot"
	"coopbot/flows"
	"coopbot/text"
)

// ---- overview ----

type overviewData struct {
	Residents *chart // nil for a cooperative admin without a staff role
	ResTotal  int
	Joins     []coopbot.PendingJoins
	JoinTotal int
	Heat      *heat
	Cats      *chart
	Trainings []trainingFill
	Fill      *chart
	Weeks     []coopbot.WeekActivity
	Trends    []*columns
	// Broadcasts are the latest broadcasts with their outcomes; nil for a person who
	// sends none.
	Broadcasts *bcTable
	MayBcast   bool
}

// trainingFill is an upcoming training with its seats taken as a share of its capacity.
type trainingFill struct {
	T       *coopbot.Training
	Percent int
}

// overviewTrainings is how many upcoming trainings the overview shows; overviewWeeks how
// many weeks its trends go back.
const (
	overviewTrainings  = 10
	overviewWeeks      = 12
	overviewBroadcasts = 5
)

func (s *Server) overview(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	st := s.cfg.Store
	var d overviewData
	joins, err := st.PendingJoinCounts(ctx, q.sess.ResidentID)
	if err != nil {
		return err
	}
	d.Joins = joins
	for _, j := range joins {
		d.JoinTotal += j.N
	}
	l := &words{s: s, lang: q.lang, nbhs: q.nbhs}
	if q.staff != nil {
		res, err := st.ResidentsByNeighborhood(ctx, q.staff)
		if err != nil {
			return err
		}
		slices.SortStableFunc(res, func(a, b coopbot.ResidentsCount) int { return b.N - a.N })
		var bars []bar
		for _, c := range res {
			bars = append(bars, bar{Label: l.Nbh(c.Neighborhood), N: c.N})
			d.ResTotal += c.N
		}
		d.Residents = newChart(bars)
		counts, err := st.NeedCounts(ctx, q.staff)
		if err != nil {
			return err
		}
		d.Heat = newHeat(l, q, counts)
		var cats []bar
		for i, c := range coopbot.NeedCategories {
			name, err := l.CatShort(c)
			if err != nil {
				return err
			}
			cats = append(cats, bar{Label: name, N: d.Heat.ColTotals[i]})
		}
		d.Cats = newChart(cats)
		if err := s.overviewTrainings(q, l, &d); err != nil {
			return err
		}
		if err := s.overviewTrends(q, l, &d); err != nil {
			return err
		}
		if flows.MayBroadcast(q.staff) {
			d.MayBcast = true
			list, _, err := st.BroadcastHistory(ctx, q.staff, 0, overviewBroadcasts)
			if err != nil {
				return err
			}
			if d.Broadcasts, err = s.bcTable(ctx, q, "recent", list); err != nil {
				return err
			}
		}
	}
	s.render(w, q.r, q, http.StatusOK, "overview", d)
	return nil
}

// overviewTrainings fills the soonest upcoming trainings of the scope and how full they are.
func (s *Server) overviewTrainings(q *req, l *words, d *overviewData) error {
	scope := int64(0)
	if !q.office() {
		scope = q.staff.NeighborhoodID
	}
	list, _, err := s.cfg.Store.StaffTrainings(q.r.Context(), scope, 0, 3*overviewTrainings)
	if err != nil {
		return err
	}
	now := time.Now()
	var bars []bar
	for _, t := range list {
		if t.Status != coopbot.TrainingPublished || !t.StartsAt.After(now) || len(d.Trainings) == overviewTrainings {
			continue
		}
		f := trainingFill{T: &t}
		if t.Capacity > 0 {
			f.Percent = t.SeatsTaken * 100 / t.Capacity
		}
		d.Trainings = append(d.Trainings, f)
		bars = append(bars, bar{Label: truncateLabel(t.Title(q.lang)), N: f.Percent, Num: text.Number(int64(f.Percent)) + "٪"})
	}
	if len(bars) > 0 {
		d.Fill = newScaledChart(bars, 100)
	}
	return nil
}

// overviewTrends fills the weekly counts of the last weeks and a column chart of each.
func (s *Server) overviewTrends(q *req, l *words, d *overviewData) error {
	weeks, err := s.cfg.Store.WeeklyActivity(q.r.Context(), q.staff, time.Now(), overviewWeeks)
	if err != nil {
		return err
	}
	d.Weeks = weeks
	series := []struct {
		title string
		n     func(coopbot.WeekActivity) int
	}{
		{"console.trend.residents", func(a coopbot.WeekActivity) int { return a.Residents }},
		{"console.trend.needs", func(a coopbot.WeekActivity) int { return a.Needs }},
		{"console.trend.joins", func(a coopbot.WeekActivity) int { return a.Joins }},
		{"console.trend.enrollments", func(a coopbot.WeekActivity) int { return a.Enrollments }},
	}
	for _, se := range series {
		title, err := l.T(se.title)
		if err != nil {
			return err
		}
		var cols []column
		for _, w := range weeks {
			// The week's Saturday as Jalali month/day under its column.
			j := text.JalaliOf(w.Start)
			cols = append(cols, column{Label: text.Number(int64(j.Month)) + "/" + text.Number(int64(j.Day)), N: se.n(w)})
		}
		d.Trends = append(d.Trends, newColumns(title, cols))
	}
	return nil
}

// truncateLabel shortens a chart label that would run into its bar.
func truncateLabel(s string) string {
	const most = 24
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	r := []rune(s)
	return string(r[:most-1]) + "…"
}

// heat is the table of need reports by neighborhood (rows) and category (columns), each
// cell shaded by its share of the largest.
type heat struct {
	Cats      []coopbot.NeedCategory
	Rows      []heatRow
	ColTotals []int
	Total     int
}

type heatRow struct {
	Nbh   int64
	Cells []heatCell
	Total int
}

type heatCell struct {
	N     int
	Level int // 0 (none) … 5 (the largest)
}

func newHeat(l *words, q *req, counts []coopbot.NeedCount) *heat {
	h := &heat{Cats: coopbot.NeedCategories, ColTotals: make([]int, len(coopbot.NeedCategories))}
	rows := map[int64]*heatRow{}
	var order []int64
	for _, c := range counts {
		i := slices.Index(coopbot.NeedCategories, c.Category)
		if i < 0 {
			continue
		}
		r := rows[c.Neighborhood]
		if r == nil {
			r = &heatRow{Nbh: c.Neighborhood, Cells: make([]heatCell, len(coopbot.NeedCategories))}
			rows[c.Neighborhood] = r
			order = append(order, c.Neighborhood)
		}
		r.Cells[i].N += c.N
		r.Total += c.N
		h.ColTotals[i] += c.N
		h.Total += c.N
	}
	if q.staff.Role == coopbot.RoleNeighborhoodManager && rows[q.staff.NeighborhoodID] == nil {
		order = append(order, q.staff.NeighborhoodID)
		rows[q.staff.NeighborhoodID] = &heatRow{Nbh: q.staff.NeighborhoodID, Cells: make([]heatCell, len(coopbot.NeedCategories))}
	}
	max := 0
	for _, r := range rows {
		for _, c := range r.Cells {
			max = maxInt(max, c.N)
		}
	}
	text.SortFunc(text.Lang(q.lang), order, func(id int64) string { return l.Nbh(id) })
	for _, id := range order {
		r := rows[id]
		for i := range r.Cells {
			if n := r.Cells[i].N; n > 0 {
				r.Cells[i].Level = 1 + (n*4+max-1)/max
				if r.Cells[i].Level > 5 {
					r.Cells[i].Level = 5
				}
			}
		}
		h.Rows = append(h.Rows, *r)
	}
	return h
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// ---- needs list ----

// needsPerPage is a page of the need list.
const needsPerPage = 50

type needsData struct {
	List        []coopbot.NeedReport
	Total       int
	Page, Pages int
	Status      string
	Nbh         int64
	Cat         string
	Sort        string
	Statuses    []coopbot.NeedStatus
	Cats        []coopbot.NeedCategory
	Sorts       []coopbot.NeedSort
	Nbhs        []coopbot.Neighborhood // the neighborhood filter: office staff only
	Prev, Next  string                 // links to the neighboring pages, "" when none
	First       int                    // the number of the first row shown
	// The export of the filtered list: the days from–to as typed (Jalali) and what was
	// wrong with them.
	From, To    string
	ExportError string
}

func (s *Server) needs(w http.ResponseWriter, q *req) error {
	if q.staff == nil {
		return s.denied(q.r.Context(), q, "need_list", "", nil)
	}
	d, f, err := s.needFilter(q)
	if err != nil {
		return err
	}
	return s.needList(w, q, d, f, http.StatusOK)
}

// needFilter reads the list's filters from the address: a manager's list is their
// neighborhood's whatever the address says.
func (s *Server) needFilter(q *req) (*needsData, coopbot.NeedFilter, error) {
	v := q.r.URL.Query()
	d := &needsData{Status: v.Get("status"), Cat: v.Get("cat"), Sort: v.Get("sort"), Page: 1,
		From: text.Clean(v.Get("from")), To: text.Clean(v.Get("to")),
		Statuses: coopbot.NeedStatuses, Cats: coopbot.NeedCategories, Sorts: coopbot.NeedSorts}
	var f coopbot.NeedFilter
	bad := refuse(http.StatusBadRequest, "console.error.bad_request")
	if d.Status != "" {
		if !coopbot.NeedStatus(d.Status).Valid() {
			return nil, f, bad
		}
		f.Statuses = []coopbot.NeedStatus{coopbot.NeedStatus(d.Status)}
	}
	if d.Cat != "" {
		if !coopbot.NeedCategory(d.Cat).Valid() {
			return nil, f, bad
		}
		f.Category = coopbot.NeedCategory(d.Cat)
	}
	if d.Sort == "" {
		d.Sort = string(coopbot.NeedByUrgency)
	}
	if !coopbot.NeedSort(d.Sort).Valid() {
		return nil, f, bad
	}
	var err error
	if d.Page, err = pageNumber(v); err != nil {
		return nil, f, err
	}
	if q.office() {
		if n := v.Get("nbh"); n != "" {
			id, err := strconv.ParseInt(n, 10, 64)
			if err != nil || !slices.ContainsFunc(q.nbhs, func(x coopbot.Neighborhood) bool { return x.ID == id }) {
				return nil, f, bad
			}
			d.Nbh = id
		}
		d.Nbhs = slices.Clone(q.nbhs)
		l := &words{s: s, lang: q.lang, nbhs: q.nbhs}
		text.SortFunc(text.Lang(q.lang), d.Nbhs, func(n coopbot.Neighborhood) string { return l.Nbh(n.ID) })
	} else {
		d.Nbh = q.staff.NeighborhoodID
	}
	f.Neighborhood = d.Nbh
	return d, f, nil
}

// needList shows a page of the filtered list.
func (s *Server) needList(w http.ResponseWriter, q *req, d *needsData, f coopbot.NeedFilter, code int) error {
	list, total, err := s.cfg.Store.NeedList(q.r.Context(), q.staff, f, coopbot.NeedSort(d.Sort), (d.Page-1)*needsPerPage, needsPerPage)
	if err != nil {
		return err
	}
	d.List, d.Total = list, total
	d.Pages = max(1, (total+needsPerPage-1)/needsPerPage)
	d.First = (d.Page-1)*needsPerPage + 1
	link := func(page int) string {
		u := url.Values{}
		for k, val := range map[string]string{"status": d.Status, "cat": d.Cat, "sort": d.Sort} {
			if val != "" {
				u.Set(k, val)
			}
		}
		if q.office() && d.Nbh != 0 {
			u.Set("nbh", strconv.FormatInt(d.Nbh, 10))
		}
		u.Set("page", strconv.Itoa(page))
		return "/needs?" + u.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(min(d.Page-1, d.Pages))
	}
	if d.Page < d.Pages {
		d.Next = link(d.Page + 1)
	}
	s.render(w, q.r, q, code, "needs", d)
	return nil
}

// ---- one report ----

type needData struct {
	R       *coopbot.NeedReport
	Moves   []coopbot.NeedStatus // where it may go from here
	Error   string               // message ID of what was wrong with the form
	ErrData []any
	To      string // the form as it was sent, shown again with its error
	Ref     string
	Note    string
	Changed bool
	RefMax  int
	NoteMax int
}

// report loads a report within the person's scope; outside it (or for a cooperative
// admin) the attempt is recorded and refused.
func (s *Server) report(q *req, action string) (*coopbot.NeedReport, error) {
	ctx := q.r.Context()
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, refuse(http.StatusNotFound, "console.error.not_found")
	}
	if q.staff == nil {
		return nil, s.denied(ctx, q, action, "need:"+strconv.FormatInt(id, 10), nil)
	}
	card, err := s.cfg.Store.NeedCard(ctx, q.staff, coopbot.NeedFilter{}, id)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		// Not in this person's scope, or no such report: the same answer for both.
		return nil, s.denied(ctx, q, action, "need:"+strconv.FormatInt(id, 10), nil)
	}
	if err != nil {
		return nil, err
	}
	return card.Report, nil
}

func (s *Server) needPage(w http.ResponseWriter, q *req, code int, d *needData) {
	for _, to := range coopbot.NeedStatuses {
		if d.R.Status.CanMoveTo(to) {
			d.Moves = append(d.Moves, to)
		}
	}
	d.RefMax, d.NoteMax = flows.NeedReferredMax, flows.NeedNoteMax
	s.render(w, q.r, q, code, "need", d)
}

func (s *Server) need(w http.ResponseWriter, q *req) error {
	r, err := s.report(q, "need_open")
	if err != nil {
		return err
	}
	d := &needData{R: r, Changed: q.r.URL.Query().Get("changed") == "1"}
	if d.Changed {
		q.notice = "console.need.changed"
	}
	s.needPage(w, q, http.StatusOK, d)
	return nil
}

// needStatus changes a report's status as the chat's inbox does: the same store method,
// so the same rules (forward only, within the scope), the same audit row and the same
// notice to the resident.
func (s *Server) needStatus(w http.ResponseWriter, q *req) error {
	r, err := s.report(q, "need_status")
	if err != nil {
		return err
	}
	form := q.r.PostForm
	d := &needData{R: r, To: form.Get("to"), Ref: text.Clean(form.Get("referred_to")), Note: text.CleanMultiline(form.Get("note"))}
	bad := func(msg string, kv ...any) error {
		d.Error, d.ErrData = msg, kv
		s.needPage(w, q, http.StatusUnprocessableEntity, d)
		return nil
	}
	to := coopbot.NeedStatus(d.To)
	from := coopbot.NeedStatus(form.Get("from"))
	if !to.Valid() || !from.Valid() {
		return bad("console.need.choose_status")
	}
	if !from.CanMoveTo(to) {
		return bad("needs.card.cannot_move")
	}
	ref := ""
	if to == coopbot.NeedReferred {
		n := utf8.RuneCountInString(d.Ref)
		switch {
		case n < flows.NeedReferredMin:
			return bad("needs.referto.invalid")
		case n > flows.NeedReferredMax:
			return bad("needs.referto.too_long", "Count", text.Number(int64(n)), "Max", text.Number(flows.NeedReferredMax))
		}
		ref = d.Ref
	}
	if n := utf8.RuneCountInString(d.Note); n > flows.NeedNoteMax {
		return bad("needs.note.too_long", "Count", text.Number(int64(n)), "Max", text.Number(flows.NeedNoteMax))
	}
	_, err = s.cfg.Store.ChangeNeedStatus(q.r.Context(), q.staff, coopbot.NeedChange{ReportID: r.ID, From: from, To: to, ReferredTo: ref, Note: d.Note})
	switch coopbot.ErrorCode(err) {
	case "":
	case coopbot.EConflict, coopbot.EInvalid:
		return bad("needs.card.conflict")
	case coopbot.ENotFound:
		return s.denied(q.r.Context(), q, "need_status", "need:"+strconv.FormatInt(r.ID, 10), map[string]any{"to": to})
	default:
		return err
	}
	http.Redirect(w, q.r, "/needs/"+strconv.FormatInt(r.ID, 10)+"?changed=1", http.StatusSeeOther)
	return nil
}

// ---- audit log ----

const auditPerPage = 50

type auditData struct {
	List        []coopbot.AuditEntry
	Actions     []string
	Total       int
	Page, Pages int
	Action      string
	Allowed     string
	Actor       string
	Prev, Next  string
}

func (s *Server) audit(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	v := q.r.URL.Query()
	d := auditData{Action: v.Get("action"), Allowed: v.Get("allowed"), Actor: v.Get("actor"), Page: 1}
	var f coopbot.AuditFilter
	if len(d.Action) > 64 {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	f.Action = d.Action
	switch d.Allowed {
	case "":
	case "yes", "no":
		b := d.Allowed == "yes"
		f.Allowed = &b
	default:
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	if d.Actor != "" {
		id, reason := text.ParseInt(d.Actor, 1, 1<<62)
		if reason != text.OK {
			return refuse(http.StatusBadRequest, "console.error.bad_request")
		}
		f.ActorID = id
	}
	var err error
	if d.Page, err = pageNumber(v); err != nil {
		return err
	}
	// The store allows office-wide staff only, and records anyone else's attempt.
	list, total, err := s.cfg.Store.AuditLog(ctx, q.sess.ResidentID, f, (d.Page-1)*auditPerPage, auditPerPage)
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return refuse(http.StatusForbidden, "console.error.forbidden")
	}
	if err != nil {
		return err
	}
	if d.Actions, err = s.cfg.Store.AuditActions(ctx, q.sess.ResidentID); err != nil {
		return err
	}
	d.List, d.Total = list, total
	d.Pages = max(1, (total+auditPerPage-1)/auditPerPage)
	link := func(page int) string {
		u := url.Values{}
		for k, val := range map[string]string{"action": d.Action, "allowed": d.Allowed, "actor": d.Actor} {
			if val != "" {
				u.Set(k, val)
			}
		}
		u.Set("page", strconv.Itoa(page))
		return "/audit?" + u.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(min(d.Page-1, d.Pages))
	}
	if d.Page < d.Pages {
		d.Next = link(d.Page + 1)
	}
	s.render(w, q.r, q, http.StatusOK, "audit", d)
	return nil
}
