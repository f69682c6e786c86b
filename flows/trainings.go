package flows

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"coopbot"
	"coopbot/text"
)

// TrainingStore is what residents' training conversations need: the catalogue, sign-up
// with seats and a wait-list, and their own enrolments.
type TrainingStore interface {
	// UpcomingTrainings lists published trainings that have not started, neighborhood
	// own first; total counts them all.
	UpcomingTrainings(ctx context.Context, own int64, offset, limit int) ([]coopbot.Training, int, error)
	// Training returns one training (not_found with a message ID when there is none).
	Training(ctx context.Context, id int64) (*coopbot.Training, error)
	// SignUp gives a confirmed seat while seats remain, else a wait-list place; a second
	// call returns the first enrolment with Already set. Refusals are conflicts whose
	// message ID says why (closed, cancelled).
	SignUp(ctx context.Context, trainingID, residentID int64) (coopbot.Enrollment, error)
	// ActiveEnrollment returns the resident's confirmed or wait-listed enrolment, or nil.
	ActiveEnrollment(ctx context.Context, trainingID, residentID int64) (*coopbot.Enrollment, error)
	// MyEnrollments lists the resident's active enrolments with their trainings.
	MyEnrollments(ctx context.Context, residentID int64) ([]coopbot.Enrollment, error)
	// CancelEnrollment cancels the resident's own enrolment; the first on the wait-list
	// gets the seat and is told.
	CancelEnrollment(ctx context.Context, residentID, enrollmentID int64) (coopbot.Enrollment, error)
}

// FlowTrainings is the residents' training catalogue, sign-up and "my trainings".
const FlowTrainings = "trainings"

// trainingsPerPage keeps a page of cards within one phone screen.
const trainingsPerPage = 5

// trainings is where a resident is in the catalogue.
type trainings struct {
	Training   int64 `json:"t,omitempty"` // the training shown
	Enrollment int64 `json:"e,omitempty"` // the enrolment being cancelled
}

// listedTraining is a training as a list shows it: its number in the list and its
// neighborhood's name.
type listedTraining struct {
	*coopbot.Training
	N            int
	Neighborhood string
	Enrollment   *coopbot.Enrollment // in "my trainings"
}

// Residents: catalogue (own neighborhood first, paged) → details → sign up (seat or
// wait-list); "my trainings" → details → cancel (the seat goes to the wait-list).
func trainingsFeature(d Deps) feature {
	open := func(ctx context.Context, c *Conv, a *trainings, t listedTraining) (Next, error) {
		a.Training = t.ID
		return Goto("detail"), nil
	}
	catalogue := List[trainings, listedTraining]{
		Name:    "list",
		PerPage: trainingsPerPage,
		Items: func(ctx context.Context, c *Conv, a *trainings, page, per int) ([]listedTraining, int, error) {
			list, total, err := d.Store.UpcomingTrainings(ctx, c.Profile.Neighborhood, page*per, per)
			if err != nil {
				return nil, 0, err
			}
			out, err := listTrainings(ctx, d, c.Lang(), list, page*per)
			return out, total, err
		},
		Title: func(ctx context.Context, c *Conv, a *trainings, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return []coopbot.Msg{coopbot.M("training.list.empty")}, nil
			}
			return []coopbot.Msg{coopbot.M("training.list.title")}, nil
		},
		Show: func(c *Conv, a *trainings, t listedTraining) ([]coopbot.Msg, coopbot.Msg) {
			return trainingCard(c, t.Training, t.N, t.Neighborhood), trainingButtonLabel(c, t.Training, t.N)
		},
		ID: func(t listedTraining) int64 { return t.ID },
		Find: func(ctx context.Context, c *Conv, a *trainings, id int64) (listedTraining, bool, error) {
			t, err := d.Store.Training(ctx, id)
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				return listedTraining{}, false, nil
			}
			return listedTraining{Training: t}, err == nil, err
		},
		Pick: open,
		// A title typed out (a button shows it shortened) opens that training.
		Match: func(ctx context.Context, c *Conv, a *trainings, typed string) ([]listedTraining, bool, error) {
			list, _, err := d.Store.UpcomingTrainings(ctx, c.Profile.Neighborhood, 0, 200)
			if err != nil {
				return nil, false, err
			}
			found, exact := matchTrainings(list, typed)
			out, err := listTrainings(ctx, d, c.Lang(), found, 0)
			return out, exact, err
		},
		Unmatched: "training.not_found_typed",
		Several:   "training.several",
		More: func(ctx context.Context, c *Conv, a *trainings) ([]coopbot.Button, error) {
			return []coopbot.Button{{Label: coopbot.M("training.mine.button"), Data: "mine"}}, nil
		},
		Other: func(ctx context.Context, c *Conv, a *trainings, in Input) (Next, bool, error) {
			if in.Choice == "mine" {
				return Goto("mine"), true, nil
			}
			return Next{}, false, nil
		},
		Gone:    "training.not_found",
		Invalid: "training.invalid",
	}
	mine := List[trainings, listedTraining]{
		Name:    "mine",
		PerPage: trainingsPerPage,
		Items: func(ctx context.Context, c *Conv, a *trainings, page, per int) ([]listedTraining, int, error) {
			list, err := d.Store.MyEnrollments(ctx, c.Profile.ResidentID)
			if err != nil {
				return nil, 0, err
			}
			shown := pageItems(list, page, per)
			out := make([]listedTraining, len(shown))
			for i := range shown {
				out[i] = listedTraining{Training: shown[i].Training, N: page*per + i + 1, Enrollment: &shown[i]}
			}
			return out, len(list), nil
		},
		Title: func(ctx context.Context, c *Conv, a *trainings, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return []coopbot.Msg{coopbot.M("training.mine.empty")}, nil
			}
			return []coopbot.Msg{coopbot.M("training.mine.title")}, nil
		},
		Show: func(c *Conv, a *trainings, t listedTraining) ([]coopbot.Msg, coopbot.Msg) {
			lines := []coopbot.Msg{coopbot.M("training.mine.item", append(trainingData(c, t.Training), "N", text.Number(int64(t.N)))...)}
			switch e := t.Enrollment; {
			case t.Status == coopbot.TrainingCancelled:
				lines = append(lines, coopbot.M("training.status.cancelled"))
			case t.Started(d.Now()):
				lines = append(lines, coopbot.M("training.status.held"))
			case e.Status == coopbot.EnrollmentConfirmed:
				lines = append(lines, coopbot.M("training.status.confirmed"))
			default:
				lines = append(lines, coopbot.M("training.status.waitlisted", "Position", text.Number(int64(e.Position))))
			}
			return lines, trainingButtonLabel(c, t.Training, t.N)
		},
		ID:   func(t listedTraining) int64 { return t.ID },
		Find: catalogue.Find,
		Pick: open,
		More: func(ctx context.Context, c *Conv, a *trainings) ([]coopbot.Button, error) {
			return []coopbot.Button{{Label: coopbot.M("training.list.button"), Data: "list"}}, nil
		},
		Other: func(ctx context.Context, c *Conv, a *trainings, in Input) (Next, bool, error) {
			if in.Choice == "list" {
				return Goto("list"), true, nil
			}
			return Next{}, false, nil
		},
		Gone:    "training.not_found",
		Invalid: "training.invalid",
	}
	f := &Flow[trainings]{Name: FlowTrainings, Steps: []Step[trainings]{
		catalogue.Step(),
		{
			Name: "detail",
			Ask: func(ctx context.Context, c *Conv, a *trainings) (coopbot.Reply, error) {
				t, err := d.Store.Training(ctx, a.Training)
				if coopbot.ErrorCode(err) == coopbot.ENotFound {
					return coopbot.Text(coopbot.M("training.not_found")), nil
				}
				if err != nil {
					return coopbot.Reply{}, err
				}
				e, err := d.Store.ActiveEnrollment(ctx, t.ID, c.Profile.ResidentID)
				if err != nil {
					return coopbot.Reply{}, err
				}
				names, err := trainingNeighborhoodNames(ctx, d, c.Lang())
				if err != nil {
					return coopbot.Reply{}, err
				}
				// Seats left matter only to someone who may still sign up.
				r := coopbot.Reply{Text: trainingDetail(c, t, names[t.NeighborhoodID], e == nil)}
				started := t.Started(d.Now())
				switch {
				case t.Status == coopbot.TrainingCancelled:
					r.Text = append(r.Text, coopbot.M("training.detail.cancelled"))
				case e != nil && e.Status == coopbot.EnrollmentConfirmed:
					r.Text = append(r.Text, coopbot.M("training.detail.confirmed"))
				case e != nil:
					r.Text = append(r.Text, coopbot.M("training.detail.waitlisted", "Position", text.Number(int64(e.Position))))
				case started:
					r.Text = append(r.Text, coopbot.M("training.detail.closed"))
				}
				switch {
				case t.Status == coopbot.TrainingCancelled:
				case e != nil && !started:
					r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("training.cancel.button"), Data: "withdraw"}}}
				case e == nil && !started && t.Status == coopbot.TrainingPublished && t.SeatsLeft() > 0:
					r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("training.signup.button"), Data: "signup"}}}
				case e == nil && !started && t.Status == coopbot.TrainingPublished:
					r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("training.signup.waitlist_button"), Data: "signup"}}}
				}
				return r, nil
			},
			Answer: func(ctx context.Context, c *Conv, a *trainings, in Input) (Next, error) {
				switch in.Choice {
				case "signup":
					return trainingSignUp(ctx, d, c, a.Training)
				case "withdraw":
					e, err := d.Store.ActiveEnrollment(ctx, a.Training, c.Profile.ResidentID)
					if err != nil {
						return Next{}, err
					}
					if e == nil {
						return Retry("training.cancel.not_found"), nil
					}
					a.Enrollment = e.ID
					return Goto("withdraw"), nil
				}
				return Retry("training.invalid"), nil
			},
		},
		{
			Name: "withdraw",
			Ask: func(ctx context.Context, c *Conv, a *trainings) (coopbot.Reply, error) {
				t, err := d.Store.Training(ctx, a.Training)
				if err != nil {
					return coopbot.Reply{}, err
				}
				return coopbot.Reply{
					Text: []coopbot.Msg{coopbot.M("training.cancel.confirm", trainingData(c, t)...)},
					Buttons: [][]coopbot.Button{{
						{Label: coopbot.M("training.cancel.yes"), Data: "yes"},
						{Label: coopbot.M("training.cancel.no"), Data: "no"},
					}},
				}, nil
			},
			Answer: func(ctx context.Context, c *Conv, a *trainings, in Input) (Next, error) {
				switch in.Choice {
				case "no":
					return Goto("detail"), nil
				case "yes":
				default:
					return Retry("training.invalid"), nil
				}
				e, err := d.Store.CancelEnrollment(ctx, c.Profile.ResidentID, a.Enrollment)
				if id := trainingRefusal(err); id != "" {
					return Done(coopbot.Text(coopbot.M(id))), nil
				}
				switch {
				case err != nil:
					return Next{}, err
				case e.Already:
					return Done(coopbot.Text(coopbot.M("training.cancel.already"))), nil
				}
				return Done(coopbot.Text(coopbot.M("training.cancel.done", trainingData(c, e.Training)...))), nil
			},
		},
		mine.Step(),
	}}
	return feature{
		flows: []flowDef{f},
		menu: []MenuItem{{Label: "training.menu", Value: "trainings", Open: func(ctx context.Context, c *Conv) (Next, error) {
			return Start(FlowTrainings, nil), nil
		}}},
	}
}

// listTrainings numbers trainings from first+1 and names their neighborhoods.
func listTrainings(ctx context.Context, d Deps, l coopbot.Lang, list []coopbot.Training, first int) ([]listedTraining, error) {
	names, err := trainingNeighborhoodNames(ctx, d, l)
	if err != nil {
		return nil, err
	}
	out := make([]listedTraining, len(list))
	for i := range list {
		out[i] = listedTraining{Training: &list[i], N: first + i + 1, Neighborhood: names[list[i].NeighborhoodID]}
	}
	return out, nil
}

// matchTrainings finds trainings by a typed title, in either language, loosely; exact when
// a whole title matched.
func matchTrainings(list []coopbot.Training, typed string) (found []coopbot.Training, exact bool) {
	key := text.Key(typed)
	if key == "" {
		return nil, false
	}
	var partial []coopbot.Training
	for _, t := range list {
		fa, az := labelKey(t.TitleFa), labelKey(t.TitleAz)
		switch {
		case fa == key || az == key:
			found = append(found, t)
		case strings.Contains(fa, key) || strings.Contains(az, key):
			partial = append(partial, t)
		}
	}
	if len(found) > 0 {
		return found, true
	}
	return slices.Clip(partial), false
}

// trainingSignUp signs the resident up for the training on screen and ends the flow with
// the outcome: a confirmed seat, or a wait-list place with its position.
func trainingSignUp(ctx context.Context, d Deps, c *Conv, id int64) (Next, error) {
	e, err := d.Store.SignUp(ctx, id, c.Profile.ResidentID)
	if id := trainingRefusal(err); id != "" {
		// Closed or cancelled since the details were shown: say why, show them again.
		return Retry(id), nil
	}
	if err != nil {
		return Next{}, err
	}
	pos := text.Number(int64(e.Position))
	switch {
	case e.Already && e.Status == coopbot.EnrollmentConfirmed:
		return Done(coopbot.Text(coopbot.M("training.signup.already_confirmed"))), nil
	case e.Already:
		return Done(coopbot.Text(coopbot.M("training.signup.already_waitlisted", "Position", pos))), nil
	case e.Status == coopbot.EnrollmentConfirmed:
		return Done(coopbot.Text(coopbot.M("training.signup.confirmed", trainingData(c, e.Training)...))), nil
	}
	return Done(coopbot.Text(coopbot.M("training.signup.waitlisted", append(trainingData(c, e.Training), "Position", pos)...))), nil
}

// trainingRefusal returns the message of a store refusal (a conflict, something not
// found, an invalid value) that the person should read, or "" for other errors.
func trainingRefusal(err error) string {
	switch coopbot.ErrorCode(err) {
	case coopbot.EConflict, coopbot.ENotFound, coopbot.EInvalid:
		return coopbot.ErrorMsgID(err)
	}
	return ""
}

// trainingData is the template data every training message may use, in the reader's
// language: Title, Day (weekday and Jalali date), Time (Tehran), Venue, Address, Minutes.
func trainingData(c *Conv, t *coopbot.Training) []any { return trainingDataIn(c.Lang(), t) }

// trainingDataIn is trainingData for a reader of language l (a notice sent by a job).
func trainingDataIn(l coopbot.Lang, t *coopbot.Training) []any {
	return []any{
		"Title", t.Title(l),
		"Day", text.LongDate(t.StartsAt, text.Lang(l)),
		"Time", text.Clock(t.StartsAt),
		"Venue", t.VenueName,
		"Address", t.VenueAddress,
		"Minutes", text.Number(int64(t.Duration.Minutes())),
	}
}

// trainingCard is a training in a list: number, title, venue, neighborhood, weekday, date,
// time, and seats left (or that the wait-list is open).
func trainingCard(c *Conv, t *coopbot.Training, n int, neighborhood string) []coopbot.Msg {
	card := coopbot.M("training.card", append(trainingData(c, t), "N", text.Number(int64(n)), "Neighborhood", neighborhood)...)
	return []coopbot.Msg{card, trainingSeats(t)}
}

// trainingSeats says how many seats are left, or that the wait-list is open.
func trainingSeats(t *coopbot.Training) coopbot.Msg {
	if left := t.SeatsLeft(); left > 0 {
		return coopbot.M("training.seats.left", "Seats", text.Number(int64(left))).WithCount(left)
	}
	return coopbot.M("training.seats.full", "Waiting", text.Number(int64(t.Waitlisted)))
}

// trainingDetail is the full description of a training, with the seats left for
// residents when seats is set.
func trainingDetail(c *Conv, t *coopbot.Training, neighborhood string, seats bool) []coopbot.Msg {
	out := []coopbot.Msg{coopbot.M("training.detail", append(trainingData(c, t),
		"Description", t.Description(c.Lang()), "Neighborhood", neighborhood)...)}
	if aud := t.Audience(c.Lang()); aud != "" {
		out = append(out, coopbot.M("training.detail.audience", "Audience", aud))
	}
	if seats && t.Status == coopbot.TrainingPublished {
		out = append(out, trainingSeats(t))
	}
	return out
}

// trainingButtonLabel is a list button: the card's number and the title, shortened.
func trainingButtonLabel(c *Conv, t *coopbot.Training, n int) coopbot.Msg {
	return coopbot.Raw(text.FaDigits(strconv.Itoa(n)) + ". " + text.Shorten(t.Title(c.Lang()), 40))
}

// trainingNeighborhoodNames maps neighborhood ids to their names in lang.
func trainingNeighborhoodNames(ctx context.Context, d Deps, l coopbot.Lang) (map[int64]string, error) {
	all, err := d.Store.Neighborhoods(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(all))
	for _, n := range all {
		m[n.ID] = n.Name(l)
	}
	return m, nil
}
