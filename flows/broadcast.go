package flows

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"coopbot"
	"coopbot/text"
)

// Broadcasts: staff (and neighborhood managers, for their own neighborhood) send an
// announcement to an audience of residents. The wizard here asks for the audience, the
// text in Persian and Azeri (or one text for all), an optional later start, shows a
// preview with the recipient counts and, on confirm, has the store queue one delivery per
// recipient. The broadcast runner (postgres) sends them at the platform's rate and edits
// the preview message into a progress bar (BroadcastProgressReply), with a Cancel button
// handled here.

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
	// coopbot.BroadcastStatus returns a broadcast's counts (not_found when there is none).
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

func broadcastFeature(d Deps) feature {
	w := &broadcastWizard{d: d}
	f := &legacyFlow{Name: FlowBroadcast, First: "audience", Steps: map[string]legacyStep{
		"audience":      {Ask: w.askAudience, Answer: w.answerAudience},
		"neighborhoods": {Ask: w.askNeighborhoods, Answer: w.answerNeighborhoods},
		"cooperative":   {Ask: w.askCooperative, Answer: w.answerCooperative},
		"training":      {Ask: w.askTraining, Answer: w.answerTraining},
		"lang":          {Ask: w.askLang, Answer: w.answerLang},
		"mode":          {Ask: w.askMode, Answer: w.answerMode},
		"text_fa":       w.textStep("broadcast.text.prompt_fa", "fa"),
		"text_az":       w.textStep("broadcast.text.prompt_az", "az"),
		"text_one":      w.textStep("broadcast.text.prompt_one", "one"),
		"when":          {Ask: w.askWhen, Answer: w.answerWhen},
		"date":          {Ask: w.askDate, Answer: w.answerDate},
		"clock":         {Ask: w.askClock, Answer: w.answerClock},
		"preview":       {Ask: w.askPreview, Answer: w.answerPreview},
	}}
	for name, st := range f.Steps {
		f.Steps[name] = w.guard(st)
	}
	return feature{
		flows:   []flowDef{f},
		actions: map[string]Action{broadcastCancelAction: w.cancel},
		menu: []MenuItem{{Label: "broadcast.menu", Value: FlowBroadcast, Visible: staffOnly, Open: func(ctx context.Context, c *Conv) (Next, error) {
			s, err := w.staff(ctx, c, "broadcast_open", "")
			if err != nil || s == nil {
				return Done(coopbot.Text(coopbot.M("broadcast.denied"))), err
			}
			return Start(FlowBroadcast, nil), nil
		}}},
	}
}

type broadcastWizard struct{ d Deps }

// staff re-checks on the server that the person may broadcast; a denied attempt is
// audited and gives nil.
func (w *broadcastWizard) staff(ctx context.Context, c *Conv, action, subject string) (*coopbot.Staff, error) {
	s, err := w.d.Store.Staff(ctx, c.Profile.ResidentID)
	if err != nil {
		return nil, err
	}
	if s == nil || (s.Role != coopbot.RoleStaff && (s.Role != coopbot.RoleNeighborhoodManager || s.NeighborhoodID == 0)) {
		return nil, w.d.Store.Audit(ctx, c.Profile.ResidentID, action, subject, false, nil)
	}
	return s, nil
}

// guard re-checks the role before each answer, so that someone who lost it (taken out of
// ADMINS, say) while the wizard was open goes no further than their next press (recorded as
// a refused broadcast_create).
func (w *broadcastWizard) guard(st legacyStep) legacyStep {
	answer := st.Answer
	st.Answer = func(ctx context.Context, c *Conv, in Input) (Next, error) {
		s, err := w.staff(ctx, c, "broadcast_create", "")
		if err != nil || s == nil {
			return Done(coopbot.Text(coopbot.M("broadcast.denied"))), err
		}
		return answer(ctx, c, in)
	}
	return st
}

// bcManager reports whether the person is a neighborhood manager (limited to RoleScope).
func bcManager(c *Conv) bool { return c.Profile.Role == coopbot.RoleNeighborhoodManager }

func (w *broadcastWizard) askAudience(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	r := coopbot.Text(coopbot.M("broadcast.audience.prompt"))
	if bcManager(c) {
		n, err := w.neighborhood(ctx, c.Profile.RoleScope)
		if err != nil {
			return r, err
		}
		r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("broadcast.audience.own", "Name", n.Name(c.Lang())), Data: "own"}}}
		return r, nil
	}
	r.Buttons = [][]coopbot.Button{
		{{Label: coopbot.M("broadcast.audience.all"), Data: string(coopbot.AudienceAll)}},
		{{Label: coopbot.M("broadcast.audience.neighborhoods"), Data: string(coopbot.AudienceNeighborhoods)}},
	}
	coops, err := w.d.Store.AudienceCooperatives(ctx)
	if err != nil {
		return r, err
	}
	if len(coops) > 0 {
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.audience.cooperative"), Data: string(coopbot.AudienceCooperative)}})
	}
	trainings, err := w.d.Store.AudienceTrainings(ctx)
	if err != nil {
		return r, err
	}
	if len(trainings) > 0 {
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.audience.training"), Data: string(coopbot.AudienceTraining)}})
	}
	r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.audience.lang"), Data: string(coopbot.AudienceLang)}})
	return r, nil
}

func (w *broadcastWizard) answerAudience(ctx context.Context, c *Conv, in Input) (Next, error) {
	if bcManager(c) {
		if in.Choice != "own" {
			return Retry("broadcast.audience.invalid"), nil
		}
		c.Set("kind", string(coopbot.AudienceNeighborhoods))
		c.SetInt("ids", c.Profile.RoleScope)
		return Goto("mode"), nil
	}
	switch coopbot.AudienceKind(in.Choice) {
	case coopbot.AudienceAll:
		c.Set("kind", string(coopbot.AudienceAll))
		return Goto("mode"), nil
	case coopbot.AudienceNeighborhoods:
		c.Set("kind", string(coopbot.AudienceNeighborhoods))
		c.Set("np", "")
		return Goto("neighborhoods"), nil
	case coopbot.AudienceCooperative:
		c.Set("kind", string(coopbot.AudienceCooperative))
		c.Set("np", "")
		return Goto("cooperative"), nil
	case coopbot.AudienceTraining:
		c.Set("kind", string(coopbot.AudienceTraining))
		c.Set("np", "")
		return Goto("training"), nil
	case coopbot.AudienceLang:
		c.Set("kind", string(coopbot.AudienceLang))
		return Goto("lang"), nil
	}
	return Retry("broadcast.audience.invalid"), nil
}

// bcIDs returns the chosen neighborhoods (or cooperative).
func bcIDs(c *Conv) []int64 {
	var out []int64
	for _, f := range strings.Split(c.Get("ids"), ",") {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func bcSetIDs(c *Conv, list []int64) {
	parts := make([]string, len(list))
	for i, n := range list {
		parts[i] = strconv.FormatInt(n, 10)
	}
	c.Set("ids", strings.Join(parts, ","))
}

func (w *broadcastWizard) neighborhood(ctx context.Context, id int64) (coopbot.Neighborhood, error) {
	all, err := w.d.Store.Neighborhoods(ctx)
	if err != nil {
		return coopbot.Neighborhood{}, err
	}
	for _, n := range all {
		if n.ID == id {
			return n, nil
		}
	}
	return coopbot.Neighborhood{}, &coopbot.Error{Code: coopbot.ENotFound, Err: errors.New("neighborhood " + strconv.FormatInt(id, 10))}
}

// bcPage returns the current page of a list of n items: its bounds, the page line (zero
// Msg when there is one page) and the previous/next buttons.
func bcPage(c *Conv, n int) (from, to int, line coopbot.Msg, nav []coopbot.Button) {
	pages := max(1, (n+broadcastChoicePage-1)/broadcastChoicePage)
	page := int(c.GetInt("np"))
	if page >= pages || page < 0 {
		page = 0
	}
	if pages > 1 {
		line = coopbot.M("common.page", "Page", text.FaDigits(strconv.Itoa(page+1)), "Pages", text.FaDigits(strconv.Itoa(pages)))
		if page > 0 {
			nav = append(nav, coopbot.Button{Label: coopbot.M("common.prev"), Data: "p:" + strconv.Itoa(page-1)})
		}
		if page+1 < pages {
			nav = append(nav, coopbot.Button{Label: coopbot.M("common.next"), Data: "p:" + strconv.Itoa(page+1)})
		}
	}
	return page * broadcastChoicePage, min(n, (page+1)*broadcastChoicePage), line, nav
}

func (w *broadcastWizard) askNeighborhoods(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	all, err := w.d.Store.Neighborhoods(ctx)
	if err != nil {
		return coopbot.Reply{}, err
	}
	chosen := bcIDs(c)
	r := coopbot.Text(coopbot.M("broadcast.neighborhoods.prompt"))
	var names []string
	for _, n := range all {
		if slices.Contains(chosen, n.ID) {
			names = append(names, n.Name(c.Lang()))
		}
	}
	if len(names) == 0 {
		r.Text = append(r.Text, coopbot.M("broadcast.neighborhoods.none"))
	} else {
		r.Text = append(r.Text, coopbot.M("broadcast.neighborhoods.chosen", "Names", strings.Join(names, "، ")).WithCount(len(names)))
	}
	from, to, line, nav := bcPage(c, len(all))
	if line.ID != "" {
		r.Text = append(r.Text, line)
	}
	var row []coopbot.Button
	for _, n := range all[from:to] {
		label := n.Name(c.Lang())
		if slices.Contains(chosen, n.ID) {
			label = "✅ " + label
		}
		row = append(row, coopbot.Button{Label: coopbot.Raw(label), Data: "n:" + strconv.FormatInt(n.ID, 10)})
		if len(row) == 2 {
			r.Buttons = append(r.Buttons, row)
			row = nil
		}
	}
	if len(row) > 0 {
		r.Buttons = append(r.Buttons, row)
	}
	if len(nav) > 0 {
		r.Buttons = append(r.Buttons, nav)
	}
	if len(chosen) > 0 {
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("broadcast.neighborhoods.continue"), Data: "done"}})
	}
	return r, nil
}

func (w *broadcastWizard) answerNeighborhoods(ctx context.Context, c *Conv, in Input) (Next, error) {
	all, err := w.d.Store.Neighborhoods(ctx)
	if err != nil {
		return Next{}, err
	}
	chosen := bcIDs(c)
	toggle := func(id int64) {
		if i := slices.Index(chosen, id); i >= 0 {
			chosen = slices.Delete(chosen, i, i+1)
		} else {
			chosen = append(chosen, id)
		}
		bcSetIDs(c, chosen)
	}
	switch {
	case strings.HasPrefix(in.Choice, "n:"):
		id, _ := strconv.ParseInt(in.Choice[2:], 10, 64)
		for _, n := range all {
			if n.ID == id {
				toggle(id)
				return Again(), nil
			}
		}
		return Retry("broadcast.neighborhoods.invalid"), nil
	case strings.HasPrefix(in.Choice, "p:"):
		c.Set("np", in.Choice[2:])
		return Again(), nil
	case in.Choice == "done":
		if len(chosen) == 0 {
			return Retry("broadcast.neighborhoods.empty"), nil
		}
		return Goto("mode"), nil
	case in.Kind == KindText && in.Text != "":
		found, _ := matchNeighborhoods(all, in.Text)
		switch len(found) {
		case 0:
			return Retry("broadcast.neighborhoods.not_found", "Typed", in.Text), nil
		case 1:
			toggle(found[0].ID)
			// Show the page the typed neighborhood is on, with its tick.
			for i, n := range all {
				if n.ID == found[0].ID {
					c.SetInt("np", int64(i/broadcastChoicePage))
				}
			}
			return Again(), nil
		}
		return Retry("broadcast.neighborhoods.several"), nil
	}
	return Retry("broadcast.neighborhoods.invalid"), nil
}

func (w *broadcastWizard) askCooperative(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	list, err := w.d.Store.AudienceCooperatives(ctx)
	if err != nil {
		return coopbot.Reply{}, err
	}
	if len(list) == 0 {
		return coopbot.Text(coopbot.M("broadcast.cooperative.none")), nil
	}
	r := coopbot.Text(coopbot.M("broadcast.cooperative.prompt"))
	from, to, line, nav := bcPage(c, len(list))
	if line.ID != "" {
		r.Text = append(r.Text, line)
	}
	for _, co := range list[from:to] {
		label := co.Name(c.Lang()) + " (" + text.Number(int64(co.Members)) + ")"
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.Raw(label), Data: "c:" + strconv.FormatInt(co.ID, 10)}})
	}
	if len(nav) > 0 {
		r.Buttons = append(r.Buttons, nav)
	}
	return r, nil
}

func (w *broadcastWizard) answerCooperative(ctx context.Context, c *Conv, in Input) (Next, error) {
	switch {
	case strings.HasPrefix(in.Choice, "c:"):
		id, _ := strconv.ParseInt(in.Choice[2:], 10, 64)
		list, err := w.d.Store.AudienceCooperatives(ctx)
		if err != nil {
			return Next{}, err
		}
		for _, co := range list {
			if co.ID == id {
				c.SetInt("ids", id)
				return Goto("mode"), nil
			}
		}
	case strings.HasPrefix(in.Choice, "p:"):
		c.Set("np", in.Choice[2:])
		return Again(), nil
	}
	return Retry("broadcast.cooperative.invalid"), nil
}

func (w *broadcastWizard) askTraining(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	list, err := w.d.Store.AudienceTrainings(ctx)
	if err != nil {
		return coopbot.Reply{}, err
	}
	if len(list) == 0 {
		return coopbot.Text(coopbot.M("broadcast.training.none")), nil
	}
	r := coopbot.Text(coopbot.M("broadcast.training.prompt"))
	from, to, line, nav := bcPage(c, len(list))
	if line.ID != "" {
		r.Text = append(r.Text, line)
	}
	for _, tr := range list[from:to] {
		label := tr.Name(c.Lang()) + " — " + text.Date(tr.At) + " (" + text.Number(int64(tr.Members)) + ")"
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.Raw(label), Data: "t:" + strconv.FormatInt(tr.ID, 10)}})
	}
	if len(nav) > 0 {
		r.Buttons = append(r.Buttons, nav)
	}
	return r, nil
}

func (w *broadcastWizard) answerTraining(ctx context.Context, c *Conv, in Input) (Next, error) {
	switch {
	case strings.HasPrefix(in.Choice, "t:"):
		id, _ := strconv.ParseInt(in.Choice[2:], 10, 64)
		list, err := w.d.Store.AudienceTrainings(ctx)
		if err != nil {
			return Next{}, err
		}
		for _, tr := range list {
			if tr.ID == id {
				c.SetInt("ids", id)
				return Goto("mode"), nil
			}
		}
	case strings.HasPrefix(in.Choice, "p:"):
		c.Set("np", in.Choice[2:])
		return Again(), nil
	}
	return Retry("broadcast.training.invalid"), nil
}

func (w *broadcastWizard) askLang(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("broadcast.lang.prompt")}, Buttons: langButtons}, nil
}

func (w *broadcastWizard) answerLang(ctx context.Context, c *Conv, in Input) (Next, error) {
	l, ok := langChoice(in)
	if !ok {
		return Retry("broadcast.lang.invalid"), nil
	}
	c.Set("lang", string(l))
	// Only one language is addressed: only its text is asked for.
	c.Set("mode", string(l))
	if l == coopbot.Azeri {
		return Goto("text_az"), nil
	}
	return Goto("text_fa"), nil
}

func (w *broadcastWizard) askMode(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("broadcast.mode.prompt")}, Buttons: [][]coopbot.Button{
		{{Label: coopbot.M("broadcast.mode.both"), Data: "both"}},
		{{Label: coopbot.M("broadcast.mode.one"), Data: "one"}},
	}}, nil
}

func (w *broadcastWizard) answerMode(ctx context.Context, c *Conv, in Input) (Next, error) {
	switch in.Choice {
	case "both":
		c.Set("mode", "both")
		return Goto("text_fa"), nil
	case "one":
		c.Set("mode", "one")
		return Goto("text_one"), nil
	}
	return Retry("broadcast.mode.invalid"), nil
}

// textStep asks for the announcement's text in one language (or one text for all) and
// keeps it under key.
func (w *broadcastWizard) textStep(prompt, key string) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M(prompt))
			if old := c.Get(key); old != "" {
				// Back to a text written before: offer to keep it.
				r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("broadcast.text.keep"), Data: "keep"}}}
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if in.Choice == "keep" && c.Get(key) != "" {
				return w.afterText(c, key), nil
			}
			if in.Kind != KindText {
				return Retry("broadcast.text.not_text"), nil
			}
			s := text.CleanMultiline(in.Raw)
			if s == "" {
				return Retry("broadcast.text.not_text"), nil
			}
			if n := len(utf16.Encode([]rune(s))); n > maxBroadcastText {
				return Retry("broadcast.text.too_long", "Max", text.Number(maxBroadcastText), "Len", text.Number(int64(n))), nil
			}
			c.Set(key, s)
			return w.afterText(c, key), nil
		},
	}
}

func (w *broadcastWizard) afterText(c *Conv, key string) Next {
	if key == "fa" && c.Get("mode") == "both" {
		return Goto("text_az")
	}
	return Goto("when")
}

func (w *broadcastWizard) askWhen(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("broadcast.when.prompt")}, Buttons: [][]coopbot.Button{
		{{Label: coopbot.M("broadcast.when.now"), Data: "now"}},
		{{Label: coopbot.M("broadcast.when.later"), Data: "later"}},
	}}, nil
}

func (w *broadcastWizard) answerWhen(ctx context.Context, c *Conv, in Input) (Next, error) {
	switch in.Choice {
	case "now":
		c.Set("start", "")
		return w.toPreview(c), nil
	case "later":
		return Goto("date"), nil
	}
	return Retry("broadcast.when.invalid"), nil
}

func (w *broadcastWizard) askDate(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	return coopbot.Text(coopbot.M("broadcast.date.prompt", "Today", text.Date(w.d.Now()))), nil
}

func (w *broadcastWizard) answerDate(ctx context.Context, c *Conv, in Input) (Next, error) {
	if in.Kind != KindText {
		return Retry("broadcast.date.not_text"), nil
	}
	d, reason := text.ParseJalaliDate(in.Text)
	if reason != text.OK {
		return Retry(string(reason)), nil
	}
	now := w.d.Now()
	if d.At(23, 59).Before(now) {
		return Retry("broadcast.date.past", "Today", text.Date(now)), nil
	}
	if d.At(0, 0).After(now.Add(maxBroadcastAhead)) {
		return Retry("broadcast.date.too_far", "Days", text.Number(int64(maxBroadcastAhead/(24*time.Hour)))), nil
	}
	c.Set("date", d.String())
	return Goto("clock"), nil
}

func (w *broadcastWizard) askClock(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	return coopbot.Text(coopbot.M("broadcast.clock.prompt")), nil
}

func (w *broadcastWizard) answerClock(ctx context.Context, c *Conv, in Input) (Next, error) {
	if in.Kind != KindText {
		return Retry("broadcast.clock.not_text"), nil
	}
	h, m, reason := text.ParseClock(in.Text)
	if reason != text.OK {
		return Retry(string(reason)), nil
	}
	d, reason := text.ParseJalaliDate(c.Get("date"))
	if reason != text.OK {
		return Goto("date"), nil
	}
	at := d.At(h, m)
	if !at.After(w.d.Now().Add(time.Minute)) {
		return Retry("broadcast.clock.past", "Now", text.Clock(w.d.Now())), nil
	}
	c.SetInt("start", at.Unix())
	return w.toPreview(c), nil
}

// bcTexts returns the Persian and Azeri texts the answers make.
func bcTexts(c *Conv) (fa, az string) {
	switch c.Get("mode") {
	case "one":
		return c.Get("one"), c.Get("one")
	case string(coopbot.Persian):
		return c.Get("fa"), ""
	case string(coopbot.Azeri):
		return "", c.Get("az")
	}
	return c.Get("fa"), c.Get("az")
}

// toPreview shows the texts exactly as residents will get them, then the summary.
func (w *broadcastWizard) toPreview(c *Conv) Next {
	fa, az := bcTexts(c)
	next := Goto("preview")
	switch {
	case c.Get("mode") == "one":
		next = next.Say(coopbot.Text(coopbot.M("broadcast.preview.label_one")), coopbot.Text(coopbot.Raw(fa)))
	default:
		if fa != "" {
			next = next.Say(coopbot.Text(coopbot.M("broadcast.preview.label_fa")), coopbot.Text(coopbot.Raw(fa)))
		}
		if az != "" {
			next = next.Say(coopbot.Text(coopbot.M("broadcast.preview.label_az")), coopbot.Text(coopbot.Raw(az)))
		}
	}
	return next
}

// bcAudience returns the audience the answers describe.
func bcAudience(c *Conv) coopbot.Audience {
	a := coopbot.Audience{Kind: coopbot.AudienceKind(c.Get("kind"))}
	switch a.Kind {
	case coopbot.AudienceNeighborhoods, coopbot.AudienceCooperative, coopbot.AudienceTraining:
		a.IDs = bcIDs(c)
	case coopbot.AudienceLang:
		a.Lang = coopbot.Lang(c.Get("lang"))
	}
	return a
}

// describe names an audience for the preview.
func (w *broadcastWizard) describe(ctx context.Context, c *Conv, a coopbot.Audience) (coopbot.Msg, error) {
	switch a.Kind {
	case coopbot.AudienceNeighborhoods:
		all, err := w.d.Store.Neighborhoods(ctx)
		if err != nil {
			return coopbot.Msg{}, err
		}
		var names []string
		for _, n := range all {
			if slices.Contains(a.IDs, n.ID) {
				names = append(names, n.Name(c.Lang()))
			}
		}
		return coopbot.M("broadcast.who.neighborhoods", "Names", strings.Join(names, "، ")).WithCount(len(names)), nil
	case coopbot.AudienceCooperative:
		list, err := w.d.Store.AudienceCooperatives(ctx)
		if err != nil {
			return coopbot.Msg{}, err
		}
		for _, co := range list {
			if len(a.IDs) == 1 && co.ID == a.IDs[0] {
				return coopbot.M("broadcast.who.cooperative", "Name", co.Name(c.Lang())), nil
			}
		}
		return coopbot.Msg{}, &coopbot.Error{Code: coopbot.ENotFound, Err: errors.New("cooperative of the audience")}
	case coopbot.AudienceTraining:
		list, err := w.d.Store.AudienceTrainings(ctx)
		if err != nil {
			return coopbot.Msg{}, err
		}
		for _, tr := range list {
			if len(a.IDs) == 1 && tr.ID == a.IDs[0] {
				return coopbot.M("broadcast.who.training", "Name", tr.Name(c.Lang()), "Date", text.Date(tr.At)), nil
			}
		}
		return coopbot.Msg{}, &coopbot.Error{Code: coopbot.ENotFound, Err: errors.New("training of the audience")}
	case coopbot.AudienceLang:
		if a.Lang == coopbot.Azeri {
			return coopbot.M("broadcast.who.lang_az"), nil
		}
		return coopbot.M("broadcast.who.lang_fa"), nil
	}
	return coopbot.M("broadcast.who.all"), nil
}

// bcCountMsgs are the preview lines of recipient counts, one per platform.
var bcCountMsgs = map[coopbot.Platform]string{coopbot.Bale: "broadcast.preview.count_bale", coopbot.Telegram: "broadcast.preview.count_telegram"}

func (w *broadcastWizard) askPreview(ctx context.Context, c *Conv) (coopbot.Reply, error) {
	a := bcAudience(c)
	who, err := w.describe(ctx, c, a)
	if err != nil {
		return coopbot.Reply{}, err
	}
	counts, err := w.d.Store.AudienceCounts(ctx, a)
	if err != nil {
		return coopbot.Reply{}, err
	}
	r := coopbot.Text(coopbot.M("broadcast.preview.title"), who)
	total := 0
	for _, p := range []coopbot.Platform{coopbot.Bale, coopbot.Telegram} {
		n := map[coopbot.Lang]int{}
		for _, ac := range counts {
			if ac.Platform == p {
				n[ac.Lang] += ac.Residents
			}
		}
		if n[coopbot.Persian]+n[coopbot.Azeri] == 0 {
			continue
		}
		total += n[coopbot.Persian] + n[coopbot.Azeri]
		r.Text = append(r.Text, coopbot.M(bcCountMsgs[p],
			"Fa", text.Number(int64(n[coopbot.Persian])), "Az", text.Number(int64(n[coopbot.Azeri]))))
	}
	if total == 0 {
		r.Text = append(r.Text, coopbot.M("broadcast.preview.empty"))
		return r, nil
	}
	r.Text = append(r.Text, coopbot.M("broadcast.preview.total", "Total", text.Number(int64(total))).WithCount(total))
	if start := c.GetInt("start"); start > 0 {
		at := time.Unix(start, 0)
		r.Text = append(r.Text, coopbot.M("broadcast.preview.at", "Date", text.LongDate(at, text.Lang(c.Lang())), "Clock", text.Clock(at)))
	} else {
		r.Text = append(r.Text, coopbot.M("broadcast.preview.now"))
	}
	r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("broadcast.confirm"), Data: "confirm"}}}
	return r, nil
}

func (w *broadcastWizard) answerPreview(ctx context.Context, c *Conv, in Input) (Next, error) {
	if in.Choice != "confirm" {
		return Retry("broadcast.preview.invalid"), nil
	}
	a := bcAudience(c)
	s, err := w.staff(ctx, c, "broadcast_create", "")
	if err != nil {
		return Next{}, err
	}
	if s == nil || s.Role == coopbot.RoleNeighborhoodManager && (a.Kind != coopbot.AudienceNeighborhoods || len(a.IDs) != 1 || a.IDs[0] != s.NeighborhoodID) {
		if s != nil {
			if err := w.d.Store.Audit(ctx, c.Profile.ResidentID, "broadcast_create", "", false, map[string]any{"audience": a}); err != nil {
				return Next{}, err
			}
		}
		return Done(coopbot.Text(coopbot.M("broadcast.denied"))), nil
	}
	fa, az := bcTexts(c)
	if fa == "" && az == "" {
		return Goto("mode"), nil
	}
	nb := coopbot.NewBroadcast{
		CreatedBy: c.Profile.ResidentID, Audience: a, TextFa: fa, TextAz: az,
		Progress: coopbot.ProgressMessage{Platform: c.Platform, ChatID: c.ChatID, Lang: c.Lang()},
	}
	if in.Pressed && c.Update != nil {
		nb.Progress.MessageID = c.Update.MessageID // the preview becomes the progress message
	}
	if start := c.GetInt("start"); start > 0 {
		nb.StartAt = time.Unix(start, 0)
	}
	id, total, err := w.d.Store.CreateBroadcast(ctx, nb)
	if err != nil {
		return Next{}, err
	}
	if err := w.d.Store.Audit(ctx, c.Profile.ResidentID, "broadcast_create", broadcastSubject(id), true, map[string]any{"audience": a, "recipients": total}); err != nil {
		return Next{}, err
	}
	st := coopbot.BroadcastStatus{ID: id, Status: coopbot.BroadcastRunning, Total: total, Pending: total, StartAt: nb.StartAt}
	if !nb.StartAt.IsZero() {
		st.Status = coopbot.BroadcastScheduled
	}
	if nb.Progress.MessageID == 0 {
		// No preview to turn into the progress message: the runner posts one.
		return Done(coopbot.Text(coopbot.M("broadcast.queued", "ID", text.Number(id)))), nil
	}
	progress := broadcastProgress(st, w.d.Now())
	progress.Edit = true
	return Done(progress), nil
}

func broadcastSubject(id int64) string { return "broadcast:" + strconv.FormatInt(id, 10) }

// cancel is the progress message's Cancel button. Staff may cancel any broadcast; a
// neighborhood manager those to their own neighborhood.
func (w *broadcastWizard) cancel(ctx context.Context, c *Conv, args string) (Next, error) {
	id, err := strconv.ParseInt(args, 10, 64)
	if err != nil || id <= 0 {
		return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "conv.stale"}}), nil
	}
	st, err := w.d.Store.BroadcastStatus(ctx, id)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "conv.stale"}}), nil
	}
	if err != nil {
		return Next{}, err
	}
	s, err := w.d.Store.Staff(ctx, c.Profile.ResidentID)
	if err != nil {
		return Next{}, err
	}
	if s == nil || s.Role != coopbot.RoleStaff && (s.NeighborhoodID == 0 || s.NeighborhoodID != st.NeighborhoodID) {
		if err := w.d.Store.Audit(ctx, c.Profile.ResidentID, "broadcast_cancel", broadcastSubject(id), false, nil); err != nil {
			return Next{}, err
		}
		deny := coopbot.M("broadcast.cancel.denied")
		return Stay(coopbot.Reply{Toast: &deny}), nil
	}
	st, err = w.d.Store.CancelBroadcast(ctx, id, c.Profile.ResidentID)
	if coopbot.ErrorCode(err) == coopbot.EConflict {
		over := coopbot.M("broadcast.cancel.over")
		return Stay(coopbot.Reply{Toast: &over}), nil
	}
	if err != nil {
		return Next{}, err
	}
	if err := w.d.Store.Audit(ctx, c.Profile.ResidentID, "broadcast_cancel", broadcastSubject(id), true, map[string]any{"not_sent": st.Cancelled}); err != nil {
		return Next{}, err
	}
	r := broadcastProgress(*st, w.d.Now())
	r.Edit = true
	toast := coopbot.M("broadcast.cancel.done")
	r.Toast = &toast
	return Stay(r), nil
}

// BroadcastMessages words the progress message for the broadcast runner (cmd passes it
// in).
type BroadcastMessages struct{}

// BroadcastProgress is the progress message of a broadcast: counts in Persian digits, a
// bar, the estimated finish and a Cancel button while it runs; the final counts once it
// ended.
func (BroadcastMessages) BroadcastProgress(s coopbot.BroadcastStatus, now time.Time) coopbot.Reply {
	return broadcastProgress(s, now)
}

func broadcastProgress(s coopbot.BroadcastStatus, now time.Time) coopbot.Reply {
	id := text.Number(s.ID)
	counts := coopbot.M("broadcast.progress.counts",
		"Sent", text.Number(int64(s.Sent)), "Unreachable", text.Number(int64(s.Unreachable)),
		"Failed", text.Number(int64(s.Failed)), "Unknown", text.Number(int64(s.Unknown)))
	cancel := [][]coopbot.Button{{{Label: coopbot.M("broadcast.cancel"), Data: "a:" + broadcastCancelAction + ":" + strconv.FormatInt(s.ID, 10)}}}
	switch s.Status {
	case coopbot.BroadcastScheduled:
		return coopbot.Reply{Text: []coopbot.Msg{
			coopbot.M("broadcast.progress.scheduled", "ID", id, "Date", text.Date(s.StartAt), "Clock", text.Clock(s.StartAt)),
			coopbot.M("broadcast.preview.total", "Total", text.Number(int64(s.Total))).WithCount(s.Total),
		}, Buttons: cancel}
	case coopbot.BroadcastDone, coopbot.BroadcastCancelled:
		title := "broadcast.progress.done"
		if s.Status == coopbot.BroadcastCancelled {
			title = "broadcast.progress.cancelled"
		}
		r := coopbot.Text(coopbot.M(title, "ID", id), bcBar(s), counts)
		if s.Status == coopbot.BroadcastCancelled {
			r.Text = append(r.Text, coopbot.M("broadcast.progress.not_sent", "Count", text.Number(int64(s.Cancelled+s.Pending))))
		}
		if !s.Finished {
			r.Text = append(r.Text, coopbot.M("broadcast.progress.finishing"))
		}
		return r
	}
	r := coopbot.Reply{Text: []coopbot.Msg{coopbot.M("broadcast.progress.running", "ID", id), bcBar(s), counts}, Buttons: cancel}
	if !s.Finish.IsZero() {
		if text.JalaliOf(s.Finish) == text.JalaliOf(now) {
			r.Text = append(r.Text, coopbot.M("broadcast.progress.eta", "Clock", text.Clock(s.Finish)))
		} else {
			r.Text = append(r.Text, coopbot.M("broadcast.progress.eta_date", "Date", text.Date(s.Finish), "Clock", text.Clock(s.Finish)))
		}
	}
	return r
}

// bcBar draws how much of a broadcast is done, with the counts.
func bcBar(s coopbot.BroadcastStatus) coopbot.Msg {
	done := s.Sent + s.Unreachable + s.Failed + s.Unknown
	const cells = 12
	filled, pct := cells, 100
	if s.Total > 0 {
		filled = done * cells / s.Total
		pct = done * 100 / s.Total
	}
	// Filled cells first reads right to left as progress in an RTL message.
	b := strings.Repeat("▓", filled) + strings.Repeat("░", cells-filled)
	return coopbot.M("broadcast.progress.bar", "Bar", b, "Percent", text.FaDigits(strconv.Itoa(pct)),
		"Done", text.Number(int64(done)), "Total", text.Number(int64(s.Total)))
}

// renderBroadcastReport is the final report to the staff member who sent broadcast n.ID.
func renderBroadcastReport(ctx context.Context, st Store, _ *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	sp, err := st.BroadcastStatus(ctx, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	s := *sp
	r := coopbot.Text(
		coopbot.M("broadcast.report.title", "ID", text.Number(s.ID)),
		coopbot.M("broadcast.report.sent", "Count", text.Number(int64(s.Sent))),
		coopbot.M("broadcast.report.unreachable", "Count", text.Number(int64(s.Unreachable))),
		coopbot.M("broadcast.report.failed", "Count", text.Number(int64(s.Failed))),
		coopbot.M("broadcast.report.unknown", "Count", text.Number(int64(s.Unknown))),
	)
	if s.Status == coopbot.BroadcastCancelled {
		r.Text = append(r.Text, coopbot.M("broadcast.report.cancelled", "Count", text.Number(int64(s.Cancelled+s.Pending))))
	}
	if s.Unknown > 0 {
		r.Text = append(r.Text, coopbot.M("broadcast.report.unknown_note"))
	}
	return r, nil
}
