package flows

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coopbot"
	"coopbot/text"
)

// TrainingAdminStore is what staff need to run trainings. Authorization is the flows'
// job: every call here is preceded by a fresh Store.Staff check.
type TrainingAdminStore interface {
	// StaffTrainings lists the trainings of neighborhood scope (all when 0), upcoming
	// first, then those of the last two weeks; total counts them.
	StaffTrainings(ctx context.Context, scope int64, offset, limit int) ([]coopbot.Training, int, error)
	// CreateTraining publishes a training and returns its id.
	CreateTraining(ctx context.Context, t *coopbot.Training) (int64, error)
	// UpdateTraining saves an edit made on revision t.Rev, reschedules reminders, tells
	// the enrollees and returns how many were told.
	UpdateTraining(ctx context.Context, t *coopbot.Training) (int, error)
	// CancelTraining cancels a training, tells the enrollees and returns how many.
	CancelTraining(ctx context.Context, id int64) (int, error)
	// Enrollees lists confirmed enrolments, then the wait-list, with names and phones.
	Enrollees(ctx context.Context, trainingID int64) ([]coopbot.Enrollee, error)
	// TrainingReminders groups the training's scheduled reminders by kind and instant.
	TrainingReminders(ctx context.Context, trainingID int64) ([]coopbot.ReminderSlot, error)
	// SetAttendance marks whether a confirmed enrollee came (once the training started).
	SetAttendance(ctx context.Context, trainingID, enrollmentID int64, attended bool) error
}

// Staff training flows: the list and a training's card (enrollees, export, attendance,
// edit, cancel), and the form that creates or edits a training.
const (
	FlowTrainingAdmin = "trainingadmin"
	FlowTrainingNew   = "trainingnew"
	FlowTrainingEdit  = "trainingedit"
)

// Limits of the staff pages and the form.
const (
	trainingAdminPerPage   = 5
	trainingAttendPerPage  = 8
	trainingEnrolleesShown = 40
	trainingMinMinutes     = 10
	trainingMaxMinutes     = 12 * 60
	trainingMaxCapacity    = 10000
)

// trainingFormFields are the form's questions in order; the value of each is kept in the
// answer of the same name.
var trainingFormFields = []string{"title_fa", "title_az", "desc_fa", "desc_az", "venue", "address",
	"neighborhood", "date", "time", "duration", "capacity", "audience"}

// Staff: list → card → enrollees / CSV export / attendance / edit / cancel, and the
// creation wizard (title and description in both languages, venue, neighborhood, Jalali
// date, time, duration, capacity, who it is for → review → publish).
func trainingAdminFeature(d Deps) feature {
	hub := &legacyFlow{Name: FlowTrainingAdmin, First: "list", Steps: map[string]legacyStep{
		"list":       trainingListStep(d),
		"manage":     trainingManageStep(d),
		"enrollees":  trainingEnrolleesStep(d),
		"attendance": trainingAttendanceStep(d),
		"drop":       trainingCancelStep(d),
	}}
	form := trainingFormSteps(d)
	return feature{
		flows: []flowDef{
			hub,
			&legacyFlow{Name: FlowTrainingNew, First: "title_fa", Steps: form},
			&legacyFlow{Name: FlowTrainingEdit, First: "review", Steps: form},
		},
		menu: []MenuItem{{Label: "trainings.menu", Value: "trainingadmin", Visible: staffOnly, Open: func(ctx context.Context, c *Conv) (Next, error) {
			return Start(FlowTrainingAdmin, nil), nil
		}}},
	}
}

// trainingDenied is the answer to a staff action the person may not take.
func trainingDenied() coopbot.Reply { return coopbot.Text(coopbot.M("trainings.denied")) }

// trainingStaff checks on the server, whatever the conversation remembers, that the person
// is staff allowed to act on neighborhood nbh (0: any; listing is then limited to their
// scope). A refusal is audited and gives nil.
func trainingStaff(ctx context.Context, d Deps, c *Conv, action string, trainingID, nbh int64) (*coopbot.Staff, error) {
	s, err := d.Store.Staff(ctx, c.Profile.ResidentID)
	if err != nil {
		return nil, err
	}
	if s != nil && (nbh == 0 || s.CanSee(nbh)) {
		return s, nil
	}
	subject := ""
	if trainingID != 0 {
		subject = "training:" + strconv.FormatInt(trainingID, 10)
	}
	if err := d.Store.Audit(ctx, c.Profile.ResidentID, action, subject, false, map[string]any{"neighborhood_id": nbh}); err != nil {
		return nil, err
	}
	d.Log.Info("staff action denied", "resident_id", c.Profile.ResidentID, "action", action, "subject", subject)
	return nil, nil
}

// trainingForStaff loads the training on screen and checks that the person may act on it.
func trainingForStaff(ctx context.Context, d Deps, c *Conv, action string) (*coopbot.Training, *coopbot.Staff, error) {
	t, err := d.Store.Training(ctx, c.GetInt("tid"))
	if err != nil {
		return nil, nil, err
	}
	s, err := trainingStaff(ctx, d, c, action, t.ID, t.NeighborhoodID)
	return t, s, err
}

// trainingAudit records an allowed staff action on a training.
func trainingAudit(ctx context.Context, d Deps, c *Conv, action string, trainingID int64, detail map[string]any) error {
	return d.Store.Audit(ctx, c.Profile.ResidentID, action, "training:"+strconv.FormatInt(trainingID, 10), true, detail)
}

func trainingListStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			s, err := trainingStaff(ctx, d, c, "training_list", 0, 0)
			if err != nil || s == nil {
				return trainingDenied(), err
			}
			page := int(c.GetInt("tp"))
			list, total, err := d.Store.StaffTrainings(ctx, s.NeighborhoodID, page*trainingAdminPerPage, trainingAdminPerPage)
			if err != nil {
				return coopbot.Reply{}, err
			}
			newRow := []coopbot.Button{{Label: coopbot.M("trainings.new.button"), Data: "new"}}
			if len(list) == 0 {
				c.Set("tp", "")
				return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("trainings.list.empty")}, Buttons: [][]coopbot.Button{newRow}}, nil
			}
			names, err := trainingNeighborhoodNames(ctx, d, c.Lang())
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Reply{Text: []coopbot.Msg{coopbot.M("trainings.list.title")}, Buttons: [][]coopbot.Button{newRow}}
			for i := range list {
				t := &list[i]
				n := page*trainingAdminPerPage + i + 1
				r.Text = append(r.Text, coopbot.Raw(""), coopbot.M("trainings.list.item", append(trainingData(c, t),
					"N", text.Number(int64(n)), "Neighborhood", names[t.NeighborhoodID],
					"Taken", text.Number(int64(t.SeatsTaken)), "Capacity", text.Number(int64(t.Capacity)),
					"Waiting", text.Number(int64(t.Waitlisted)))...))
				if t.Status == coopbot.TrainingCancelled {
					r.Text = append(r.Text, coopbot.M("trainings.list.cancelled"))
				}
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: trainingButtonLabel(c, t, n), Data: "t:" + strconv.FormatInt(t.ID, 10)}})
			}
			if _, pages := pageOf(page, total, trainingAdminPerPage); pages > 1 {
				r.Text = append(r.Text, coopbot.Raw(""))
				pager(&r, page, pages)
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch {
			case strings.HasPrefix(in.Choice, "t:"):
				c.Set("tid", in.Choice[2:])
				return Goto("manage"), nil
			case strings.HasPrefix(in.Choice, "p:"):
				c.Set("tp", in.Choice[2:])
				return Again(), nil
			case in.Choice == "new":
				s, err := trainingStaff(ctx, d, c, "training_create", 0, 0)
				if err != nil || s == nil {
					return Done(trainingDenied()), err
				}
				return Start(FlowTrainingNew, nil), nil
			}
			return Retry("training.invalid"), nil
		},
	}
}

func trainingManageStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			t, s, err := trainingForStaff(ctx, d, c, "training_view")
			if err != nil || s == nil {
				return trainingDenied(), err
			}
			names, err := trainingNeighborhoodNames(ctx, d, c.Lang())
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Reply{Text: trainingDetail(c, t, names[t.NeighborhoodID], false)}
			r.Text = append(r.Text, coopbot.M("trainings.manage.seats", "Taken", text.Number(int64(t.SeatsTaken)),
				"Capacity", text.Number(int64(t.Capacity)), "Waiting", text.Number(int64(t.Waitlisted))))
			started := t.Started(d.Now())
			if t.Status == coopbot.TrainingCancelled {
				r.Text = append(r.Text, coopbot.M("trainings.manage.cancelled"))
			}
			r.Buttons = [][]coopbot.Button{{
				{Label: coopbot.M("trainings.manage.enrollees"), Data: "enrollees"},
				{Label: coopbot.M("trainings.manage.export"), Data: "export"},
			}}
			if started && t.Status == coopbot.TrainingPublished {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("trainings.manage.attendance"), Data: "attendance"}})
			}
			if !started && t.Status == coopbot.TrainingPublished {
				r.Buttons = append(r.Buttons, []coopbot.Button{
					{Label: coopbot.M("trainings.manage.edit"), Data: "edit"},
					{Label: coopbot.M("trainings.manage.cancel"), Data: "drop"},
				})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch in.Choice {
			case "enrollees":
				return Goto("enrollees"), nil
			case "export":
				return trainingExport(ctx, d, c)
			case "attendance":
				c.Set("ap", "")
				return Goto("attendance"), nil
			case "drop":
				return Goto("drop"), nil
			case "edit":
				t, s, err := trainingForStaff(ctx, d, c, "training_edit")
				if err != nil || s == nil {
					return Done(trainingDenied()), err
				}
				if t.Status != coopbot.TrainingPublished || t.Started(d.Now()) {
					return Retry("trainings.edit.started"), nil
				}
				return Start(FlowTrainingEdit, trainingFormAnswers(t)), nil
			}
			return Retry("training.invalid"), nil
		},
	}
}

// trainingExport sends the enrollees of the training on screen as a CSV file (UTF-8 with
// a byte order mark, so that Excel shows Persian) and shows the same question again.
func trainingExport(ctx context.Context, d Deps, c *Conv) (Next, error) {
	t, s, err := trainingForStaff(ctx, d, c, "training_export")
	if err != nil || s == nil {
		return Done(trainingDenied()), err
	}
	list, err := d.Store.Enrollees(ctx, t.ID)
	if err != nil {
		return Next{}, err
	}
	data, err := trainingCSV(ctx, d, c.Lang(), list)
	if err != nil {
		return Next{}, err
	}
	if err := trainingAudit(ctx, d, c, "training_export", t.ID, map[string]any{"rows": len(list)}); err != nil {
		return Next{}, err
	}
	name := fmt.Sprintf("training-%d-%s.csv", t.ID, strings.ReplaceAll(text.JalaliOf(t.StartsAt).String(), "/", "-"))
	doc := coopbot.Reply{
		Text:     []coopbot.Msg{coopbot.M("trainings.csv.caption", "Title", t.Title(c.Lang()), "Count", text.Number(int64(len(list))))},
		Document: &coopbot.Document{Name: name, Data: data},
	}
	return Again().Say(doc), nil
}

// trainingCSV renders enrollees as CSV for Excel: a BOM, CRLF line ends, column names and
// statuses in the reader's language, dates in the Jalali calendar (Tehran).
func trainingCSV(ctx context.Context, d Deps, l coopbot.Lang, list []coopbot.Enrollee) ([]byte, error) {
	var firstErr error
	label := func(id string) string {
		s, err := d.Labels.Text(l, id, nil, nil)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return s
	}
	names, err := trainingNeighborhoodNames(ctx, d, l)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Write([]string{label("trainings.csv.row"), label("trainings.csv.name"), label("trainings.csv.phone"),
		label("trainings.csv.neighborhood"), label("trainings.csv.lang"), label("trainings.csv.status"),
		label("trainings.csv.position"), label("trainings.csv.signed_up"), label("trainings.csv.attended")})
	for i, e := range list {
		status, position := label("trainings.csv.confirmed"), ""
		if e.Status == coopbot.EnrollmentWaitlisted {
			status, position = label("trainings.csv.waitlisted"), strconv.Itoa(e.Position)
		}
		lang := label("lang.fa.name")
		if e.Lang == coopbot.Azeri {
			lang = label("lang.az.name")
		}
		attended := ""
		if e.Attended != nil && *e.Attended {
			attended = label("trainings.csv.present")
		} else if e.Attended != nil {
			attended = label("trainings.csv.absent")
		}
		signed := text.JalaliOf(e.CreatedAt).String() + " " + e.CreatedAt.In(text.Tehran).Format("15:04")
		w.Write([]string{strconv.Itoa(i + 1), trainingCSVCell(e.Name), trainingCSVPhone(e.Phone),
			names[e.NeighborhoodID], lang, status, position, signed, attended})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return buf.Bytes(), firstErr
}

// trainingCSVCell keeps a resident's own words from being read as a spreadsheet formula.
func trainingCSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// trainingCSVPhone writes an E.164 mobile number the way staff dial it, with spaces so
// that Excel keeps the leading zero: "0912 123 4567".
func trainingCSVPhone(e164 string) string {
	if m, r := text.ParseMobile(e164); r == text.OK {
		local := "0" + m[3:]
		return local[:4] + " " + local[4:7] + " " + local[7:]
	}
	return trainingCSVCell(e164)
}

func trainingEnrolleesStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			t, s, err := trainingForStaff(ctx, d, c, "training_enrollees")
			if err != nil || s == nil {
				return trainingDenied(), err
			}
			list, err := d.Store.Enrollees(ctx, t.ID)
			if err != nil {
				return coopbot.Reply{}, err
			}
			slots, err := d.Store.TrainingReminders(ctx, t.ID)
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("trainings.enrollees.title", trainingData(c, t)...))
			var confirmed, waiting []coopbot.Enrollee
			for _, e := range list {
				if e.Status == coopbot.EnrollmentWaitlisted {
					waiting = append(waiting, e)
				} else {
					confirmed = append(confirmed, e)
				}
			}
			if len(list) == 0 {
				r.Text = append(r.Text, coopbot.M("trainings.enrollees.none"))
			}
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
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if in.Choice == "export" {
				return trainingExport(ctx, d, c)
			}
			return Retry("training.invalid"), nil
		},
	}
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

func trainingAttendanceStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			t, s, err := trainingForStaff(ctx, d, c, "training_attendance")
			if err != nil || s == nil {
				return trainingDenied(), err
			}
			if !t.Started(d.Now()) || t.Status != coopbot.TrainingPublished {
				return coopbot.Text(coopbot.M("trainings.attendance.not_started")), nil
			}
			list, err := d.Store.Enrollees(ctx, t.ID)
			if err != nil {
				return coopbot.Reply{}, err
			}
			list = slices.DeleteFunc(list, func(e coopbot.Enrollee) bool { return e.Status != coopbot.EnrollmentConfirmed })
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
			page := int(c.GetInt("ap"))
			if page*trainingAttendPerPage >= len(list) {
				page = 0
			}
			end := min(len(list), (page+1)*trainingAttendPerPage)
			for i := page * trainingAttendPerPage; i < end; i++ {
				e := list[i]
				mark := "⬜ "
				if e.Attended != nil && *e.Attended {
					mark = "✅ "
				} else if e.Attended != nil {
					mark = "❌ "
				}
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.Raw(mark + text.Truncate(e.Name, 40)), Data: "x:" + strconv.FormatInt(e.ID, 10)}})
			}
			if _, pages := pageOf(page, len(list), trainingAttendPerPage); pages > 1 {
				r.Text = append(r.Text, coopbot.Raw(""))
				pager(&r, page, pages)
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch {
			case strings.HasPrefix(in.Choice, "p:"):
				c.Set("ap", in.Choice[2:])
				return Again(), nil
			case !strings.HasPrefix(in.Choice, "x:"):
				return Retry("training.invalid"), nil
			}
			id, _ := strconv.ParseInt(in.Choice[2:], 10, 64)
			t, s, err := trainingForStaff(ctx, d, c, "training_attendance")
			if err != nil || s == nil {
				return Done(trainingDenied()), err
			}
			list, err := d.Store.Enrollees(ctx, t.ID)
			if err != nil {
				return Next{}, err
			}
			i := slices.IndexFunc(list, func(e coopbot.Enrollee) bool { return e.ID == id })
			if i < 0 {
				return Retry("trainings.attendance.not_allowed"), nil
			}
			// Unmarked and absent become present; present becomes absent.
			came := list[i].Attended == nil || !*list[i].Attended
			err = d.Store.SetAttendance(ctx, t.ID, id, came)
			if msg := trainingRefusal(err); msg != "" {
				return Retry(msg), nil
			}
			if err != nil {
				return Next{}, err
			}
			if err := trainingAudit(ctx, d, c, "training_attendance", t.ID, map[string]any{"enrollment_id": id, "attended": came}); err != nil {
				return Next{}, err
			}
			return Again(), nil
		},
	}
}

func trainingCancelStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			t, s, err := trainingForStaff(ctx, d, c, "training_cancel")
			if err != nil || s == nil {
				return trainingDenied(), err
			}
			n := t.SeatsTaken + t.Waitlisted
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("trainings.cancel.confirm", append(trainingData(c, t), "Count", text.Number(int64(n)))...).WithCount(n)},
				Buttons: [][]coopbot.Button{{
					{Label: coopbot.M("trainings.cancel.yes"), Data: "yes"},
					{Label: coopbot.M("trainings.cancel.no"), Data: "no"},
				}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch in.Choice {
			case "no":
				return Goto("manage"), nil
			case "yes":
			default:
				return Retry("training.invalid"), nil
			}
			t, s, err := trainingForStaff(ctx, d, c, "training_cancel")
			if err != nil || s == nil {
				return Done(trainingDenied()), err
			}
			n, err := d.Store.CancelTraining(ctx, t.ID)
			if msg := trainingRefusal(err); msg != "" {
				return Done(coopbot.Text(coopbot.M(msg))), nil
			}
			if err != nil {
				return Next{}, err
			}
			if err := trainingAudit(ctx, d, c, "training_cancel", t.ID, map[string]any{"notified": n}); err != nil {
				return Next{}, err
			}
			return Done(coopbot.Text(coopbot.M("trainings.cancel.done", "Count", text.Number(int64(n))).WithCount(n))), nil
		},
	}
}

// trainingFormAnswers fills the form with a training, for editing.
func trainingFormAnswers(t *coopbot.Training) map[string]string {
	at := t.StartsAt.In(text.Tehran)
	return map[string]string{
		"id": strconv.FormatInt(t.ID, 10), "rev": strconv.Itoa(t.Rev), "taken": strconv.Itoa(t.SeatsTaken),
		"title_fa": t.TitleFa, "title_az": t.TitleAz, "desc_fa": t.DescriptionFa, "desc_az": t.DescriptionAz,
		"venue": t.VenueName, "address": t.VenueAddress, "neighborhood": strconv.FormatInt(t.NeighborhoodID, 10),
		"date": text.JalaliOf(at).String(), "time": at.Format("15:04"),
		"duration": strconv.Itoa(int(t.Duration.Minutes())), "capacity": strconv.Itoa(t.Capacity), "audience": t.Audience,
	}
}

// trainingFormStart is the start instant the form holds, if it holds a date and a time.
func trainingFormStart(c *Conv) (time.Time, bool) {
	day, r1 := text.ParseJalaliDate(c.Get("date"))
	h, m, r2 := text.ParseClock(c.Get("time"))
	if c.Get("date") == "" || c.Get("time") == "" || r1 != text.OK || r2 != text.OK {
		return time.Time{}, false
	}
	return day.At(h, m), true
}

// trainingFromForm builds the training the form describes.
func trainingFromForm(c *Conv) *coopbot.Training {
	start, _ := trainingFormStart(c)
	return &coopbot.Training{
		ID: c.GetInt("id"), Rev: int(c.GetInt("rev")), NeighborhoodID: c.GetInt("neighborhood"),
		TitleFa: c.Get("title_fa"), TitleAz: c.Get("title_az"), DescriptionFa: c.Get("desc_fa"), DescriptionAz: c.Get("desc_az"),
		VenueName: c.Get("venue"), VenueAddress: c.Get("address"), Audience: c.Get("audience"),
		StartsAt: start, Duration: time.Duration(c.GetInt("duration")) * time.Minute, Capacity: int(c.GetInt("capacity")),
		CreatedBy: c.Profile.ResidentID, Status: coopbot.TrainingPublished,
	}
}

// trainingFormNext goes from a question to the next one, or back to the review when a
// field was being changed from there. A neighborhood manager's trainings are in their
// neighborhood: that question is skipped.
func trainingFormNext(c *Conv, field string) Next {
	if c.Get("ret") != "" {
		return Goto("review")
	}
	i := slices.Index(trainingFormFields, field)
	if i < 0 || i+1 == len(trainingFormFields) {
		return Goto("review")
	}
	next := trainingFormFields[i+1]
	if next == "neighborhood" && c.Profile.Role == coopbot.RoleNeighborhoodManager {
		c.SetInt("neighborhood", c.Profile.RoleScope)
		next = trainingFormFields[i+2]
	}
	return Goto(next)
}

// trainingTextStep is a free-text question of the form, at most max runes.
func trainingTextStep(field, prompt string, max int, multiline bool) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M(prompt))
			if v := c.Get(field); v != "" {
				r.Text = append(r.Text, coopbot.M("trainings.form.current", "Value", v))
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if in.Kind != KindText {
				return Retry("trainings.form.text_only"), nil
			}
			v := in.Text
			if multiline {
				v = text.CleanMultiline(in.Raw)
			}
			if v == "" {
				return Retry(string(text.ReasonEmpty)), nil
			}
			if utf8.RuneCountInString(v) > max {
				return Retry("trainings.form.too_long", "Max", text.Number(int64(max))), nil
			}
			c.Set(field, v)
			return trainingFormNext(c, field), nil
		},
	}
}

// trainingFormSteps are the questions of the form that creates (trainingnew) or edits
// (trainingedit, which opens at the review) a training.
func trainingFormSteps(d Deps) map[string]legacyStep {
	nbh := legacyNeighborhoodStep(d, func(ctx context.Context, c *Conv, n coopbot.Neighborhood) (Next, error) {
		c.SetInt("neighborhood", n.ID)
		return trainingFormNext(c, "neighborhood"), nil
	})
	nbhAsk := nbh.Ask
	nbh.Ask = func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
		r, err := nbhAsk(ctx, c)
		if len(r.Text) > 0 {
			r.Text[0] = coopbot.M("trainings.form.neighborhood")
		}
		return r, err
	}
	return map[string]legacyStep{
		"title_fa":     trainingTextStep("title_fa", "trainings.form.title_fa", 100, false),
		"title_az":     trainingTextStep("title_az", "trainings.form.title_az", 100, false),
		"desc_fa":      trainingTextStep("desc_fa", "trainings.form.desc_fa", 1000, true),
		"desc_az":      trainingTextStep("desc_az", "trainings.form.desc_az", 1000, true),
		"venue":        trainingTextStep("venue", "trainings.form.venue", 100, false),
		"address":      trainingTextStep("address", "trainings.form.address", 200, false),
		"neighborhood": nbh,
		"date": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				example := text.JalaliOf(d.Now().AddDate(0, 0, 7)).Fa()
				r := coopbot.Text(coopbot.M("trainings.form.date", "Example", example))
				if v := c.Get("date"); v != "" {
					day, _ := text.ParseJalaliDate(v)
					r.Text = append(r.Text, coopbot.M("trainings.form.current", "Value", day.Fa()))
				}
				return r, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				if in.Kind != KindText {
					return Retry("trainings.form.text_only"), nil
				}
				day, reason := text.ParseJalaliDate(in.Text)
				if reason != text.OK {
					return Retry(string(reason)), nil
				}
				now := d.Now()
				if day.String() < text.JalaliOf(now).String() {
					return Retry("trainings.form.date_past", "Today", text.JalaliOf(now).Fa()), nil
				}
				prev := c.Get("date")
				c.Set("date", day.String())
				if start, ok := trainingFormStart(c); ok && !start.After(now) {
					// Changing the date from the review made the kept time a past instant.
					c.Set("date", prev)
					return Retry("trainings.form.time_past", "Day", text.LongDate(start, text.Lang(c.Lang())), "Time", text.Clock(start)), nil
				}
				return trainingFormNext(c, "date"), nil
			},
		},
		"time": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				r := coopbot.Text(coopbot.M("trainings.form.time"))
				if v := c.Get("time"); v != "" {
					r.Text = append(r.Text, coopbot.M("trainings.form.current", "Value", text.FaDigits(v)))
				}
				return r, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				if in.Kind != KindText {
					return Retry("trainings.form.text_only"), nil
				}
				h, m, reason := text.ParseClock(in.Text)
				if reason != text.OK {
					return Retry(string(reason)), nil
				}
				day, reason := text.ParseJalaliDate(c.Get("date"))
				if reason != text.OK {
					return Goto("date"), nil
				}
				start := day.At(h, m)
				if !start.After(d.Now()) {
					return Retry("trainings.form.time_past", "Day", text.LongDate(start, text.Lang(c.Lang())), "Time", text.Clock(start)), nil
				}
				c.Set("time", fmt.Sprintf("%02d:%02d", h, m))
				return trainingFormNext(c, "time"), nil
			},
		},
		"duration": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				r := coopbot.Text(coopbot.M("trainings.form.duration"))
				if v := c.Get("duration"); v != "" {
					r.Text = append(r.Text, coopbot.M("trainings.form.current", "Value", text.FaDigits(v)))
				}
				return r, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				if in.Kind != KindText {
					return Retry("trainings.form.text_only"), nil
				}
				n, reason := text.ParseInt(in.Text, trainingMinMinutes, trainingMaxMinutes)
				if reason != text.OK {
					return Retry(string(reason), "Min", text.Number(trainingMinMinutes), "Max", text.Number(trainingMaxMinutes)), nil
				}
				c.SetInt("duration", n)
				return trainingFormNext(c, "duration"), nil
			},
		},
		"capacity": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				r := coopbot.Text(coopbot.M("trainings.form.capacity"))
				if v := c.Get("capacity"); v != "" {
					r.Text = append(r.Text, coopbot.M("trainings.form.current", "Value", text.FaDigits(v)))
				}
				return r, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				if in.Kind != KindText {
					return Retry("trainings.form.text_only"), nil
				}
				n, reason := text.ParseInt(in.Text, math.MinInt64, math.MaxInt64)
				switch {
				case reason == text.NumberRange:
					return Retry(string(reason), "Min", text.Number(1), "Max", text.Number(trainingMaxCapacity)), nil
				case reason != text.OK:
					return Retry(string(reason)), nil
				case n <= 0:
					return Retry("trainings.form.capacity_positive"), nil
				case n > trainingMaxCapacity:
					return Retry(string(text.NumberRange), "Min", text.Number(1), "Max", text.Number(trainingMaxCapacity)), nil
				case n < c.GetInt("taken"):
					return Retry("trainings.form.capacity_below", "Taken", text.Number(c.GetInt("taken"))), nil
				}
				c.SetInt("capacity", n)
				return trainingFormNext(c, "capacity"), nil
			},
		},
		"audience": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				r := coopbot.Reply{
					Text:    []coopbot.Msg{coopbot.M("trainings.form.audience")},
					Buttons: [][]coopbot.Button{{{Label: coopbot.M("trainings.form.skip"), Data: "skip"}}},
				}
				if v := c.Get("audience"); v != "" {
					r.Text = append(r.Text, coopbot.M("trainings.form.current", "Value", v))
				}
				return r, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				if in.Choice == "skip" {
					c.Set("audience", "")
					return trainingFormNext(c, "audience"), nil
				}
				if in.Kind != KindText || in.Text == "" {
					return Retry("trainings.form.text_only"), nil
				}
				if utf8.RuneCountInString(in.Text) > 200 {
					return Retry("trainings.form.too_long", "Max", text.Number(200)), nil
				}
				c.Set("audience", in.Text)
				return trainingFormNext(c, "audience"), nil
			},
		},
		"review": trainingReviewStep(d),
	}
}

func trainingReviewStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			t := trainingFromForm(c)
			names, err := trainingNeighborhoodNames(ctx, d, c.Lang())
			if err != nil {
				return coopbot.Reply{}, err
			}
			audience := t.Audience
			if audience == "" {
				audience = "—"
			}
			r := coopbot.Text(coopbot.M("trainings.review.title"), coopbot.M("trainings.review.body",
				"TitleFa", t.TitleFa, "TitleAz", t.TitleAz, "DescFa", t.DescriptionFa, "DescAz", t.DescriptionAz,
				"Venue", t.VenueName, "Address", t.VenueAddress, "Neighborhood", names[t.NeighborhoodID],
				"Day", text.LongDate(t.StartsAt, text.Lang(c.Lang())), "Time", text.Clock(t.StartsAt),
				"Minutes", text.Number(int64(t.Duration.Minutes())), "Capacity", text.Number(int64(t.Capacity)),
				"Audience", audience))
			final := coopbot.Button{Label: coopbot.M("trainings.review.publish"), Data: "publish"}
			if t.ID != 0 {
				final = coopbot.Button{Label: coopbot.M("trainings.review.save"), Data: "save"}
			}
			r.Buttons = [][]coopbot.Button{{final}}
			var row []coopbot.Button
			for _, f := range trainingFormFields {
				if f == "neighborhood" && c.Profile.Role == coopbot.RoleNeighborhoodManager {
					continue
				}
				row = append(row, coopbot.Button{Label: coopbot.M("trainings.field." + f), Data: "f:" + f})
			}
			r.Buttons = append(r.Buttons, grid(3, row)...)
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch {
			case strings.HasPrefix(in.Choice, "f:"):
				f := in.Choice[2:]
				if !slices.Contains(trainingFormFields, f) || f == "neighborhood" && c.Profile.Role == coopbot.RoleNeighborhoodManager {
					return Retry("training.invalid"), nil
				}
				c.Set("ret", "1")
				return Goto(f), nil
			case in.Choice == "publish" && c.GetInt("id") == 0:
				return trainingPublish(ctx, d, c)
			case in.Choice == "save" && c.GetInt("id") != 0:
				return trainingSave(ctx, d, c)
			}
			return Retry("training.invalid"), nil
		},
	}
}

// trainingReady checks what may have changed since the form was filled: the start must
// still be ahead.
func trainingReady(d Deps, c *Conv, t *coopbot.Training) (Next, bool) {
	if !t.StartsAt.After(d.Now()) {
		return Retry("trainings.form.time_past", "Day", text.LongDate(t.StartsAt, text.Lang(c.Lang())), "Time", text.Clock(t.StartsAt)), false
	}
	return Next{}, true
}

func trainingPublish(ctx context.Context, d Deps, c *Conv) (Next, error) {
	t := trainingFromForm(c)
	if next, ok := trainingReady(d, c, t); !ok {
		return next, nil
	}
	s, err := trainingStaff(ctx, d, c, "training_create", 0, t.NeighborhoodID)
	if err != nil || s == nil {
		return Done(trainingDenied()), err
	}
	id, err := d.Store.CreateTraining(ctx, t)
	if err != nil {
		return Next{}, err
	}
	if err := trainingAudit(ctx, d, c, "training_create", id, map[string]any{"neighborhood_id": t.NeighborhoodID, "capacity": t.Capacity}); err != nil {
		return Next{}, err
	}
	return Done(coopbot.Text(coopbot.M("trainings.new.published", trainingData(c, t)...))), nil
}

func trainingSave(ctx context.Context, d Deps, c *Conv) (Next, error) {
	t := trainingFromForm(c)
	if next, ok := trainingReady(d, c, t); !ok {
		return next, nil
	}
	old, err := d.Store.Training(ctx, t.ID)
	if err != nil {
		return Next{}, err
	}
	// Both where the training was and where it goes must be in the person's scope.
	s, err := trainingStaff(ctx, d, c, "training_edit", t.ID, old.NeighborhoodID)
	if err == nil && s != nil && !s.CanSee(t.NeighborhoodID) {
		s, err = trainingStaff(ctx, d, c, "training_edit", t.ID, t.NeighborhoodID)
	}
	if err != nil || s == nil {
		return Done(trainingDenied()), err
	}
	n, err := d.Store.UpdateTraining(ctx, t)
	if msg := trainingRefusal(err); msg != "" {
		return Done(coopbot.Text(coopbot.M(msg))), nil
	}
	if err != nil {
		return Next{}, err
	}
	if err := trainingAudit(ctx, d, c, "training_edit", t.ID, map[string]any{"rev": t.Rev, "notified": n}); err != nil {
		return Next{}, err
	}
	return Done(coopbot.Text(coopbot.M("trainings.edit.saved", "Count", text.Number(int64(n))).WithCount(n))), nil
}
