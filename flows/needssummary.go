package flows

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"

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
	items := func(prefix string, keys []string, m map[string]int) (string, error) {
		var parts []string
		for _, k := range keys {
			if m[k] == 0 {
				continue
			}
			label, err := needLabel(d, lang, prefix+k)
			if err != nil {
				return "", err
			}
			parts = append(parts, label+" "+text.Number(int64(m[k])))
		}
		return strings.Join(parts, "، "), nil
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

func needExportFromStep(d Deps) Step[needExport] {
	return Step[needExport]{
		Name: "from",
		Ask: func(ctx context.Context, c *Conv, a *needExport) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("needs.export.from", "Example", text.Date(d.Now().AddDate(0, 0, -30)))), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needExport, in Input) (Next, error) {
			jd, retry, ok := needParseDate(d, in)
			if !ok {
				return retry, nil
			}
			a.From = jd.String()
			return Goto("to"), nil
		},
	}
}

func needExportToStep(d Deps) Step[needExport] {
	return Step[needExport]{
		Name: "to",
		Ask: func(ctx context.Context, c *Conv, a *needExport) (coopbot.Reply, error) {
			from, _ := text.ParseJalaliDate(a.From)
			return coopbot.Reply{
				Text:    []coopbot.Msg{coopbot.M("needs.export.to", "From", from.Fa())},
				Buttons: [][]coopbot.Button{{{Label: coopbot.M("needs.export.today"), Data: "today"}}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needExport, in Input) (Next, error) {
			from, reason := text.ParseJalaliDate(a.From)
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
			return needExportRange(ctx, d, c, from, to)
		},
	}
}

// needExportRange sends the reports of from..to (both days included) as a CSV file.
func needExportRange(ctx context.Context, d Deps, c *Conv, from, to text.JalaliDate) (Next, error) {
	rows, err := d.Store.NeedExport(ctx, c.Staff, from.At(0, 0), to.At(0, 0).AddDate(0, 0, 1))
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
}

// needCSVColumns are the header messages of the export, one per column.
var needCSVColumns = []string{
	"needs.csv.code", "needs.csv.date", "needs.csv.time", "needs.csv.neighborhood", "needs.csv.category",
	"needs.csv.household", "needs.csv.urgency", "needs.csv.status", "needs.csv.referred_to",
	"needs.csv.description", "needs.csv.address", "needs.csv.lat", "needs.csv.lon", "needs.csv.updated",
	"needs.csv.reporter",
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
		if header[i], err = needLabel(d, lang, id); err != nil {
			return nil, err
		}
	}
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for _, r := range rows {
		cat, err := needLabel(d, lang, "need.cat."+string(r.Category))
		if err != nil {
			return nil, err
		}
		urg, err := needLabel(d, lang, needUrgencyID(r.Urgency))
		if err != nil {
			return nil, err
		}
		st, err := needLabel(d, lang, needStatusID(r.Status))
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
			needCell(r.ReporterName),
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
