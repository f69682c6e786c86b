package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"coopbot"
	"coopbot/export"
	"coopbot/flows"
	"coopbot/text"
)

// The trainings pages: the list of the person's scope with each training's fill rate,
// the form that creates or edits one, its page with the enrollees, the wait-list and
// attendance, cancelling with a confirmation, and the enrollee spreadsheet. Every rule and
// action is the chat's (flows.TrainingDesk and the form's rules in flows): the same scope
// checks, store methods, audit rows and notices to the enrollees.

// trainingStore is what the trainings pages need from the store.
type trainingStore interface {
	flows.TrainingDeskStore
}

// trainingsPerPage is a page of the trainings list.
const trainingsPerPage = 20

// desk is the person's staff desk of trainings.
func (s *Server) desk(q *req) flows.TrainingDesk {
	return flows.TrainingDesk{Store: s.cfg.Store, Log: s.cfg.Log, ActorID: q.sess.ResidentID, Staff: q.staff}
}

// trainingErr turns a refusal of the desk (audited already) into the 403 page.
func trainingErr(err error) error {
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return refuse(http.StatusForbidden, "console.error.forbidden")
	}
	return err
}

// ---- words of the trainings pages ----

// TrainingMsg renders a message built by the flows (a form's refusal), in the reader's
// language.
func (l *words) TrainingMsg(m coopbot.Msg) (string, error) {
	if m.ID == "" {
		return m.Raw, nil
	}
	lang := l.lang
	if m.Lang.Valid() {
		lang = m.Lang
	}
	return l.s.cfg.Labels.Text(lang, m.ID, m.Data, m.Count)
}

// TrainingDay is a training's weekday and Jalali date in the reader's language.
func (l *words) TrainingDay(t time.Time) string { return text.LongDate(t, text.Lang(l.lang)) }

// TrainingTitle is a training's title in the reader's language.
func (l *words) TrainingTitle(t *coopbot.Training) string { return t.Title(l.lang) }

// fill is a training's seats as a bar: the capacity is the whole width, the confirmed
// seats the filled part.
type fill struct {
	Width, W int
	X        int // the filled part grows from the right
	Pct      int // taken of capacity, in percent (rounded down)
}

const fillWidth = 120

func newFill(t *coopbot.Training) fill {
	f := fill{Width: fillWidth}
	if t.Capacity > 0 {
		f.W = min(fillWidth, t.SeatsTaken*fillWidth/t.Capacity)
		f.Pct = t.SeatsTaken * 100 / t.Capacity
	}
	if t.SeatsTaken > 0 && f.W < 2 {
		f.W = 2
	}
	f.X = f.Width - f.W
	return f
}

// ---- the list ----

type trainingRow struct {
	T     coopbot.Training
	Fill  fill
	State string // upcoming, held, cancelled
}

// trainingRows is one table of the list; L is the page's wording.
type trainingRows struct {
	L    *words
	Rows []trainingRow
}

type trainingsData struct {
	Upcoming, Past trainingRows
	Total          int
	Page, Pages    int
	Prev, Next     string
}

func (s *Server) trainings(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	if q.staff == nil {
		return s.denied(ctx, q, "training_admin", "", nil)
	}
	l := &words{s: s, lang: q.lang, nbhs: q.nbhs}
	d := trainingsData{Page: 1, Upcoming: trainingRows{L: l}, Past: trainingRows{L: l}}
	var err error
	if d.Page, err = pageNumber(q.r.URL.Query()); err != nil {
		return err
	}
	scope := int64(0)
	if !q.office() {
		scope = q.staff.NeighborhoodID
	}
	list, total, err := s.cfg.Store.StaffTrainings(ctx, scope, (d.Page-1)*trainingsPerPage, trainingsPerPage)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, t := range list {
		row := trainingRow{T: t, Fill: newFill(&t), State: "upcoming"}
		switch {
		case t.Status == coopbot.TrainingCancelled:
			row.State = "cancelled"
		case t.Started(now):
			row.State = "held"
		}
		if t.Started(now) {
			d.Past.Rows = append(d.Past.Rows, row)
		} else {
			d.Upcoming.Rows = append(d.Upcoming.Rows, row)
		}
	}
	d.Total = total
	d.Pages = max(1, (total+trainingsPerPage-1)/trainingsPerPage)
	if d.Page > 1 {
		d.Prev = "/trainings?page=" + strconv.Itoa(min(d.Page-1, d.Pages))
	}
	if d.Page < d.Pages {
		d.Next = "/trainings?page=" + strconv.Itoa(d.Page+1)
	}
	q.notice = map[string]string{"cancelled": "console.trainings.cancelled"}[q.r.URL.Query().Get("done")]
	s.render(w, q.r, q, http.StatusOK, "trainings", d)
	return nil
}

// ---- one training ----

// attendee is a confirmed enrollee with their attendance: "present", "absent" or "".
type attendee struct {
	coopbot.Enrollee
	Mark string
}

type trainingData struct {
	T         *coopbot.Training
	Minutes   int
	Confirmed []attendee
	Waiting   []coopbot.Enrollee
	Fill      fill
	Open      bool // published and not started: it may be edited or cancelled
	Attend    bool // published and started: attendance is marked
	Present   int
	Absent    int
	Unmarked  int
	Error     *coopbot.Msg
}

// openTraining loads the training of the address for action, within the person's scope.
func (s *Server) openTraining(q *req, action string) (*coopbot.Training, error) {
	ctx := q.r.Context()
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, refuse(http.StatusNotFound, "console.error.not_found")
	}
	t, err := s.desk(q).Open(ctx, id, action)
	return t, trainingErr(err)
}

func (s *Server) trainingPage(w http.ResponseWriter, q *req, code int, t *coopbot.Training, wrong *coopbot.Msg) error {
	list, err := s.cfg.Store.Enrollees(q.r.Context(), t.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	d := &trainingData{T: t, Minutes: int(t.Duration / time.Minute), Fill: newFill(t), Error: wrong,
		Open:   t.Status == coopbot.TrainingPublished && !t.Started(now),
		Attend: t.Status == coopbot.TrainingPublished && t.Started(now)}
	for _, e := range list {
		if e.Status == coopbot.EnrollmentWaitlisted {
			d.Waiting = append(d.Waiting, e)
			continue
		}
		a := attendee{Enrollee: e}
		switch {
		case e.Attended == nil:
			d.Unmarked++
		case *e.Attended:
			d.Present++
			a.Mark = "present"
		default:
			d.Absent++
			a.Mark = "absent"
		}
		d.Confirmed = append(d.Confirmed, a)
	}
	s.render(w, q.r, q, code, "training", d)
	return nil
}

var trainingNotices = map[string]string{
	"created": "console.trainings.created",
	"saved":   "console.trainings.saved",
	"marked":  "console.trainings.marked",
}

func (s *Server) training(w http.ResponseWriter, q *req) error {
	t, err := s.openTraining(q, "training_view")
	if err != nil {
		return err
	}
	q.notice = trainingNotices[q.r.URL.Query().Get("done")]
	return s.trainingPage(w, q, http.StatusOK, t, nil)
}

// trainingAttendance marks whether one confirmed enrollee came, as the chat's attendance
// screen does.
func (s *Server) trainingAttendance(w http.ResponseWriter, q *req) error {
	t, err := s.openTraining(q, "training_attendance")
	if err != nil {
		return err
	}
	form := q.r.PostForm
	id, err := strconv.ParseInt(form.Get("enrollment"), 10, 64)
	came := form.Get("came")
	if err != nil || (came != "1" && came != "0") {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	mark := came == "1"
	_, err = s.desk(q).MarkAttendance(q.r.Context(), t, id, &mark)
	switch coopbot.ErrorCode(err) {
	case "":
	case coopbot.EConflict, coopbot.EInvalid, coopbot.ENotFound:
		m := coopbot.M(coopbot.ErrorMsgID(err))
		return s.trainingPage(w, q, http.StatusUnprocessableEntity, t, &m)
	default:
		return trainingErr(err)
	}
	http.Redirect(w, q.r, "/trainings/"+strconv.FormatInt(t.ID, 10)+"?done=marked#enrollees", http.StatusSeeOther)
	return nil
}

// trainingClosed is why a training can no longer be edited or cancelled (the store's
// words for it), nil while it can.
func trainingClosed(t *coopbot.Training) *coopbot.Msg {
	switch {
	case t.Status == coopbot.TrainingCancelled:
		return &coopbot.Msg{ID: "trainings.edit.cancelled"}
	case t.Started(time.Now()):
		return &coopbot.Msg{ID: "trainings.edit.started"}
	}
	return nil
}

// ---- cancel ----

type trainingCancelData struct {
	T     *coopbot.Training
	Count int // enrollees to be told
	Error *coopbot.Msg
}

// trainingCancel asks to confirm, and cancels once confirmed: the enrollees are told.
func (s *Server) trainingCancel(w http.ResponseWriter, q *req) error {
	t, err := s.openTraining(q, "training_cancel")
	if err != nil {
		return err
	}
	if closed := trainingClosed(t); closed != nil {
		return s.trainingPage(w, q, http.StatusUnprocessableEntity, t, closed)
	}
	d := &trainingCancelData{T: t, Count: t.SeatsTaken + t.Waitlisted}
	if q.r.Method != http.MethodPost || q.r.PostForm.Get("confirm") != "yes" {
		s.render(w, q.r, q, http.StatusOK, "trainingcancel", d)
		return nil
	}
	_, err = s.desk(q).Cancel(q.r.Context(), t.ID)
	switch coopbot.ErrorCode(err) {
	case "":
	case coopbot.EConflict, coopbot.EInvalid, coopbot.ENotFound:
		m := coopbot.M(coopbot.ErrorMsgID(err))
		d.Error = &m
		s.render(w, q.r, q, http.StatusUnprocessableEntity, "trainingcancel", d)
		return nil
	default:
		return trainingErr(err)
	}
	http.Redirect(w, q.r, "/trainings?done=cancelled", http.StatusSeeOther)
	return nil
}

// ---- export ----

// trainingExport sends the enrollee spreadsheet the chat sends, as a workbook or CSV.
func (s *Server) trainingExport(w http.ResponseWriter, q *req) error {
	format := q.r.URL.Query().Get("format")
	if format != "xlsx" && format != "csv" {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	t, err := s.openTraining(q, "training_export")
	if err != nil {
		return err
	}
	table, _, err := s.desk(q).Export(q.r.Context(), t, q.lang)
	if err != nil {
		return trainingErr(err)
	}
	l := &words{s: s, lang: q.lang}
	docs, err := export.Files(*table, l.TrainingMsg)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(docs, func(d coopbot.Document) bool { return strings.HasSuffix(d.Name, "."+format) })
	if i < 0 {
		return refuse(http.StatusInternalServerError, "console.error.internal")
	}
	ct := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", "attachment; filename=\""+docs[i].Name+"\"; filename*=UTF-8''"+url.PathEscape(docs[i].Name))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(docs[i].Data)
	return err
}

// ---- the form ----

// trainingFormData is the form as typed (or as the training stands, for an edit), with
// the message of what is wrong beside each field.
type trainingFormData struct {
	ID     int64
	Rev    int
	Taken  int
	V      map[string]string
	Errors map[string]*coopbot.Msg
	Error  *coopbot.Msg // about the whole form (the training changed meanwhile)
	Fields []formField
}

// formField is one field of the form as the page shows it.
type formField struct {
	Name     string
	Label    string // message ID
	Hint     string // message ID, "" for none
	HintData []any
	Kind     string // text, textarea, nbh
	Max      int
	Value    string
	Err      *coopbot.Msg
	Optional bool
	Nbhs     []coopbot.Neighborhood
}

func (s *Server) trainingForm(w http.ResponseWriter, q *req, code int, d *trainingFormData) {
	var nbhs []coopbot.Neighborhood
	if q.office() {
		nbhs = slices.Clone(q.nbhs)
		l := &words{s: s, lang: q.lang, nbhs: q.nbhs}
		text.SortFunc(text.Lang(q.lang), nbhs, func(n coopbot.Neighborhood) string { return l.Nbh(n.ID) })
	}
	example := text.JalaliOf(time.Now().AddDate(0, 0, 7)).Fa()
	for _, f := range []formField{
		{Name: "title_fa", Kind: "text", Max: flows.TrainingTitleMax},
		{Name: "title_az", Kind: "text", Max: flows.TrainingTitleMax},
		{Name: "desc_fa", Kind: "textarea", Max: flows.TrainingDescMax},
		{Name: "desc_az", Kind: "textarea", Max: flows.TrainingDescMax},
		{Name: "venue", Kind: "text", Max: flows.TrainingVenueMax},
		{Name: "address", Kind: "text", Max: flows.TrainingAddressMax},
		{Name: "nbh", Kind: "nbh"},
		{Name: "date", Kind: "text", Max: 40, Hint: "console.trainings.hint.date", HintData: []any{"Example", example}},
		{Name: "time", Kind: "text", Max: 20, Hint: "console.trainings.hint.time"},
		{Name: "duration", Kind: "text", Max: 40, Hint: "console.trainings.hint.duration"},
		{Name: "capacity", Kind: "text", Max: 20, Hint: "console.trainings.hint.capacity"},
		{Name: "audience_fa", Kind: "text", Max: flows.TrainingAudienceMax, Optional: true, Hint: "console.trainings.hint.audience"},
		{Name: "audience_az", Kind: "text", Max: flows.TrainingAudienceMax, Optional: true},
	} {
		if f.Kind == "nbh" {
			if !q.office() {
				continue // a manager's trainings are in their neighborhood
			}
			f.Nbhs = nbhs
		}
		f.Label = "console.trainings.field." + f.Name
		f.Value, f.Err = d.V[f.Name], d.Errors[f.Name]
		d.Fields = append(d.Fields, f)
	}
	s.render(w, q.r, q, code, "trainingform", d)
}

// trainingNew shows the empty form.
func (s *Server) trainingNew(w http.ResponseWriter, q *req) error {
	if q.staff == nil {
		return s.denied(q.r.Context(), q, "training_create", "", nil)
	}
	s.trainingForm(w, q, http.StatusOK, &trainingFormData{V: map[string]string{}})
	return nil
}

// trainingEdit shows the form filled with the training as it stands.
func (s *Server) trainingEdit(w http.ResponseWriter, q *req) error {
	t, err := s.openTraining(q, "training_edit")
	if err != nil {
		return err
	}
	if closed := trainingClosed(t); closed != nil {
		return s.trainingPage(w, q, http.StatusUnprocessableEntity, t, closed)
	}
	at := t.StartsAt.In(text.Tehran)
	v := map[string]string{
		"title_fa": t.TitleFa, "title_az": t.TitleAz, "desc_fa": t.DescriptionFa, "desc_az": t.DescriptionAz,
		"venue": t.VenueName, "address": t.VenueAddress, "nbh": strconv.FormatInt(t.NeighborhoodID, 10),
		"date": text.FaDigits(text.JalaliOf(at).String()), "time": text.FaDigits(at.Format("15:04")),
		"duration": text.Number(int64(t.Duration / time.Minute)), "capacity": text.Number(int64(t.Capacity)),
		"audience_fa": t.AudienceFa, "audience_az": t.AudienceAz,
	}
	s.trainingForm(w, q, http.StatusOK, &trainingFormData{ID: t.ID, Rev: t.Rev, Taken: t.SeatsTaken, V: v})
	return nil
}

// readTrainingForm reads the posted form with the chat form's rules; it returns the
// training it describes, or the form with its errors.
func (s *Server) readTrainingForm(q *req, d *trainingFormData) *coopbot.Training {
	form := q.r.PostForm
	d.V, d.Errors = map[string]string{}, map[string]*coopbot.Msg{}
	for _, f := range trainingFields {
		if f == "desc_fa" || f == "desc_az" {
			d.V[f] = text.CleanMultiline(form.Get(f))
		} else {
			d.V[f] = text.Clean(form.Get(f))
		}
	}
	bad := func(field string, m *coopbot.Msg) bool {
		if m != nil {
			d.Errors[field] = m
		}
		return m != nil
	}
	t := &coopbot.Training{ID: d.ID, Rev: d.Rev}
	for _, f := range []struct {
		name string
		max  int
		to   *string
	}{
		{"title_fa", flows.TrainingTitleMax, &t.TitleFa}, {"title_az", flows.TrainingTitleMax, &t.TitleAz},
		{"desc_fa", flows.TrainingDescMax, &t.DescriptionFa}, {"desc_az", flows.TrainingDescMax, &t.DescriptionAz},
		{"venue", flows.TrainingVenueMax, &t.VenueName}, {"address", flows.TrainingAddressMax, &t.VenueAddress},
	} {
		if !bad(f.name, flows.TextLength(d.V[f.name], 1, f.max)) {
			*f.to = d.V[f.name]
		}
	}
	// Who it is for is optional; given in Persian, it is needed in Azeri too.
	if d.V["audience_fa"] != "" {
		if !bad("audience_fa", flows.TextLength(d.V["audience_fa"], 1, flows.TrainingAudienceMax)) {
			t.AudienceFa = d.V["audience_fa"]
		}
		if d.V["audience_az"] == "" {
			bad("audience_az", &coopbot.Msg{ID: "console.trainings.audience_az_needed"})
		} else if !bad("audience_az", flows.TextLength(d.V["audience_az"], 1, flows.TrainingAudienceMax)) {
			t.AudienceAz = d.V["audience_az"]
		}
	} else {
		d.V["audience_az"] = ""
	}
	if q.office() {
		id, err := strconv.ParseInt(d.V["nbh"], 10, 64)
		if err != nil || !slices.ContainsFunc(q.nbhs, func(n coopbot.Neighborhood) bool { return n.ID == id }) {
			bad("nbh", &coopbot.Msg{ID: "console.trainings.choose_nbh"})
		}
		t.NeighborhoodID = id
	} else if n := d.V["nbh"]; n != "" {
		// A manager's form has no neighborhood; one sent anyway is checked as the scope.
		t.NeighborhoodID, _ = strconv.ParseInt(n, 10, 64)
	} else {
		t.NeighborhoodID = q.staff.NeighborhoodID
	}
	now := time.Now()
	var day text.JalaliDate
	p, wrong := flows.TrainingDateTyped(d.V["date"])
	switch {
	case bad("date", wrong):
	case p.Gregorian:
		// As in the chat: a Gregorian date is shown back as the Jalali day, to confirm by
		// sending the form again.
		long := text.LongDate(p.JalaliDate.At(12, 0), text.Lang(q.lang))
		bad("date", &coopbot.Msg{ID: "trainings.form.date_gregorian", Data: map[string]any{"Typed": text.Isolate(d.V["date"]), "Day": long}})
		d.V["date"] = text.FaDigits(p.JalaliDate.String())
	case !bad("date", flows.TrainingDayAhead(p.JalaliDate, now)):
		day = p.JalaliDate
	}
	clock, wrong := flows.TrainingClockTyped(d.V["time"])
	if !bad("time", wrong) && day.Valid() {
		h, m, _ := text.ParseClock(clock)
		t.StartsAt = day.At(h, m)
		bad("time", flows.TrainingStartAhead(t.StartsAt, now, q.lang))
	}
	minutes, wrong := flows.TrainingMinutesTyped(d.V["duration"])
	if !bad("duration", wrong) {
		t.Duration = time.Duration(minutes) * time.Minute
	}
	capacity, wrong := flows.TrainingCapacityTyped(d.V["capacity"], d.Taken)
	if !bad("capacity", wrong) {
		t.Capacity = capacity
	}
	if len(d.Errors) > 0 {
		return nil
	}
	return t
}

// trainingCreate publishes the training of the form, as the chat's form does.
func (s *Server) trainingCreate(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	if q.staff == nil {
		return s.denied(ctx, q, "training_create", "", nil)
	}
	d := &trainingFormData{}
	t := s.readTrainingForm(q, d)
	if t == nil {
		s.trainingForm(w, q, http.StatusUnprocessableEntity, d)
		return nil
	}
	id, err := s.desk(q).Create(ctx, t)
	if done := s.trainingFormRefused(w, q, d, err); done {
		return nil
	}
	if err != nil {
		return trainingErr(err)
	}
	http.Redirect(w, q.r, "/trainings/"+strconv.FormatInt(id, 10)+"?done=created", http.StatusSeeOther)
	return nil
}

// trainingSave saves an edit made on the revision the form was opened on; the enrollees
// are told, as in the chat.
func (s *Server) trainingSave(w http.ResponseWriter, q *req) error {
	old, err := s.openTraining(q, "training_edit")
	if err != nil {
		return err
	}
	rev, err := strconv.Atoi(q.r.PostForm.Get("rev"))
	if err != nil {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	d := &trainingFormData{ID: old.ID, Rev: rev, Taken: old.SeatsTaken}
	t := s.readTrainingForm(q, d)
	if t == nil {
		s.trainingForm(w, q, http.StatusUnprocessableEntity, d)
		return nil
	}
	_, err = s.desk(q).Update(q.r.Context(), t)
	if done := s.trainingFormRefused(w, q, d, err); done {
		return nil
	}
	if err != nil {
		return trainingErr(err)
	}
	http.Redirect(w, q.r, "/trainings/"+strconv.FormatInt(t.ID, 10)+"?done=saved", http.StatusSeeOther)
	return nil
}

// trainingFormRefused shows the form again when the store refused it because the training
// changed meanwhile (or a value it checks); done reports that the page was written.
func (s *Server) trainingFormRefused(w http.ResponseWriter, q *req, d *trainingFormData, err error) bool {
	switch coopbot.ErrorCode(err) {
	case coopbot.EConflict, coopbot.EInvalid, coopbot.ENotFound:
		d.Error = &coopbot.Msg{ID: coopbot.ErrorMsgID(err)}
		s.trainingForm(w, q, http.StatusUnprocessableEntity, d)
		return true
	}
	return false
}

// trainingFields are the form's fields, in order.
var trainingFields = []string{"title_fa", "title_az", "desc_fa", "desc_az", "venue", "address", "nbh",
	"date", "time", "duration", "capacity", "audience_fa", "audience_az"}
