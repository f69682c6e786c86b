package flows

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"coopbot"
	"coopbot/text"
)

// Livelihood needs, the staff's side: an inbox of reports filtered by neighborhood,
// category and status, one report at a time with Previous/Next and status buttons; a
// summary by neighborhood × category and by status; a CSV export for a Jalali date range.
// Staff see every neighborhood; a neighborhood manager only theirs. Every read and change
// re-checks the role with Store.Staff, and the store applies the scope in SQL.

// Flow names of the staff's side.
const (
	FlowNeedsInbox   = "needs_inbox"
	FlowNeedsSummary = "needs_summary"
)

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

func needGroup(key string) (string, []coopbot.NeedStatus) {
	for _, g := range needGroups {
		if g.key == key {
			return g.key, g.statuses
		}
	}
	return needGroups[0].key, needGroups[0].statuses
}

// needFilterOf is the inbox filter of the conversation, narrowed to the staff scope.
func needFilterOf(c *Conv, s *coopbot.Staff) coopbot.NeedFilter {
	_, statuses := needGroup(c.Get("fs"))
	f := coopbot.NeedFilter{Category: coopbot.NeedCategory(c.Get("fc")), Statuses: statuses}
	if !f.Category.Valid() {
		f.Category = ""
	}
	if s.Role == coopbot.RoleStaff {
		f.Neighborhood = c.GetInt("fn")
	} else {
		f.Neighborhood = s.NeighborhoodID
	}
	return f
}

// needInboxAnswers keeps the filter (and optionally the shown report) for a fresh start
// of the inbox.
func needInboxAnswers(c *Conv, keepReport bool) map[string]string {
	a := map[string]string{"fn": c.Get("fn"), "fc": c.Get("fc"), "fs": c.Get("fs")}
	if keepReport {
		a["r"] = c.Get("r")
	}
	return a
}

// needStaff re-reads the person's staff role; nil when they have none.
func needStaff(ctx context.Context, d Deps, c *Conv) (*coopbot.Staff, error) {
	return d.Store.Staff(ctx, c.Profile.ResidentID)
}

// needDenied records a refused attempt and tells the person.
func needDenied(ctx context.Context, d Deps, c *Conv, action, subject string) (Next, error) {
	if err := d.Store.Audit(ctx, c.Profile.ResidentID, action, subject, false, nil); err != nil {
		return Next{}, err
	}
	return Done(coopbot.Text(coopbot.M("needs.denied"))), nil
}

func needSubject(id int64) string { return "need:" + strconv.FormatInt(id, 10) }

func needsAdminFeature(d Deps) feature {
	inbox := &legacyFlow{Name: FlowNeedsInbox, First: "card", Steps: map[string]legacyStep{
		"card":    needCardStep(d),
		"referto": needReferToStep(),
		"note":    needNoteStep(d),
		"filter":  needFilterStep(d),
		"fnbh":    needFilterNeighborhoodStep(d),
		"fcat":    needFilterCategoryStep(d),
		"fstat":   needFilterStatusStep(d),
	}}
	summary := &legacyFlow{Name: FlowNeedsSummary, First: "view", Steps: map[string]legacyStep{
		"view": needSummaryStep(d),
		"from": needExportFromStep(d),
		"to":   needExportToStep(d),
	}}
	open := func(flow, action string) func(ctx context.Context, c *Conv) (Next, error) {
		return func(ctx context.Context, c *Conv) (Next, error) {
			s, err := needStaff(ctx, d, c)
			if err != nil {
				return Next{}, err
			}
			if s == nil {
				return needDenied(ctx, d, c, action, "")
			}
			return Start(flow, nil), nil
		}
	}
	return feature{
		flows: []flowDef{inbox, summary},
		menu: []MenuItem{
			{Label: "needs.menu.inbox", Value: FlowNeedsInbox, Visible: staffOnly, Open: open(FlowNeedsInbox, "need_inbox")},
			{Label: "needs.menu.summary", Value: FlowNeedsSummary, Visible: staffOnly, Open: open(FlowNeedsSummary, "need_summary")},
		},
		actions: map[string]Action{needAction: needAlertAction(d)},
		// Staff typing a tracking code at the main menu get that report's card.
		menuText: []func(ctx context.Context, c *Conv, typed string) (Next, bool, error){
			func(ctx context.Context, c *Conv, typed string) (Next, bool, error) {
				code, ok := ParseNeedCode(typed)
				if !ok || !staffOnly(c.Profile) {
					return Next{}, false, nil
				}
				s, err := needStaff(ctx, d, c)
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
				return Start(FlowNeedsInbox, map[string]string{"r": strconv.FormatInt(rep.ID, 10)}), true, nil
			},
		},
	}
}

// needLabel renders a message in the reader's language, for lines composed of several
// labels (a summary row, a history line).
func needLabel(ctx context.Context, d Deps, lang coopbot.Lang, id string) (string, error) {
	return d.Labels.Text(lang, id, nil, nil)
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

// needAlertAction handles the buttons of a new-report alert.
func needAlertAction(d Deps) Action {
	return func(ctx context.Context, c *Conv, args string) (Next, error) {
		idArg, toArg, _ := strings.Cut(args, ":")
		to := coopbot.NeedStatus(toArg)
		id, err := strconv.ParseInt(idArg, 10, 64)
		if err != nil || id <= 0 || (to != "" && to != coopbot.NeedReviewing) {
			return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "conv.stale"}}), nil
		}
		denied := func() (Next, error) {
			if err := d.Store.Audit(ctx, c.Profile.ResidentID, "need_open", needSubject(id), false, map[string]any{"to": to}); err != nil {
				return Next{}, err
			}
			m := coopbot.M("needs.denied")
			return Stay(coopbot.Reply{Toast: &m}), nil
		}
		s, err := needStaff(ctx, d, c)
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
		answers := map[string]string{"r": idArg}
		if to == "" {
			return Start(FlowNeedsInbox, answers), nil
		}
		if !card.Report.Status.CanMoveTo(to) {
			st, err := needLabel(ctx, d, c.Lang(), needStatusID(card.Report.Status))
			if err != nil {
				return Next{}, err
			}
			return Start(FlowNeedsInbox, answers).Say(coopbot.Text(coopbot.M("needs.card.already", "Status", st))), nil
		}
		return needApply(ctx, d, c, s, answers, coopbot.NeedChange{ReportID: id, From: card.Report.Status, To: to})
	}
}

// needApply makes a status change and shows the report again with what happened.
func needApply(ctx context.Context, d Deps, c *Conv, s *coopbot.Staff, answers map[string]string, ch coopbot.NeedChange) (Next, error) {
	rep, err := d.Store.ChangeNeedStatus(ctx, s, ch)
	switch coopbot.ErrorCode(err) {
	case "":
	case coopbot.EConflict, coopbot.EInvalid:
		return Start(FlowNeedsInbox, answers).Say(coopbot.Text(coopbot.M("needs.card.conflict"))), nil
	case coopbot.ENotFound:
		if err := d.Store.Audit(ctx, c.Profile.ResidentID, "need_status", needSubject(ch.ReportID), false, map[string]any{"to": ch.To}); err != nil {
			return Next{}, err
		}
		delete(answers, "r")
		return Start(FlowNeedsInbox, answers).Say(coopbot.Text(coopbot.M("needs.denied"))), nil
	default:
		return Next{}, err
	}
	st, err := needLabel(ctx, d, c.Lang(), needStatusID(rep.Status))
	if err != nil {
		return Next{}, err
	}
	return Start(FlowNeedsInbox, answers).Say(coopbot.Text(coopbot.M("needs.card.changed", "Code", text.FaDigits(rep.Code), "Status", st))), nil
}

// needFilterMsg describes the inbox filter.
func needFilterMsg(ctx context.Context, d Deps, c *Conv, s *coopbot.Staff) (coopbot.Msg, error) {
	f := needFilterOf(c, s)
	nbh, err := needLabel(ctx, d, c.Lang(), "needs.filter.all_neighborhoods")
	if err != nil {
		return coopbot.Msg{}, err
	}
	if f.Neighborhood != 0 {
		if nbh, err = needNeighborhoodName(ctx, d, c.Lang(), f.Neighborhood); err != nil {
			return coopbot.Msg{}, err
		}
	}
	catID := "needs.filter.all_categories"
	if f.Category != "" {
		catID = "need.cat." + string(f.Category)
	}
	cat, err := needLabel(ctx, d, c.Lang(), catID)
	if err != nil {
		return coopbot.Msg{}, err
	}
	g, _ := needGroup(c.Get("fs"))
	st, err := needLabel(ctx, d, c.Lang(), "needs.group."+g)
	if err != nil {
		return coopbot.Msg{}, err
	}
	return coopbot.M("needs.filter.current", "Neighborhood", nbh, "Category", cat, "Status", st), nil
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

func needCardStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			s, err := needStaff(ctx, d, c)
			if err != nil {
				return coopbot.Reply{}, err
			}
			if s == nil {
				return coopbot.Text(coopbot.M("needs.denied")), nil
			}
			f := needFilterOf(c, s)
			card, err := d.Store.NeedCard(ctx, s, f, c.GetInt("r"))
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				// The report left this person's scope: show the queue from its start.
				card, err = d.Store.NeedCard(ctx, s, f, 0)
			}
			if err != nil {
				return coopbot.Reply{}, err
			}
			filter, err := needFilterMsg(ctx, d, c, s)
			if err != nil {
				return coopbot.Reply{}, err
			}
			filterRow := []coopbot.Button{{Label: coopbot.M("needs.card.filter"), Data: "filter"}}
			rep := card.Report
			if rep == nil {
				c.Set("r", "")
				return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("needs.card.none"), filter}, Buttons: [][]coopbot.Button{filterRow}}, nil
			}
			// The buttons act on the report shown, whatever arrives in the queue meanwhile.
			c.SetInt("r", rep.ID)
			r := coopbot.Reply{}
			if card.Pos > 0 {
				r.Text = append(r.Text, coopbot.M("needs.card.position", "Pos", text.Number(int64(card.Pos)), "Total", text.Number(int64(card.Total))))
			} else {
				r.Text = append(r.Text, coopbot.M("needs.card.outside", "Total", text.Number(int64(card.Total))).WithCount(card.Total))
			}
			nbh, err := needNeighborhoodName(ctx, d, c.Lang(), rep.NeighborhoodID)
			if err != nil {
				return r, err
			}
			st, err := needLabel(ctx, d, c.Lang(), needStatusID(rep.Status))
			if err != nil {
				return r, err
			}
			r.Text = append(r.Text, filter,
				coopbot.M("needs.card.code", "Code", text.FaDigits(rep.Code), "Date", text.Date(rep.CreatedAt), "Time", text.Clock(rep.CreatedAt)),
				coopbot.M("needs.card.neighborhood", "Name", nbh),
				coopbot.M("need.detail.status", "Status", st))
			if rep.Status == coopbot.NeedReferred && rep.ReferredTo != "" {
				r.Text = append(r.Text, coopbot.M("need.history.referred", "To", rep.ReferredTo))
			}
			r.Text = append(r.Text, needFields(rep)...)
			if rep.HasLocation {
				r.Text = append(r.Text, coopbot.M("needs.card.map", "Link", needMapLink(rep.Lat, rep.Lon)))
			}
			r.Text = append(r.Text, coopbot.M("needs.card.reporter", "Name", rep.ReporterName))
			if rep.ReporterPhone != "" {
				r.Text = append(r.Text, coopbot.M("needs.card.phone", "Phone", text.Phone(rep.ReporterPhone)))
			}
			r.Text = append(r.Text, coopbot.M("need.detail.history"))
			r.Text = append(r.Text, needHistory(rep, true)...)

			var nav []coopbot.Button
			if card.Prev != 0 {
				nav = append(nav, coopbot.Button{Label: coopbot.M("needs.card.prev"), Data: "prev"})
			}
			if card.Next != 0 {
				nav = append(nav, coopbot.Button{Label: coopbot.M("needs.card.next"), Data: "next"})
			}
			if len(nav) > 0 {
				r.Buttons = append(r.Buttons, nav)
			}
			var row []coopbot.Button
			for _, to := range coopbot.NeedStatuses {
				if !rep.Status.CanMoveTo(to) {
					continue
				}
				row = append(row, coopbot.Button{Label: coopbot.M("needs.set." + string(to)), Data: "st:" + string(to)})
			}
			r.Buttons = append(r.Buttons, grid(2, row)...)
			r.Buttons = append(r.Buttons, filterRow)
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if in.Choice == "filter" {
				return Goto("filter"), nil
			}
			s, err := needStaff(ctx, d, c)
			if err != nil {
				return Next{}, err
			}
			if s == nil {
				return needDenied(ctx, d, c, "need_inbox", needSubject(c.GetInt("r")))
			}
			f := needFilterOf(c, s)
			if in.Kind == KindText && in.Choice == "" {
				// A tracking code typed here jumps to that report.
				code, ok := ParseNeedCode(in.Text)
				if !ok {
					return Retry("needs.card.invalid"), nil
				}
				rep, err := d.Store.FindNeedReport(ctx, s, code)
				if coopbot.ErrorCode(err) == coopbot.ENotFound {
					return Retry("needs.code_unknown", "Code", text.FaDigits(code)), nil
				}
				if err != nil {
					return Next{}, err
				}
				c.SetInt("r", rep.ID)
				return Again(), nil
			}
			card, err := d.Store.NeedCard(ctx, s, f, c.GetInt("r"))
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				c.Set("r", "")
				return Again(), nil
			}
			if err != nil {
				return Next{}, err
			}
			if card.Report == nil {
				return Retry("needs.card.invalid"), nil
			}
			switch in.Choice {
			case "next", "prev":
				id := card.Next
				if in.Choice == "prev" {
					id = card.Prev
				}
				if id != 0 {
					c.SetInt("r", id)
				}
				return Again(), nil
			}
			toArg, ok := strings.CutPrefix(in.Choice, "st:")
			to := coopbot.NeedStatus(toArg)
			if !ok {
				return Retry("needs.card.invalid"), nil
			}
			if !card.Report.Status.CanMoveTo(to) {
				return Retry("needs.card.cannot_move"), nil
			}
			c.Set("from", string(card.Report.Status))
			c.Set("to", string(to))
			c.Set("ref", "")
			if to == coopbot.NeedReferred {
				return Goto("referto"), nil
			}
			return Goto("note"), nil
		},
	}
}

func needReferToStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("needs.referto.prompt")), nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if in.Kind != KindText {
				return Retry("needs.referto.invalid"), nil
			}
			s := text.Clean(in.Raw)
			n := utf8.RuneCountInString(s)
			switch {
			case s == "":
				return Retry(string(text.ReasonEmpty)), nil
			case n < NeedReferredMin:
				return Retry("needs.referto.invalid"), nil
			case n > NeedReferredMax:
				return Retry("needs.referto.too_long", "Count", text.Number(int64(n)), "Max", text.Number(NeedReferredMax)), nil
			}
			c.Set("ref", s)
			return Goto("note"), nil
		},
	}
}

func needNoteStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			st, err := needLabel(ctx, d, c.Lang(), needStatusID(coopbot.NeedStatus(c.Get("to"))))
			if err != nil {
				return coopbot.Reply{}, err
			}
			return coopbot.Reply{
				Text:    []coopbot.Msg{coopbot.M("needs.note.prompt", "Status", st, "Max", text.Number(NeedNoteMax))},
				Buttons: [][]coopbot.Button{{{Label: coopbot.M("needs.note.none"), Data: "none"}}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			note := ""
			switch {
			case in.Choice == "none":
			case in.Kind == KindText:
				note = text.CleanMultiline(in.Raw)
				n := utf8.RuneCountInString(note)
				if note == "" {
					return Retry(string(text.ReasonEmpty)), nil
				}
				if n > NeedNoteMax {
					return Retry("needs.note.too_long", "Count", text.Number(int64(n)), "Max", text.Number(NeedNoteMax)), nil
				}
			default:
				return Retry("needs.note.invalid"), nil
			}
			s, err := needStaff(ctx, d, c)
			if err != nil {
				return Next{}, err
			}
			if s == nil {
				return needDenied(ctx, d, c, "need_status", needSubject(c.GetInt("r")))
			}
			return needApply(ctx, d, c, s, needInboxAnswers(c, true), coopbot.NeedChange{
				ReportID: c.GetInt("r"), From: coopbot.NeedStatus(c.Get("from")), To: coopbot.NeedStatus(c.Get("to")), ReferredTo: c.Get("ref"), Note: note,
			})
		},
	}
}

func needFilterStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			s, err := needStaff(ctx, d, c)
			if err != nil {
				return coopbot.Reply{}, err
			}
			if s == nil {
				return coopbot.Text(coopbot.M("needs.denied")), nil
			}
			cur, err := needFilterMsg(ctx, d, c, s)
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("needs.filter.prompt"), cur)
			if s.Role == coopbot.RoleStaff {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("needs.filter.neighborhood"), Data: "fn"}})
			}
			r.Buttons = append(r.Buttons,
				[]coopbot.Button{{Label: coopbot.M("needs.filter.category"), Data: "fc"}, {Label: coopbot.M("needs.filter.status"), Data: "fs"}},
				[]coopbot.Button{{Label: coopbot.M("needs.filter.clear"), Data: "clear"}})
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch in.Choice {
			case "fn":
				if c.Profile.Role == coopbot.RoleStaff {
					return Goto("fnbh"), nil
				}
			case "fc":
				return Goto("fcat"), nil
			case "fs":
				return Goto("fstat"), nil
			case "clear":
				return Start(FlowNeedsInbox, nil), nil
			}
			return Retry("needs.filter.invalid"), nil
		},
	}
}

// needCounted is the staff scope's counts under the inbox filter minus one dimension.
func needCounted(ctx context.Context, d Deps, c *Conv, s *coopbot.Staff, by string) (map[string]int, int, error) {
	counts, err := d.Store.NeedCounts(ctx, s)
	if err != nil {
		return nil, 0, err
	}
	f := needFilterOf(c, s)
	out, total := map[string]int{}, 0
	for _, n := range counts {
		if by != "n" && f.Neighborhood != 0 && n.Neighborhood != f.Neighborhood {
			continue
		}
		if by != "c" && f.Category != "" && n.Category != f.Category {
			continue
		}
		if by != "s" && len(f.Statuses) > 0 && !slices.Contains(f.Statuses, n.Status) {
			continue
		}
		var k string
		switch by {
		case "n":
			k = strconv.FormatInt(n.Neighborhood, 10)
		case "c":
			k = string(n.Category)
		case "s":
			k = string(n.Status)
		}
		out[k] += n.N
		total += n.N
	}
	return out, total, nil
}

// needCountLabel is a button label with a count.
func needCountLabel(label string, n int) coopbot.Msg {
	return coopbot.Raw(label + " (" + text.Number(int64(n)) + ")")
}

func needFilterNeighborhoodStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			s, err := needStaff(ctx, d, c)
			if err != nil || s == nil || s.Role != coopbot.RoleStaff {
				return coopbot.Text(coopbot.M("needs.denied")), err
			}
			counts, total, err := needCounted(ctx, d, c, s, "n")
			if err != nil {
				return coopbot.Reply{}, err
			}
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return coopbot.Reply{}, err
			}
			allLabel, err := needLabel(ctx, d, c.Lang(), "needs.filter.all_neighborhoods")
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("needs.filter.neighborhood.prompt"))
			r.Buttons = append(r.Buttons, []coopbot.Button{{Label: needCountLabel(allLabel, total), Data: "n:0"}})
			var row []coopbot.Button
			for _, n := range all {
				k := counts[strconv.FormatInt(n.ID, 10)]
				if k == 0 {
					continue
				}
				row = append(row, coopbot.Button{Label: needCountLabel(n.Name(c.Lang()), k), Data: "n:" + strconv.FormatInt(n.ID, 10)})
			}
			r.Buttons = append(r.Buttons, grid(2, row)...)
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return Next{}, err
			}
			var id int64 = -1
			if v, ok := strings.CutPrefix(in.Choice, "n:"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err == nil && (n == 0 || slices.ContainsFunc(all, func(x coopbot.Neighborhood) bool { return x.ID == n })) {
					id = n
				}
			} else if in.Kind == KindText {
				found, _ := matchNeighborhoods(all, in.Text)
				if len(found) != 1 {
					return Retry("needs.filter.neighborhood.not_found", "Typed", in.Text), nil
				}
				id = found[0].ID
			}
			if id < 0 {
				return Retry("needs.filter.invalid"), nil
			}
			a := needInboxAnswers(c, false)
			a["fn"] = strconv.FormatInt(id, 10)
			return Start(FlowNeedsInbox, a), nil
		},
	}
}

func needFilterCategoryStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			s, err := needStaff(ctx, d, c)
			if err != nil || s == nil {
				return coopbot.Text(coopbot.M("needs.denied")), err
			}
			counts, total, err := needCounted(ctx, d, c, s, "c")
			if err != nil {
				return coopbot.Reply{}, err
			}
			allLabel, err := needLabel(ctx, d, c.Lang(), "needs.filter.all_categories")
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("needs.filter.category.prompt"))
			r.Buttons = append(r.Buttons, []coopbot.Button{{Label: needCountLabel(allLabel, total), Data: "c:"}})
			var row []coopbot.Button
			for _, k := range coopbot.NeedCategories {
				label, err := needLabel(ctx, d, c.Lang(), "need.cat."+string(k))
				if err != nil {
					return r, err
				}
				row = append(row, coopbot.Button{Label: needCountLabel(label, counts[string(k)]), Data: "c:" + string(k)})
			}
			r.Buttons = append(r.Buttons, grid(2, row)...)
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			k, ok := strings.CutPrefix(in.Choice, "c:")
			if !ok && in.Kind == KindText {
				// A category typed without its count.
				key := text.Key(in.Text)
				for _, cat := range coopbot.NeedCategories {
					label, err := needLabel(ctx, d, c.Lang(), "need.cat."+string(cat))
					if err != nil {
						return Next{}, err
					}
					if key != "" && labelKey(label) == key {
						k, ok = string(cat), true
					}
				}
			}
			if !ok || (k != "" && !coopbot.NeedCategory(k).Valid()) {
				return Retry("needs.filter.invalid"), nil
			}
			a := needInboxAnswers(c, false)
			a["fc"] = k
			return Start(FlowNeedsInbox, a), nil
		},
	}
}

func needFilterStatusStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			s, err := needStaff(ctx, d, c)
			if err != nil || s == nil {
				return coopbot.Text(coopbot.M("needs.denied")), err
			}
			counts, _, err := needCounted(ctx, d, c, s, "s")
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("needs.filter.status.prompt"))
			for _, g := range needGroups {
				label, err := needLabel(ctx, d, c.Lang(), "needs.group."+g.key)
				if err != nil {
					return r, err
				}
				n := 0
				for st, k := range counts {
					if g.statuses == nil || slices.Contains(g.statuses, coopbot.NeedStatus(st)) {
						n += k
					}
				}
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: needCountLabel(label, n), Data: "s:" + g.key}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			k, ok := strings.CutPrefix(in.Choice, "s:")
			if g, _ := needGroup(k); !ok || g != k {
				return Retry("needs.filter.invalid"), nil
			}
			a := needInboxAnswers(c, false)
			a["fs"] = k
			return Start(FlowNeedsInbox, a), nil
		},
	}
}

// needSummaryText renders the counts of the staff scope: by status, by category, and by
// neighborhood × category, each line compact with counts in Persian digits.
func needSummaryText(ctx context.Context, d Deps, lang coopbot.Lang, s *coopbot.Staff, counts []coopbot.NeedCount) ([]coopbot.Msg, error) {
	total := 0
	byStatus, byCat := map[string]int{}, map[string]int{}
	byNbh := map[int64]map[string]int{}
	nbhTotal := map[int64]int{}
	for _, n := range counts {
		total += n.N
		byStatus[string(n.Status)] += n.N
		byCat[string(n.Category)] += n.N
		if byNbh[n.Neighborhood] == nil {
			byNbh[n.Neighborhood] = map[string]int{}
		}
		byNbh[n.Neighborhood][string(n.Category)] += n.N
		nbhTotal[n.Neighborhood] += n.N
	}
	out := []coopbot.Msg{coopbot.M("needs.summary.title", "Total", text.Number(int64(total))).WithCount(total)}
	if s.Role != coopbot.RoleStaff {
		name, err := needNeighborhoodName(ctx, d, lang, s.NeighborhoodID)
		if err != nil {
			return nil, err
		}
		out = append(out, coopbot.M("needs.summary.scope", "Name", name))
	}
	if total == 0 {
		return append(out, coopbot.M("needs.summary.empty")), nil
	}
	items := func(prefix string, keys []string, m map[string]int) (string, error) {
		var parts []string
		for _, k := range keys {
			if m[k] == 0 {
				continue
			}
			label, err := needLabel(ctx, d, lang, prefix+k)
			if err != nil {
				return "", err
			}
			parts = append(parts, label+" "+text.Number(int64(m[k])))
		}
		return strings.Join(parts, "، "), nil
	}
	st, err := items("need.status.", strs(coopbot.NeedStatuses), byStatus)
	if err != nil {
		return nil, err
	}
	cat, err := items("need.catshort.", strs(coopbot.NeedCategories), byCat)
	if err != nil {
		return nil, err
	}
	out = append(out, coopbot.M("needs.summary.by_status", "Items", st), coopbot.M("needs.summary.by_category", "Items", cat), coopbot.M("needs.summary.by_neighborhood"))
	all, err := d.Store.Neighborhoods(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(byNbh))
	for id := range byNbh {
		ids = append(ids, id)
	}
	name := func(id int64) string {
		for _, n := range all {
			if n.ID == id {
				return n.Name(lang)
			}
		}
		return ""
	}
	slices.SortFunc(ids, func(a, b int64) int {
		return cmp.Or(cmp.Compare(nbhTotal[b], nbhTotal[a]), strings.Compare(name(a), name(b)))
	})
	for _, id := range ids {
		row, err := items("need.catshort.", strs(coopbot.NeedCategories), byNbh[id])
		if err != nil {
			return nil, err
		}
		out = append(out, coopbot.M("needs.summary.row", "Name", name(id), "Total", text.Number(int64(nbhTotal[id])), "Items", row))
	}
	return out, nil
}

func needSummaryStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			s, err := needStaff(ctx, d, c)
			if err != nil || s == nil {
				return coopbot.Text(coopbot.M("needs.denied")), err
			}
			counts, err := d.Store.NeedCounts(ctx, s)
			if err != nil {
				return coopbot.Reply{}, err
			}
			lines, err := needSummaryText(ctx, d, c.Lang(), s, counts)
			if err != nil {
				return coopbot.Reply{}, err
			}
			return coopbot.Reply{Text: lines, Buttons: [][]coopbot.Button{{{Label: coopbot.M("needs.summary.export"), Data: "export"}}}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if in.Choice == "export" {
				return Goto("from"), nil
			}
			return Retry("needs.summary.invalid"), nil
		},
	}
}

// needParseDate reads a typed Jalali date that is not in the future.
func needParseDate(d Deps, in Input) (text.JalaliDate, Next, bool) {
	if in.Kind != KindText {
		return text.JalaliDate{}, Retry(string(text.DateFormat)), false
	}
	jd, reason := text.ParseJalaliDate(in.Text)
	if reason != text.OK {
		return jd, Retry(string(reason)), false
	}
	if jd.At(0, 0).After(d.Now()) {
		return jd, Retry("needs.export.future"), false
	}
	return jd, Next{}, true
}

func needExportFromStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("needs.export.from", "Example", text.Date(d.Now().AddDate(0, 0, -30)))), nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			jd, retry, ok := needParseDate(d, in)
			if !ok {
				return retry, nil
			}
			c.Set("from", jd.String())
			return Goto("to"), nil
		},
	}
}

func needExportToStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			from, _ := text.ParseJalaliDate(c.Get("from"))
			return coopbot.Reply{
				Text:    []coopbot.Msg{coopbot.M("needs.export.to", "From", from.Fa())},
				Buttons: [][]coopbot.Button{{{Label: coopbot.M("needs.export.today"), Data: "today"}}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			from, reason := text.ParseJalaliDate(c.Get("from"))
			if reason != text.OK {
				return Goto("from"), nil
			}
			to := text.JalaliOf(d.Now())
			if in.Choice != "today" {
				var retry Next
				var ok bool
				if to, retry, ok = needParseDate(d, in); !ok {
					return retry, nil
				}
			}
			if to.At(0, 0).Before(from.At(0, 0)) {
				return Retry("needs.export.before", "From", from.Fa()), nil
			}
			s, err := needStaff(ctx, d, c)
			if err != nil {
				return Next{}, err
			}
			if s == nil {
				return needDenied(ctx, d, c, "need_export", "")
			}
			rows, err := d.Store.NeedExport(ctx, s, from.At(0, 0), to.At(0, 0).AddDate(0, 0, 1))
			if err != nil {
				return Next{}, err
			}
			if len(rows) == 0 {
				return Retry("needs.export.empty", "From", from.Fa(), "To", to.Fa()), nil
			}
			data, err := needCSV(ctx, d, rows)
			if err != nil {
				return Next{}, err
			}
			if err := d.Store.Audit(ctx, c.Profile.ResidentID, "need_export", "", true, map[string]any{"from": from.String(), "to": to.String(), "rows": len(rows)}); err != nil {
				return Next{}, err
			}
			name := "needs-" + strings.ReplaceAll(from.String(), "/", "") + "-" + strings.ReplaceAll(to.String(), "/", "") + ".csv"
			return Done(coopbot.Reply{
				Text:     []coopbot.Msg{coopbot.M("needs.export.caption", "From", from.Fa(), "To", to.Fa(), "Count", text.Number(int64(len(rows)))).WithCount(len(rows))},
				Document: &coopbot.Document{Name: name, Data: data},
			}), nil
		},
	}
}

// needCSVColumns are the header messages of the export, one per column.
var needCSVColumns = []string{
	"needs.csv.code", "needs.csv.date", "needs.csv.time", "needs.csv.neighborhood", "needs.csv.category",
	"needs.csv.household", "needs.csv.urgency", "needs.csv.status", "needs.csv.referred_to",
	"needs.csv.description", "needs.csv.address", "needs.csv.lat", "needs.csv.lon", "needs.csv.updated",
}

// needCell keeps a cell from being read as a formula by spreadsheet programs.
func needCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// needCSV writes reports as CSV for spreadsheets: UTF-8 with a byte order mark, a Persian
// header row, Jalali dates and ASCII digits.
func needCSV(ctx context.Context, d Deps, rows []coopbot.NeedReport) ([]byte, error) {
	const lang = coopbot.Persian
	all, err := d.Store.Neighborhoods(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, n := range all {
		names[n.ID] = n.Name(lang)
	}
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	header := make([]string, len(needCSVColumns))
	for i, id := range needCSVColumns {
		if header[i], err = needLabel(ctx, d, lang, id); err != nil {
			return nil, err
		}
	}
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for _, r := range rows {
		cat, err := needLabel(ctx, d, lang, "need.cat."+string(r.Category))
		if err != nil {
			return nil, err
		}
		urg, err := needLabel(ctx, d, lang, needUrgencyID(r.Urgency))
		if err != nil {
			return nil, err
		}
		st, err := needLabel(ctx, d, lang, needStatusID(r.Status))
		if err != nil {
			return nil, err
		}
		lat, lon := "", ""
		if r.HasLocation {
			lat, lon = strconv.FormatFloat(r.Lat, 'f', 6, 64), strconv.FormatFloat(r.Lon, 'f', 6, 64)
		}
		rec := []string{
			r.Code, text.JalaliOf(r.CreatedAt).String(), r.CreatedAt.In(text.Tehran).Format("15:04"), names[r.NeighborhoodID], cat,
			strconv.Itoa(r.Household), urg, st, needCell(r.ReferredTo),
			needCell(r.Description), needCell(r.Address), lat, lon, text.JalaliOf(r.UpdatedAt).String(),
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func strs[S ~string](v []S) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = string(x)
	}
	return out
}
