package flows

import (
	"context"
	"strconv"
	"time"

	"coopbot"
	"coopbot/text"
)

// trainingForm is a training being written by staff: a new one (ID 0) or an edit of
// revision Rev. Date and Clock are the start in the Jalali calendar and Tehran time.
type trainingForm struct {
	ID           int64            `json:"id,omitempty"`
	Rev          int              `json:"rev,omitempty"`
	Taken        int              `json:"taken,omitempty"` // confirmed seats when the edit began
	TitleFa      string           `json:"tfa,omitempty"`
	TitleAz      string           `json:"taz,omitempty"`
	DescFa       string           `json:"dfa,omitempty"`
	DescAz       string           `json:"daz,omitempty"`
	Venue        string           `json:"venue,omitempty"`
	Address      string           `json:"addr,omitempty"`
	Neighborhood int64            `json:"nbh,omitempty"`
	Date         text.JalaliDate  `json:"date,omitzero"`
	Gregorian    *gregorianAnswer `json:"greg,omitempty"`  // a Gregorian date typed, shown back as Jalali
	Clock        string           `json:"clock,omitempty"` // "16:30"
	Minutes      int              `json:"min,omitempty"`
	Capacity     int              `json:"cap,omitempty"`
	AudienceFa   string           `json:"afa,omitempty"`
	AudienceAz   string           `json:"aaz,omitempty"`
}

// gregorianAnswer is a Gregorian date staff typed and the Jalali day it is, to confirm.
type gregorianAnswer struct {
	Typed string          `json:"typed"`
	Day   text.JalaliDate `json:"day"`
}

// Limits of the form.
const (
	trainingMinMinutes  = 10
	trainingMaxMinutes  = 12 * 60
	trainingMaxCapacity = 10000
	trainingTitleMax    = 100
	trainingDescMax     = 1000
	trainingAudienceMax = 200
)

// newTrainingForm starts a new training; a neighborhood manager's is in their neighborhood.
func newTrainingForm(c *Conv) *trainingForm {
	a := &trainingForm{}
	if isManager(c) {
		a.Neighborhood = c.Staff.NeighborhoodID
	}
	return a
}

// editTrainingForm fills the form with a training, for editing.
func editTrainingForm(t *coopbot.Training) *trainingForm {
	at := t.StartsAt.In(text.Tehran)
	return &trainingForm{
		ID: t.ID, Rev: t.Rev, Taken: t.SeatsTaken,
		TitleFa: t.TitleFa, TitleAz: t.TitleAz, DescFa: t.DescriptionFa, DescAz: t.DescriptionAz,
		Venue: t.VenueName, Address: t.VenueAddress, Neighborhood: t.NeighborhoodID,
		Date: text.JalaliOf(at), Clock: at.Format("15:04"),
		Minutes: int(t.Duration / time.Minute), Capacity: t.Capacity,
		AudienceFa: t.AudienceFa, AudienceAz: t.AudienceAz,
	}
}

// isManager reports whether the person is a neighborhood manager (as the gate found them):
// their trainings are in their own neighborhood.
func isManager(c *Conv) bool {
	return c.Staff != nil && c.Staff.Role == coopbot.RoleNeighborhoodManager
}

// start is the start instant the form holds, if it holds a date and a time.
func (a *trainingForm) start() (time.Time, bool) {
	if !a.Date.Valid() || a.Clock == "" {
		return time.Time{}, false
	}
	h, m, r := text.ParseClock(a.Clock)
	return a.Date.At(h, m), r == text.OK
}

// training is the training the form describes, created by the person.
func (a *trainingForm) training(c *Conv) *coopbot.Training {
	start, _ := a.start()
	return &coopbot.Training{
		ID: a.ID, Rev: a.Rev, NeighborhoodID: a.Neighborhood,
		TitleFa: a.TitleFa, TitleAz: a.TitleAz, DescriptionFa: a.DescFa, DescriptionAz: a.DescAz,
		VenueName: a.Venue, VenueAddress: a.Address, AudienceFa: a.AudienceFa, AudienceAz: a.AudienceAz,
		StartsAt: start, Duration: time.Duration(a.Minutes) * time.Minute, Capacity: a.Capacity,
		CreatedBy: c.Profile.ResidentID, Status: coopbot.TrainingPublished,
	}
}

// trainingCurrent adds "current value" under a question when the form holds an answer to it.
func trainingCurrent(r coopbot.Reply, value any, has bool) coopbot.Reply {
	if has {
		r.Text = append(r.Text, coopbot.M("trainings.form.current", "Value", value))
	}
	return r
}

// trainingLine is a form's answer on the review: trainings.review.<field> with the value.
func trainingLine(field string, value any) []coopbot.Msg {
	return []coopbot.Msg{coopbot.M("trainings.review."+field, "Value", value)}
}

// trainingValue is a value on the review, "—" when empty.
func trainingValue(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// trainingText is a free-text question of the form, at most max characters, showing the
// answer it has.
func trainingText(name string, max int, multiline bool, get func(a *trainingForm) *string) Field[trainingForm] {
	st := TextStep[trainingForm]{
		Name:      name,
		Prompt:    func(*Conv, *trainingForm) coopbot.Msg { return coopbot.M("trainings.form." + name) },
		Max:       max,
		Multiline: multiline,
		Set:       func(a *trainingForm, s string) { *get(a) = s },
	}.Step()
	ask := st.Ask
	st.Ask = func(ctx context.Context, c *Conv, a *trainingForm) (coopbot.Reply, error) {
		r, err := ask(ctx, c, a)
		return trainingCurrent(r, *get(a), *get(a) != ""), err
	}
	return Field[trainingForm]{Step: st, Edit: "trainings.field." + name, Review: func(ctx context.Context, c *Conv, a *trainingForm) ([]coopbot.Msg, error) {
		return trainingLine(name, trainingValue(*get(a))), nil
	}}
}

// form is the form that creates (trainingnew) or edits (trainingedit, which opens at the
// review) a training: titles, descriptions and who it is for in both languages, venue,
// neighborhood, Jalali date (a Gregorian one is shown back as Jalali to confirm), time,
// duration, capacity → review → publish or save.
func (ts *trainingStaff) form(name string) flowDef {
	d := ts.d
	nbh := neighborhoodList(d, "neighborhood", func(ctx context.Context, c *Conv, a *trainingForm, n coopbot.Neighborhood) (Next, error) {
		a.Neighborhood = n.ID
		return Forward(), nil
	})
	nbh.Title = func(ctx context.Context, c *Conv, a *trainingForm, total int) ([]coopbot.Msg, error) {
		return []coopbot.Msg{coopbot.M("trainings.form.neighborhood")}, nil
	}
	audienceFa := TextStep[trainingForm]{
		Name:   "audience",
		Prompt: func(*Conv, *trainingForm) coopbot.Msg { return coopbot.M("trainings.form.audience") },
		Max:    trainingAudienceMax,
		Set:    func(a *trainingForm, s string) { a.AudienceFa = s },
		Buttons: func(*Conv, *trainingForm) [][]coopbot.Button {
			return [][]coopbot.Button{{{Label: coopbot.M("trainings.form.skip"), Data: "skip"}}}
		},
		Choice: func(ctx context.Context, c *Conv, a *trainingForm, choice string) (Next, bool, error) {
			if choice != "skip" {
				return Next{}, false, nil
			}
			a.AudienceFa, a.AudienceAz = "", "" // for everyone: nothing to say in Azeri either
			return Forward(), true, nil
		},
	}.Step()
	askAudience, answerAudience := audienceFa.Ask, audienceFa.Answer
	audienceFa.Ask = func(ctx context.Context, c *Conv, a *trainingForm) (coopbot.Reply, error) {
		r, err := askAudience(ctx, c, a)
		return trainingCurrent(r, a.AudienceFa, a.AudienceFa != ""), err
	}
	audienceFa.Answer = func(ctx context.Context, c *Conv, a *trainingForm, in Input) (Next, error) {
		next, err := answerAudience(ctx, c, a, in)
		if err == nil && next.kind == nextForward && c.Reviewing() && a.AudienceFa != "" && a.AudienceAz == "" {
			return Goto("audience_az"), nil // given from the review: the Azeri text is asked too
		}
		return next, err
	}
	audienceAz := trainingText("audience_az", trainingAudienceMax, false, func(a *trainingForm) *string { return &a.AudienceAz })
	audienceAz.Skip = func(c *Conv, a *trainingForm) bool { return a.AudienceFa == "" }
	reviewAz := audienceAz.Review
	audienceAz.Review = func(ctx context.Context, c *Conv, a *trainingForm) ([]coopbot.Msg, error) {
		if a.AudienceFa == "" {
			return nil, nil // for everyone: the Persian line says so
		}
		return reviewAz(ctx, c, a)
	}

	f := Form[trainingForm]{
		Fields: []Field[trainingForm]{
			trainingText("title_fa", trainingTitleMax, false, func(a *trainingForm) *string { return &a.TitleFa }),
			trainingText("title_az", trainingTitleMax, false, func(a *trainingForm) *string { return &a.TitleAz }),
			trainingText("desc_fa", trainingDescMax, true, func(a *trainingForm) *string { return &a.DescFa }),
			trainingText("desc_az", trainingDescMax, true, func(a *trainingForm) *string { return &a.DescAz }),
			trainingText("venue", trainingTitleMax, false, func(a *trainingForm) *string { return &a.Venue }),
			trainingText("address", 2*trainingTitleMax, false, func(a *trainingForm) *string { return &a.Address }),
			{Step: nbh.Step(), Edit: "trainings.field.neighborhood", Skip: func(c *Conv, a *trainingForm) bool { return isManager(c) },
				Review: func(ctx context.Context, c *Conv, a *trainingForm) ([]coopbot.Msg, error) {
					names, err := trainingNeighborhoodNames(ctx, d, c.Lang())
					return trainingLine("neighborhood", names[a.Neighborhood]), err
				}},
			{Step: ts.dateStep(), Edit: "trainings.field.date", Review: func(ctx context.Context, c *Conv, a *trainingForm) ([]coopbot.Msg, error) {
				return trainingLine("date", text.LongDate(a.Date.At(12, 0), text.Lang(c.Lang()))), nil
			}},
			{Step: ts.gregorianStep(), Skip: func(c *Conv, a *trainingForm) bool { return a.Gregorian == nil }},
			{Step: ts.timeStep(), Edit: "trainings.field.time", Review: func(ctx context.Context, c *Conv, a *trainingForm) ([]coopbot.Msg, error) {
				return trainingLine("time", text.FaDigits(a.Clock)), nil
			}},
			{Step: durationStep(), Edit: "trainings.field.duration", Review: func(ctx context.Context, c *Conv, a *trainingForm) ([]coopbot.Msg, error) {
				return trainingLine("duration", text.Number(int64(a.Minutes))), nil
			}},
			{Step: capacityStep(), Edit: "trainings.field.capacity", Review: func(ctx context.Context, c *Conv, a *trainingForm) ([]coopbot.Msg, error) {
				return trainingLine("capacity", text.Number(int64(a.Capacity))), nil
			}},
			{Step: audienceFa, Edit: "trainings.field.audience", Review: func(ctx context.Context, c *Conv, a *trainingForm) ([]coopbot.Msg, error) {
				return trainingLine("audience", trainingValue(a.AudienceFa)), nil
			}},
			audienceAz,
		},
		Title:   "trainings.review.title",
		Check:   ts.check,
		Invalid: "training.invalid",
	}
	if name == FlowTrainingNew {
		f.SubmitLabel, f.Submit = "trainings.review.publish", ts.publish
		return &Flow[trainingForm]{Name: name, Gate: ts.gate, Steps: f.Steps()}
	}
	// An edit opens at the review; every answer changed from there leads back to it.
	f.SubmitLabel, f.Submit = "trainings.review.save", ts.save
	steps := f.Steps()
	return &Flow[trainingForm]{Name: name, Gate: ts.gate, Steps: append(steps[len(steps)-1:], steps[:len(steps)-1]...)}
}

// dateStep asks for the day in the Jalali calendar; a Gregorian date is converted and
// confirmed at the next question.
func (ts *trainingStaff) dateStep() Step[trainingForm] {
	return Step[trainingForm]{
		Name: "date",
		Ask: func(ctx context.Context, c *Conv, a *trainingForm) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("trainings.form.date", "Example", text.JalaliOf(ts.d.Now().AddDate(0, 0, 7)).Fa()))
			return trainingCurrent(r, text.LongDate(a.Date.At(12, 0), text.Lang(c.Lang())), a.Date.Valid()), nil
		},
		Answer: ts.answerDate,
	}
}

// answerDate takes a typed date: a Jalali one is kept, a Gregorian one goes to be
// confirmed as the Jalali day it is.
func (ts *trainingStaff) answerDate(ctx context.Context, c *Conv, a *trainingForm, in Input) (Next, error) {
	if in.Kind != KindText {
		return Retry("input.text_expected"), nil
	}
	p, wrong := TrainingDateTyped(in.Text)
	if wrong != nil {
		return RetryMsg(*wrong), nil
	}
	if p.Gregorian {
		// (Typed again at the confirmation, this asks it anew with the new day.)
		a.Gregorian = &gregorianAnswer{Typed: in.Text, Day: p.JalaliDate}
		return Goto("gregorian"), nil
	}
	a.Gregorian = nil
	return ts.setDate(c, a, p.JalaliDate)
}

// setDate keeps day as the training's day unless it is past, or it makes the time kept
// from the review a past instant.
func (ts *trainingStaff) setDate(c *Conv, a *trainingForm, day text.JalaliDate) (Next, error) {
	now := ts.d.Now()
	if wrong := TrainingDayAhead(day, now); wrong != nil {
		return RetryMsg(*wrong), nil
	}
	prev := a.Date
	a.Date = day
	if start, ok := a.start(); ok {
		if wrong := TrainingStartAhead(start, now, c.Lang()); wrong != nil {
			a.Date = prev
			return RetryMsg(*wrong), nil
		}
	}
	return Forward(), nil
}

// gregorianStep shows a Gregorian date back as the Jalali day it is, to confirm before
// going on; another date may be typed instead.
func (ts *trainingStaff) gregorianStep() Step[trainingForm] {
	return Step[trainingForm]{
		Name: "gregorian",
		Ask: func(ctx context.Context, c *Conv, a *trainingForm) (coopbot.Reply, error) {
			if a.Gregorian == nil {
				return ts.dateStep().Ask(ctx, c, a)
			}
			day := text.LongDate(a.Gregorian.Day.At(12, 0), text.Lang(c.Lang()))
			return coopbot.Reply{
				Text:    []coopbot.Msg{coopbot.M("trainings.form.date_gregorian", "Typed", text.Isolate(a.Gregorian.Typed), "Day", day)},
				Buttons: [][]coopbot.Button{{{Label: coopbot.M("trainings.form.date_gregorian_yes", "Day", day), Data: "yes"}}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *trainingForm, in Input) (Next, error) {
			if in.Choice == "yes" && a.Gregorian != nil {
				return ts.setDate(c, a, a.Gregorian.Day)
			}
			if in.Kind == KindText && in.Choice == "" {
				return ts.answerDate(ctx, c, a, in)
			}
			return Retry("training.invalid"), nil
		},
	}
}

// timeStep asks for the start time, Tehran time; the start must be ahead.
func (ts *trainingStaff) timeStep() Step[trainingForm] {
	return Step[trainingForm]{
		Name: "time",
		Ask: func(ctx context.Context, c *Conv, a *trainingForm) (coopbot.Reply, error) {
			return trainingCurrent(coopbot.Text(coopbot.M("trainings.form.time")), text.FaDigits(a.Clock), a.Clock != ""), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *trainingForm, in Input) (Next, error) {
			if in.Kind != KindText {
				return Retry("input.text_expected"), nil
			}
			clock, wrong := TrainingClockTyped(in.Text)
			if wrong != nil {
				return RetryMsg(*wrong), nil
			}
			if !a.Date.Valid() {
				return Goto("date"), nil
			}
			h, m, _ := text.ParseClock(clock)
			if wrong := TrainingStartAhead(a.Date.At(h, m), ts.d.Now(), c.Lang()); wrong != nil {
				return RetryMsg(*wrong), nil
			}
			a.Clock = clock
			return Forward(), nil
		},
	}
}

// durationStep asks how long the training lasts, in minutes or hours ("۹۰ دقیقه",
// "۱.۵ ساعت", "یک ساعت و نیم").
func durationStep() Step[trainingForm] {
	return Step[trainingForm]{
		Name: "duration",
		Ask: func(ctx context.Context, c *Conv, a *trainingForm) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("trainings.form.duration"))
			if a.Minutes > 0 {
				r.Text = append(r.Text, coopbot.M("trainings.form.current_minutes", "Minutes", text.Number(int64(a.Minutes))))
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *trainingForm, in Input) (Next, error) {
			if in.Kind != KindText {
				return Retry("input.text_expected"), nil
			}
			minutes, wrong := TrainingMinutesTyped(in.Text)
			if wrong != nil {
				return RetryMsg(*wrong), nil
			}
			a.Minutes = minutes
			return Forward(), nil
		},
	}
}

// capacityStep asks how many seats there are: at least one, and while editing no fewer
// than the confirmed ones.
func capacityStep() Step[trainingForm] {
	return Step[trainingForm]{
		Name: "capacity",
		Ask: func(ctx context.Context, c *Conv, a *trainingForm) (coopbot.Reply, error) {
			return trainingCurrent(coopbot.Text(coopbot.M("trainings.form.capacity")), text.Number(int64(a.Capacity)), a.Capacity > 0), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *trainingForm, in Input) (Next, error) {
			if in.Kind != KindText {
				return Retry("input.text_expected"), nil
			}
			n, wrong := TrainingCapacityTyped(in.Text, a.Taken)
			if wrong != nil {
				return RetryMsg(*wrong), nil
			}
			a.Capacity = n
			return Forward(), nil
		},
	}
}

// check runs before publishing or saving, on what may have changed since the form was
// filled: the start must still be ahead, and a note on who it is for needs its Azeri
// text (one written before it was asked in both languages has none).
func (ts *trainingStaff) check(ctx context.Context, c *Conv, a *trainingForm) (*Next, error) {
	start, _ := a.start()
	if wrong := TrainingStartAhead(start, ts.d.Now(), c.Lang()); wrong != nil {
		next := RetryMsg(*wrong)
		return &next, nil
	}
	if a.AudienceFa != "" && a.AudienceAz == "" {
		next := Goto("audience_az")
		return &next, nil
	}
	return nil, nil
}

func (ts *trainingStaff) publish(ctx context.Context, c *Conv, a *trainingForm) (Next, error) {
	t := a.training(c)
	id, err := ts.desk(c).Create(ctx, t)
	if next, ok := trainingStoreRefusal(err); ok {
		return next, nil
	}
	if err != nil {
		return Next{}, err
	}
	// In one press, the broadcast to its neighborhood, prepared (broadcast_extras.go).
	return Done(coopbot.Reply{
		Text:    []coopbot.Msg{coopbot.M("trainings.new.published", trainingData(c, t)...)},
		Buttons: [][]coopbot.Button{{{Label: coopbot.M("trainings.new.announce"), Data: "a:" + bcAnnounceAction + ":" + strconv.FormatInt(id, 10)}}},
	}), nil
}

func (ts *trainingStaff) save(ctx context.Context, c *Conv, a *trainingForm) (Next, error) {
	n, err := ts.desk(c).Update(ctx, a.training(c))
	if next, ok := trainingStoreRefusal(err); ok {
		return next, nil
	}
	if err != nil {
		return Next{}, err
	}
	return Done(coopbot.Text(coopbot.M("trainings.edit.saved", "Count", text.Number(int64(n))).WithCount(n))), nil
}
