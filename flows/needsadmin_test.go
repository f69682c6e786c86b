package flows_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

func TestNeedManagerSeesOnlyOwnNeighborhood(t *testing.T) {
	t.Parallel()
	h := needHarness(t)
	ctx := context.Background()
	mgr := h.User(3201)
	mgr.Onboard("سرخاب")
	resA := h.User(3202)
	resA.Onboard("سرخاب")
	resB := h.User(3203)
	resB.Onboard("ولیعصر")
	nbhA := needNeighborhood(t, h, "سرخاب")
	mgrID := needResident(t, h, mgr)
	if _, err := h.DB.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`, mgrID, nbhA.ID); err != nil {
		t.Fatal(err)
	}
	mgr.Send("/menu") // roles are refreshed with the menu
	mgr.Sees("menu.title")

	codeA := needQuickReport(t, resA, "need.cat.food", "need.urgency.soon", "غذا برای بچه‌ها")
	codeB := needQuickReport(t, resB, "need.cat.health", "need.urgency.urgent", "داروی مادرم تمام شده")
	h.Idle()
	repB, err := h.DB.MyNeedReport(ctx, needResident(t, h, resB), codeB)
	if err != nil {
		t.Fatal(err)
	}

	// The manager is alerted of their neighborhood's report only, and sees only it.
	mgr.Sees("needs.alert.new", "Code", text.FaDigits(codeA), "NameFa", nbhA.NameFa, "CatFa", mgr.Text("need.cat.food"), "UrgFa", mgr.Text("need.urgency.soon"))
	mgr.Send("/menu")
	mgr.Sees("menu.title")
	mgr.Press("needs.menu.inbox")
	card := mgr.Sees("needs.card.position", "Pos", "۱", "Total", "۱")
	if !strings.Contains(card.Text, text.FaDigits(codeA)) || strings.Contains(card.Text, text.FaDigits(codeB)) {
		t.Fatalf("manager's card = %q", card.Text)
	}
	if strings.Contains(strings.Join(mgr.Buttons(), " "), mgr.Text("needs.card.next")) {
		t.Fatalf("manager's queue has a next report: %q", mgr.Buttons())
	}

	// B's code typed in the inbox and at the menu is not found.
	mgr.Send(codeB)
	mgr.Sees("needs.code_unknown", "Code", text.FaDigits(codeB))

	// Forged alert buttons naming B's report: refused with a toast, recorded, unchanged.
	last := card.ID
	for _, data := range []string{fmt.Sprintf("a:need:%d", repB.ID), fmt.Sprintf("a:need:%d:reviewing", repB.ID)} {
		before := len(mgr.E.Toasts())
		mgr.E.PressData(last, data)
		h.Idle()
		toasts := mgr.E.Toasts()
		if len(toasts) != before+1 || toasts[len(toasts)-1] != mgr.Text("needs.denied") {
			t.Fatalf("toasts after %s = %q, want the denial", data, toasts)
		}
	}
	var denied int
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND subject = $2 AND NOT allowed`,
		mgrID, fmt.Sprintf("need:%d", repB.ID)).Scan(&denied); err != nil || denied != 2 {
		t.Fatalf("denied attempts recorded = %d, %v; want 2", denied, err)
	}
	if r, err := h.DB.MyNeedReport(ctx, needResident(t, h, resB), codeB); err != nil || r.Status != coopbot.NeedReceived || len(r.History) != 1 {
		t.Fatalf("B's report after forged presses = %+v, %v", r, err)
	}

	// A forged "neighborhood filter" button (managers have none) is refused.
	mgr.Press("needs.card.filter")
	filter := mgr.Sees("needs.filter.prompt")
	for _, row := range filter.Inline {
		for _, b := range row {
			if b.Text == mgr.Text("needs.filter.neighborhood") {
				t.Fatalf("manager offered the neighborhood filter")
			}
		}
	}
	seq, _, _ := strings.Cut(strings.TrimPrefix(filter.Inline[0][0].Data, "c:"), ":")
	mgr.E.PressData(filter.ID, "c:"+seq+":fn")
	mgr.Sees("needs.filter.invalid")

	// Their summary counts their neighborhood only.
	mgr.Send("/menu")
	mgr.Sees("menu.title")
	mgr.Press("needs.menu.summary")
	sum := mgr.Sees("needs.summary.title", "Total", "۱")
	if !strings.Contains(sum.Text, mgr.Text("needs.summary.scope", "Name", nbhA.NameFa)) {
		t.Fatalf("manager's summary = %q", sum.Text)
	}

	// Once no longer a manager, the card's buttons are refused on the server.
	mgr.Send("/menu")
	mgr.Sees("menu.title")
	mgr.Press("needs.menu.inbox")
	mgr.Sees("needs.card.position", "Pos", "۱", "Total", "۱")
	if _, err := h.DB.Pool.Exec(ctx, `DELETE FROM staff WHERE resident_id = $1`, mgrID); err != nil {
		t.Fatal(err)
	}
	mgr.Press("needs.set.reviewing")
	mgr.Sees("needs.denied")
	h.Idle()
	if r, err := h.DB.MyNeedReport(ctx, needResident(t, h, resA), codeA); err != nil || r.Status != coopbot.NeedReceived {
		t.Fatalf("A's report after a refused change = %+v, %v", r, err)
	}
}

func TestNeedSummaryAndExport(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 3300)
	ctx := context.Background()
	staff := h.User(3300)
	staff.Onboard("سرخاب")
	s, err := h.DB.Staff(ctx, needResident(t, h, staff))
	if err != nil || s == nil {
		t.Fatalf("staff role: %+v, %v", s, err)
	}
	nbhA, nbhB := needNeighborhood(t, h, "سرخاب"), needNeighborhood(t, h, "ولیعصر")

	// Reports inserted through the store: A has 3 food (1 closed) and 2 employment
	// (reviewing); B has 1 food and 2 health (resolved).
	uid := int64(3400)
	add := func(nbh int64, cat coopbot.NeedCategory, n int, to coopbot.NeedStatus, desc string) {
		for range n {
			uid++
			res, err := h.DB.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: uid, ChatID: uid, Lang: coopbot.Persian, NeighborhoodID: nbh, Name: "ساکن"})
			if err != nil {
				t.Fatal(err)
			}
			r := &coopbot.NeedReport{ResidentID: res, SubmitKey: "k", Category: cat, Household: 2, Urgency: coopbot.NeedSoon, Description: desc}
			if err := h.DB.CreateNeedReport(ctx, r); err != nil {
				t.Fatal(err)
			}
			if to != coopbot.NeedReceived {
				if _, err := h.DB.ChangeNeedStatus(ctx, s, coopbot.NeedChange{ReportID: r.ID, From: coopbot.NeedReceived, To: to}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	add(nbhA.ID, "food", 2, coopbot.NeedReceived, "نان نداریم،\nکمک کنید")
	add(nbhA.ID, "food", 1, coopbot.NeedClosed, "=HYPERLINK(\"x\")")
	add(nbhA.ID, "employment", 2, coopbot.NeedReviewing, "دنبال کار")
	add(nbhB.ID, "food", 1, coopbot.NeedReceived, "برنج")
	add(nbhB.ID, "health", 2, coopbot.NeedResolved, "دارو")

	staff.Press("needs.menu.summary")
	sum := staff.Sees("needs.summary.title", "Total", "۸")
	T := staff.Text
	want := strings.Join([]string{
		T("needs.summary.title", "Total", "۸"),
		T("needs.summary.by_status", "Items", T("need.status.received")+" ۳، "+T("need.status.reviewing")+" ۲، "+T("need.status.resolved")+" ۲، "+T("need.status.closed")+" ۱"),
		T("needs.summary.by_category", "Items", T("need.catshort.employment")+" ۲، "+T("need.catshort.food")+" ۴، "+T("need.catshort.health")+" ۲"),
		T("needs.summary.by_neighborhood"),
		T("needs.summary.row", "Name", nbhA.NameFa, "Total", "۵", "Items", T("need.catshort.employment")+" ۲، "+T("need.catshort.food")+" ۳"),
		T("needs.summary.row", "Name", nbhB.NameFa, "Total", "۳", "Items", T("need.catshort.food")+" ۱، "+T("need.catshort.health")+" ۲"),
	}, "\n")
	if sum.Text != want {
		t.Fatalf("summary =\n%s\nwant\n%s", sum.Text, want)
	}

	// Export: dates typed in Jalali, wrong ones first.
	today := text.JalaliOf(time.Now())
	yesterday := text.JalaliOf(time.Now().AddDate(0, 0, -1))
	tomorrow := text.JalaliOf(time.Now().AddDate(0, 0, 1))
	staff.Press("needs.summary.export")
	staff.Sees("needs.export.from", "Example", text.Date(time.Now().AddDate(0, 0, -30)))
	staff.Send("1404/13/01")
	staff.Sees("input.date.invalid")
	staff.Send(tomorrow.String())
	staff.Sees("needs.export.future")
	staff.Send("1400/01/01")
	staff.Sees("needs.export.to", "From", text.JalaliDate{Year: 1400, Month: 1, Day: 1}.Fa())
	staff.Send("1400/01/02")
	staff.Sees("needs.export.empty", "From", text.JalaliDate{Year: 1400, Month: 1, Day: 1}.Fa(), "To", text.JalaliDate{Year: 1400, Month: 1, Day: 2}.Fa())
	staff.Press("common.back")
	staff.Sees("needs.export.from", "Example", text.Date(time.Now().AddDate(0, 0, -30)))
	// Yesterday in Arabic-Indic digits.
	staff.Send(strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return r - '0' + '٠'
		}
		return r
	}, yesterday.String()))
	staff.Sees("needs.export.to", "From", yesterday.Fa())
	staff.Press("needs.export.today")

	book, doc := staff.Export(0)
	if book.Caption != T("needs.export.caption", "From", yesterday.Fa(), "To", today.Fa(), "Count", "۸") {
		t.Fatalf("caption = %q", book.Caption)
	}
	if doc.Caption != T("export.csv.caption") {
		t.Fatalf("csv caption = %q", doc.Caption)
	}
	data, ok := bytes.CutPrefix(doc.Data, []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Fatalf("export does not start with a UTF-8 byte order mark: % x", doc.Data[:8])
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	if len(rows) != 9 {
		t.Fatalf("export has %d rows, want a header and 8 reports", len(rows))
	}
	if rows[0][0] != T("needs.csv.code") || rows[0][9] != T("needs.csv.description") {
		t.Fatalf("header = %q", rows[0])
	}
	var foundMultiline, guarded bool
	for _, r := range rows[1:] {
		if len(r) != len(rows[0]) {
			t.Fatalf("row %q has %d cells, header %d", r, len(r), len(rows[0]))
		}
		if _, ok := coopbot.ParseNeedCode(r[0]); !ok || r[1] != today.String() {
			t.Fatalf("row %q: code or date", r)
		}
		switch r[9] {
		case "نان نداریم،\nکمک کنید":
			foundMultiline = r[3] == nbhA.NameFa && r[4] == T("need.cat.food") && r[7] == T("need.status.received")
		case "'=HYPERLINK(\"x\")":
			guarded = true
		}
	}
	if !foundMultiline || !guarded {
		t.Fatalf("export rows: Persian multi-line text intact %v, formula guarded %v:\n%q", foundMultiline, guarded, rows)
	}
	staff.Sees("menu.title")
}

// After a status change the report stays on the card with its new status, although it
// left the inbox's filter; the card says how many reports the filter still holds and
// "Next" leads to the next of them.
func TestNeedInboxKeepsMovedReportAndLeadsOn(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 3500)
	staff := h.User(3500)
	staff.Onboard("سرخاب")
	first := h.User(3501)
	first.Onboard("سرخاب")
	second := h.User(3502)
	second.Onboard("ولیعصر")
	codeA := needQuickReport(t, first, "need.cat.food", "need.urgency.urgent", "غذا برای بچه‌ها")
	codeB := needQuickReport(t, second, "need.cat.health", "need.urgency.normal", "داروی مادرم تمام شده")
	h.Idle()

	// The inbox opens on the new reports, most urgent first.
	staff.Press("needs.menu.inbox")
	card := staff.Sees("needs.card.position", "Pos", "۱", "Total", "۲")
	if !strings.Contains(card.Text, text.FaDigits(codeA)) {
		t.Fatalf("first card = %q, want report %s", card.Text, codeA)
	}
	staff.Press("needs.set.reviewing")
	staff.Sees("needs.note.prompt", "Status", staff.Text("need.status.reviewing"), "Max", "۵۰۰")
	staff.Press("needs.note.none")
	staff.Sees("needs.card.changed", "Code", text.FaDigits(codeA), "Status", staff.Text("need.status.reviewing"))
	card = staff.Sees("needs.card.outside_more", "Total", "۱")
	for _, want := range []string{text.FaDigits(codeA), staff.Text("need.detail.status", "Status", staff.Text("need.status.reviewing"))} {
		if !strings.Contains(card.Text, want) {
			t.Fatalf("card after the change = %q, lacks %q", card.Text, want)
		}
	}
	staff.Press("needs.card.next")
	card = staff.Sees("needs.card.position", "Pos", "۱", "Total", "۱")
	if !strings.Contains(card.Text, text.FaDigits(codeB)) {
		t.Fatalf("next card = %q, want report %s", card.Text, codeB)
	}

	// The last new report moved: the card says the filter holds no other.
	staff.Press("needs.set.closed")
	staff.Sees("needs.note.prompt", "Status", staff.Text("need.status.closed"), "Max", "۵۰۰")
	staff.Press("needs.note.none")
	staff.Sees("needs.card.changed", "Code", text.FaDigits(codeB), "Status", staff.Text("need.status.closed"))
	card = staff.Sees("needs.card.outside_none")
	if !strings.Contains(card.Text, text.FaDigits(codeB)) || strings.Contains(strings.Join(staff.Buttons(), " "), staff.Text("needs.card.next")) {
		t.Fatalf("card after the last change = %q, buttons %q", card.Text, staff.Buttons())
	}
}

// needJoin files a membership request for a resident under this full name: the name the
// office then knows them by.
func needJoin(t *testing.T, h *chattest.Harness, resident int64, name, nid string) {
	t.Helper()
	ctx := context.Background()
	coops, err := h.DB.JoinCooperatives(ctx)
	if err != nil || len(coops) == 0 {
		t.Fatalf("cooperatives: %d, %v", len(coops), err)
	}
	if _, _, err := h.DB.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: coops[0].ID, ResidentID: resident,
		FullName: name, NationalID: nid, Phone: "+989141234567", Share: coops[0].MinShare}); err != nil {
		t.Fatal(err)
	}
}

// needExportRows waits for the export files and returns the rows of the CSV file and the
// caption of the workbook.
func needExportRows(t *testing.T, u *chattest.User) ([][]string, string) {
	t.Helper()
	book, doc := u.Export(0)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(doc.Data, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	return rows, book.Caption
}

// The inbox and the export name people as the office knows them: the full name of their
// latest membership request, not what their messenger shows.
func TestNeedInboxAndExportUseRealNames(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 3700)
	staff := h.User(3700)
	staff.Onboard("سرخاب")
	res := h.User(3701)
	res.Onboard("سرخاب")
	other := h.User(3702) // never asked to join: known by the messenger's name
	other.Onboard("سرخاب")
	needJoin(t, h, needResident(t, h, res), "مریم رضایی", "0012345679")
	needJoin(t, h, needResident(t, h, staff), "علی کریمی", "0034567895")
	codeA := needQuickReport(t, res, "need.cat.food", "need.urgency.urgent", "غذا برای بچه‌ها")
	codeB := needQuickReport(t, other, "need.cat.health", "need.urgency.normal", "دارو")
	h.Idle()

	staff.Press("needs.menu.inbox")
	card := staff.Sees("needs.card.position", "Pos", "۱", "Total", "۲")
	if want := staff.Text("needs.card.reporter", "Name", text.Isolate("مریم رضایی")); !strings.Contains(card.Text, want) || !strings.Contains(card.Text, text.FaDigits(codeA)) {
		t.Fatalf("card %q lacks %q", card.Text, want)
	}
	staff.Press("needs.set.reviewing")
	staff.Sees("needs.note.prompt", "Status", staff.Text("need.status.reviewing"), "Max", "۵۰۰")
	staff.Press("needs.note.none")
	card = staff.Sees("needs.card.changed", "Code", text.FaDigits(codeA), "Status", staff.Text("need.status.reviewing"))
	card = staff.Sees("need.detail.history")
	if want := staff.Text("needs.history.by", "Name", text.Isolate("علی کریمی")); !strings.Contains(card.Text, want) {
		t.Fatalf("card %q lacks who changed it, %q", card.Text, want)
	}
	staff.Press("needs.card.next")
	card = staff.Sees("needs.card.position", "Pos", "۱", "Total", "۱")
	if want := staff.Text("needs.card.reporter", "Name", text.Isolate(other.E.FirstName())); !strings.Contains(card.Text, want) || !strings.Contains(card.Text, text.FaDigits(codeB)) {
		t.Fatalf("card %q lacks %q", card.Text, want)
	}

	staff.Send("/menu")
	staff.Sees("menu.title")
	staff.Press("needs.menu.summary")
	staff.Sees("needs.summary.title", "Total", "۲")
	staff.Press("needs.summary.export")
	staff.Sees("needs.export.from", "Example", text.Date(time.Now().AddDate(0, 0, -30)))
	staff.Send(text.JalaliOf(time.Now()).String())
	staff.Sees("needs.export.to", "From", text.JalaliOf(time.Now()).Fa())
	staff.Press("needs.export.today")
	rows, _ := needExportRows(t, staff)
	col := slices.Index(rows[0], staff.Text("needs.csv.reporter"))
	if col < 0 || len(rows) != 3 {
		t.Fatalf("export without a reporter column or with %d rows: %q", len(rows), rows)
	}
	names := map[string]string{}
	for _, r := range rows[1:] {
		names[r[0]] = r[col]
	}
	if names[codeA] != "مریم رضایی" || names[codeB] != other.E.FirstName() {
		t.Fatalf("reporters in the export = %q", names)
	}
}

// Staff may type the export's days in the Gregorian calendar: each is read, shown back as
// its Jalali day and used once confirmed.
func TestNeedExportTakesGregorianDates(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 3800)
	staff := h.User(3800)
	staff.Onboard("سرخاب")
	res := h.User(3801)
	res.Onboard("سرخاب")
	needQuickReport(t, res, "need.cat.food", "need.urgency.soon", "غذا برای بچه‌ها")
	h.Idle()
	// What staff type is the day on a Tehran calendar, whatever the machine's zone: between
	// 20:30 and midnight UTC, Tehran is already on the next day.
	now := time.Now().In(text.Tehran)
	today := text.JalaliOf(now)
	dey12 := text.JalaliDate{Year: 1403, Month: 10, Day: 12}

	staff.Press("needs.menu.summary")
	staff.Sees("needs.summary.title", "Total", "۱")
	staff.Press("needs.summary.export")
	staff.Sees("needs.export.from", "Example", text.Date(time.Now().AddDate(0, 0, -30)))
	staff.Send("2025-01-01")
	staff.Sees("needs.export.gregorian", "Date", text.LongDate(dey12.At(12, 0), text.LangFa))
	staff.Press("needs.export.gregorian_yes")
	staff.Sees("needs.export.to", "From", dey12.Fa())

	// Later than today, in either calendar, is refused before any confirmation.
	staff.Send(now.AddDate(0, 0, 2).Format("02/01/2006"))
	staff.Sees("needs.export.future")
	// A Gregorian day shown back and declined: the question again, nothing taken.
	staff.Send(now.Format("2006/01/02"))
	staff.Sees("needs.export.gregorian", "Date", text.LongDate(now, text.LangFa))
	staff.Press("needs.export.gregorian_no")
	staff.Sees("needs.export.to", "From", dey12.Fa())
	staff.Send(now.Format("2 January 2006"))
	staff.Sees("needs.export.gregorian", "Date", text.LongDate(now, text.LangFa))
	staff.Press("needs.export.gregorian_yes")
	rows, caption := needExportRows(t, staff)
	if want := staff.Text("needs.export.caption", "From", dey12.Fa(), "To", today.Fa(), "Count", "۱"); len(rows) != 2 || caption != want {
		t.Fatalf("export %q rows, caption %q; want a header and the report, %q", rows, caption, want)
	}
}
