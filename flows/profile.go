package flows

import (
	"context"
	"slices"
	"time"

	"coopbot"
	"coopbot/text"
)

// ProfileStore is what "my profile" needs: the resident's neighborhood and phone, what the
// office holds about them, and the erasure of their data. Every change is the resident's
// own, by their resident id.
type ProfileStore interface {
	// SetNeighborhood moves the resident to another neighborhood: the trainings and
	// cooperatives offered first follow it, and their next need reports go to its
	// managers; requests, enrolments and earlier reports stay.
	SetNeighborhood(ctx context.Context, residentID, neighborhoodID int64) error
	// SetPhone stores the resident's phone (E.164), or removes it when phone is "".
	SetPhone(ctx context.Context, residentID int64, phone string) error
	// DataSummary returns what the office holds about the resident: their own records only.
	DataSummary(ctx context.Context, residentID int64) (*coopbot.DataSummary, error)
	// EraseResident erases the resident's data for good, in one transaction: pending
	// requests withdrawn, enrolments cancelled (the wait-list promoted), personal values
	// emptied, counts kept, the erasure audited.
	EraseResident(ctx context.Context, residentID int64) (coopbot.Erasure, error)
}

// FlowProfile is "my profile": what is on file, and changing or erasing it.
const FlowProfile = "profile"

// profile is what the resident chose so far.
type profile struct {
	Neighborhood int64 `json:"n,omitempty"` // the new neighborhood, to be confirmed
}

// summaryShown bounds each list of the data summary; the rest is counted.
const summaryShown = 20

func profileFeature(d Deps) feature {
	p := &profileFlow{d: d}
	f := &Flow[profile]{Name: FlowProfile, Steps: []Step[profile]{
		p.home(),
		p.neighborhoodAbout(),
		neighborhoodList(d, "nbh_list", p.neighborhoodChosen).Step(),
		p.neighborhoodConfirm(),
		p.phone(),
		p.phoneRemove(),
		p.data(),
		p.erase(),
	}}
	return feature{
		flows: []flowDef{f},
		menu: []MenuItem{{Label: "profile.menu", Value: "profile", Open: func(ctx context.Context, c *Conv) (Next, error) {
			return Start(FlowProfile, nil), nil
		}}},
	}
}

type profileFlow struct{ d Deps }

// neighborhood returns the neighborhood with this id, ok false when there is none.
func (p *profileFlow) neighborhood(ctx context.Context, id int64) (coopbot.Neighborhood, bool, error) {
	all, err := p.d.Store.Neighborhoods(ctx)
	if err != nil {
		return coopbot.Neighborhood{}, false, err
	}
	i := slices.IndexFunc(all, func(n coopbot.Neighborhood) bool { return n.ID == id })
	if i < 0 {
		return coopbot.Neighborhood{}, false, nil
	}
	return all[i], true, nil
}

// neighborhoodName is the resident's neighborhood as a message: its name, or "none".
func (p *profileFlow) neighborhoodName(ctx context.Context, c *Conv, id int64) (coopbot.Msg, error) {
	n, ok, err := p.neighborhood(ctx, id)
	if err != nil || !ok {
		return coopbot.M("profile.none"), err
	}
	return coopbot.Raw(n.Name(c.Lang())), nil
}

// phoneShown is a phone on file with its middle hidden, or "none".
func phoneShown(phone string) coopbot.Msg {
	if phone == "" {
		return coopbot.M("profile.none")
	}
	return coopbot.Raw(text.MaskedPhone(phone))
}

// langName is a language by its own name.
func langName(l coopbot.Lang) coopbot.Msg {
	if l == coopbot.Azeri {
		return coopbot.M("lang.az.name")
	}
	return coopbot.M("lang.fa.name")
}

// home shows what is on file and what can be done with it.
func (p *profileFlow) home() Step[profile] {
	return Step[profile]{
		Name: "home",
		Ask: func(ctx context.Context, c *Conv, a *profile) (coopbot.Reply, error) {
			nbh, err := p.neighborhoodName(ctx, c, c.Profile.Neighborhood)
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(
				coopbot.M("profile.title"),
				coopbot.M("profile.neighborhood", "Name", nbh),
				coopbot.M("profile.phone", "Phone", phoneShown(c.Profile.Phone)),
				coopbot.M("profile.language", "Lang", langName(c.Lang())),
				coopbot.Raw(""),
				coopbot.M("profile.choose"),
			)
			row := func(label, data string) []coopbot.Button {
				return []coopbot.Button{{Label: coopbot.M(label), Data: data}}
			}
			r.Buttons = [][]coopbot.Button{row("profile.change_neighborhood", "nbh"), row("profile.change_phone", "phone")}
			if c.Profile.Phone != "" {
				r.Buttons = append(r.Buttons, row("profile.remove_phone", "rmphone"))
			}
			r.Buttons = append(r.Buttons, row("profile.change_language", "lang"), row("profile.data", "data"), row("profile.erase", "erase"))
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *profile, in Input) (Next, error) {
			switch in.Choice {
			case "nbh":
				return Goto("nbh_about"), nil
			case "phone":
				return Goto("phone"), nil
			case "rmphone":
				if c.Profile.Phone != "" {
					return Goto("phone_remove"), nil
				}
			case "lang":
				return Start(FlowLanguage, nil), nil
			case "data":
				return Goto("data"), nil
			case "erase":
				return Goto("erase"), nil
			}
			return Retry("profile.use_buttons"), nil
		},
	}
}

// neighborhoodAbout says what a change of neighborhood changes, and what it does not,
// before the list.
func (p *profileFlow) neighborhoodAbout() Step[profile] {
	return Step[profile]{
		Name: "nbh_about",
		Ask: func(ctx context.Context, c *Conv, a *profile) (coopbot.Reply, error) {
			nbh, err := p.neighborhoodName(ctx, c, c.Profile.Neighborhood)
			if err != nil {
				return coopbot.Reply{}, err
			}
			return coopbot.Reply{
				Text:    []coopbot.Msg{coopbot.M("profile.neighborhood.about", "Name", nbh)},
				Buttons: [][]coopbot.Button{{{Label: coopbot.M("profile.neighborhood.choose"), Data: "choose"}}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *profile, in Input) (Next, error) {
			if in.Choice == "choose" {
				return Forward(), nil
			}
			return Retry("profile.use_buttons"), nil
		},
	}
}

func (p *profileFlow) neighborhoodChosen(ctx context.Context, c *Conv, a *profile, n coopbot.Neighborhood) (Next, error) {
	if n.ID == c.Profile.Neighborhood {
		return Retry("profile.neighborhood.same", "Name", n.Name(c.Lang())), nil
	}
	a.Neighborhood = n.ID
	return Forward(), nil
}

// neighborhoodConfirm asks once more, naming both neighborhoods, and moves the resident.
func (p *profileFlow) neighborhoodConfirm() Step[profile] {
	return Step[profile]{
		Name: "nbh_confirm",
		Ask: func(ctx context.Context, c *Conv, a *profile) (coopbot.Reply, error) {
			from, err := p.neighborhoodName(ctx, c, c.Profile.Neighborhood)
			if err != nil {
				return coopbot.Reply{}, err
			}
			to, err := p.neighborhoodName(ctx, c, a.Neighborhood)
			if err != nil {
				return coopbot.Reply{}, err
			}
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("profile.neighborhood.confirm", "From", from, "To", to)},
				Buttons: [][]coopbot.Button{
					{{Label: coopbot.M("profile.neighborhood.yes"), Data: "yes"}},
					{{Label: coopbot.M("profile.neighborhood.no"), Data: "no"}},
				},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *profile, in Input) (Next, error) {
			switch in.Choice {
			case "no":
				return Done(coopbot.Text(coopbot.M("profile.neighborhood.kept"))), nil
			case "yes":
				n, ok, err := p.neighborhood(ctx, a.Neighborhood)
				if err != nil {
					return Next{}, err
				}
				if !ok {
					return Goto("nbh_list").Say(coopbot.Text(coopbot.M("onboarding.neighborhood.unknown"))), nil
				}
				if err := p.d.Store.SetNeighborhood(ctx, c.Profile.ResidentID, n.ID); err != nil {
					return Next{}, err
				}
				c.Profile.Neighborhood = n.ID
				return Done(coopbot.Text(coopbot.M("profile.neighborhood.changed", "Name", n.Name(c.Lang())))), nil
			}
			return Retry("profile.use_buttons"), nil
		},
	}
}

// phone takes a new phone number by the share-contact button: the resident's own only.
func (p *profileFlow) phone() Step[profile] {
	return Step[profile]{
		Name: "phone",
		Ask: func(ctx context.Context, c *Conv, a *profile) (coopbot.Reply, error) {
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("profile.phone.prompt", "Phone", phoneShown(c.Profile.Phone))},
				Keys: [][]coopbot.Button{{{Label: coopbot.M("onboarding.phone.share"), Contact: true}}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *profile, in Input) (Next, error) {
			if in.Kind != KindContact || in.Contact == nil {
				return Retry("profile.phone.use_button"), nil
			}
			if in.Contact.UserID != c.UserID {
				return Retry("onboarding.phone.not_own"), nil
			}
			phone, reason := text.ParseMobile(in.Contact.Phone)
			if reason != text.OK {
				return Retry(string(reason)), nil
			}
			if err := p.d.Store.SetPhone(ctx, c.Profile.ResidentID, phone); err != nil {
				return Next{}, err
			}
			c.Profile.Phone = phone
			return Done(coopbot.Text(coopbot.M("profile.phone.changed", "Phone", phoneShown(phone)))), nil
		},
	}
}

// phoneRemove removes the phone on file, once confirmed.
func (p *profileFlow) phoneRemove() Step[profile] {
	return Step[profile]{
		Name: "phone_remove",
		Ask: func(ctx context.Context, c *Conv, a *profile) (coopbot.Reply, error) {
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("profile.phone.remove_confirm", "Phone", phoneShown(c.Profile.Phone))},
				Buttons: [][]coopbot.Button{
					{{Label: coopbot.M("profile.phone.remove_yes"), Data: "yes"}},
					{{Label: coopbot.M("profile.phone.remove_no"), Data: "no"}},
				},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *profile, in Input) (Next, error) {
			switch in.Choice {
			case "no":
				return Done(coopbot.Text(coopbot.M("profile.phone.kept"))), nil
			case "yes":
				if err := p.d.Store.SetPhone(ctx, c.Profile.ResidentID, ""); err != nil {
					return Next{}, err
				}
				c.Profile.Phone = ""
				return Done(coopbot.Text(coopbot.M("profile.phone.removed"))), nil
			}
			return Retry("profile.use_buttons"), nil
		},
	}
}

// data says in plain words what the office holds about the resident.
func (p *profileFlow) data() Step[profile] {
	return Step[profile]{
		Name: "data",
		Ask: func(ctx context.Context, c *Conv, a *profile) (coopbot.Reply, error) {
			s, err := p.d.Store.DataSummary(ctx, c.Profile.ResidentID)
			if err != nil {
				return coopbot.Reply{}, err
			}
			lines, err := p.summary(ctx, c, s)
			if err != nil {
				return coopbot.Reply{}, err
			}
			return coopbot.Reply{Text: lines,
				Buttons: [][]coopbot.Button{{{Label: coopbot.M("profile.erase"), Data: "erase"}}}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *profile, in Input) (Next, error) {
			if in.Choice == "erase" {
				return Goto("erase"), nil
			}
			return Retry("profile.use_buttons"), nil
		},
	}
}

// summary is the data summary's paragraphs: residency, requests, enrolments, reports.
func (p *profileFlow) summary(ctx context.Context, c *Conv, s *coopbot.DataSummary) ([]coopbot.Msg, error) {
	lang := c.Lang()
	nbh, err := p.neighborhoodName(ctx, c, s.NeighborhoodID)
	if err != nil {
		return nil, err
	}
	out := []coopbot.Msg{
		coopbot.M("profile.data.title"), coopbot.Raw(""),
		coopbot.M("profile.data.residency", "Date", text.Date(s.Since), "Neighborhood", nbh, "Lang", langName(s.Lang)),
	}
	if s.Name != "" {
		out = append(out, coopbot.M("profile.data.name", "Name", text.Isolate(s.Name)))
	}
	out = append(out, coopbot.M("profile.data.phone", "Phone", phoneShown(s.Phone)), coopbot.Raw(""))

	n := len(s.Requests)
	if n == 0 {
		out = append(out, coopbot.M("profile.data.requests_none"))
	} else {
		out = append(out, coopbot.M("profile.data.requests", "Count", text.Number(int64(n))).WithCount(n))
		for _, r := range s.Requests[:min(n, summaryShown)] {
			out = append(out, coopbot.M("profile.data.request", "ID", recordNo(r.ID), "Coop", r.Cooperative.Name(lang),
				"Status", coopbot.M(joinStatusMsg[r.Status]), "Date", text.Date(r.CreatedAt)))
		}
		out = append(out, more(n)...)
		out = append(out, coopbot.M("profile.data.requests_hold"))
	}
	out = append(out, coopbot.Raw(""))

	n = len(s.Enrollments)
	if n == 0 {
		out = append(out, coopbot.M("profile.data.enrolments_none"))
	} else {
		out = append(out, coopbot.M("profile.data.enrolments", "Count", text.Number(int64(n))).WithCount(n))
		now := p.d.Now()
		for _, e := range s.Enrollments[:min(n, summaryShown)] {
			out = append(out, coopbot.M("profile.data.enrolment", "Title", text.Isolate(e.Training.Title(lang)),
				"Date", text.Date(e.Training.StartsAt), "Status", coopbot.M(enrolmentState(e, now))))
		}
		out = append(out, more(n)...)
	}
	out = append(out, coopbot.Raw(""))

	n = len(s.Reports)
	if n == 0 {
		out = append(out, coopbot.M("profile.data.reports_none"))
	} else {
		out = append(out, coopbot.M("profile.data.reports", "Count", text.Number(int64(n))).WithCount(n))
		for _, r := range s.Reports[:min(n, summaryShown)] {
			out = append(out, coopbot.M("profile.data.report", "Code", text.FaDigits(r.Code),
				"Category", coopbot.M("need.catshort."+r.Category), "Status", coopbot.M("need.status."+r.Status),
				"Date", text.Date(r.CreatedAt)))
		}
		out = append(out, more(n)...)
		out = append(out, coopbot.M("profile.data.reports_hold"))
	}
	return append(out, coopbot.Raw(""), coopbot.M("profile.data.footer")), nil
}

// more counts what a list of n left out.
func more(n int) []coopbot.Msg {
	if n <= summaryShown {
		return nil
	}
	return []coopbot.Msg{coopbot.M("profile.data.more", "Count", text.Number(int64(n-summaryShown))).WithCount(n - summaryShown)}
}

// enrolmentState is where an enrolment stands, as the data summary says it.
func enrolmentState(e coopbot.Enrollment, now time.Time) string {
	switch {
	case e.Status == coopbot.EnrollmentCancelled:
		return "profile.data.enrol.cancelled"
	case e.Training.Status == coopbot.TrainingCancelled:
		return "profile.data.enrol.training_cancelled"
	case e.Status == coopbot.EnrollmentWaitlisted:
		return "profile.data.enrol.waitlisted"
	case e.Training.Started(now):
		return "profile.data.enrol.held"
	}
	return "profile.data.enrol.confirmed"
}

// erase explains what deleting the resident's data does, and does it once the resident
// presses the button that says so.
func (p *profileFlow) erase() Step[profile] {
	return Step[profile]{
		Name: "erase",
		Ask: func(ctx context.Context, c *Conv, a *profile) (coopbot.Reply, error) {
			lines := []coopbot.Msg{coopbot.M("profile.erase.explain")}
			if c.Profile.Role != "" || c.Profile.CoopAdmin {
				lines = append(lines, coopbot.M("profile.erase.roles"))
			}
			lines = append(lines, coopbot.M("profile.erase.final"))
			return coopbot.Reply{Text: lines, Buttons: [][]coopbot.Button{
				{{Label: coopbot.M("profile.erase.yes"), Data: "erase"}},
				{{Label: coopbot.M("profile.erase.no"), Data: "keep"}},
			}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *profile, in Input) (Next, error) {
			switch in.Choice {
			case "keep":
				return Done(coopbot.Text(coopbot.M("profile.erase.kept"))), nil
			case "erase":
				res, err := p.d.Store.EraseResident(ctx, c.Profile.ResidentID)
				if err != nil {
					return Next{}, err
				}
				lines := []coopbot.Msg{coopbot.M("profile.erase.done")}
				if res.Withdrawn > 0 {
					lines = append(lines, coopbot.M("profile.erase.withdrawn", "Count", text.Number(int64(res.Withdrawn))).WithCount(res.Withdrawn))
				}
				if res.Cancelled > 0 {
					lines = append(lines, coopbot.M("profile.erase.cancelled", "Count", text.Number(int64(res.Cancelled))).WithCount(res.Cancelled))
				}
				return Forget(coopbot.Text(append(lines, coopbot.M("profile.erase.again"))...)), nil
			}
			return Retry("profile.use_buttons"), nil
		},
	}
}
