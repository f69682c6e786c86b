package flows

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"coopbot"
	"coopbot/text"
)

// Broadcasts: staff (and neighborhood managers, for their own neighborhood) send an
// announcement to an audience of residents. The wizard asks for the audience, the text
// in Persian and Azeri (or one text for all), an optional later start, shows a preview
// with the recipient counts and, on confirm, has the store queue one delivery per
// recipient. The broadcast runner (package broadcaster) sends them at the platform's rate
// and edits the preview message into the progress message. This file has the audience
// and the texts; broadcast_send.go the start, the preview and confirm, the progress
// message (BroadcastMessages), its Cancel button and the final report (a notice).

// BroadcastStore keeps broadcasts and their deliveries.
type BroadcastStore interface {
	// AudienceCounts counts the reachable residents of an audience per platform and language.
	AudienceCounts(ctx context.Context, a coopbot.Audience) ([]coopbot.AudienceCount, error)
	// AudienceCooperatives lists the active cooperatives with their approved members.
	AudienceCooperatives(ctx context.Context) ([]coopbot.AudienceChoice, error)
	// AudienceTrainings lists the trainings of the last month and to come that have
	// enrollees (confirmed or wait-listed), soonest first.
	AudienceTrainings(ctx context.Context) ([]coopbot.AudienceChoice, error)
	// CreateBroadcast queues the broadcast and one delivery per recipient in one
	// transaction; it returns the broadcast's id and its recipient count.
	CreateBroadcast(ctx context.Context, b coopbot.NewBroadcast) (id int64, total int, err error)
	// BroadcastStatus returns a broadcast's counts (not_found when there is none).
	BroadcastStatus(ctx context.Context, id int64) (*coopbot.BroadcastStatus, error)
	// CancelBroadcast stops a scheduled or running broadcast: nothing not yet on its way is
	// sent. A broadcast that already ended is a conflict.
	CancelBroadcast(ctx context.Context, id, by int64) (*coopbot.BroadcastStatus, error)
}

// FlowBroadcast is the staff wizard.
const FlowBroadcast = "broadcast"

// broadcastCancelAction is the progress message's Cancel button: "a:bcx:<id>".
const broadcastCancelAction = "bcx"

// Broadcast limits.
const (
	maxBroadcastText    = 4096 // Telegram's limit for one message, UTF-16 code units
	maxBroadcastAhead   = 90 * 24 * time.Hour
	broadcastChoicePage = 8
)

// bcMode is how the texts are written.
type bcMode string

const (
	bcBoth bcMode = "both" // a Persian and an Azeri text
	bcOne  bcMode = "one"  // one text for everyone
	bcLang bcMode = "lang" // the one language the audience speaks
)

// broadcast is what the staff member chose so far.
type broadcast struct {
	Audience coopbot.Audience         `json:"aud"`
	Mode     bcMode                   `json:"mode,omitempty"`
	Fa       string                   `json:"fa,omitempty"`
	Az       string                   `json:"az,omitempty"`
	One      string                   `json:"one,omitempty"`
	File     *coopbot.File            `json:"file,omitempty"`  // sent with the text as its caption
	Button   *coopbot.BroadcastButton `json:"btn,omitempty"`   // under the announcement
	Day      string                   `json:"day,omitempty"`   // a later start's Jalali day, "1404/09/17"
	Start    int64                    `json:"start,omitempty"` // a later start (Unix seconds); 0: at once
}

// texts are what Persian and Azeri readers get ("" for a language not addressed).
func (a *broadcast) texts() (fa, az string) {
	switch {
	case a.Mode == bcOne:
		return a.One, a.One
	case a.Mode == bcLang && a.Audience.Lang == coopbot.Azeri:
		return "", a.Az
	case a.Mode == bcLang:
		return a.Fa, ""
	}
	return a.Fa, a.Az
}

func broadcastFeature(d Deps) feature {
	w := &bcWizard{d: d}
	form := Form[broadcast]{
		Fields: []Field[broadcast]{
			{Step: w.audienceStep(), Review: w.reviewAudience},
			{Step: w.neighborhoodList().Step()},
			{Step: w.choiceList("cooperative", d.Store.AudienceCooperatives,
				"broadcast.cooperative.prompt", "broadcast.cooperative.none", "broadcast.cooperative.invalid").Step()},
			{Step: w.choiceList("training", d.Store.AudienceTrainings,
				"broadcast.training.prompt", "broadcast.training.none", "broadcast.training.invalid").Step()},
			{Step: w.langStep()},
			{Step: w.modeStep()},
			{Step: w.textStep("text_fa", "broadcast.text.prompt_fa", func(a *broadcast) *string { return &a.Fa })},
			{Step: w.textStep("text_az", "broadcast.text.prompt_az", func(a *broadcast) *string { return &a.Az })},
			{Step: w.textStep("text_one", "broadcast.text.prompt_one", func(a *broadcast) *string { return &a.One })},
			{Step: w.fileStep(), Review: w.reviewFile},
			{Step: w.buttonStep(), Review: w.reviewButton},
			{Step: w.buttonTrainingList().Step()},
			{Step: w.buttonCoopList().Step()},
			{Step: w.whenStep(), Review: w.reviewWhen},
			{Step: w.dateStep()},
			{Step: w.gregorianStep()},
			{Step: w.clockStep()},
		},
		Title:       "broadcast.preview.title",
		SubmitLabel: "broadcast.confirm",
		Check:       w.check,
		Submit:      w.submit,
		Invalid:     "broadcast.preview.invalid",
	}
	f := &Flow[broadcast]{Name: FlowBroadcast, Gate: w.gate, Steps: form.Steps()}
	return feature{
		flows: []flowDef{f},
		actions: map[string]Action{broadcastCancelAction: w.cancel,
			bcTrainingAction: w.openTraining, bcJoinAction: w.openJoin, bcAnnounceAction: w.announceTraining},
		menu: []MenuItem{{Label: "broadcast.menu", Value: FlowBroadcast, Visible: staffOnly, Open: func(ctx context.Context, c *Conv) (Next, error) {
			s, err := w.staff(ctx, c, "broadcast_open")
			if err != nil || s == nil {
				return Done(coopbot.Text(coopbot.M("broadcast.denied"))), err
			}
			return Start(FlowBroadcast, nil), nil
		}}},
	}
}

type bcWizard struct{ d Deps }

// staff re-checks on the server that the person may broadcast; a denied attempt is
// audited as action and gives nil.
func (w *bcWizard) staff(ctx context.Context, c *Conv, action string) (*coopbot.Staff, error) {
	s, err := w.d.Store.Staff(ctx, c.Profile.ResidentID)
	if err != nil {
		return nil, err
	}
	if !MayBroadcast(s) {
		return nil, w.d.Store.Audit(ctx, c.Profile.ResidentID, action, "", false, nil)
	}
	return s, nil
}

// gate re-checks the role before each question and answer, so that someone who lost it
// (taken out of ADMINS, say) while the wizard was open goes no further than their next
// press (recorded as a refused broadcast_create).
func (w *bcWizard) gate(ctx context.Context, c *Conv) (*coopbot.Msg, error) {
	s, err := w.staff(ctx, c, "broadcast_create")
	if err != nil || s == nil {
		return &coopbot.Msg{ID: "broadcast.denied"}, err
	}
	c.Staff = s
	return nil, nil
}

func manager(c *Conv) bool { return c.Staff.Role == coopbot.RoleNeighborhoodManager }

func (w *bcWizard) neighborhoods(ctx context.Context, c *Conv) ([]coopbot.Neighborhood, error) {
	all, err := w.d.Store.Neighborhoods(ctx)
	if err != nil {
		return nil, err
	}
	all = slices.Clone(all)
	text.SortFunc(text.Lang(c.Lang()), all, func(n coopbot.Neighborhood) string { return n.Name(c.Lang()) })
	return all, nil
}

// chosen moves on once the audience is complete: to next, unless nobody reachable is in
// it (the same question again, saying so).
func (w *bcWizard) chosen(ctx context.Context, a *broadcast, next string) (Next, error) {
	counts, err := w.d.Store.AudienceCounts(ctx, a.Audience)
	if err != nil {
		return Next{}, err
	}
	if bcTotal(counts) == 0 {
		return Retry("broadcast.audience.empty"), nil
	}
	return Goto(next), nil
}

func bcTotal(counts []coopbot.AudienceCount) int {
	n := 0
	for _, ac := range counts {
		n += ac.Residents
	}
	return n
}

// choose starts an audience of kind, keeping what was picked for it before (Back).
func (a *broadcast) choose(kind coopbot.AudienceKind) {
	if a.Audience.Kind != kind {
		a.Audience = coopbot.Audience{Kind: kind}
	}
}

func (w *bcWizard) audienceStep() Step[broadcast] {
	return Step[broadcast]{
		Name: "audience",
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("broadcast.audience.prompt"))
			if manager(c) {
				n, err := w.neighborhood(ctx, c.Staff.NeighborhoodID)
				if err != nil {
					return r, err
				}
				r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("broadcast.audience.own", "Name", n), Data: "own"}}}
				return r, nil
			}
			kinds, err := AudienceKinds(ctx, w.d.Store, c.Staff)
			if err != nil {
				return r, err
			}
			for _, k := range kinds {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.audience." + string(k)), Data: string(k)}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			if manager(c) {
				if in.Choice != "own" {
					return Retry("broadcast.audience.invalid"), nil
				}
				a.Audience = coopbot.Audience{Kind: coopbot.AudienceNeighborhoods, IDs: []int64{c.Staff.NeighborhoodID}}
				return w.chosen(ctx, a, "mode")
			}
			switch kind := coopbot.AudienceKind(in.Choice); kind {
			case coopbot.AudienceAll:
				a.choose(kind)
				return w.chosen(ctx, a, "mode")
			case coopbot.AudienceNeighborhoods, coopbot.AudienceCooperative, coopbot.AudienceTraining, coopbot.AudienceLang:
				a.choose(kind)
				return Goto(map[coopbot.AudienceKind]string{coopbot.AudienceNeighborhoods: "neighborhoods",
					coopbot.AudienceCooperative: "cooperative", coopbot.AudienceTraining: "training", coopbot.AudienceLang: "lang"}[kind]), nil
			}
			return Retry("broadcast.audience.invalid"), nil
		},
	}
}

// neighborhood returns a neighborhood's names.
func (w *bcWizard) neighborhood(ctx context.Context, id int64) (coopbot.Names, error) {
	all, err := w.d.Store.Neighborhoods(ctx)
	if err != nil {
		return coopbot.Names{}, err
	}
	if i := slices.IndexFunc(all, func(n coopbot.Neighborhood) bool { return n.ID == id }); i >= 0 {
		return coopbot.Names{Fa: all[i].NameFa, Az: all[i].NameAz}, nil
	}
	return coopbot.Names{}, &coopbot.Error{Code: coopbot.ENotFound, Err: errors.New("neighborhood " + strconv.FormatInt(id, 10))}
}

// neighborhoodList ticks neighborhoods on and off (by button or typed name) and goes on
// with at least one ticked.
func (w *bcWizard) neighborhoodList() List[broadcast, coopbot.Neighborhood] {
	l := neighborhoodList(w.d, "neighborhoods", func(ctx context.Context, c *Conv, a *broadcast, n coopbot.Neighborhood) (Next, error) {
		ids := a.Audience.IDs
		if i := slices.Index(ids, n.ID); i >= 0 {
			a.Audience.IDs = slices.Delete(slices.Clone(ids), i, i+1)
		} else {
			a.Audience.IDs = append(ids, n.ID)
		}
		// Show the page the neighborhood is on, with its tick.
		all, err := w.neighborhoods(ctx, c)
		if i := slices.IndexFunc(all, func(o coopbot.Neighborhood) bool { return o.ID == n.ID }); i >= 0 {
			c.ShowPage(i / neighborhoodsPerPage)
		}
		return Again(), err
	})
	l.Title = func(ctx context.Context, c *Conv, a *broadcast, total int) ([]coopbot.Msg, error) {
		all, err := w.neighborhoods(ctx, c)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, n := range all {
			if slices.Contains(a.Audience.IDs, n.ID) {
				names = append(names, n.Name(c.Lang()))
			}
		}
		if len(names) == 0 {
			return []coopbot.Msg{coopbot.M("broadcast.neighborhoods.prompt"), coopbot.M("broadcast.neighborhoods.none")}, nil
		}
		return []coopbot.Msg{coopbot.M("broadcast.neighborhoods.prompt"),
			coopbot.M("broadcast.neighborhoods.chosen", "Names", rawList(names)).WithCount(len(names))}, nil
	}
	l.Show = func(c *Conv, a *broadcast, n coopbot.Neighborhood) ([]coopbot.Msg, coopbot.Msg) {
		if slices.Contains(a.Audience.IDs, n.ID) {
			return nil, coopbot.Raw("✅ " + n.Name(c.Lang()))
		}
		return nil, coopbot.Raw(n.Name(c.Lang()))
	}
	l.Loose = "" // a typed name ticks what it matched, shown in the list
	l.Unmatched, l.Several = "broadcast.neighborhoods.not_found", "broadcast.neighborhoods.several"
	l.Gone, l.Invalid = "broadcast.neighborhoods.invalid", "broadcast.neighborhoods.invalid"
	more, other := l.More, l.Other
	l.More = func(ctx context.Context, c *Conv, a *broadcast) ([]coopbot.Button, error) {
		b, err := more(ctx, c, a)
		if len(a.Audience.IDs) > 0 {
			b = append(b, coopbot.Button{Label: coopbot.M("broadcast.neighborhoods.continue"), Data: "done"})
		}
		return b, err
	}
	l.Other = func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, bool, error) {
		if in.Choice != "done" {
			return other(ctx, c, a, in)
		}
		if len(a.Audience.IDs) == 0 {
			return Retry("broadcast.neighborhoods.empty"), true, nil
		}
		next, err := w.chosen(ctx, a, "mode")
		return next, true, err
	}
	return l
}

// choiceList picks the one cooperative or training of the audience.
func (w *bcWizard) choiceList(name string, list func(context.Context) ([]coopbot.AudienceChoice, error), prompt, none, invalid string) List[broadcast, coopbot.AudienceChoice] {
	return List[broadcast, coopbot.AudienceChoice]{
		Name:    name,
		PerPage: broadcastChoicePage,
		Items: func(ctx context.Context, c *Conv, a *broadcast, page, per int) ([]coopbot.AudienceChoice, int, error) {
			all, err := list(ctx)
			all = filtered(c, all, choiceNames)
			return pageItems(all, page, per), len(all), err
		},
		// A name typed (in either language) picks the one it matches, or narrows the list.
		Match: func(ctx context.Context, c *Conv, a *broadcast, typed string) ([]coopbot.AudienceChoice, bool, error) {
			all, err := list(ctx)
			found, exact := matchByName(all, typed, choiceNames)
			return found, exact, err
		},
		Unmatched: "broadcast.choice.not_found",
		Title: func(ctx context.Context, c *Conv, a *broadcast, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return []coopbot.Msg{coopbot.M(none)}, nil
			}
			return []coopbot.Msg{coopbot.M(prompt)}, nil
		},
		Show: func(c *Conv, a *broadcast, ch coopbot.AudienceChoice) ([]coopbot.Msg, coopbot.Msg) {
			label := ch.Name(c.Lang())
			if !ch.At.IsZero() {
				label += " — " + text.Date(ch.At)
			}
			return nil, coopbot.Raw(label + " (" + text.Number(int64(ch.Members)) + ")")
		},
		ID: func(ch coopbot.AudienceChoice) int64 { return ch.ID },
		Find: func(ctx context.Context, c *Conv, a *broadcast, id int64) (coopbot.AudienceChoice, bool, error) {
			all, err := list(ctx)
			i := slices.IndexFunc(all, func(ch coopbot.AudienceChoice) bool { return ch.ID == id })
			if err != nil || i < 0 {
				return coopbot.AudienceChoice{}, false, err
			}
			return all[i], true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *broadcast, ch coopbot.AudienceChoice) (Next, error) {
			a.Audience.IDs = []int64{ch.ID}
			return w.chosen(ctx, a, "mode")
		},
		Gone:    invalid,
		Invalid: invalid,
	}
}

func (w *bcWizard) langStep() Step[broadcast] {
	return Step[broadcast]{
		Name: "lang",
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("broadcast.lang.prompt")}, Buttons: langButtons}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			l, ok := langChoice(in)
			if !ok {
				return Retry("broadcast.lang.invalid"), nil
			}
			// Only one language is addressed: only its text is asked for.
			a.Audience.Lang, a.Mode = l, bcLang
			if l == coopbot.Azeri {
				return w.chosen(ctx, a, "text_az")
			}
			return w.chosen(ctx, a, "text_fa")
		},
	}
}

func (w *bcWizard) modeStep() Step[broadcast] {
	return Step[broadcast]{
		Name: "mode",
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("broadcast.mode.prompt")}, Buttons: [][]coopbot.Button{
				{{Label: coopbot.M("broadcast.mode.both"), Data: string(bcBoth)}},
				{{Label: coopbot.M("broadcast.mode.one"), Data: string(bcOne)}},
			}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			switch bcMode(in.Choice) {
			case bcBoth:
				a.Mode = bcBoth
				return Goto("text_fa"), nil
			case bcOne:
				a.Mode = bcOne
				return Goto("text_one"), nil
			}
			return Retry("broadcast.mode.invalid"), nil
		},
	}
}

// textStep asks for the announcement's text in one language (or one text for all).
func (w *bcWizard) textStep(name, prompt string, field func(a *broadcast) *string) Step[broadcast] {
	next := func(a *broadcast) Next {
		if name == "text_fa" && a.Mode == bcBoth {
			return Goto("text_az")
		}
		return Goto("file")
	}
	return Step[broadcast]{
		Name: name,
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M(prompt))
			if *field(a) != "" {
				// Back to a text written before: offer to keep it.
				r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("broadcast.text.keep"), Data: "keep"}}}
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			if in.Choice == "keep" && *field(a) != "" {
				return next(a), nil
			}
			if in.Kind != KindText {
				return Retry("broadcast.text.not_text"), nil
			}
			s, bad := BroadcastText(in.Raw, a.File != nil)
			if bad != nil {
				return RetryMsg(*bad), nil
			}
			*field(a) = s
			return next(a), nil
		},
	}
}
