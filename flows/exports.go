package flows

// Exports of membership requests and of broadcast deliveries: a button sends the records
// as a spreadsheet (an Excel workbook, then the same table as CSV), headers and labels in
// the reader's language. The store checks who asks and audits a refusal; a delivered
// export is audited here.

import (
	"context"
	"slices"
	"strconv"

	"coopbot"
	"coopbot/text"
)

// ExportStore reads the records of the exports of this file.
type ExportStore interface {
	// JoinExport loads a cooperative and all its requests, oldest first, personal data
	// opened, for its admins and staff whose scope covers it (forbidden, audited, else).
	JoinExport(ctx context.Context, actorID, coopID int64) (*coopbot.Cooperative, []coopbot.JoinRequest, error)
	// AdminCooperatives lists the active cooperatives a resident is an admin of.
	AdminCooperatives(ctx context.Context, residentID int64) ([]coopbot.Cooperative, error)
	// BroadcastRecipients lists a broadcast's deliveries for office staff or the manager
	// of its one neighborhood (forbidden, audited, else).
	BroadcastRecipients(ctx context.Context, actorID, id int64) ([]coopbot.BroadcastRecipient, error)
}

// Actions of the export buttons: "a:jx:c:<cooperative id>", "a:bce:b:<broadcast id>".
const (
	actionJoinExport      = "jx"
	actionBroadcastExport = "bce"
)

func exportsFeature(d Deps) feature {
	return feature{actions: map[string]Action{
		actionJoinExport:      func(ctx context.Context, c *Conv, args string) (Next, error) { return joinExport(ctx, d, c, args) },
		actionBroadcastExport: func(ctx context.Context, c *Conv, args string) (Next, error) { return broadcastExport(ctx, d, c, args) },
	}}
}

// joinExportButton is the button that sends a cooperative's requests; named tells which
// cooperative when the reader has buttons for several.
func joinExportButton(co coopbot.Cooperative, named bool) coopbot.Button {
	label := coopbot.M("coop.export.button")
	if named {
		label = coopMsg("coop.export.button_of", co)
	}
	return coopbot.Button{Label: label, Data: "a:" + actionJoinExport + ":" + Data("c", co.ID)}
}

// broadcastExportButton is the button on a broadcast's report that sends its deliveries.
func broadcastExportButton(id int64) coopbot.Button {
	return coopbot.Button{Label: coopbot.M("broadcast.export.button"), Data: "a:" + actionBroadcastExport + ":" + Data("b", id)}
}

// joinExport sends the requests of the cooperative named by the button, when the person
// who pressed it may read them.
func joinExport(ctx context.Context, d Deps, c *Conv, args string) (Next, error) {
	denied := Stay(toast("admin.denied"), coopbot.Text(coopbot.M("admin.denied")))
	id, ok := Input{Choice: args}.Pick("c")
	if !ok {
		return denied, d.Store.Audit(ctx, c.Profile.ResidentID, "join_export", "", false, map[string]any{"data": args})
	}
	co, list, err := d.Store.JoinExport(ctx, c.Profile.ResidentID, id)
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return denied, nil
	}
	if err != nil {
		return Next{}, err
	}
	if len(list) == 0 {
		return Stay(coopbot.Text(coopMsg("coop.export.empty", *co))), nil
	}
	if err := d.Store.Audit(ctx, c.Profile.ResidentID, "join_export", "cooperative:"+strconv.FormatInt(co.ID, 10), true, map[string]any{"rows": len(list)}); err != nil {
		return Next{}, err
	}
	return Stay(coopbot.Reply{
		Text:  []coopbot.Msg{coopMsg("coop.export.caption", *co, "Count", text.Number(int64(len(list)))).WithCount(len(list))},
		Table: joinTable(*co, list, today(d)),
	}), nil
}

// today is the Jalali day now, as file names carry it: "14040917".
func today(d Deps) string { return jalaliDay(d.Now()) }

// joinColumns are the columns of the request export.
var joinColumns = []coopbot.Column{
	{Header: coopbot.M("coop.export.col.no"), Kind: coopbot.ColNumber},
	{Header: coopbot.M("coop.export.col.date"), Kind: coopbot.ColDate},
	{Header: coopbot.M("coop.export.col.name"), Kind: coopbot.ColText},
	{Header: coopbot.M("coop.export.col.nid"), Kind: coopbot.ColText},
	{Header: coopbot.M("coop.export.col.phone"), Kind: coopbot.ColText},
	{Header: coopbot.M("coop.export.col.share"), Kind: coopbot.ColNumber},
	{Header: coopbot.M("coop.export.col.skills"), Kind: coopbot.ColText},
	{Header: coopbot.M("coop.export.col.status"), Kind: coopbot.ColText},
	{Header: coopbot.M("coop.export.col.decided_by"), Kind: coopbot.ColText},
	{Header: coopbot.M("coop.export.col.decided_at"), Kind: coopbot.ColDate},
	{Header: coopbot.M("coop.export.col.reason"), Kind: coopbot.ColText},
}

// joinStatusLabel names each state of a request in a spreadsheet cell.
var joinStatusLabel = map[coopbot.JoinStatus]string{
	coopbot.JoinPending:   "coop.export.status.pending",
	coopbot.JoinApproved:  "coop.export.status.approved",
	coopbot.JoinRejected:  "coop.export.status.rejected",
	coopbot.JoinWithdrawn: "coop.export.status.withdrawn",
}

// joinTable is the request export: one row per request, oldest first, with the
// national ID and mobile number as the admins' cards show them, skills, statuses and
// reasons in the reader's language, days in the Jalali calendar.
func joinTable(co coopbot.Cooperative, list []coopbot.JoinRequest, day string) *coopbot.Table {
	t := &coopbot.Table{
		Name:    "requests-" + strconv.FormatInt(co.ID, 10) + "-" + day,
		Sheet:   coopbot.M("coop.export.sheet"),
		Columns: joinColumns,
	}
	for _, r := range list {
		var skills []coopbot.Msg
		for _, s := range joinSkills {
			if slices.Contains(r.Skills, s.key) {
				skills = append(skills, coopbot.M(s.msg))
			}
		}
		if r.SkillsOther != "" {
			skills = append(skills, coopbot.Raw(r.SkillsOther))
		}
		var reason []coopbot.Msg
		if r.Status == coopbot.JoinRejected {
			if r.ReasonCode.Listed() {
				reason = append(reason, reasonMsg(r.ReasonCode))
			}
			if r.ReasonText != "" {
				reason = append(reason, coopbot.Raw(r.ReasonText))
			}
		}
		decidedBy, decidedAt := coopbot.Cell{}, coopbot.Cell{}
		if r.Status != coopbot.JoinPending {
			decidedAt = coopbot.TimeCell(r.DecidedAt)
			if r.Status != coopbot.JoinWithdrawn {
				decidedBy = coopbot.TextCell(r.DeciderName)
			}
		}
		t.Rows = append(t.Rows, []coopbot.Cell{
			coopbot.NumberCell(float64(r.ID)), coopbot.TimeCell(r.CreatedAt), coopbot.TextCell(r.FullName),
			coopbot.TextCell(r.NationalID), coopbot.TextCell(trainingPhone(r.Phone)), coopbot.NumberCell(float64(r.Share)),
			listCell(skills), coopbot.LabelCell(coopbot.M(joinStatusLabel[r.Status])), decidedBy, decidedAt, listCell(reason),
		})
	}
	return t
}

// listCell is one cell of several labels, "a، b، c" in the reader's language.
func listCell(items []coopbot.Msg) coopbot.Cell {
	if len(items) == 0 {
		return coopbot.Cell{}
	}
	return coopbot.LabelCell(listOf(items))
}

// listOf is several items as one list, "a، b، c", with the reader's language's separator.
func listOf(items []coopbot.Msg) coopbot.Msg {
	if len(items) == 0 {
		return coopbot.Raw("")
	}
	m := items[len(items)-1]
	for i := len(items) - 2; i >= 0; i-- {
		m = coopbot.M("common.list", "First", items[i], "Rest", m)
	}
	return m
}

// rawList is listOf for names already in the reader's language.
func rawList(names []string) coopbot.Msg {
	items := make([]coopbot.Msg, len(names))
	for i, n := range names {
		items[i] = coopbot.Raw(n)
	}
	return listOf(items)
}

// broadcastExport sends the deliveries of the broadcast named by the button, when the
// person who pressed it may read them.
func broadcastExport(ctx context.Context, d Deps, c *Conv, args string) (Next, error) {
	denied := Stay(toast("broadcast.export.denied"))
	id, ok := Input{Choice: args}.Pick("b")
	if !ok {
		return denied, d.Store.Audit(ctx, c.Profile.ResidentID, "broadcast_export", "", false, map[string]any{"data": args})
	}
	table, err := ExportRecipients(ctx, d.Store, c.Profile.ResidentID, c.Lang(), id, d.Now())
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return denied, nil
	}
	if err != nil {
		return Next{}, err
	}
	if table == nil {
		return Stay(coopbot.Text(coopbot.M("broadcast.export.empty", "ID", text.Number(id)))), nil
	}
	n := len(table.Rows)
	return Stay(coopbot.Reply{
		Text:  []coopbot.Msg{coopbot.M("broadcast.export.caption", "ID", text.Number(id), "Count", text.Number(int64(n))).WithCount(n)},
		Table: table,
	}), nil
}

// broadcastColumns are the columns of the delivery export.
var broadcastColumns = []coopbot.Column{
	{Header: coopbot.M("broadcast.export.col.row"), Kind: coopbot.ColNumber},
	{Header: coopbot.M("broadcast.export.col.name"), Kind: coopbot.ColText},
	{Header: coopbot.M("broadcast.export.col.neighborhood"), Kind: coopbot.ColText},
	{Header: coopbot.M("broadcast.export.col.outcome"), Kind: coopbot.ColText},
	{Header: coopbot.M("broadcast.export.col.time"), Kind: coopbot.ColDateTime},
}

// broadcastTable is the delivery export: one row per recipient in the order they were
// queued, the outcome in the reader's language, its time in Tehran.
func broadcastTable(l coopbot.Lang, id int64, list []coopbot.BroadcastRecipient, day string) *coopbot.Table {
	t := &coopbot.Table{
		Name:    "broadcast-" + strconv.FormatInt(id, 10) + "-" + day,
		Sheet:   coopbot.M("broadcast.export.sheet"),
		Columns: broadcastColumns,
	}
	for i, r := range list {
		at := coopbot.Cell{}
		if !r.At.IsZero() {
			at = coopbot.TimeCell(r.At)
		}
		t.Rows = append(t.Rows, []coopbot.Cell{
			coopbot.NumberCell(float64(i + 1)), coopbot.TextCell(r.Name), coopbot.TextCell(r.Neighborhood.In(l)),
			coopbot.LabelCell(coopbot.M("broadcast.export.outcome." + string(r.State))), at,
		})
	}
	return t
}
