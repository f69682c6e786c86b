package flows

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"coopbot"
	"coopbot/text"
)

// What an announcement may carry besides its text: a photo or a document (sent by the
// platform's file id, the text as its caption) and a button that opens, for whoever
// presses it, a training's sign-up or a cooperative's membership form. The wizard asks
// for both after the texts (each can be skipped) and the preview shows them. The button
// is an action outside any conversation (a:bct:<training>, a:bcj:<cooperative>) that
// checks, when pressed, that the training or cooperative is still open. After staff
// publish a training they are offered, in one press (a:bca:<training>), the broadcast
// to its neighborhood prepared: its announcement in both languages with the sign-up
// button, at the preview.

// Actions of announcements.
const (
	bcTrainingAction = "bct" // a recipient opens a training's sign-up: "a:bct:<id>"
	bcJoinAction     = "bcj" // a recipient opens a cooperative's form: "a:bcj:<id>"
	bcAnnounceAction = "bca" // staff prepare the announcement of a training: "a:bca:<id>"
)

// bcButtonTrainings bounds the trainings offered for a button (upcoming ones, read at once).
const bcButtonTrainings = 200

// caption reports whether the texts fit a file's caption.
func (a *broadcast) captionFits() bool {
	fa, az := a.texts()
	return utf16Len(fa) <= coopbot.MaxCaption && utf16Len(az) <= coopbot.MaxCaption
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// fileStep takes a photo or a document to send with the text, or none.
func (w *bcWizard) fileStep() Step[broadcast] {
	return Step[broadcast]{
		Name: "file",
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("broadcast.file.prompt", "Max", text.Number(coopbot.MaxCaption)))
			if a.File != nil {
				r.Text = append(r.Text, bcFileLine(a.File))
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.file.keep"), Data: "keep"}})
			}
			r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.file.none"), Data: "none"}})
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			switch {
			case in.Choice == "keep" && a.File != nil:
				return Goto("button"), nil
			case in.Choice == "none":
				a.File = nil
				return Goto("button"), nil
			case in.Kind != KindFile || in.File == nil || in.File.Platform != c.Platform:
				return Retry("broadcast.file.invalid"), nil
			case !a.captionFits():
				return Retry("broadcast.file.text_too_long", "Max", text.Number(coopbot.MaxCaption)), nil
			}
			f := *in.File
			a.File = &f
			return Goto("button"), nil
		},
	}
}

// matchByName finds items by a name typed in either language, loosely: those whose whole
// name matches (exact), else those whose name contains it.
func matchByName[T any](list []T, typed string, names func(T) (fa, az string)) (found []T, exact bool) {
	key := text.Key(typed)
	if key == "" {
		return nil, false
	}
	var partial []T
	for _, it := range list {
		fa, az := names(it)
		fk, ak := labelKey(fa), labelKey(az)
		switch {
		case fk == key || ak == key:
			found = append(found, it)
		case strings.Contains(fk, key) || ak != "" && strings.Contains(ak, key):
			partial = append(partial, it)
		}
	}
	if len(found) > 0 {
		return found, true
	}
	return partial, false
}

// filtered is list narrowed to a typed filter (c.Query) when there is one.
func filtered[T any](c *Conv, list []T, names func(T) (fa, az string)) []T {
	if q := c.Query(); q != "" {
		list, _ = matchByName(list, q, names)
	}
	return list
}

func trainingNames(t coopbot.Training) (string, string)      { return t.TitleFa, t.TitleAz }
func coopNames(co coopbot.Cooperative) (string, string)      { return co.NameFa, co.NameAz }
func choiceNames(ch coopbot.AudienceChoice) (string, string) { return ch.NameFa, ch.NameAz }

// bcFileLine names the attached file on the preview.
func bcFileLine(f *coopbot.File) coopbot.Msg {
	if f.Kind == coopbot.FilePhoto {
		return coopbot.M("broadcast.preview.photo")
	}
	name := f.Name
	if name == "" {
		name = "—"
	}
	return coopbot.M("broadcast.preview.document", "Name", text.Isolate(name))
}

// reviewFile is the preview's line on the file.
func (w *bcWizard) reviewFile(ctx context.Context, c *Conv, a *broadcast) ([]coopbot.Msg, error) {
	if a.File == nil {
		return nil, nil
	}
	return []coopbot.Msg{bcFileLine(a.File)}, nil
}

// buttonTrainings are the trainings a button may open: published, not started, in the
// audience's neighborhoods (any, for an audience not made of neighborhoods).
func (w *bcWizard) buttonTrainings(ctx context.Context, a *broadcast) ([]coopbot.Training, error) {
	all, _, err := w.d.Store.UpcomingTrainings(ctx, 0, 0, bcButtonTrainings)
	if err != nil || a.Audience.Kind != coopbot.AudienceNeighborhoods {
		return all, err
	}
	return slices.DeleteFunc(slices.Clone(all), func(t coopbot.Training) bool {
		return !slices.Contains(a.Audience.IDs, t.NeighborhoodID)
	}), nil
}

// buttonCooperatives are the cooperatives a button may open (the active ones), by name.
func (w *bcWizard) buttonCooperatives(ctx context.Context, c *Conv) ([]coopbot.Cooperative, error) {
	all, err := w.d.Store.JoinCooperatives(ctx)
	if err != nil {
		return nil, err
	}
	all = slices.Clone(all)
	text.SortFunc(text.Lang(c.Lang()), all, func(co coopbot.Cooperative) string { return co.Name(c.Lang()) })
	return all, nil
}

// buttonStep asks whether a button goes under the announcement, and which kind.
func (w *bcWizard) buttonStep() Step[broadcast] {
	return Step[broadcast]{
		Name: "button",
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("broadcast.button.prompt"))
			if a.Button != nil {
				line, err := w.buttonLine(ctx, c, *a.Button)
				if err != nil {
					return r, err
				}
				r.Text = append(r.Text, line)
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.button.keep"), Data: "keep"}})
			}
			trainings, err := w.buttonTrainings(ctx, a)
			if err != nil {
				return r, err
			}
			if len(trainings) > 0 {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.button.training"), Data: string(coopbot.ButtonTraining)}})
			}
			coops, err := w.buttonCooperatives(ctx, c)
			if err != nil {
				return r, err
			}
			if len(coops) > 0 {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.button.cooperative"), Data: string(coopbot.ButtonCooperative)}})
			}
			r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.button.none"), Data: "none"}})
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			switch in.Choice {
			case "keep":
				if a.Button != nil {
					return Goto("when"), nil
				}
			case "none":
				a.Button = nil
				return Goto("when"), nil
			case string(coopbot.ButtonTraining):
				return Goto("button_training"), nil
			case string(coopbot.ButtonCooperative):
				return Goto("button_coop"), nil
			}
			return Retry("broadcast.button.invalid"), nil
		},
	}
}

// buttonTrainingList picks the training whose sign-up the button opens.
func (w *bcWizard) buttonTrainingList() List[broadcast, coopbot.Training] {
	return List[broadcast, coopbot.Training]{
		Name:    "button_training",
		PerPage: broadcastChoicePage,
		Items: func(ctx context.Context, c *Conv, a *broadcast, page, per int) ([]coopbot.Training, int, error) {
			all, err := w.buttonTrainings(ctx, a)
			all = filtered(c, all, trainingNames)
			return pageItems(all, page, per), len(all), err
		},
		Match: func(ctx context.Context, c *Conv, a *broadcast, typed string) ([]coopbot.Training, bool, error) {
			all, err := w.buttonTrainings(ctx, a)
			found, exact := matchByName(all, typed, trainingNames)
			return found, exact, err
		},
		Unmatched: "broadcast.choice.not_found",
		Title: func(ctx context.Context, c *Conv, a *broadcast, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return []coopbot.Msg{coopbot.M("broadcast.button.training_none")}, nil
			}
			return []coopbot.Msg{coopbot.M("broadcast.button.training_prompt")}, nil
		},
		Show: func(c *Conv, a *broadcast, t coopbot.Training) ([]coopbot.Msg, coopbot.Msg) {
			return nil, coopbot.Raw(text.Shorten(t.Title(c.Lang()), 40) + " — " + text.Date(t.StartsAt))
		},
		ID: func(t coopbot.Training) int64 { return t.ID },
		Find: func(ctx context.Context, c *Conv, a *broadcast, id int64) (coopbot.Training, bool, error) {
			all, err := w.buttonTrainings(ctx, a)
			i := slices.IndexFunc(all, func(t coopbot.Training) bool { return t.ID == id })
			if err != nil || i < 0 {
				return coopbot.Training{}, false, err
			}
			return all[i], true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *broadcast, t coopbot.Training) (Next, error) {
			a.Button = &coopbot.BroadcastButton{Kind: coopbot.ButtonTraining, ID: t.ID}
			return Goto("when"), nil
		},
		Gone:    "broadcast.button.gone",
		Invalid: "broadcast.button.invalid",
	}
}

// buttonCoopList picks the cooperative whose membership form the button opens.
func (w *bcWizard) buttonCoopList() List[broadcast, coopbot.Cooperative] {
	return List[broadcast, coopbot.Cooperative]{
		Name:    "button_coop",
		PerPage: broadcastChoicePage,
		Items: func(ctx context.Context, c *Conv, a *broadcast, page, per int) ([]coopbot.Cooperative, int, error) {
			all, err := w.buttonCooperatives(ctx, c)
			all = filtered(c, all, coopNames)
			return pageItems(all, page, per), len(all), err
		},
		Match: func(ctx context.Context, c *Conv, a *broadcast, typed string) ([]coopbot.Cooperative, bool, error) {
			all, err := w.buttonCooperatives(ctx, c)
			found, exact := matchByName(all, typed, coopNames)
			return found, exact, err
		},
		Unmatched: "broadcast.choice.not_found",
		Title: func(ctx context.Context, c *Conv, a *broadcast, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return []coopbot.Msg{coopbot.M("broadcast.button.coop_none")}, nil
			}
			return []coopbot.Msg{coopbot.M("broadcast.button.coop_prompt")}, nil
		},
		Show: func(c *Conv, a *broadcast, co coopbot.Cooperative) ([]coopbot.Msg, coopbot.Msg) {
			return nil, coopbot.Raw(text.Shorten(co.Name(c.Lang()), 50))
		},
		ID: func(co coopbot.Cooperative) int64 { return co.ID },
		Find: func(ctx context.Context, c *Conv, a *broadcast, id int64) (coopbot.Cooperative, bool, error) {
			all, err := w.buttonCooperatives(ctx, c)
			i := slices.IndexFunc(all, func(co coopbot.Cooperative) bool { return co.ID == id })
			if err != nil || i < 0 {
				return coopbot.Cooperative{}, false, err
			}
			return all[i], true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *broadcast, co coopbot.Cooperative) (Next, error) {
			a.Button = &coopbot.BroadcastButton{Kind: coopbot.ButtonCooperative, ID: co.ID}
			return Goto("when"), nil
		},
		Gone:    "broadcast.button.gone",
		Invalid: "broadcast.button.invalid",
	}
}

// buttonLine says what a button opens, for staff (the preview, the button question).
func (w *bcWizard) buttonLine(ctx context.Context, c *Conv, b coopbot.BroadcastButton) (coopbot.Msg, error) {
	if b.Kind == coopbot.ButtonCooperative {
		all, err := w.d.Store.JoinCooperatives(ctx)
		if err != nil {
			return coopbot.Msg{}, err
		}
		if i := slices.IndexFunc(all, func(co coopbot.Cooperative) bool { return co.ID == b.ID }); i >= 0 {
			return coopbot.M("broadcast.preview.button_coop", "Name", coopbot.Names{Fa: all[i].NameFa, Az: all[i].NameAz}), nil
		}
		return coopbot.M("broadcast.button.gone"), nil
	}
	t, err := w.d.Store.Training(ctx, b.ID)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return coopbot.M("broadcast.button.gone"), nil
	}
	if err != nil {
		return coopbot.Msg{}, err
	}
	return coopbot.M("broadcast.preview.button_training", "Name", coopbot.Names{Fa: t.TitleFa, Az: t.TitleAz}, "Date", text.Date(t.StartsAt)), nil
}

// reviewButton is the preview's line on the button.
func (w *bcWizard) reviewButton(ctx context.Context, c *Conv, a *broadcast) ([]coopbot.Msg, error) {
	if a.Button == nil {
		return nil, nil
	}
	line, err := w.buttonLine(ctx, c, *a.Button)
	return []coopbot.Msg{line}, err
}

// bcButtons is the announcement's button as residents get it.
func bcButtons(b *coopbot.BroadcastButton) [][]coopbot.Button {
	if b == nil || !b.Valid() {
		return nil
	}
	label, action := "broadcast.button.signup", bcTrainingAction
	if b.Kind == coopbot.ButtonCooperative {
		label, action = "broadcast.button.join", bcJoinAction
	}
	return [][]coopbot.Button{{{Label: coopbot.M(label), Data: "a:" + action + ":" + strconv.FormatInt(b.ID, 10)}}}
}

// Announcement is what a reader of l gets of a broadcast with a file or a button: the
// text (as the file's caption) and the button.
func (BroadcastMessages) Announcement(b *coopbot.RunningBroadcast, l coopbot.Lang) coopbot.Reply {
	return coopbot.Reply{Text: []coopbot.Msg{coopbot.Raw(b.Text(l))}, File: b.File, Buttons: bcButtons(b.Button)}
}

// actionID reads an action's argument: a positive record id.
func actionID(args string) (int64, bool) {
	id, err := strconv.ParseInt(args, 10, 64)
	return id, err == nil && id > 0
}

// closed answers a press on a button whose training or cooperative is no longer open:
// a toast and the same words in the chat; the conversation stays where it was.
func closed(id string) Next {
	m := coopbot.M(id)
	return Stay(coopbot.Reply{Toast: &m}, coopbot.Text(m))
}

// openTraining is an announcement's sign-up button: the training's details with its
// sign-up, while the training is published and has not started (what the residents'
// catalogue lists). Back leads to the catalogue.
func (w *bcWizard) openTraining(ctx context.Context, c *Conv, args string) (Next, error) {
	id, ok := actionID(args)
	if !ok {
		return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "conv.stale"}}), nil
	}
	t, err := w.d.Store.Training(ctx, id)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return closed("broadcast.button.training_closed"), nil
	}
	if err != nil {
		return Next{}, err
	}
	if t.Status != coopbot.TrainingPublished || t.Started(w.d.Now()) {
		return closed("broadcast.button.training_closed"), nil
	}
	return StartAt(FlowTrainings, "detail", trainings{Training: id}, "list"), nil
}

// openJoin is an announcement's membership button: the form to join the cooperative
// (from the name on, the cooperative chosen and described), while it is active; a
// resident with a pending or approved request to it is shown that request instead.
func (w *bcWizard) openJoin(ctx context.Context, c *Conv, args string) (Next, error) {
	id, ok := actionID(args)
	if !ok {
		return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "conv.stale"}}), nil
	}
	j := &joinFlow{d: w.d}
	all, err := w.d.Store.JoinCooperatives(ctx)
	if err != nil {
		return Next{}, err
	}
	i := slices.IndexFunc(all, func(co coopbot.Cooperative) bool { return co.ID == id })
	if i < 0 {
		return closed("broadcast.button.coop_closed"), nil
	}
	open, err := w.d.Store.ActiveJoinRequest(ctx, c.Profile.ResidentID, id)
	if err != nil {
		return Next{}, err
	}
	if open != nil {
		note := "join.duplicate"
		if open.Status == coopbot.JoinApproved {
			note = "join.already_member"
		}
		return Start(flowJoinMine, mine{Request: open.ID, Note: note}), nil
	}
	items, err := j.coopItems(ctx, all[i:i+1])
	if err != nil {
		return Next{}, err
	}
	co, lang := items[0], c.Lang()
	about := coopbot.M("join.coop.item", "Name", co.Name(lang), "Activity", co.Activity(lang), "Neighborhood", co.Neighborhood.Name(lang),
		"Members", text.Number(int64(co.Members)), "Min", text.Number(co.MinShare)).WithCount(co.Members)
	return StartAt(FlowJoin, "name", join{Coop: id}, "coop").Say(coopbot.Text(about)), nil
}

// announceTraining is the offer under a published training: the broadcast wizard with
// the announcement prepared, at its preview. Staff may announce any training; a
// neighborhood manager those of their own neighborhood.
func (w *bcWizard) announceTraining(ctx context.Context, c *Conv, args string) (Next, error) {
	id, ok := actionID(args)
	if !ok {
		return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "conv.stale"}}), nil
	}
	denied := func() (Next, error) {
		m := coopbot.M("broadcast.denied")
		return Stay(coopbot.Reply{Toast: &m}, coopbot.Text(m)), nil
	}
	s, err := w.staff(ctx, c, "broadcast_open")
	if err != nil || s == nil {
		if err != nil {
			return Next{}, err
		}
		return denied()
	}
	t, err := w.d.Store.Training(ctx, id)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "conv.stale"}}), nil
	}
	if err != nil {
		return Next{}, err
	}
	if !s.CanSee(t.NeighborhoodID) {
		if err := w.d.Store.Audit(ctx, c.Profile.ResidentID, "broadcast_open", "training:"+args, false, nil); err != nil {
			return Next{}, err
		}
		return denied()
	}
	if t.Status != coopbot.TrainingPublished || t.Started(w.d.Now()) {
		return closed("broadcast.announce.closed"), nil
	}
	a := broadcast{
		Audience: coopbot.Audience{Kind: coopbot.AudienceNeighborhoods, IDs: []int64{t.NeighborhoodID}},
		Mode:     bcBoth,
		Button:   &coopbot.BroadcastButton{Kind: coopbot.ButtonTraining, ID: t.ID},
	}
	for _, l := range []struct {
		lang coopbot.Lang
		to   *string
	}{{coopbot.Persian, &a.Fa}, {coopbot.Azeri, &a.Az}} {
		m := coopbot.M("broadcast.announce.text", append(trainingDataIn(l.lang, t), "Description", t.Description(l.lang))...)
		words, err := w.d.Labels.Text(l.lang, m.ID, m.Data, nil)
		if err != nil {
			return Next{}, err
		}
		if utf16Len(words) > maxBroadcastText {
			words = text.Shorten(words, maxBroadcastText/2) // never with the form's limits
		}
		*l.to = words
	}
	counts, err := w.d.Store.AudienceCounts(ctx, a.Audience)
	if err != nil {
		return Next{}, err
	}
	if bcTotal(counts) == 0 {
		return closed("broadcast.announce.nobody"), nil
	}
	next := w.toPreview(&a)
	return StartAt(FlowBroadcast, StepReview, a, "audience", "mode", "text_fa", "text_az", "file", "button", "when").Say(next.say...), nil
}
