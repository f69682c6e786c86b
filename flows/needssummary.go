package flows

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"coopbot"
	"coopbot/text"
)

// Livelihood needs, the staff's summary: counts by neighborhood × category and by status
// within the staff scope, and a CSV export of the reports of a Jalali date range.

// FlowNeedsSummary is the staff's summary and export of need reports.
const FlowNeedsSummary = "needs_summary"

// needExport is the date range of the export being asked for.
type needExport struct {
	From string `json:"ef,omitempty"` // the first day, Jalali "1404/09/17"
	// Pending is a Gregorian day typed at step For, as its Jalali day, waiting to be
	// confirmed.
	Pending string `json:"eg,omitempty"`
	For     string `json:"eo,omitempty"`
}

func needSummaryFlow(d Deps) flowDef {
	return &Flow[needExport]{Name: FlowNeedsSummary, Gate: needGate(d, "need_summary"), Steps: []Step[needExport]{
		needSummaryStep(d), needExportFromStep(d), needExportToStep(d),
	}}
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
	items := func(prefix string, keys []string, m map[string]int) (coopbot.Msg, error) {
		var parts []string
		for _, k := range keys {
			if m[k] == 0 {
				continue
			}
			label, err := needLabel(d, lang, prefix+k)
			if err != nil {
				return coopbot.Msg{}, err
			}
			parts = append(parts, label+" "+text.Number(int64(m[k])))
		}
		return rawList(parts), nil
	}
	statuses, categories := needStrings(coopbot.NeedStatuses), needStrings(coopbot.NeedCategories)
	st, err := items("need.status.", statuses, byStatus)
	if err != nil {
		return nil, err
	}
	cat, err := items("need.catshort.", categories, byCat)
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
		row, err := items("need.catshort.", categories, byNbh[id])
		if err != nil {
			return nil, err
		}
		out = append(out, coopbot.M("needs.summary.row", "Name", name(id), "Total", text.Number(int64(nbhTotal[id])), "Items", row))
	}
	return out, nil
}

// needStrings are the values of a string-typed list, for keys of counts and messages.
func needStrings[S ~string](v []S) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = string(x)
	}
	return out
}

func needSummaryStep(d Deps) Step[needExport] {
	return Step[needExport]{
		Name: "view",
		Ask: func(ctx context.Context, c *Conv, a *needExport) (coopbot.Reply, error) {
			counts, err := d.Store.NeedCounts(ctx, c.Staff)
			if err != nil {
				return coopbot.Reply{}, err
			}
			lines, err := needSummaryText(ctx, d, c.Lang(), c.Staff, counts)
			if err != nil {
				return coopbot.Reply{}, err
			}
			return coopbot.Reply{Text: lines, Buttons: [][]coopbot.Button{{{Label: coopbot.M("needs.summary.export"), Data: "export"}}}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needExport, in Input) (Next, error) {
			if in.Choice == "export" {
				return Goto("from"), nil
			}
			return Retry("needs.summary.invalid"), nil
		},
	}
}

// needDay reads a day typed by staff, in the Jalali or the Gregorian calendar, that is
// not in the future; ok false with the retry otherwise.
func needDay(now time.Time, in Input) (text.ParsedDate, Next, bool) {
	if in.Kind != KindText {
		return text.ParsedDate{}, Retry(string(text.DateFormat)), false
	}
	day, reason := text.ParseDate(in.Text)
	if reason != text.OK {
		return day, Retry(string(reason)), false
	}
	if day.At(0, 0).After(now) {
		return day, Retry("needs.export.future"), false
	}
	return day, Next{}, true
}

// needDayStep asks for a day of the export. A Gregorian day is shown back as its Jalali
// day and taken once confirmed; a Jalali one is taken at once. check refuses a day (nil:
// fine), take uses it, other handles the question's own buttons.
type needDayStep struct {
	name  string
	now   func() time.Time
	ask   func(a *needExport) coopbot.Reply
	check func(a *needExport, day text.JalaliDate) *Next
	take  func(ctx context.Context, c *Conv, a *needExport, day text.JalaliDate) (Next, error)
	other func(ctx context.Context, c *Conv, a *needExport, in Input) (Next, bool, error)
}

func (s needDayStep) Step() Step[needExport] {
	return Step[needExport]{
		Name: s.name,
		Ask: func(ctx context.Context, c *Conv, a *needExport) (coopbot.Reply, error) {
			if day, ok := a.pending(s.name); ok {
				return coopbot.Reply{
					Text: []coopbot.Msg{coopbot.M("needs.export.gregorian", "Date", text.LongDate(day.At(12, 0), text.Lang(c.Lang())))},
					Buttons: [][]coopbot.Button{{
						{Label: coopbot.M("needs.export.gregorian_yes"), Data: "gy"},
						{Label: coopbot.M("needs.export.gregorian_no"), Data: "gn"},
					}},
				}, nil
			}
			return s.ask(a), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needExport, in Input) (Next, error) {
			if day, ok := a.pending(s.name); ok && (in.Choice == "gy" || in.Choice == "gn") {
				a.Pending, a.For = "", ""
				if in.Choice == "gn" {
					return Again(), nil
				}
				return s.take(ctx, c, a, day)
			}
			if s.other != nil {
				if next, ok, err := s.other(ctx, c, a, in); ok || err != nil {
					return next, err
				}
			}
			day, retry, ok := needDay(s.now(), in)
			if !ok {
				return retry, nil
			}
			if next := s.check(a, day.JalaliDate); next != nil {
				return *next, nil
			}
			if day.Gregorian {
				a.Pending, a.For = day.String(), s.name
				return Again(), nil
			}
			a.Pending, a.For = "", ""
			return s.take(ctx, c, a, day.JalaliDate)
		},
	}
}

// pending is the Gregorian day typed at step, waiting to be confirmed.
func (a *needExport) pending(step string) (text.JalaliDate, bool) {
	if a.Pending == "" || a.For != step {
		return text.JalaliDate{}, false
	}
	day, reason := text.ParseJalaliDate(a.Pending)
	return day, reason == text.OK
}

func needExportFromStep(d Deps) Step[needExport] {
	return needDayStep{
		name: "from",
		now:  d.Now,
		ask: func(a *needExport) coopbot.Reply {
			return coopbot.Text(coopbot.M("needs.export.from", "Example", text.Date(d.Now().AddDate(0, 0, -30))))
		},
		check: func(*needExport, text.JalaliDate) *Next { return nil },
		take: func(ctx context.Context, c *Conv, a *needExport, day text.JalaliDate) (Next, error) {
			a.From = day.String()
			return Goto("to"), nil
		},
	}.Step()
}

func needExportToStep(d Deps) Step[needExport] {
	from := func(a *needExport) text.JalaliDate {
		day, _ := text.ParseJalaliDate(a.From)
		return day
	}
	return needDayStep{
		name: "to",
		now:  d.Now,
		ask: func(a *needExport) coopbot.Reply {
			return coopbot.Reply{
				Text:    []coopbot.Msg{coopbot.M("needs.export.to", "From", from(a).Fa())},
				Buttons: [][]coopbot.Button{{{Label: coopbot.M("needs.export.today"), Data: "today"}}},
			}
		},
		check: func(a *needExport, day text.JalaliDate) *Next {
			if day.At(0, 0).Before(from(a).At(0, 0)) {
				next := Retry("needs.export.before", "From", from(a).Fa())
				return &next
			}
			return nil
		},
		take: func(ctx context.Context, c *Conv, a *needExport, day text.JalaliDate) (Next, error) {
			if !from(a).Valid() {
				return Goto("from"), nil
			}
			return needExportRange(ctx, d, c, from(a), day)
		},
		other: func(ctx context.Context, c *Conv, a *needExport, in Input) (Next, bool, error) {
			if in.Choice != "today" {
				return Next{}, false, nil
			}
			if !from(a).Valid() {
				return Goto("from"), true, nil
			}
			next, err := needExportRange(ctx, d, c, from(a), text.JalaliOf(d.Now()))
			return next, true, err
		},
	}.Step()
}

// needExportRange sends the reports of from..to (both days included) as a spreadsheet
// (an Excel workbook and the same table as CSV).
func needExportRange(ctx context.Context, d Deps, c *Conv, from, to text.JalaliDate) (Next, error) {
	rows, err := d.Store.NeedExport(ctx, c.Staff, coopbot.NeedFilter{}, from.At(0, 0), to.At(0, 0).AddDate(0, 0, 1))
	if err != nil {
		return Next{}, err
	}
	if len(rows) == 0 {
		return Retry("needs.export.empty", "From", from.Fa(), "To", to.Fa()), nil
	}
	table, err := needTable(ctx, d, c.Lang(), rows)
	if err != nil {
		return Next{}, err
	}
	if err := d.Store.Audit(ctx, c.Profile.ResidentID, "need_export", "", true, map[string]any{"from": from.String(), "to": to.String(), "rows": len(rows)}); err != nil {
		return Next{}, err
	}
	table.Name = "needs-" + strings.ReplaceAll(from.String(), "/", "") + "-" + strings.ReplaceAll(to.String(), "/", "")
	return Done(coopbot.Reply{
		Text:  []coopbot.Msg{coopbot.M("needs.export.caption", "From", from.Fa(), "To", to.Fa(), "Count", text.Number(int64(len(rows)))).WithCount(len(rows))},
		Table: table,
	}), nil
}

// needColumns are the columns of the export.
var needColumns = []coopbot.Column{
	{Header: coopbot.M("needs.csv.code"), Kind: coopbot.ColText},
	{Header: coopbot.M("needs.csv.date"), Kind: coopbot.ColDate},
	{Header: coopbot.M("needs.csv.time"), Kind: coopbot.ColTime},
	{Header: coopbot.M("needs.csv.neighborhood"), Kind: coopbot.ColText},
	{Header: coopbot.M("needs.csv.category"), Kind: coopbot.ColText},
	{Header: coopbot.M("needs.csv.household"), Kind: coopbot.ColNumber},
	{Header: coopbot.M("needs.csv.urgency"), Kind: coopbot.ColText},
	{Header: coopbot.M("needs.csv.status"), Kind: coopbot.ColText},
	{Header: coopbot.M("needs.csv.referred_to"), Kind: coopbot.ColText},
	{Header: coopbot.M("needs.csv.description"), Kind: coopbot.ColText},
	{Header: coopbot.M("needs.csv.address"), Kind: coopbot.ColText},
	{Header: coopbot.M("needs.csv.lat"), Kind: coopbot.ColNumber, Decimals: 6},
	{Header: coopbot.M("needs.csv.lon"), Kind: coopbot.ColNumber, Decimals: 6},
	{Header: coopbot.M("needs.csv.updated"), Kind: coopbot.ColDate},
	{Header: coopbot.M("needs.csv.reporter"), Kind: coopbot.ColText},
}

// needTable is the export of reports in the reader's language.
func needTable(ctx context.Context, d Deps, lang coopbot.Lang, rows []coopbot.NeedReport) (*coopbot.Table, error) {
	all, err := d.Store.Neighborhoods(ctx)
	if err != nil {
		return nil, err
	}
	return NeedTable(lang, all, rows), nil
}

// NeedTable is the export of need reports, the chat's and the web console's:
// neighborhoods, categories, urgencies and statuses in the reader's language, days in the
// Jalali calendar (Tehran).
func NeedTable(lang coopbot.Lang, nbhs []coopbot.Neighborhood, rows []coopbot.NeedReport) *coopbot.Table {
	names := map[int64]string{}
	for _, n := range nbhs {
		names[n.ID] = n.Name(lang)
	}
	t := &coopbot.Table{Sheet: coopbot.M("needs.export.sheet"), Columns: needColumns}
	for _, r := range rows {
		lat, lon := coopbot.Cell{}, coopbot.Cell{}
		if r.HasLocation {
			lat, lon = coopbot.NumberCell(r.Lat), coopbot.NumberCell(r.Lon)
		}
		t.Rows = append(t.Rows, []coopbot.Cell{
			coopbot.TextCell(r.Code), coopbot.TimeCell(r.CreatedAt), coopbot.TimeCell(r.CreatedAt),
			coopbot.TextCell(names[r.NeighborhoodID]), coopbot.LabelCell(coopbot.M("need.cat." + string(r.Category))),
			coopbot.NumberCell(float64(r.Household)), coopbot.LabelCell(coopbot.M(needUrgencyID(r.Urgency))),
			coopbot.LabelCell(coopbot.M(needStatusID(r.Status))), coopbot.TextCell(r.ReferredTo),
			coopbot.TextCell(r.Description), coopbot.TextCell(r.Address), lat, lon, coopbot.TimeCell(r.UpdatedAt),
			coopbot.TextCell(r.ReporterName),
		})
	}
	return t
}
