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

// Livelihood needs, the staff's inbox: reports filtered by neighborhood, category and
// status, one at a time with Previous/Next and status buttons. Staff see every
// neighborhood; a neighborhood manager only theirs. The flow's gate re-reads the role at
// every update, and the store applies the scope in SQL. The summary and the export are
// needssummary.go.

// FlowNeedsInbox is the staff's inbox of need reports.
const FlowNeedsInbox = "needs_inbox"

// needAction is the action of the buttons on a new-report alert: "a:need:<id>" opens the
// report, "a:need:<id>:reviewing" also starts reviewing it.
const needAction = "need"

// needGroups are the status filters of the inbox; the first is the default.
var needGroups = []struct {
	key      string
	statuses []coopbot.NeedStatus
}{
	{"new", []coopbot.NeedStatus{coopbot.NeedReceived}},
	{"active", []coopbot.NeedStatus{coopbot.NeedReviewing, coopbot.NeedReferred}},
	{"done", []coopbot.NeedStatus{coopbot.NeedResolved, coopbot.NeedClosed}},
	{"all", nil},
}

// needInbox is where a staff member is in the inbox: the filter, the report shown and the
// status change being made.
type needInbox struct {
	Nbh    int64                `json:"nb,omitempty"`
	Cat    coopbot.NeedCategory `json:"ct,omitempty"`
	Group  int                  `json:"gr,omitempty"` // index into needGroups
	Report int64                `json:"id,omitempty"` // the buttons act on it, whatever arrives in the queue
	From   coopbot.NeedStatus   `json:"sf,omitempty"`
	To     coopbot.NeedStatus   `json:"st,omitempty"`
	Ref    string               `json:"rt,omitempty"`
}

// group is the status filter, the default one when the index is out of range.
func (a *needInbox) group() int {
	if a.Group < 0 || a.Group >= len(needGroups) {
		return 0
	}
	return a.Group
}

// filter is the inbox filter narrowed to the staff scope.
func (a *needInbox) filter(s *coopbot.Staff) coopbot.NeedFilter {
	f := coopbot.NeedFilter{Category: a.Cat, Statuses: needGroups[a.group()].statuses}
	if !f.Category.Valid() {
		f.Category = ""
	}
	if s.Role == coopbot.RoleStaff {
		f.Neighborhood = a.Nbh
	} else {
		f.Neighborhood = s.NeighborhoodID
	}
	return f
}

// restart shows the first report under the filter, with Back leading to the menu.
func (a *needInbox) restart() Next {
	return Start(FlowNeedsInbox, needInbox{Nbh: a.Nbh, Cat: a.Cat, Group: a.Group})
}

func needSubject(id int64) string { return "need:" + strconv.FormatInt(id, 10) }

// needGate admits staff and neighborhood managers as the store says at every update and
// fills c.Staff; a refusal is recorded under action.
func needGate(d Deps, action string) Gate {
	return func(ctx context.Context, c *Conv) (*coopbot.Msg, error) {
		s, err := d.Store.Staff(ctx, c.Profile.ResidentID)
		if err != nil {
			return nil, err
		}
		if s == nil {
			if err := d.Store.Audit(ctx, c.Profile.ResidentID, action, "", false, nil); err != nil {
				return nil, err
			}
			m := coopbot.M("needs.denied")
			return &m, nil
		}
		c.Staff = s
		return nil, nil
	}
}

// needLabel renders a message in the reader's language, for lines composed of several
// labels (a summary row, a button with a count).
func needLabel(d Deps, lang coopbot.Lang, id string) (string, error) {
	return d.Labels.Text(lang, id, nil, nil)
}

func needsAdminFeature(d Deps) feature {
	inbox := &Flow[needInbox]{Name: FlowNeedsInbox, Gate: needGate(d, "need_inbox"), Steps: []Step[needInbox]{
		needCardStep(d), needReferToStep(), needNoteStep(d),
		needFilterStep(d), needFilterNeighborhoodStep(d), needFilterCategoryStep(d), needFilterStatusStep(d),
	}}
	start := func(flow string) func(ctx context.Context, c *Conv) (Next, error) {
		return func(ctx context.Context, c *Conv) (Next, error) { return Start(flow, nil), nil }
	}
	return feature{
		flows: []flowDef{inbox, needSummaryFlow(d)},
		menu: []MenuItem{
			{Label: "needs.menu.inbox", Value: FlowNeedsInbox, Visible: staffOnly, Open: start(FlowNeedsInbox)},
			{Label: "needs.menu.summary", Value: FlowNeedsSummary, Visible: staffOnly, Open: start(FlowNeedsSummary)},
		},
		actions: map[string]Action{needAction: needAlertAction(d)},
		// Staff typing a tracking code at the main menu get that report's card.
		menuText: []func(ctx context.Context, c *Conv, typed string) (Next, bool, error){
			func(ctx context.Context, c *Conv, typed string) (Next, bool, error) {
				code, ok := coopbot.ParseNeedCode(typed)
				if !ok || !staffOnly(c.Profile) {
					return Next{}, false, nil
				}
				s, err := d.Store.Staff(ctx, c.Profile.ResidentID)
				if err != nil || s == nil {
					return Next{}, false, err
				}
				rep, err := d.Store.FindNeedReport(ctx, s, code)
				if coopbot.ErrorCode(err) == coopbot.ENotFound {
					return Retry("needs.code_unknown", "Code", text.FaDigits(code)), true, nil
				}
				if err != nil {
					return Next{}, false, err
				}
				return Start(FlowNeedsInbox, needInbox{Report: rep.ID}), true, nil
			},
		},
	}
}

// renderNeedNew tells a staff member of a new report in their scope, with buttons to open
// it and to start reviewing it; nothing once they no longer hold a staff role covering it.
func renderNeedNew(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	st, err := s.Staff(ctx, to.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	if st == nil {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("resident %d is no longer staff", to.ID)}
	}
	card, err := s.NeedCard(ctx, st, coopbot.NeedFilter{}, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	r := card.Report
	nbhs, err := s.Neighborhoods(ctx)
	if err != nil {
		return coopbot.Reply{}, err
	}
	var nbh coopbot.Neighborhood
	if i := slices.IndexFunc(nbhs, func(x coopbot.Neighborhood) bool { return x.ID == r.NeighborhoodID }); i >= 0 {
		nbh = nbhs[i]
	}
	// The message takes names and labels of both languages; each reader's is used.
	data := []any{"Code", text.FaDigits(r.Code), "NameFa", nbh.NameFa, "NameAz", nbh.Name(coopbot.Azeri)}
	for _, l := range []struct {
		lang     coopbot.Lang
		cat, urg string
	}{{coopbot.Persian, "CatFa", "UrgFa"}, {coopbot.Azeri, "CatAz", "UrgAz"}} {
		data = append(data,
			l.cat, coopbot.Msg{ID: "need.cat." + string(r.Category), Lang: l.lang},
			l.urg, coopbot.Msg{ID: needUrgencyID(r.Urgency), Lang: l.lang})
	}
	id := strconv.FormatInt(r.ID, 10)
	return coopbot.Reply{
		Text: []coopbot.Msg{coopbot.M("needs.alert.new", data...)},
		Buttons: [][]coopbot.Button{{
			{Label: coopbot.M("needs.alert.open"), Data: "a:" + needAction + ":" + id},
			{Label: coopbot.M("needs.alert.review"), Data: "a:" + needAction + ":" + id + ":" + string(coopbot.NeedReviewing)},
		}},
	}, nil
}

// needAlertArgs reads the arguments of an alert's button, "<id>" or "<id>:reviewing" (the
// form alerts already in staff chats carry): a positive id, and whether to start
// reviewing.
func needAlertArgs(args string) (id int64, review, ok bool) {
	idArg, to, _ := strings.Cut(args, ":")
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id <= 0 || (to != "" && to != string(coopbot.NeedReviewing)) {
		return 0, false, false
	}
	return id, to != "", true
}

// needAlertAction handles the buttons of a new-report alert.
func needAlertAction(d Deps) Action {
	return func(ctx context.Context, c *Conv, args string) (Next, error) {
		id, review, ok := needAlertArgs(args)
		if !ok {
			return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "conv.stale"}}), nil
		}
		denied := func() (Next, error) {
			detail := map[string]any{}
			if review {
				detail["to"] = coopbot.NeedReviewing
			}
			if err := d.Store.Audit(ctx, c.Profile.ResidentID, "need_open", needSubject(id), false, detail); err != nil {
				return Next{}, err
			}
			m := coopbot.M("needs.denied")
			return Stay(coopbot.Reply{Toast: &m}), nil
		}
		s, err := d.Store.Staff(ctx, c.Profile.ResidentID)
		if err != nil {
			return Next{}, err
		}
		if s == nil {
			return denied()
		}
		card, err := d.Store.NeedCard(ctx, s, coopbot.NeedFilter{}, id)
		if coopbot.ErrorCode(err) == coopbot.ENotFound {
			return denied()
		}
		if err != nil {
			return Next{}, err
		}
		a := needInbox{Report: id}
		if !review {
			return Start(FlowNeedsInbox, a), nil
		}
		// An alert is about a new report: it moves from received, and the store alone
		// decides whether it still can (inside its transaction). Deciding here on the card
		// just read would go wrong when the press comes again after its reply failed: the
		// report would then read as reviewing already, because of this very press.
		_, err = d.Store.ChangeNeedStatus(ctx, s, coopbot.NeedChange{ReportID: id, From: coopbot.NeedReceived, To: coopbot.NeedReviewing})
		switch coopbot.ErrorCode(err) {
		case "":
			return Start(FlowNeedsInbox, a).Say(coopbot.Text(coopbot.M("needs.card.changed", "Code", text.FaDigits(card.Report.Code), "Status", coopbot.M(needStatusID(coopbot.NeedReviewing))))), nil
		case coopbot.EConflict, coopbot.EInvalid:
			now, err := d.Store.NeedCard(ctx, s, coopbot.NeedFilter{}, id)
			if err != nil {
				return Next{}, err
			}
			return Start(FlowNeedsInbox, a).Say(coopbot.Text(coopbot.M("needs.card.already", "Status", coopbot.M(needStatusID(now.Report.Status))))), nil
		case coopbot.ENotFound:
			return denied()
		default:
			return Next{}, err
		}
	}
}

// needApply makes a status change and shows the report again (with show) with what
// happened.
func needApply(ctx context.Context, d Deps, c *Conv, s *coopbot.Staff, a *needInbox, ch coopbot.NeedChange, show func(a *needInbox) Next) (Next, error) {
	a.From, a.To, a.Ref = "", "", ""
	rep, err := d.Store.ChangeNeedStatus(ctx, s, ch)
	switch coopbot.ErrorCode(err) {
	case "":
	case coopbot.EConflict, coopbot.EInvalid:
		return show(a).Say(coopbot.Text(coopbot.M("needs.card.conflict"))), nil
	case coopbot.ENotFound:
		if err := d.Store.Audit(ctx, c.Profile.ResidentID, "need_status", needSubject(ch.ReportID), false, map[string]any{"to": ch.To}); err != nil {
			return Next{}, err
		}
		a.Report = 0
		return show(a).Say(coopbot.Text(coopbot.M("needs.denied"))), nil
	default:
		return Next{}, err
	}
	return show(a).Say(coopbot.Text(coopbot.M("needs.card.changed", "Code", text.FaDigits(rep.Code), "Status", coopbot.M(needStatusID(rep.Status))))), nil
}

// needFilterMsg describes the inbox filter.
func needFilterMsg(ctx context.Context, d Deps, c *Conv, a *needInbox) (coopbot.Msg, error) {
	f := a.filter(c.Staff)
	nbh := coopbot.M("needs.filter.all_neighborhoods")
	if f.Neighborhood != 0 {
		name, err := needNeighborhoodName(ctx, d, c.Lang(), f.Neighborhood)
		if err != nil {
			return coopbot.Msg{}, err
		}
		nbh = coopbot.Raw(name)
	}
	cat := coopbot.M("needs.filter.all_categories")
	if f.Category != "" {
		cat = needCategoryMsg(f.Category)
	}
	return coopbot.M("needs.filter.current", "Neighborhood", nbh, "Category", cat, "Status", coopbot.M("needs.group."+needGroups[a.group()].key)), nil
}

func needNeighborhoodName(ctx context.Context, d Deps, lang coopbot.Lang, id int64) (string, error) {
	all, err := d.Store.Neighborhoods(ctx)
	if err != nil {
		return "", err
	}
	for _, n := range all {
		if n.ID == id {
			return n.Name(lang), nil
		}
	}
	return "", nil
}

// needMapLink is a map link for a shared location (shown to staff as plain text).
func needMapLink(lat, lon float64) string {
	la, lo := strconv.FormatFloat(lat, 'f', 6, 64), strconv.FormatFloat(lon, 'f', 6, 64)
	return "https://www.openstreetmap.org/?mlat=" + la + "&mlon=" + lo + "#map=17/" + la + "/" + lo
}

// needNext reports whether the card leads on to another report of the filter: the next
// one in the queue, or, for a report outside the filter with none after it in the queue,
// the filter's first.
func needNext(card coopbot.NeedCard) bool {
	return card.Next != 0 || card.Pos == 0 && card.Total > 0
}

// needShownCard is the card of the report the conversation shows, or the first of the
// queue when that one left the person's scope.
func needShownCard(ctx context.Context, d Deps, c *Conv, a *needInbox) (coopbot.NeedCard, error) {
	f := a.filter(c.Staff)
	card, err := d.Store.NeedCard(ctx, c.Staff, f, a.Report)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		card, err = d.Store.NeedCard(ctx, c.Staff, f, 0)
	}
	return card, err
}

// needCardText is a report as staff see it: where it stands, what was reported, by whom,
// and its history.
func needCardText(ctx context.Context, d Deps, c *Conv, card coopbot.NeedCard, filter coopbot.Msg) ([]coopbot.Msg, error) {
	rep := card.Report
	var out []coopbot.Msg
	switch {
	case card.Pos > 0:
		out = append(out, coopbot.M("needs.card.position", "Pos", text.Number(int64(card.Pos)), "Total", text.Number(int64(card.Total))))
	case card.Total > 0:
		// Its status was just changed (or it was opened by its code): it stays on
		// screen, and Next leads into the filter.
		out = append(out, coopbot.M("needs.card.outside_more", "Total", text.Number(int64(card.Total))).WithCount(card.Total))
	default:
		out = append(out, coopbot.M("needs.card.outside_none"))
	}
	nbh, err := needNeighborhoodName(ctx, d, c.Lang(), rep.NeighborhoodID)
	if err != nil {
		return nil, err
	}
	out = append(out, filter,
		coopbot.M("needs.card.code", "Code", text.FaDigits(rep.Code), "Date", text.Date(rep.CreatedAt), "Time", text.Clock(rep.CreatedAt)),
		coopbot.M("needs.card.neighborhood", "Name", nbh),
		coopbot.M("need.detail.status", "Status", coopbot.M(needStatusID(rep.Status))))
	if rep.Status == coopbot.NeedReferred && rep.ReferredTo != "" {
		out = append(out, coopbot.M("need.history.referred", "To", needEcho(rep.ReferredTo)))
	}
	out = append(out, needFields(rep)...)
	if rep.HasLocation {
		out = append(out, coopbot.M("needs.card.map", "Link", needMapLink(rep.Lat, rep.Lon)))
	}
	out = append(out, coopbot.M("needs.card.reporter", "Name", needEcho(rep.ReporterName)))
	if rep.ReporterPhone != "" {
		out = append(out, coopbot.M("needs.card.phone", "Phone", text.Phone(rep.ReporterPhone)))
	}
	out = append(out, coopbot.M("need.detail.history"))
	return append(out, needHistory(rep, true)...), nil
}

// needCardStep shows one report with Previous/Next, its status buttons and the filter.
func needCardStep(d Deps) Step[needInbox] {
	return Step[needInbox]{
		Name: "card",
		Ask: func(ctx context.Context, c *Conv, a *needInbox) (coopbot.Reply, error) {
			return needCardAsk(ctx, d, c, a)
		},
		Answer: func(ctx context.Context, c *Conv, a *needInbox, in Input) (Next, error) {
			return needCardAnswer(ctx, d, c, a, in)
		},
	}
}

// needFilterRow is the card's button to the filter.
var needFilterRow = []coopbot.Button{{Label: coopbot.M("needs.card.filter"), Data: "filter"}}

// needCardAsk is the card of the report shown (the first of the queue when none is).
func needCardAsk(ctx context.Context, d Deps, c *Conv, a *needInbox) (coopbot.Reply, error) {
	card, err := needShownCard(ctx, d, c, a)
	if err != nil {
		return coopbot.Reply{}, err
	}
	filter, err := needFilterMsg(ctx, d, c, a)
	if err != nil {
		return coopbot.Reply{}, err
	}
	rep := card.Report
	if rep == nil {
		a.Report = 0
		return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("needs.card.none"), filter}, Buttons: [][]coopbot.Button{needFilterRow}}, nil
	}
	a.Report = rep.ID
	var r coopbot.Reply
	if r.Text, err = needCardText(ctx, d, c, card, filter); err != nil {
		return r, err
	}
	var nav []coopbot.Button
	if card.Prev != 0 {
		nav = append(nav, coopbot.Button{Label: coopbot.M("needs.card.prev"), Data: "prev"})
	}
	if needNext(card) {
		nav = append(nav, coopbot.Button{Label: coopbot.M("needs.card.next"), Data: "next"})
	}
	if len(nav) > 0 {
		r.Buttons = append(r.Buttons, nav)
	}
	var row []coopbot.Button
	for i, to := range coopbot.NeedStatuses {
		if rep.Status.CanMoveTo(to) {
			row = append(row, coopbot.Button{Label: coopbot.M("needs.set." + string(to)), Data: Data("st", int64(i))})
		}
	}
	r.Buttons = append(r.Buttons, grid(2, row)...)
	r.Buttons = append(r.Buttons, needFilterRow)
	return r, nil
}

// needCardAnswer moves through the queue, jumps to a typed code or starts a status change.
func needCardAnswer(ctx context.Context, d Deps, c *Conv, a *needInbox, in Input) (Next, error) {
	if in.Choice == "filter" {
		return Goto("filter"), nil
	}
	if in.Kind == KindText && in.Choice == "" {
		// A tracking code typed here jumps to that report.
		code, ok := coopbot.ParseNeedCode(in.Text)
		if !ok {
			return Retry("needs.card.invalid"), nil
		}
		rep, err := d.Store.FindNeedReport(ctx, c.Staff, code)
		if coopbot.ErrorCode(err) == coopbot.ENotFound {
			return Retry("needs.code_unknown", "Code", text.FaDigits(code)), nil
		}
		if err != nil {
			return Next{}, err
		}
		a.Report = rep.ID
		return Again(), nil
	}
	card, err := d.Store.NeedCard(ctx, c.Staff, a.filter(c.Staff), a.Report)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		a.Report = 0
		return Again(), nil
	}
	if err != nil {
		return Next{}, err
	}
	if card.Report == nil {
		return Retry("needs.card.invalid"), nil
	}
	switch in.Choice {
	case "prev":
		if card.Prev != 0 {
			a.Report = card.Prev
		}
		return Again(), nil
	case "next":
		switch {
		case card.Next != 0:
			a.Report = card.Next
		case needNext(card):
			a.Report = 0 // the first of the filter
		}
		return Again(), nil
	}
	i, ok := in.PickIndex("st", len(coopbot.NeedStatuses))
	if !ok {
		return Retry("needs.card.invalid"), nil
	}
	to := coopbot.NeedStatuses[i]
	if !card.Report.Status.CanMoveTo(to) {
		return Retry("needs.card.cannot_move"), nil
	}
	a.From, a.To, a.Ref = card.Report.Status, to, ""
	if to == coopbot.NeedReferred {
		return Goto("referto"), nil
	}
	return Goto("note"), nil
}

func needReferToStep() Step[needInbox] {
	rules := needText{min: NeedReferredMin, max: NeedReferredMax,
		notText: "needs.referto.invalid", short: "needs.referto.invalid", long: "needs.referto.too_long"}
	return Step[needInbox]{
		Name: "referto",
		Ask: func(ctx context.Context, c *Conv, a *needInbox) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("needs.referto.prompt")), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needInbox, in Input) (Next, error) {
			s, retry, ok := rules.read(in)
			if !ok {
				return retry, nil
			}
			a.Ref = s
			return Goto("note"), nil
		},
	}
}

func needNoteStep(d Deps) Step[needInbox] {
	rules := needText{min: 1, max: NeedNoteMax, multiline: true,
		notText: "needs.note.invalid", short: "needs.note.invalid", long: "needs.note.too_long"}
	return Step[needInbox]{
		Name: "note",
		Ask: func(ctx context.Context, c *Conv, a *needInbox) (coopbot.Reply, error) {
			return coopbot.Reply{
				Text:    []coopbot.Msg{coopbot.M("needs.note.prompt", "Status", coopbot.M(needStatusID(a.To)), "Max", text.Number(NeedNoteMax))},
				Buttons: [][]coopbot.Button{{{Label: coopbot.M("needs.note.none"), Data: "none"}}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needInbox, in Input) (Next, error) {
			note := ""
			if in.Choice != "none" {
				s, retry, ok := rules.read(in)
				if !ok {
					return retry, nil
				}
				note = s
			}
			ch := coopbot.NeedChange{ReportID: a.Report, From: a.From, To: a.To, ReferredTo: a.Ref, Note: note}
			return needApply(ctx, d, c, c.Staff, a, ch, func(*needInbox) Next { return Goto("card") })
		},
	}
}
