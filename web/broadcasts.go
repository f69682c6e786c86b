package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"coopbot"
	"coopbot/export"
	"coopbot/flows"
	"coopbot/text"
)

// Broadcasts in the console: the history within the person's scope with each one's
// outcome, a broadcast's live progress with its Cancel and its recipients' export, and
// the compose form with its preview. Every rule is the chat's (flows.MayAddress,
// flows.BroadcastText, flows.BroadcastStart, flows.SendBroadcast, flows.CancelBroadcastAs,
// flows.ExportRecipients), so the same checks, audit rows and store methods apply.

// broadcastStore is what the broadcast pages need from the store.
type broadcastStore interface {
	AudienceCounts(ctx context.Context, a coopbot.Audience) ([]coopbot.AudienceCount, error)
	AudienceCooperatives(ctx context.Context) ([]coopbot.AudienceChoice, error)
	AudienceTrainings(ctx context.Context) ([]coopbot.AudienceChoice, error)
	CreateBroadcast(ctx context.Context, b coopbot.NewBroadcast) (int64, int, error)
	BroadcastStatus(ctx context.Context, id int64) (*coopbot.BroadcastStatus, error)
	CancelBroadcast(ctx context.Context, id, by int64) (*coopbot.BroadcastStatus, error)
	BroadcastRecipients(ctx context.Context, actorID, id int64) ([]coopbot.BroadcastRecipient, error)
	// BroadcastHistory lists the broadcasts within the scope, newest first, and how many
	// there are; BroadcastSummary one of them (not_found outside the scope).
	BroadcastHistory(ctx context.Context, s *coopbot.Staff, offset, limit int) ([]coopbot.BroadcastSummary, int, error)
	BroadcastSummary(ctx context.Context, s *coopbot.Staff, id int64) (*coopbot.BroadcastSummary, error)
}

// broadcastsPerPage is a page of the history.
const broadcastsPerPage = 20

// refreshEvery is how often a broadcast's page reloads while it is being sent.
const refreshEvery = 5

// audiences reads the choices of an audience once per request.
type audiences struct {
	st     broadcastStore
	nbhs   []coopbot.Neighborhood
	coops  []coopbot.AudienceChoice
	trains []coopbot.AudienceChoice
	read   bool
}

func (s *Server) audiences(q *req) *audiences { return &audiences{st: s.cfg.Store, nbhs: q.nbhs} }

func (a *audiences) load(ctx context.Context) error {
	if a.read {
		return nil
	}
	var err error
	if a.coops, err = a.st.AudienceCooperatives(ctx); err != nil {
		return err
	}
	if a.trains, err = a.st.AudienceTrainings(ctx); err != nil {
		return err
	}
	a.read = true
	return nil
}

func (a *audiences) Neighborhoods(ctx context.Context) ([]coopbot.Neighborhood, error) {
	return a.nbhs, nil
}

func (a *audiences) AudienceCounts(ctx context.Context, au coopbot.Audience) ([]coopbot.AudienceCount, error) {
	return a.st.AudienceCounts(ctx, au)
}

func (a *audiences) AudienceCooperatives(ctx context.Context) ([]coopbot.AudienceChoice, error) {
	return a.coops, a.load(ctx)
}

func (a *audiences) AudienceTrainings(ctx context.Context) ([]coopbot.AudienceChoice, error) {
	return a.trains, a.load(ctx)
}

// describe names a past broadcast's audience; a cooperative or training no longer
// offered is named by its kind.
func (a *audiences) describe(ctx context.Context, l coopbot.Lang, au coopbot.Audience) (coopbot.Msg, error) {
	m, err := flows.DescribeAudience(ctx, a, l, au)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return coopbot.M("broadcast.audience." + string(au.Kind)), nil
	}
	return m, err
}

func (s *Server) msgs(l coopbot.Lang, ms []coopbot.Msg) ([]string, error) {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		t, err := s.msg(l, m)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// broadcaster is the signed-in person's staff role when they may broadcast; anyone else
// is refused, recorded as action.
func (s *Server) broadcaster(q *req, action, subject string) (*coopbot.Staff, error) {
	if !flows.MayBroadcast(q.staff) {
		return nil, s.denied(q.r.Context(), q, action, subject, nil)
	}
	return q.staff, nil
}

// ---- history ----

// bcRow is one broadcast of the history or the one page.
type bcRow struct {
	B        coopbot.BroadcastSummary
	Audience string
	Bar      *stackBar
}

// bcTable is a table of broadcasts with their outcomes (the history, the overview's
// latest), rendered by the layout's "bctable".
type bcTable struct {
	ID   string // the table's element id
	L    *words
	Rows []bcRow
}

// bcTable makes the rows of broadcasts.
func (s *Server) bcTable(ctx context.Context, q *req, id string, list []coopbot.BroadcastSummary) (*bcTable, error) {
	t := &bcTable{ID: id, L: &words{s: s, lang: q.lang, nbhs: q.nbhs}}
	au := s.audiences(q)
	for _, b := range list {
		row, err := s.bcRow(ctx, q, au, b)
		if err != nil {
			return nil, err
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

type broadcastsData struct {
	Table       *bcTable
	Total       int
	Page, Pages int
	First       int
	Prev, Next  string
}

func (s *Server) bcRow(ctx context.Context, q *req, au *audiences, b coopbot.BroadcastSummary) (bcRow, error) {
	m, err := au.describe(ctx, q.lang, b.Audience)
	if err != nil {
		return bcRow{}, err
	}
	who, err := s.msg(q.lang, m)
	if err != nil {
		return bcRow{}, err
	}
	return bcRow{B: b, Audience: who, Bar: newStackBar(b.BroadcastStatus)}, nil
}

func (s *Server) broadcasts(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	st, err := s.broadcaster(q, "broadcast_list", "")
	if err != nil {
		return err
	}
	d := broadcastsData{}
	if d.Page, err = pageNumber(q.r.URL.Query()); err != nil {
		return err
	}
	list, total, err := s.cfg.Store.BroadcastHistory(ctx, st, (d.Page-1)*broadcastsPerPage, broadcastsPerPage)
	if err != nil {
		return err
	}
	if d.Table, err = s.bcTable(ctx, q, "broadcasts", list); err != nil {
		return err
	}
	d.Total = total
	d.Pages = max(1, (total+broadcastsPerPage-1)/broadcastsPerPage)
	d.First = (d.Page-1)*broadcastsPerPage + 1
	if d.Page > 1 {
		d.Prev = "/broadcasts?page=" + strconv.Itoa(min(d.Page-1, d.Pages))
	}
	if d.Page < d.Pages {
		d.Next = "/broadcasts?page=" + strconv.Itoa(d.Page+1)
	}
	s.render(w, q.r, q, http.StatusOK, "broadcasts", d)
	return nil
}

// ---- one broadcast ----

type broadcastData struct {
	bcRow
	Running   bool // scheduled or running: the page reloads itself
	CanCancel bool
}

// Refresh reloads the page while the broadcast is on its way (also while a cancelled
// one still has sends in flight).
func (d *broadcastData) Refresh() int {
	if d.Running || !d.B.Finished && d.B.Status == coopbot.BroadcastCancelled {
		return refreshEvery
	}
	return 0
}

// broadcastID reads the broadcast of the address and loads it within the scope; outside
// it (or for no such broadcast) the attempt is recorded as action and refused.
func (s *Server) broadcastID(q *req, action string) (*coopbot.BroadcastSummary, error) {
	ctx := q.r.Context()
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, refuse(http.StatusNotFound, "console.error.not_found")
	}
	subject := "broadcast:" + strconv.FormatInt(id, 10)
	st, err := s.broadcaster(q, action, subject)
	if err != nil {
		return nil, err
	}
	b, err := s.cfg.Store.BroadcastSummary(ctx, st, id)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return nil, s.denied(ctx, q, action, subject, nil)
	}
	return b, err
}

func (s *Server) broadcast(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	b, err := s.broadcastID(q, "broadcast_open")
	if err != nil {
		return err
	}
	row, err := s.bcRow(ctx, q, s.audiences(q), *b)
	if err != nil {
		return err
	}
	d := &broadcastData{bcRow: row, Running: !b.Status.Ended()}
	d.CanCancel = d.Running && flows.MayCancelBroadcast(q.staff, &b.BroadcastStatus)
	switch v := q.r.URL.Query(); {
	case v.Get("sent") == "1":
		q.notice = "console.broadcasts.notice_sent"
	case v.Get("sent") == "again":
		q.notice = "console.broadcasts.sent_already"
	case v.Get("cancelled") == "1":
		q.notice = "console.broadcasts.notice_cancelled"
	case v.Get("cancelled") == "over":
		q.notice = "console.broadcasts.cancel_over"
	case v.Get("export") == "empty":
		q.notice = "console.broadcasts.export_empty"
	}
	s.render(w, q.r, q, http.StatusOK, "broadcast", d)
	return nil
}

// broadcastCancel stops the broadcast as the progress message's Cancel does.
func (s *Server) broadcastCancel(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	b, err := s.broadcastID(q, "broadcast_cancel")
	if err != nil {
		return err
	}
	back := "/broadcasts/" + strconv.FormatInt(b.ID, 10)
	_, err = flows.CancelBroadcastAs(ctx, s.cfg.Store, q.staff, q.sess.ResidentID, b.ID)
	switch coopbot.ErrorCode(err) {
	case "":
		back += "?cancelled=1"
	case coopbot.EConflict:
		back += "?cancelled=over"
	case coopbot.EForbidden: // recorded
		return refuse(http.StatusForbidden, "console.error.forbidden")
	case coopbot.ENotFound:
		return s.denied(ctx, q, "broadcast_cancel", "broadcast:"+strconv.FormatInt(b.ID, 10), nil)
	default:
		return err
	}
	http.Redirect(w, q.r, back, http.StatusSeeOther)
	return nil
}

// broadcastRecipients sends the recipients' export, the chat's spreadsheet (or its CSV).
func (s *Server) broadcastRecipients(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	format := q.r.URL.Query().Get("format")
	if format != "xlsx" && format != "csv" {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	b, err := s.broadcastID(q, "broadcast_export")
	if err != nil {
		return err
	}
	table, err := flows.ExportRecipients(ctx, s.cfg.Store, q.sess.ResidentID, q.lang, b.ID, time.Now())
	if coopbot.ErrorCode(err) == coopbot.EForbidden { // recorded by the store
		return refuse(http.StatusForbidden, "console.error.forbidden")
	}
	if err != nil {
		return err
	}
	if table == nil {
		http.Redirect(w, q.r, "/broadcasts/"+strconv.FormatInt(b.ID, 10)+"?export=empty", http.StatusSeeOther)
		return nil
	}
	docs, err := export.Files(*table, func(m coopbot.Msg) (string, error) { return s.msg(q.lang, m) })
	if err != nil {
		return err
	}
	doc, kind := docs[0], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	if format == "csv" {
		doc, kind = docs[1], "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", kind)
	w.Header().Set("Content-Disposition", `attachment; filename="`+doc.Name+`"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(doc.Data)
	return err
}

// ---- compose, preview, send ----

// bcForm is the compose form as sent.
type bcForm struct {
	Kind     string
	Nbhs     []int64
	Coop     int64
	Training int64
	Lang     string
	Mode     string // both, one (lang for an audience of one language)
	Fa, Az   string
	One      string
	When     string // now, later
	Day      string
	Clock    string
	Key      string // the form's one-time key
}

// keyRE is what a form key looks like.
var keyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

func newFormKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func readBcForm(v url.Values) (bcForm, bool) {
	f := bcForm{Kind: v.Get("audience"), Lang: v.Get("lang"), Mode: v.Get("mode"),
		Fa: v.Get("text_fa"), Az: v.Get("text_az"), One: v.Get("text_one"),
		When: v.Get("when"), Day: text.Clean(v.Get("day")), Clock: text.Clean(v.Get("clock")), Key: v.Get("key")}
	for _, n := range v["nbh"] {
		id, err := strconv.ParseInt(n, 10, 64)
		if err != nil || id <= 0 {
			return f, false
		}
		if !slices.Contains(f.Nbhs, id) {
			f.Nbhs = append(f.Nbhs, id)
		}
	}
	for _, p := range []struct {
		name string
		to   *int64
	}{{"coop", &f.Coop}, {"training", &f.Training}} {
		if x := v.Get(p.name); x != "" {
			id, err := strconv.ParseInt(x, 10, 64)
			if err != nil || id <= 0 {
				return f, false
			}
			*p.to = id
		}
	}
	if f.When == "" {
		f.When = "now"
	}
	if f.Mode == "" {
		f.Mode = "both"
	}
	return f, keyRE.MatchString(f.Key)
}

// composeData is the compose page, with the preview once the form was checked.
type composeData struct {
	F         bcForm
	Kinds     []coopbot.AudienceKind
	Manager   bool
	OwnNbh    int64
	Nbhs      []coopbot.Neighborhood
	Coops     []coopbot.AudienceChoice
	Trainings []coopbot.AudienceChoice
	Langs     []coopbot.Lang
	TextMax   int
	Error     string
	ErrData   []any
	Preview   *bcPreview
}

// bcPreview is the broadcast as residents will get it, and to whom.
type bcPreview struct {
	Texts   []bcText
	Summary []string
	When    string
}

type bcText struct {
	Label string
	Text  string
}

// checked is a valid compose form: the broadcast it makes.
type checked struct {
	nb    coopbot.NewBroadcast
	mode  string
	total int
}

func (s *Server) composePage(w http.ResponseWriter, q *req, code int, d *composeData, au *audiences) error {
	ctx := q.r.Context()
	kinds, err := flows.AudienceKinds(ctx, au, q.staff)
	if err != nil {
		return err
	}
	d.Kinds, d.TextMax, d.Langs = kinds, flows.BroadcastTextMax, []coopbot.Lang{coopbot.Persian, coopbot.Azeri}
	d.Manager = q.staff.Role == coopbot.RoleNeighborhoodManager
	if d.Manager {
		d.OwnNbh = q.staff.NeighborhoodID
	} else {
		if err := au.load(ctx); err != nil {
			return err
		}
		d.Coops, d.Trainings = au.coops, au.trains
		l := &words{s: s, lang: q.lang, nbhs: q.nbhs}
		d.Nbhs = slices.Clone(q.nbhs)
		text.SortFunc(text.Lang(q.lang), d.Nbhs, func(n coopbot.Neighborhood) string { return l.Nbh(n.ID) })
	}
	s.render(w, q.r, q, code, "broadcast_new", d)
	return nil
}

func (s *Server) broadcastNew(w http.ResponseWriter, q *req) error {
	if _, err := s.broadcaster(q, "broadcast_open", ""); err != nil {
		return err
	}
	d := &composeData{F: bcForm{Mode: "both", When: "now", Key: newFormKey()}}
	if q.staff.Role == coopbot.RoleNeighborhoodManager {
		d.F.Kind, d.F.Nbhs = string(coopbot.AudienceNeighborhoods), []int64{q.staff.NeighborhoodID}
	}
	return s.composePage(w, q, http.StatusOK, d, s.audiences(q))
}

// check reads the compose form as the chat's wizard checks its answers. A refusal of
// the audience (a manager naming another neighborhood, say) is recorded and answered
// 403; what is wrong with the form shows it again with the reason (bad).
func (s *Server) check(q *req, au *audiences, f bcForm) (c *checked, bad *coopbot.Msg, err error) {
	ctx := q.r.Context()
	no := func(id string, kv ...any) (*checked, *coopbot.Msg, error) {
		m := coopbot.M(id, kv...)
		return nil, &m, nil
	}
	a := coopbot.Audience{Kind: coopbot.AudienceKind(f.Kind)}
	switch a.Kind {
	case coopbot.AudienceAll:
	case coopbot.AudienceNeighborhoods:
		if len(f.Nbhs) == 0 {
			return no("broadcast.neighborhoods.empty")
		}
		for _, id := range f.Nbhs {
			if !slices.ContainsFunc(q.nbhs, func(n coopbot.Neighborhood) bool { return n.ID == id }) {
				return no("console.broadcasts.choose_audience")
			}
		}
		a.IDs = f.Nbhs
	case coopbot.AudienceCooperative, coopbot.AudienceTraining:
		id, list, invalid := f.Coop, au.AudienceCooperatives, "console.broadcasts.choose_cooperative"
		if a.Kind == coopbot.AudienceTraining {
			id, list, invalid = f.Training, au.AudienceTrainings, "console.broadcasts.choose_training"
		}
		all, err := list(ctx)
		if err != nil {
			return nil, nil, err
		}
		if !slices.ContainsFunc(all, func(ch coopbot.AudienceChoice) bool { return ch.ID == id }) {
			return no(invalid)
		}
		a.IDs = []int64{id}
	case coopbot.AudienceLang:
		a.Lang = coopbot.Lang(f.Lang)
		if !a.Lang.Valid() {
			return no("console.broadcasts.choose_lang")
		}
	default:
		return no("console.broadcasts.choose_audience")
	}
	if !flows.MayAddress(q.staff, a) {
		return nil, nil, s.denied(ctx, q, "broadcast_create", "", map[string]any{"audience": a})
	}
	nb := coopbot.NewBroadcast{CreatedBy: q.sess.ResidentID, Audience: a, Key: f.Key}
	mode := f.Mode
	if a.Kind == coopbot.AudienceLang {
		mode = "lang"
	}
	texts := map[string][]*string{"both": {&f.Fa, &f.Az}, "one": {&f.One}, "lang": {&f.Fa}}[mode]
	if a.Kind == coopbot.AudienceLang && a.Lang == coopbot.Azeri {
		texts = []*string{&f.Az}
	}
	if texts == nil {
		return no("console.broadcasts.choose_mode")
	}
	for _, t := range texts {
		clean, bad := flows.BroadcastText(*t, false)
		if bad != nil && bad.ID == "broadcast.text.not_text" {
			return no("console.broadcasts.text_empty") // nothing written (the chat's words are for a sticker)
		}
		if bad != nil {
			return nil, bad, nil
		}
		*t = clean
	}
	switch mode {
	case "both":
		nb.TextFa, nb.TextAz = f.Fa, f.Az
	case "one":
		nb.TextFa, nb.TextAz = f.One, f.One
	default:
		if a.Lang == coopbot.Azeri {
			nb.TextAz = f.Az
		} else {
			nb.TextFa = f.Fa
		}
	}
	switch f.When {
	case "now":
	case "later":
		at, bad := flows.BroadcastStart(f.Day, f.Clock, time.Now())
		if bad != nil {
			return nil, bad, nil
		}
		nb.StartAt = at
	default:
		return no("console.broadcasts.choose_when")
	}
	counts, err := s.cfg.Store.AudienceCounts(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	total := 0
	for _, ac := range counts {
		total += ac.Residents
	}
	if total == 0 {
		return no("broadcast.audience.empty")
	}
	return &checked{nb: nb, mode: mode, total: total}, nil, nil
}

// composeAgain shows the form again with what was wrong.
func (s *Server) composeAgain(w http.ResponseWriter, q *req, au *audiences, f bcForm, bad *coopbot.Msg) error {
	d := &composeData{F: f, Error: bad.ID}
	for k, v := range bad.Data {
		d.ErrData = append(d.ErrData, k, v)
	}
	return s.composePage(w, q, http.StatusUnprocessableEntity, d, au)
}

// composed reads and checks a posted compose form, as the chat's wizard checks its
// answers; a form with something to mend is shown again here (c is nil then, and so is
// err unless the page failed).
func (s *Server) composed(w http.ResponseWriter, q *req) (f bcForm, au *audiences, c *checked, err error) {
	if _, err := s.broadcaster(q, "broadcast_create", ""); err != nil {
		return f, nil, nil, err
	}
	f, ok := readBcForm(q.r.PostForm)
	if !ok {
		return f, nil, nil, refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	au = s.audiences(q)
	c, bad, err := s.check(q, au, f)
	if err != nil {
		return f, au, nil, err
	}
	if bad != nil {
		return f, au, nil, s.composeAgain(w, q, au, f, bad)
	}
	return f, au, c, nil
}

func (s *Server) broadcastPreview(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	f, au, c, err := s.composed(w, q)
	if c == nil {
		return err
	}
	summary, _, err := flows.AudienceSummary(ctx, au, q.lang, c.nb.Audience)
	if err != nil {
		return err
	}
	p := &bcPreview{}
	if p.Summary, err = s.msgs(q.lang, summary); err != nil {
		return err
	}
	// The texts under the chat preview's labels, as residents will get them.
	var shown []struct{ label, text string }
	switch {
	case c.mode == "one":
		shown = append(shown, struct{ label, text string }{"broadcast.preview.label_one", c.nb.TextFa})
	default:
		if c.nb.TextFa != "" {
			shown = append(shown, struct{ label, text string }{"broadcast.preview.label_fa", c.nb.TextFa})
		}
		if c.nb.TextAz != "" {
			shown = append(shown, struct{ label, text string }{"broadcast.preview.label_az", c.nb.TextAz})
		}
	}
	for _, x := range shown {
		label, err := s.msg(q.lang, coopbot.M(x.label))
		if err != nil {
			return err
		}
		p.Texts = append(p.Texts, bcText{Label: label, Text: x.text})
	}
	when := coopbot.M("broadcast.preview.now")
	if !c.nb.StartAt.IsZero() {
		when = coopbot.M("broadcast.preview.at", "Date", text.LongDate(c.nb.StartAt, text.Lang(q.lang)), "Clock", text.Clock(c.nb.StartAt))
	}
	if p.When, err = s.msg(q.lang, when); err != nil {
		return err
	}
	return s.composePage(w, q, http.StatusOK, &composeData{F: f, Preview: p}, au)
}

// broadcastSend creates the broadcast once: the form's key makes the same form sent
// again find the first broadcast.
func (s *Server) broadcastSend(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	_, _, c, err := s.composed(w, q)
	if c == nil {
		return err
	}
	me, err := s.cfg.Store.Resident(ctx, q.sess.ResidentID)
	if err != nil {
		return err
	}
	// The runner posts the progress message (with its Cancel) in the sender's chat, and
	// the final report goes there too, as for a broadcast sent from the chat.
	c.nb.Progress = coopbot.ProgressMessage{Platform: me.Platform, ChatID: me.ChatID, Lang: me.Lang}
	id, _, err := flows.SendBroadcast(ctx, s.cfg.Store, q.staff, c.nb)
	switch {
	case coopbot.ErrorCode(err) == coopbot.EConflict && id != 0:
		http.Redirect(w, q.r, "/broadcasts/"+strconv.FormatInt(id, 10)+"?sent=again", http.StatusSeeOther)
		return nil
	case coopbot.ErrorCode(err) == coopbot.EForbidden: // recorded
		return refuse(http.StatusForbidden, "console.error.forbidden")
	case err != nil:
		return err
	}
	http.Redirect(w, q.r, "/broadcasts/"+strconv.FormatInt(id, 10)+"?sent=1", http.StatusSeeOther)
	return nil
}

// ---- the stacked bar ----

// stackBar is a broadcast's outcome as one bar of segments, drawn as SVG right to left:
// delivered, blocked, failed, unknown, cancelled, then what is still pending.
type stackBar struct {
	Width, Height int
	Segs          []seg
}

type seg struct {
	Class string
	N     int
	X, W  int
}

const stackWidth, stackHeight = 240, 14

// SVG draws the bar; the numbers are shown beside it, so it is hidden from screen readers.
func (b *stackBar) SVG() template.HTML {
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="stack" aria-hidden="true" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		b.Width, b.Height, b.Width, b.Height)
	fmt.Fprintf(&sb, `<rect class="seg-none" x="0" y="0" width="%d" height="%d"></rect>`, b.Width, b.Height)
	for _, s := range b.Segs {
		fmt.Fprintf(&sb, `<rect class="seg-%s" x="%d" y="0" width="%d" height="%d"></rect>`, s.Class, s.X, s.W, b.Height)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) // numbers and fixed class names only
}

func newStackBar(st coopbot.BroadcastStatus) *stackBar {
	b := &stackBar{Width: stackWidth, Height: stackHeight}
	parts := []seg{{Class: "sent", N: st.Sent}, {Class: "blocked", N: st.Unreachable}, {Class: "failed", N: st.Failed},
		{Class: "unknown", N: st.Unknown}, {Class: "cancelled", N: st.Cancelled}, {Class: "pending", N: st.Pending}}
	total := 0
	for _, p := range parts {
		total += p.N
	}
	if total == 0 {
		return b
	}
	right, done := stackWidth, 0
	for _, p := range parts {
		if p.N == 0 {
			continue
		}
		done += p.N
		end := stackWidth - done*stackWidth/total // integer edges: the segments meet exactly
		p.X, p.W = end, right-end
		right = end
		b.Segs = append(b.Segs, p)
	}
	return b
}

// NotDelivered is what failed, sure or not (the history's one "failed" column).
func (r bcRow) NotDelivered() int { return r.B.Failed + r.B.Unknown }

// Has reports whether neighborhood id is ticked on the form.
func (f bcForm) Has(id int64) bool { return slices.Contains(f.Nbhs, id) }
