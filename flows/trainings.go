package flows

import (
	"context"
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

// Residents: catalogue (own neighborhood first, paged) → details → sign up (seat or
// wait-list); "my trainings" → details → cancel (the seat goes to the wait-list).
func trainingsFeature(d Deps) feature {
	f := &legacyFlow{Name: FlowTrainings, First: "list", Steps: map[string]legacyStep{
		"list": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				page := int(c.GetInt("tp"))
				list, total, err := d.Store.UpcomingTrainings(ctx, c.Profile.Neighborhood, page*trainingsPerPage, trainingsPerPage)
				if err != nil {
					return coopbot.Reply{}, err
				}
				if len(list) == 0 && page > 0 {
					// The list shrank since the page was chosen: start over.
					c.Set("tp", "")
					page = 0
					if list, total, err = d.Store.UpcomingTrainings(ctx, c.Profile.Neighborhood, 0, trainingsPerPage); err != nil {
						return coopbot.Reply{}, err
					}
				}
				mine := []coopbot.Button{{Label: coopbot.M("training.mine.button"), Data: "mine"}}
				if len(list) == 0 {
					return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("training.list.empty")}, Buttons: [][]coopbot.Button{mine}}, nil
				}
				r := coopbot.Text(coopbot.M("training.list.title"))
				names, err := trainingNeighborhoodNames(ctx, d, c.Lang())
				if err != nil {
					return r, err
				}
				for i := range list {
					t := &list[i]
					n := page*trainingsPerPage + i + 1
					r.Text = append(r.Text, coopbot.Raw(""))
					r.Text = append(r.Text, trainingCard(c, t, n, names[t.NeighborhoodID])...)
					r.Buttons = append(r.Buttons, []coopbot.Button{{Label: trainingButtonLabel(c, t, n), Data: "t:" + strconv.FormatInt(t.ID, 10)}})
				}
				if _, pages := pageOf(page, total, trainingsPerPage); pages > 1 {
					r.Text = append(r.Text, coopbot.Raw(""))
					pager(&r, page, pages)
				}
				r.Buttons = append(r.Buttons, mine)
				return r, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				switch {
				case strings.HasPrefix(in.Choice, "t:"):
					c.Set("tid", in.Choice[2:])
					return Goto("detail"), nil
				case strings.HasPrefix(in.Choice, "p:"):
					c.Set("tp", in.Choice[2:])
					return Again(), nil
				case in.Choice == "mine":
					return Goto("mine"), nil
				}
				return Retry("training.invalid"), nil
			},
		},
		"detail": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				t, err := d.Store.Training(ctx, c.GetInt("tid"))
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
				r := coopbot.Reply{Text: trainingDetail(c, t, names[t.NeighborhoodID], true)}
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
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				switch in.Choice {
				case "signup":
					return trainingSignUp(ctx, d, c)
				case "withdraw":
					e, err := d.Store.ActiveEnrollment(ctx, c.GetInt("tid"), c.Profile.ResidentID)
					if err != nil {
						return Next{}, err
					}
					if e == nil {
						return Retry("training.cancel.not_found"), nil
					}
					c.SetInt("eid", e.ID)
					return Goto("withdraw"), nil
				}
				return Retry("training.invalid"), nil
			},
		},
		"withdraw": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				t, err := d.Store.Training(ctx, c.GetInt("tid"))
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
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				switch in.Choice {
				case "no":
					return Goto("detail"), nil
				case "yes":
				default:
					return Retry("training.invalid"), nil
				}
				e, err := d.Store.CancelEnrollment(ctx, c.Profile.ResidentID, c.GetInt("eid"))
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
		"mine": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				list, err := d.Store.MyEnrollments(ctx, c.Profile.ResidentID)
				if err != nil {
					return coopbot.Reply{}, err
				}
				all := []coopbot.Button{{Label: coopbot.M("training.list.button"), Data: "list"}}
				if len(list) == 0 {
					return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("training.mine.empty")}, Buttons: [][]coopbot.Button{all}}, nil
				}
				r := coopbot.Text(coopbot.M("training.mine.title"))
				now := d.Now()
				for i := range list {
					e := &list[i]
					t := e.Training
					r.Text = append(r.Text, coopbot.Raw(""), coopbot.M("training.mine.item", append(trainingData(c, t), "N", text.Number(int64(i+1)))...))
					switch {
					case t.Status == coopbot.TrainingCancelled:
						r.Text = append(r.Text, coopbot.M("training.status.cancelled"))
					case t.Started(now):
						r.Text = append(r.Text, coopbot.M("training.status.held"))
					case e.Status == coopbot.EnrollmentConfirmed:
						r.Text = append(r.Text, coopbot.M("training.status.confirmed"))
					default:
						r.Text = append(r.Text, coopbot.M("training.status.waitlisted", "Position", text.Number(int64(e.Position))))
					}
					r.Buttons = append(r.Buttons, []coopbot.Button{{Label: trainingButtonLabel(c, t, i+1), Data: "t:" + strconv.FormatInt(t.ID, 10)}})
				}
				r.Buttons = append(r.Buttons, all)
				return r, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				switch {
				case strings.HasPrefix(in.Choice, "t:"):
					c.Set("tid", in.Choice[2:])
					return Goto("detail"), nil
				case in.Choice == "list":
					c.Set("tp", "")
					return Goto("list"), nil
				}
				return Retry("training.invalid"), nil
			},
		},
	}}
	return feature{
		flows: []flowDef{f},
		menu: []MenuItem{{Label: "training.menu", Value: "trainings", Open: func(ctx context.Context, c *Conv) (Next, error) {
			return Start(FlowTrainings, nil), nil
		}}},
	}
}

// trainingSignUp signs the resident up for the training on screen and ends the flow with
// the outcome: a confirmed seat, or a wait-list place with its position.
func trainingSignUp(ctx context.Context, d Deps, c *Conv) (Next, error) {
	e, err := d.Store.SignUp(ctx, c.GetInt("tid"), c.Profile.ResidentID)
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
func trainingData(c *Conv, t *coopbot.Training) []any {
	return []any{
		"Title", t.Title(c.Lang()),
		"Day", text.LongDate(t.StartsAt, text.Lang(c.Lang())),
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
	if t.Audience != "" {
		out = append(out, coopbot.M("training.detail.audience", "Audience", t.Audience))
	}
	if seats && t.Status == coopbot.TrainingPublished {
		out = append(out, trainingSeats(t))
	}
	return out
}

// trainingButtonLabel is a list button: the card's number and the title, shortened.
func trainingButtonLabel(c *Conv, t *coopbot.Training, n int) coopbot.Msg {
	return coopbot.Raw(text.FaDigits(strconv.Itoa(n)) + ". " + text.Truncate(t.Title(c.Lang()), 40))
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
