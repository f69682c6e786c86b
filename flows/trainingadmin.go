package flows

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"coopbot"
	"coopbot/text"
)

// TrainingAdminStore is what staff need to run trainings. The flows check the person's
// staff role and neighborhood before every step (the gate) and every action; the writes
// take the actor and check again in their transaction.
type TrainingAdminStore interface {
	// StaffTrainings lists the trainings of neighborhood scope (all when 0), upcoming
	// first, then those of the last two weeks; total counts them.
	StaffTrainings(ctx context.Context, scope int64, offset, limit int) ([]coopbot.Training, int, error)
	// CreateTraining publishes a training and returns its id. Its creator (CreatedBy)
	// must be staff allowed in its neighborhood: forbidden (audited) otherwise.
	CreateTraining(ctx context.Context, t *coopbot.Training) (int64, error)
	// UpdateTraining saves actorID's edit made on revision t.Rev, reschedules reminders,
	// tells the enrollees and returns how many were told.
	UpdateTraining(ctx context.Context, actorID int64, t *coopbot.Training) (int, error)
	// CancelTraining cancels a training, tells the enrollees and returns how many.
	CancelTraining(ctx context.Context, actorID, id int64) (int, error)
	// Enrollees lists confirmed enrolments, then the wait-list, with the names the office
	// knows them by and their phones.
	Enrollees(ctx context.Context, trainingID int64) ([]coopbot.Enrollee, error)
	// TrainingReminders groups the training's scheduled reminders by kind and instant.
	TrainingReminders(ctx context.Context, trainingID int64) ([]coopbot.ReminderSlot, error)
	// SetAttendance marks whether a confirmed enrollee came (once the training started).
	SetAttendance(ctx context.Context, actorID, trainingID, enrollmentID int64, attended bool) error
}

// Staff training flows: the list and a training's card (enrollees, export, attendance,
// edit, cancel), and the form that creates or edits a training (trainingform.go).
const (
	FlowTrainingAdmin = "trainingadmin"
	FlowTrainingNew   = "trainingnew"
	FlowTrainingEdit  = "trainingedit"
)

// Limits of the staff pages.
const (
	trainingAdminPerPage   = 5
	trainingAttendPerPage  = 8
	trainingEnrolleesShown = 40
)

// trainingAdmin is where staff are among the trainings.
type trainingAdmin struct {
	Training int64 `json:"t,omitempty"` // the training on screen
	// The enrollee being written to (trainingmsg.go), and the words while they are sent.
	Enrollee     int64  `json:"e,omitempty"`
	EnrolleeName string `json:"n,omitempty"`
	body         string
}

// trainingStaff is the conversation of staff and neighborhood managers with trainings.
type trainingStaff struct{ d Deps }

// Staff: list → card → enrollees / CSV export / attendance / edit / cancel, and the form
// that creates or edits a training.
func trainingAdminFeature(d Deps) feature {
	ts := &trainingStaff{d: d}
	return feature{
		flows: []flowDef{ts.hub(), ts.form(FlowTrainingNew), ts.form(FlowTrainingEdit)},
		menu: []MenuItem{{Label: "trainings.menu", Value: "trainingadmin", Visible: staffOnly, Open: func(ctx context.Context, c *Conv) (Next, error) {
			return Start(FlowTrainingAdmin, nil), nil
		}}},
	}
}

// gate admits staff and neighborhood managers as the system of record has them now, at
// every question and answer; a refusal is audited.
func (ts *trainingStaff) gate(ctx context.Context, c *Conv) (*coopbot.Msg, error) {
	s, err := ts.d.Store.Staff(ctx, c.Profile.ResidentID)
	if err != nil {
		return nil, err
	}
	if s == nil {
		if err := ts.refused(ctx, c, "training_admin", 0); err != nil {
			return nil, err
		}
		m := coopbot.M("trainings.denied")
		return &m, nil
	}
	c.Staff = s
	return nil, nil
}

// desk is the person's staff desk of trainings (trainingdesk.go), with the role the gate
// found.
func (ts *trainingStaff) desk(c *Conv) TrainingDesk {
	return TrainingDesk{Store: ts.d.Store, Log: ts.d.Log, ActorID: c.Profile.ResidentID, Staff: c.Staff}
}

// refused records a staff action refused to this person (on training id, 0 for none).
func (ts *trainingStaff) refused(ctx context.Context, c *Conv, action string, id int64) error {
	if err := ts.desk(c).Refuse(ctx, action, id); err != ErrTrainingDenied {
		return err
	}
	return nil
}

// training loads training id for action and checks that the person (c.Staff, from the
// gate) may act on its neighborhood. nil means refused (forged data, a scope that changed):
// audited, and the caller says trainings.denied.
func (ts *trainingStaff) training(ctx context.Context, c *Conv, id int64, action string) (*coopbot.Training, error) {
	t, err := ts.desk(c).Open(ctx, id, action)
	if err == ErrTrainingDenied {
		return nil, nil
	}
	return t, err
}

// trainingDenied ends the conversation with the refusal.
func trainingDenied() Next { return Done(coopbot.Text(coopbot.M("trainings.denied"))) }

// trainingStoreRefusal is the answer to a refusal of the store: the person's rights changed
// (forbidden) or the training did (a conflict, with its message); ok false for other
// errors.
func trainingStoreRefusal(err error) (Next, bool) {
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return trainingDenied(), true
	}
	if id := trainingRefusal(err); id != "" {
		return Done(coopbot.Text(coopbot.M(id))), true
	}
	return Next{}, false
}

func (ts *trainingStaff) hub() flowDef {
	d := ts.d
	list := List[trainingAdmin, listedTraining]{
		Name:    "list",
		PerPage: trainingAdminPerPage,
		Items: func(ctx context.Context, c *Conv, a *trainingAdmin, page, per int) ([]listedTraining, int, error) {
			list, total, err := d.Store.StaffTrainings(ctx, c.Staff.NeighborhoodID, page*per, per)
			if err != nil {
				return nil, 0, err
			}
			out, err := listTrainings(ctx, d, c.Lang(), list, page*per)
			return out, total, err
		},
		Title: func(ctx context.Context, c *Conv, a *trainingAdmin, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return []coopbot.Msg{coopbot.M("trainings.list.empty")}, nil
			}
			return []coopbot.Msg{coopbot.M("trainings.list.title")}, nil
		},
		Show: func(c *Conv, a *trainingAdmin, t listedTraining) ([]coopbot.Msg, coopbot.Msg) {
			lines := []coopbot.Msg{coopbot.M("trainings.list.item", append(trainingData(c, t.Training),
				"N", text.Number(int64(t.N)), "Neighborhood", t.Neighborhood,
				"Taken", text.Number(int64(t.SeatsTaken)), "Capacity", text.Number(int64(t.Capacity)),
				"Waiting", text.Number(int64(t.Waitlisted)))...)}
			if t.Status == coopbot.TrainingCancelled {
				lines = append(lines, coopbot.M("trainings.list.cancelled"))
			}
			return lines, trainingButtonLabel(c, t.Training, t.N)
		},
		ID: func(t listedTraining) int64 { return t.ID },
		// Any training pressed, also one of another page or forged: opened only within
		// the person's neighborhood.
		Find: func(ctx context.Context, c *Conv, a *trainingAdmin, id int64) (listedTraining, bool, error) {
			t, err := ts.training(ctx, c, id, "training_view")
			return listedTraining{Training: t}, t != nil, err
		},
		Pick: func(ctx context.Context, c *Conv, a *trainingAdmin, t listedTraining) (Next, error) {
			a.Training = t.ID
			return Goto("card"), nil
		},
		More: func(ctx context.Context, c *Conv, a *trainingAdmin) ([]coopbot.Button, error) {
			return []coopbot.Button{{Label: coopbot.M("trainings.new.button"), Data: "new"}}, nil
		},
		Other: func(ctx context.Context, c *Conv, a *trainingAdmin, in Input) (Next, bool, error) {
			if in.Choice != "new" {
				return Next{}, false, nil
			}
			return Start(FlowTrainingNew, newTrainingForm(c)), true, nil
		},
		Gone:    "trainings.denied",
		Invalid: "training.invalid",
	}
	return &Flow[trainingAdmin]{Name: FlowTrainingAdmin, Gate: ts.gate, Steps: []Step[trainingAdmin]{
		list.Step(),
		{Name: "card", Ask: ts.askCard, Answer: ts.answerCard},
		{Name: "enrollees", Ask: ts.askEnrollees, Answer: func(ctx context.Context, c *Conv, a *trainingAdmin, in Input) (Next, error) {
			switch in.Choice {
			case "export":
				return ts.export(ctx, c, a)
			case "write":
				return Goto("write_to"), nil
			}
			return Retry("training.invalid"), nil
		}},
		{Name: "write_to", Ask: ts.askWriteTo, Answer: ts.answerWriteTo},
		ts.writeStep(),
		{Name: "attendance", Ask: ts.askAttendance, Answer: ts.answerAttendance},
		{Name: "cancel", Ask: ts.askCancel, Answer: ts.answerCancel},
	}}
}

// askCard is a training as staff see it, with what they can do with it now.
func (ts *trainingStaff) askCard(ctx context.Context, c *Conv, a *trainingAdmin) (coopbot.Reply, error) {
	t, err := ts.training(ctx, c, a.Training, "training_view")
	if err != nil || t == nil {
		return coopbot.Text(coopbot.M("trainings.denied")), err
	}
	names, err := trainingNeighborhoodNames(ctx, ts.d, c.Lang())
	if err != nil {
		return coopbot.Reply{}, err
	}
	r := coopbot.Reply{Text: trainingDetail(c, t, names[t.NeighborhoodID], false)}
	r.Text = append(r.Text, coopbot.M("trainings.manage.seats", "Taken", text.Number(int64(t.SeatsTaken)),
		"Capacity", text.Number(int64(t.Capacity)), "Waiting", text.Number(int64(t.Waitlisted))))
	started := t.Started(ts.d.Now())
	open := !started && t.Status == coopbot.TrainingPublished
	switch {
	case t.Status == coopbot.TrainingCancelled:
		r.Text = append(r.Text, coopbot.M("trainings.manage.cancelled"))
	case open && t.AudienceFa != "" && t.AudienceAz == "":
		// Written before it was asked in both languages: Azeri readers see the Persian.
		r.Text = append(r.Text, coopbot.M("trainings.manage.audience_az_missing", "Edit", coopbot.M("trainings.manage.edit")))
	}
	r.Buttons = [][]coopbot.Button{{
		{Label: coopbot.M("trainings.manage.enrollees"), Data: "enrollees"},
		{Label: coopbot.M("trainings.manage.export"), Data: "export"},
	}}
	if started && t.Status == coopbot.TrainingPublished {
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("trainings.manage.attendance"), Data: "attendance"}})
	}
	if open {
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("trainings.manage.edit"), Data: "edit"}},
			[]coopbot.Button{{Label: coopbot.M("trainings.manage.cancel"), Data: "drop"}})
	}
	return r, nil
}

func (ts *trainingStaff) answerCard(ctx context.Context, c *Conv, a *trainingAdmin, in Input) (Next, error) {
	switch in.Choice {
	case "enrollees":
		return Goto("enrollees"), nil
	case "export":
		return ts.export(ctx, c, a)
	case "attendance":
		return Goto("attendance"), nil
	case "drop":
		return Goto("cancel"), nil
	case "edit":
		t, err := ts.training(ctx, c, a.Training, "training_edit")
		if err != nil || t == nil {
			return trainingDenied(), err
		}
		if t.Status != coopbot.TrainingPublished || t.Started(ts.d.Now()) {
			return Retry("trainings.edit.started"), nil
		}
		return Start(FlowTrainingEdit, editTrainingForm(t)), nil
	}
	return Retry("training.invalid"), nil
}

// export sends the enrollees of the training on screen as a spreadsheet (an Excel
// workbook and the same table as CSV) and shows the same question again.
func (ts *trainingStaff) export(ctx context.Context, c *Conv, a *trainingAdmin) (Next, error) {
	t, err := ts.training(ctx, c, a.Training, "training_export")
	if err != nil || t == nil {
		return trainingDenied(), err
	}
	table, n, err := ts.desk(c).Export(ctx, t, c.Lang())
	if err != nil {
		return Next{}, err
	}
	doc := coopbot.Reply{
		Text:  []coopbot.Msg{coopbot.M("trainings.csv.caption", "Title", t.Title(c.Lang()), "Count", text.Number(int64(n)))},
		Table: table,
	}
	return Again().Say(doc), nil
}

// trainingColumns are the columns of the enrollee export.
var trainingColumns = []coopbot.Column{
	{Header: coopbot.M("trainings.csv.row"), Kind: coopbot.ColNumber},
	{Header: coopbot.M("trainings.csv.name"), Kind: coopbot.ColText},
	{Header: coopbot.M("trainings.csv.phone"), Kind: coopbot.ColText},
	{Header: coopbot.M("trainings.csv.neighborhood"), Kind: coopbot.ColText},
	{Header: coopbot.M("trainings.csv.lang"), Kind: coopbot.ColText},
	{Header: coopbot.M("trainings.csv.status"), Kind: coopbot.ColText},
	{Header: coopbot.M("trainings.csv.position"), Kind: coopbot.ColNumber},
	{Header: coopbot.M("trainings.csv.signed_up"), Kind: coopbot.ColDateTime},
	{Header: coopbot.M("trainings.csv.attended"), Kind: coopbot.ColText},
}

// trainingTable is the enrollee export: one row per enrollee, confirmed ones first, with
// statuses and attendance in the reader's language and the sign-up time in Tehran.
func trainingTable(names map[int64]string, t *coopbot.Training, list []coopbot.Enrollee) *coopbot.Table {
	table := &coopbot.Table{
		Name:    fmt.Sprintf("training-%d-%s", t.ID, strings.ReplaceAll(text.JalaliOf(t.StartsAt).String(), "/", "-")),
		Sheet:   coopbot.M("trainings.export.sheet"),
		Columns: trainingColumns,
	}
	for i, e := range list {
		status, position := coopbot.LabelCell(coopbot.M("trainings.csv.confirmed")), coopbot.Cell{}
		if e.Status == coopbot.EnrollmentWaitlisted {
			status, position = coopbot.LabelCell(coopbot.M("trainings.csv.waitlisted")), coopbot.NumberCell(float64(e.Position))
		}
		lang := coopbot.LabelCell(coopbot.M("lang.fa.name"))
		if e.Lang == coopbot.Azeri {
			lang = coopbot.LabelCell(coopbot.M("lang.az.name"))
		}
		var attended coopbot.Cell
		if e.Attended != nil && *e.Attended {
			attended = coopbot.LabelCell(coopbot.M("trainings.csv.present"))
		} else if e.Attended != nil {
			attended = coopbot.LabelCell(coopbot.M("trainings.csv.absent"))
		}
		table.Rows = append(table.Rows, []coopbot.Cell{coopbot.NumberCell(float64(i + 1)), coopbot.TextCell(e.Name),
			coopbot.TextCell(trainingPhone(e.Phone)), coopbot.TextCell(names[e.NeighborhoodID]), lang, status, position,
			coopbot.TimeCell(e.CreatedAt), attended})
	}
	return table
}

// trainingPhone writes an E.164 mobile number the way staff dial it: "0912 123 4567".
func trainingPhone(e164 string) string {
	if m, r := text.ParseMobile(e164); r == text.OK {
		local := "0" + m[3:]
		return local[:4] + " " + local[4:7] + " " + local[7:]
	}
	return e164
}

// askEnrollees lists the confirmed enrollees and the wait-list by name, then the
// reminders scheduled.
func (ts *trainingStaff) askEnrollees(ctx context.Context, c *Conv, a *trainingAdmin) (coopbot.Reply, error) {
	t, err := ts.training(ctx, c, a.Training, "training_enrollees")
	if err != nil || t == nil {
		return coopbot.Text(coopbot.M("trainings.denied")), err
	}
	list, err := ts.d.Store.Enrollees(ctx, t.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	slots, err := ts.d.Store.TrainingReminders(ctx, t.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	r := coopbot.Text(coopbot.M("trainings.enrollees.title", trainingData(c, t)...))
	if len(list) == 0 {
		r.Text = append(r.Text, coopbot.M("trainings.enrollees.none"))
	}
	confirmed := slices.DeleteFunc(slices.Clone(list), func(e coopbot.Enrollee) bool { return e.Status == coopbot.EnrollmentWaitlisted })
	waiting := slices.DeleteFunc(slices.Clone(list), func(e coopbot.Enrollee) bool { return e.Status != coopbot.EnrollmentWaitlisted })
	for _, group := range []struct {
		id   string
		list []coopbot.Enrollee
	}{{"trainings.enrollees.confirmed", confirmed}, {"trainings.enrollees.waitlist", waiting}} {
		if len(group.list) == 0 {
			continue
		}
		r.Text = append(r.Text, coopbot.Raw(""), coopbot.M(group.id, "Count", text.Number(int64(len(group.list)))).WithCount(len(group.list)))
		for i, e := range group.list {
			if i == trainingEnrolleesShown {
				more := len(group.list) - i
				r.Text = append(r.Text, coopbot.M("trainings.enrollees.more", "Count", text.Number(int64(more))).WithCount(more))
				break
			}
			n := i + 1
			if e.Status == coopbot.EnrollmentWaitlisted {
				n = e.Position
			}
			r.Text = append(r.Text, coopbot.Raw(text.FaDigits(strconv.Itoa(n))+". "+text.Isolate(e.Name)+trainingAttendMark(e.Attended)))
		}
	}
	r.Text = append(r.Text, coopbot.Raw(""), coopbot.M("trainings.reminders.title"))
	if len(slots) == 0 {
		r.Text = append(r.Text, coopbot.M("trainings.reminders.none"))
	}
	for _, sl := range slots {
		id := "trainings.reminders.day"
		if sl.Kind == coopbot.ReminderHours {
			id = "trainings.reminders.hours"
		}
		r.Text = append(r.Text, coopbot.M(id, "Day", text.LongDate(sl.At, text.Lang(c.Lang())), "Time", text.Clock(sl.At),
			"Pending", text.Number(int64(sl.Pending)), "Done", text.Number(int64(sl.Done))))
	}
	r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("trainings.manage.export"), Data: "export"}}}
	if len(list) > 0 {
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("office.message.button"), Data: "write"}})
	}
	return r, nil
}

// trainingAttendMark shows attendance after a name: ✅ came, ❌ did not, nothing unmarked.
func trainingAttendMark(a *bool) string {
	switch {
	case a == nil:
		return ""
	case *a:
		return " ✅"
	}
	return " ❌"
}

// attendees are the confirmed enrollees of a training, whose attendance is marked.
func (ts *trainingStaff) attendees(ctx context.Context, c *Conv, t *coopbot.Training) ([]coopbot.Enrollee, error) {
	return ts.desk(c).Attendees(ctx, t)
}

// askAttendance shows a button per confirmed enrollee, a page at a time: a press turns
// unmarked and absent into present, present into absent.
func (ts *trainingStaff) askAttendance(ctx context.Context, c *Conv, a *trainingAdmin) (coopbot.Reply, error) {
	t, err := ts.training(ctx, c, a.Training, "training_attendance")
	if err != nil || t == nil {
		return coopbot.Text(coopbot.M("trainings.denied")), err
	}
	if !t.Started(ts.d.Now()) || t.Status != coopbot.TrainingPublished {
		return coopbot.Text(coopbot.M("trainings.attendance.not_started")), nil
	}
	list, err := ts.attendees(ctx, c, t)
	if err != nil {
		return coopbot.Reply{}, err
	}
	r := coopbot.Text(coopbot.M("trainings.attendance.prompt", trainingData(c, t)...))
	if len(list) == 0 {
		r.Text = append(r.Text, coopbot.M("trainings.attendance.none"))
		return r, nil
	}
	var present, absent int
	for _, e := range list {
		switch {
		case e.Attended == nil:
		case *e.Attended:
			present++
		default:
			absent++
		}
	}
	r.Text = append(r.Text, coopbot.M("trainings.attendance.summary", "Present", text.Number(int64(present)),
		"Absent", text.Number(int64(absent)), "Unmarked", text.Number(int64(len(list)-present-absent))))
	page, pages := pageCount(c.Page(), len(list), trainingAttendPerPage)
	for _, e := range pageItems(list, page, trainingAttendPerPage) {
		mark := "⬜ "
		if e.Attended != nil && *e.Attended {
			mark = "✅ "
		} else if e.Attended != nil {
			mark = "❌ "
		}
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.Raw(mark + text.Truncate(e.Name, 40)), Data: Data("x", e.ID)}})
	}
	if pages > 1 {
		r.Text = append(r.Text, coopbot.Raw(""))
	}
	pager(&r, page, pages)
	return r, nil
}

func (ts *trainingStaff) answerAttendance(ctx context.Context, c *Conv, a *trainingAdmin, in Input) (Next, error) {
	if turnPage(c, in) {
		return Again(), nil
	}
	id, ok := in.Pick("x")
	if !ok {
		return Retry("training.invalid"), nil
	}
	t, err := ts.training(ctx, c, a.Training, "training_attendance")
	if err != nil || t == nil {
		return trainingDenied(), err
	}
	_, err = ts.desk(c).MarkAttendance(ctx, t, id, nil)
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return trainingDenied(), nil
	}
	if msg := trainingRefusal(err); msg != "" {
		return Retry(msg), nil
	}
	if err != nil {
		return Next{}, err
	}
	return Again(), nil
}

// askCancel asks to confirm cancelling the training, saying that only the yes button
// cancels it and that leaving the screen does not.
func (ts *trainingStaff) askCancel(ctx context.Context, c *Conv, a *trainingAdmin) (coopbot.Reply, error) {
	t, err := ts.training(ctx, c, a.Training, "training_cancel")
	if err != nil || t == nil {
		return coopbot.Text(coopbot.M("trainings.denied")), err
	}
	n := t.SeatsTaken + t.Waitlisted
	return coopbot.Reply{
		Text: []coopbot.Msg{
			coopbot.M("trainings.cancel.confirm", append(trainingData(c, t), "Count", text.Number(int64(n)))...).WithCount(n),
			coopbot.M("trainings.cancel.how", "Yes", coopbot.M("trainings.cancel.yes"), "No", coopbot.M("trainings.cancel.no"),
				"Back", coopbot.M("common.back"), "Leave", coopbot.M("common.cancel")),
		},
		Buttons: [][]coopbot.Button{
			{{Label: coopbot.M("trainings.cancel.yes"), Data: "yes"}},
			{{Label: coopbot.M("trainings.cancel.no"), Data: "no"}},
		},
	}, nil
}

func (ts *trainingStaff) answerCancel(ctx context.Context, c *Conv, a *trainingAdmin, in Input) (Next, error) {
	switch in.Choice {
	case "no":
		return Goto("card"), nil
	case "yes":
	default:
		return Retry("training.invalid"), nil
	}
	t, err := ts.training(ctx, c, a.Training, "training_cancel")
	if err != nil || t == nil {
		return trainingDenied(), err
	}
	n, err := ts.desk(c).Cancel(ctx, t.ID)
	if next, ok := trainingStoreRefusal(err); ok {
		return next, nil
	}
	if err != nil {
		return Next{}, err
	}
	return Done(coopbot.Text(coopbot.M("trainings.cancel.done", append(trainingData(c, t), "Count", text.Number(int64(n)))...).WithCount(n))), nil
}
