package flows

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"time"

	"coopbot"
	"coopbot/text"
)

// The rules and the actions of the staff side of trainings, in one place for both of its
// screens: the chat's training form and cards (trainingform.go, trainingadmin.go) and the
// web console's training pages. A rule takes what staff typed and returns the value, or
// the message of what is wrong; an action checks the person's scope, calls the store and
// records the audit row, the same way whichever screen it came from.

// Limits of the training form's fields.
const (
	TrainingTitleMax    = trainingTitleMax
	TrainingDescMax     = trainingDescMax
	TrainingVenueMax    = trainingTitleMax
	TrainingAddressMax  = 2 * trainingTitleMax
	TrainingAudienceMax = trainingAudienceMax
)

// TrainingDateTyped reads the day typed for a training: a Jalali date, or a Gregorian one
// (Gregorian set: it is to be shown back as the Jalali day and confirmed). It does not
// check that the day is ahead (TrainingDayAhead).
func TrainingDateTyped(typed string) (text.ParsedDate, *coopbot.Msg) {
	p, reason := text.ParseDate(typed)
	if reason != text.OK {
		m := coopbot.M(string(reason))
		return p, &m
	}
	return p, nil
}

// TrainingDayAhead refuses a day before today (Tehran) at now.
func TrainingDayAhead(day text.JalaliDate, now time.Time) *coopbot.Msg {
	today := text.JalaliOf(now)
	if day.String() < today.String() {
		m := coopbot.M("trainings.form.date_past", "Today", today.Fa())
		return &m
	}
	return nil
}

// TrainingClockTyped reads a start time (Tehran, 24-hour clock) as "16:30".
func TrainingClockTyped(typed string) (string, *coopbot.Msg) {
	h, m, reason := text.ParseClock(typed)
	if reason != text.OK {
		msg := coopbot.M(string(reason))
		return "", &msg
	}
	return fmt.Sprintf("%02d:%02d", h, m), nil
}

// TrainingStartAhead refuses a start that is not after now; the message names the day in
// the reader's language.
func TrainingStartAhead(start, now time.Time, l coopbot.Lang) *coopbot.Msg {
	if start.After(now) {
		return nil
	}
	m := coopbot.M("trainings.form.time_past", "Day", text.LongDate(start, text.Lang(l)), "Time", text.Clock(start))
	return &m
}

// TrainingMinutesTyped reads how long a training lasts, in minutes or hours ("۹۰ دقیقه",
// "۱.۵ ساعت", "یک ساعت و نیم"), within the form's limits.
func TrainingMinutesTyped(typed string) (int, *coopbot.Msg) {
	v, reason := text.ParseDuration(typed)
	minutes := int64(v / time.Minute)
	switch {
	case reason == text.NumberRange || reason == text.OK && (minutes < trainingMinMinutes || minutes > trainingMaxMinutes):
		m := coopbot.M("trainings.form.duration_range", "Min", text.Number(trainingMinMinutes), "Max", text.Number(trainingMaxMinutes/60))
		return 0, &m
	case reason != text.OK:
		m := coopbot.M(string(reason))
		return 0, &m
	}
	return int(minutes), nil
}

// TrainingCapacityTyped reads the number of seats: at least one, at most the limit, and
// while editing no fewer than the taken (confirmed) ones.
func TrainingCapacityTyped(typed string, taken int) (int, *coopbot.Msg) {
	n, reason := text.ParseCount(typed, math.MinInt64, math.MaxInt64)
	var m coopbot.Msg
	switch {
	case reason == text.NumberInvalid:
		m = coopbot.M("trainings.form.capacity_invalid")
	case reason == text.NumberRange || reason == text.OK && n > trainingMaxCapacity:
		m = coopbot.M("trainings.form.capacity_range", "Max", text.Number(trainingMaxCapacity))
	case reason != text.OK:
		m = coopbot.M(string(reason))
	case n <= 0:
		m = coopbot.M("trainings.form.capacity_positive")
	case n < int64(taken):
		m = coopbot.M("trainings.form.capacity_below", "Taken", text.Number(int64(taken)))
	default:
		return int(n), nil
	}
	return 0, &m
}

// TrainingDeskStore is what the staff actions on trainings need from the store.
type TrainingDeskStore interface {
	TrainingAdminStore
	Training(ctx context.Context, id int64) (*coopbot.Training, error)
	Neighborhoods(ctx context.Context) ([]coopbot.Neighborhood, error)
	Audit(ctx context.Context, actorID int64, action, subject string, allowed bool, detail map[string]any) error
}

// TrainingDesk carries out one person's staff actions on trainings. Staff is their role as
// the store has it now (nil: none); every action checks it against the training's
// neighborhood, and the store checks again in its transaction. A refusal is audited and
// returned as forbidden ("trainings.denied"); a training that changed meanwhile is a
// conflict whose message ID says how.
type TrainingDesk struct {
	Store   TrainingDeskStore
	Log     *slog.Logger
	ActorID int64
	Staff   *coopbot.Staff
}

// ErrTrainingDenied is the refusal of a staff action on trainings.
var ErrTrainingDenied = coopbot.Errorf(coopbot.EForbidden, "trainings.denied")

// Refuse records an action refused to the person (on training id, 0 for none) and
// returns ErrTrainingDenied (or the error of recording it).
func (k TrainingDesk) Refuse(ctx context.Context, action string, id int64) error {
	subject := ""
	if id != 0 {
		subject = "training:" + strconv.FormatInt(id, 10)
	}
	if err := k.Store.Audit(ctx, k.ActorID, action, subject, false, nil); err != nil {
		return err
	}
	if k.Log != nil {
		k.Log.Info("staff action denied", "resident_id", k.ActorID, "action", action, "subject", subject)
	}
	return ErrTrainingDenied
}

func (k TrainingDesk) audit(ctx context.Context, action string, id int64, detail map[string]any) error {
	return k.Store.Audit(ctx, k.ActorID, action, "training:"+strconv.FormatInt(id, 10), true, detail)
}

// Open loads training id for action, within the person's scope: one that does not exist
// or lies outside it is refused the same way.
func (k TrainingDesk) Open(ctx context.Context, id int64, action string) (*coopbot.Training, error) {
	if k.Staff == nil {
		return nil, k.Refuse(ctx, action, id)
	}
	t, err := k.Store.Training(ctx, id)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return nil, k.Refuse(ctx, action, id)
	}
	if err != nil {
		return nil, err
	}
	if !k.Staff.CanSee(t.NeighborhoodID) {
		return nil, k.Refuse(ctx, action, id)
	}
	return t, nil
}

// Create publishes t with the person as its creator, and returns its id. A neighborhood
// manager's training without a neighborhood is in theirs; one in another neighborhood is
// refused.
func (k TrainingDesk) Create(ctx context.Context, t *coopbot.Training) (int64, error) {
	if k.Staff != nil && k.Staff.Role == coopbot.RoleNeighborhoodManager && t.NeighborhoodID == 0 {
		t.NeighborhoodID = k.Staff.NeighborhoodID
	}
	if !k.Staff.CanSee(t.NeighborhoodID) {
		return 0, k.Refuse(ctx, "training_create", 0)
	}
	t.CreatedBy, t.Status = k.ActorID, coopbot.TrainingPublished
	id, err := k.Store.CreateTraining(ctx, t)
	if err != nil {
		return 0, err
	}
	return id, k.audit(ctx, "training_create", id, map[string]any{"neighborhood_id": t.NeighborhoodID, "capacity": t.Capacity})
}

// Update saves an edit of training t.ID made on revision t.Rev; both where the training
// was and where it goes must be in the person's scope. The enrollees are told; it returns
// how many.
func (k TrainingDesk) Update(ctx context.Context, t *coopbot.Training) (int, error) {
	if _, err := k.Open(ctx, t.ID, "training_edit"); err != nil {
		return 0, err
	}
	if !k.Staff.CanSee(t.NeighborhoodID) {
		return 0, k.Refuse(ctx, "training_edit", t.ID)
	}
	n, err := k.Store.UpdateTraining(ctx, k.ActorID, t)
	if err != nil {
		return 0, err
	}
	return n, k.audit(ctx, "training_edit", t.ID, map[string]any{"rev": t.Rev, "notified": n})
}

// Cancel cancels training id; the enrollees are told. It returns how many.
func (k TrainingDesk) Cancel(ctx context.Context, id int64) (int, error) {
	t, err := k.Open(ctx, id, "training_cancel")
	if err != nil {
		return 0, err
	}
	n, err := k.Store.CancelTraining(ctx, k.ActorID, t.ID)
	if err != nil {
		return 0, err
	}
	return n, k.audit(ctx, "training_cancel", t.ID, map[string]any{"notified": n})
}

// Attendees are the confirmed enrollees of a training, whose attendance is marked.
func (k TrainingDesk) Attendees(ctx context.Context, t *coopbot.Training) ([]coopbot.Enrollee, error) {
	list, err := k.Store.Enrollees(ctx, t.ID)
	return slices.DeleteFunc(list, func(e coopbot.Enrollee) bool { return e.Status != coopbot.EnrollmentConfirmed }), err
}

// MarkAttendance marks whether the confirmed enrollee of enrolment id came to training t
// (opened with Open); came nil turns unmarked and absent into present, present into
// absent. It returns what was marked. Someone not among the confirmed enrollees is a
// conflict ("trainings.attendance.not_allowed").
func (k TrainingDesk) MarkAttendance(ctx context.Context, t *coopbot.Training, id int64, came *bool) (bool, error) {
	list, err := k.Attendees(ctx, t)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(list, func(e coopbot.Enrollee) bool { return e.ID == id })
	if i < 0 {
		return false, coopbot.Errorf(coopbot.EConflict, "trainings.attendance.not_allowed")
	}
	mark := list[i].Attended == nil || !*list[i].Attended
	if came != nil {
		mark = *came
	}
	if err := k.Store.SetAttendance(ctx, k.ActorID, t.ID, id, mark); err != nil {
		return false, err
	}
	return mark, k.audit(ctx, "training_attendance", t.ID, map[string]any{"enrollment_id": id, "attended": mark})
}

// Export is the enrollee spreadsheet of training t (opened with Open) in language l, with
// its audit row; export.Files writes it as the workbook and the CSV file.
func (k TrainingDesk) Export(ctx context.Context, t *coopbot.Training, l coopbot.Lang) (*coopbot.Table, int, error) {
	list, err := k.Store.Enrollees(ctx, t.ID)
	if err != nil {
		return nil, 0, err
	}
	all, err := k.Store.Neighborhoods(ctx)
	if err != nil {
		return nil, 0, err
	}
	names := make(map[int64]string, len(all))
	for _, n := range all {
		names[n.ID] = n.Name(l)
	}
	table := trainingTable(names, t, list)
	if err := k.audit(ctx, "training_export", t.ID, map[string]any{"rows": len(list)}); err != nil {
		return nil, 0, err
	}
	return table, len(list), nil
}
