package flows_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/text"

	"github.com/xuri/excelize/v2"
)

// readBook opens an exported workbook and returns its one sheet's name and rows, failing
// the test when the header row is not the columns' headers in the reader's language.
func readBook(t *testing.T, u *chattest.User, doc *emulator.Document, columns []string) (*excelize.File, string, [][]string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(doc.Data))
	if err != nil {
		t.Fatalf("%s: not a workbook: %v", u.Lang, err)
	}
	t.Cleanup(func() { f.Close() })
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: rows %q, %v", u.Lang, rows, err)
	}
	var header []string
	for _, id := range columns {
		header = append(header, u.Text(id))
	}
	if !slices.Equal(rows[0], header) {
		t.Fatalf("%s: header %q, want %q", u.Lang, rows[0], header)
	}
	return f, sheet, rows
}

// numberCell fails unless the cell of column col in row (1: the header) is a number cell
// holding want.
func numberCell(t *testing.T, f *excelize.File, sheet string, columns []string, col string, row int, want string) {
	t.Helper()
	name, _ := excelize.CoordinatesToCellName(slices.Index(columns, col)+1, row)
	if typ, _ := f.GetCellType(sheet, name); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Fatalf("cell %s (%s) of type %v, want a number", name, col, typ)
	}
	if v, err := f.GetCellValue(sheet, name, excelize.Options{RawCellValue: true}); err != nil || v != want {
		t.Fatalf("cell %s (%s) = %q, %v; want %s", name, col, v, err, want)
	}
}

// cellOf is the cell of column id in a row read back (trailing empty cells are not read).
func cellOf(r []string, columns []string, id string) string {
	if i := slices.Index(columns, id); i < len(r) {
		return r[i]
	}
	return ""
}

// audited counts the audit rows of an action, allowed or refused.
func audited(t *testing.T, h *chattest.Harness, action string, allowed bool) int {
	t.Helper()
	var n int
	if err := h.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = $1 AND allowed = $2`, action, allowed).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var joinExportColumns = []string{"coop.export.col.no", "coop.export.col.date", "coop.export.col.name", "coop.export.col.nid",
	"coop.export.col.phone", "coop.export.col.share", "coop.export.col.skills", "coop.export.col.status",
	"coop.export.col.decided_by", "coop.export.col.decided_at", "coop.export.col.reason"}

// A cooperative's admin (Persian) takes its membership requests away from the pending
// list, and office staff (Azeri) from the cooperative's screen of people and roles: one
// row per request with the national ID and mobile number as the cards show them, the
// request number a number, the day a Jalali date, status, decider and reason in the
// reader's language. A resident's forged press, and an admin's for a cooperative that is
// not theirs, are refused and recorded.
func TestJoinRequestExport(t *testing.T) {
	t.Parallel()
	const azStaffID = 9202
	e := newJoinEnv(t, chattest.Options{Admins: chattest.Staff(azStaffID)})
	admin := e.admin(9201, coopbot.Persian, carpetFa)
	azStaff := e.h.User(azStaffID).Speaks(coopbot.Azeri)
	azStaff.Onboard("ولیعصر")
	other := e.admin(9203, coopbot.Persian, shopFa)

	u1 := e.h.User(1201)
	u1.Onboard("سرخاب")
	id1 := e.apply(u1, application{coopFa: carpetFa, name: "مریم رحیمی", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	card1 := admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id1))...)
	u2 := e.h.User(1202)
	u2.Onboard("سرخاب")
	id2 := e.apply(u2, application{coopFa: carpetFa, name: "فاطمه حسینی", nid: nid2, phone: "09141234567", share: "۵۰۰ هزار تومان"})
	admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id2))...)
	pressOn(t, admin, card1.ID, "coop.card.reject")
	admin.Sees("coop.reject.prompt", "ID", recordNo(id1))
	admin.Press("coop.reason.not_local")
	admin.Sees("coop.reject.done", "ID", recordNo(id1), "Name", text.Isolate("مریم رحیمی"))
	admin.Sees("coop.next", coop(carpetFa, "Count", "۱")...)
	r1 := e.decided(id1)
	var coopID, shopID int64
	if err := e.h.DB.Pool.QueryRow(context.Background(), `SELECT (SELECT id FROM cooperatives WHERE name_fa = $1), (SELECT id FROM cooperatives WHERE name_fa = $2)`,
		carpetFa, shopFa).Scan(&coopID, &shopID); err != nil {
		t.Fatal(err)
	}
	today := text.FaDigits(text.JalaliOf(time.Now()).String())

	check := func(u *chattest.User, book, csv *emulator.Document) {
		t.Helper()
		if book.Caption != u.Text("coop.export.caption", coop(carpetFa, "Count", "۲")...) || csv.Caption != u.Text("export.csv.caption") {
			t.Fatalf("%s: captions %q and %q", u.Lang, book.Caption, csv.Caption)
		}
		f, sheet, rows := readBook(t, u, book, joinExportColumns)
		if sheet != u.Text("coop.export.sheet") || len(rows) != 3 {
			t.Fatalf("%s: sheet %q with rows %q, want a header and two requests", u.Lang, sheet, rows)
		}
		at := func(r []string, id string) string { return cellOf(r, joinExportColumns, id) }
		first, second := rows[1], rows[2]
		if at(first, "coop.export.col.name") != "مریم رحیمی" || at(first, "coop.export.col.nid") != nid1 ||
			at(first, "coop.export.col.phone") != "0912 111 2233" || at(first, "coop.export.col.date") != today ||
			at(first, "coop.export.col.status") != u.Text("coop.export.status.rejected") ||
			at(first, "coop.export.col.decided_by") != r1.DeciderName || at(first, "coop.export.col.decided_at") != today ||
			at(first, "coop.export.col.reason") != u.Text("coop.reason.not_local") ||
			at(first, "coop.export.col.skills") != u.Text("join.skill.cooking") {
			t.Fatalf("%s: first row %q", u.Lang, first)
		}
		if at(second, "coop.export.col.nid") != nid2 || at(second, "coop.export.col.status") != u.Text("coop.export.status.pending") ||
			at(second, "coop.export.col.decided_by") != "" {
			t.Fatalf("%s: second row %q", u.Lang, second)
		}
		numberCell(t, f, sheet, joinExportColumns, "coop.export.col.no", 2, strconv.FormatInt(id1, 10))
		numberCell(t, f, sheet, joinExportColumns, "coop.export.col.share", 3, "5000000")
		if !strings.HasPrefix(book.FileName, "requests-"+strconv.FormatInt(coopID, 10)+"-") {
			t.Fatalf("%s: file %q", u.Lang, book.FileName)
		}
	}

	// The admin, from the pending list.
	admin.Sees("menu.title")
	admin.Press("coop.pending.menu")
	admin.Sees("coop.pending.title", "Count", "۱")
	n := len(admin.E.Messages())
	admin.Press("coop.export.button")
	book, csv := admin.Export(n)
	check(admin, book, csv)

	// Office staff, from the cooperative's screen.
	azStaff.Press("roles.menu")
	azStaff.Sees("roles.home")
	azStaff.Press("roles.home.coops")
	azStaff.Sees("roles.coop.prompt")
	azStaff.PressLabel(carpetAz)
	azStaff.Sees("roles.admins.title")
	n = len(azStaff.E.Messages())
	azStaff.Press("coop.export.button")
	book, csv = azStaff.Export(n)
	check(azStaff, book, csv)

	// Forged presses: the applicant, and the admin of another cooperative.
	u2.E.PressData(0, "a:jx:c:"+strconv.FormatInt(coopID, 10))
	u2.Sees("admin.denied")
	other.E.PressData(0, "a:jx:c:"+strconv.FormatInt(coopID, 10))
	other.Sees("admin.denied")
	// Their own cooperative has no request yet: said so, no file.
	other.E.PressData(0, "a:jx:c:"+strconv.FormatInt(shopID, 10))
	other.Sees("coop.export.empty", coop(shopFa)...)
	e.h.Idle()
	for _, u := range []*chattest.User{u2, other} {
		for _, m := range u.E.Messages() {
			if m.Document != nil {
				t.Fatalf("user %d got a file %q", u.ID, m.Document.FileName)
			}
		}
	}
	if got, refused := audited(t, e.h, "join_export", true), audited(t, e.h, "join_export", false); got != 2 || refused != 2 {
		t.Fatalf("join exports audited %d allowed and %d refused, want 2 and 2", got, refused)
	}
}

var bcExportColumns = []string{"broadcast.export.col.row", "broadcast.export.col.name", "broadcast.export.col.neighborhood",
	"broadcast.export.col.outcome", "broadcast.export.col.time"}

// Office staff (Azeri) take a broadcast's recipients away from its final report: one
// row per recipient with their name, neighborhood and outcome in the reader's language
// (one blocked the bot), the row number a number. A neighborhood manager (Persian) whose
// neighborhood it was for may too; a resident's forged press, and another
// neighborhood's manager's, are refused and recorded.
func TestBroadcastExport(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(1), SendRate: 1000})
	staff := h.User(1).Speaks(coopbot.Azeri)
	staff.Onboard("ولیعصر")
	fa := h.User(1301)
	fa.Onboard("سرخاب")
	az := h.User(1302).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	blocked := h.User(1303)
	blocked.Onboard("سرخاب")
	h.API.Block(blocked.ID)
	mgr := h.User(1304)
	mgr.Onboard("سرخاب")
	mgr.Manager(needNeighborhood(t, h, "سرخاب").ID)
	otherMgr := h.User(1305)
	otherMgr.Onboard("نوبر")
	otherMgr.Manager(needNeighborhood(t, h, "نوبر").ID)

	staff.Press("broadcast.menu")
	staff.Sees("broadcast.audience.prompt")
	staff.Press("broadcast.audience.neighborhoods")
	staff.Sees("broadcast.neighborhoods.prompt")
	staff.Send("سورخاب") // typed: the list has pages
	bcTicked(t, staff, "سورخاب")
	staff.Press("broadcast.neighborhoods.continue")
	staff.Sees("broadcast.mode.prompt")
	staff.Press("broadcast.mode.one")
	staff.Sees("broadcast.text.prompt_one")
	staff.Send("جلسهٔ تعاونی پنجشنبه")
	bcNoExtras(t, staff)
	staff.Sees("broadcast.when.prompt")
	staff.Press("broadcast.when.now")
	staff.Press("broadcast.confirm")
	staff.Sees("menu.title")
	report := staff.Sees("broadcast.report.title", "ID", "۱")
	if !strings.Contains(report.Text, staff.Text("broadcast.report.unreachable", "Count", "۱")) {
		t.Fatalf("report %q", report.Text)
	}

	n := len(staff.E.Messages())
	pressOn(t, staff, report.ID, "broadcast.export.button")
	book, csv := staff.Export(n)
	if book.Caption != staff.Text("broadcast.export.caption", "ID", "۱", "Count", "۴") || csv.Caption != staff.Text("export.csv.caption") {
		t.Fatalf("captions %q and %q", book.Caption, csv.Caption)
	}
	f, sheet, rows := readBook(t, staff, book, bcExportColumns)
	if sheet != staff.Text("broadcast.export.sheet") || len(rows) != 5 {
		t.Fatalf("sheet %q with rows %q, want a header and four recipients", sheet, rows)
	}
	names := map[string]string{}
	dbRows, err := h.DB.Pool.Query(context.Background(), `SELECT r.user_id, rn.name FROM residents r JOIN resident_names rn ON rn.resident_id = r.id`)
	if err != nil {
		t.Fatal(err)
	}
	for dbRows.Next() {
		var uid int64
		var name string
		if err := dbRows.Scan(&uid, &name); err != nil {
			t.Fatal(err)
		}
		names[strconv.FormatInt(uid, 10)] = name
	}
	at := func(r []string, id string) string { return cellOf(r, bcExportColumns, id) }
	outcomes := map[string]int{}
	for i, r := range rows[1:] {
		if at(r, "broadcast.export.col.neighborhood") != "سورخاب" || at(r, "broadcast.export.col.time") == "" {
			t.Fatalf("row %d %q", i+1, r)
		}
		if !slices.Contains([]string{names["1301"], names["1302"], names["1303"], names["1304"]}, at(r, "broadcast.export.col.name")) {
			t.Fatalf("row %d %q names nobody of the audience (%q)", i+1, r, names)
		}
		outcomes[at(r, "broadcast.export.col.outcome")]++
		numberCell(t, f, sheet, bcExportColumns, "broadcast.export.col.row", i+2, strconv.Itoa(i+1))
	}
	if outcomes[staff.Text("broadcast.export.outcome.sent")] != 3 || outcomes[staff.Text("broadcast.export.outcome.unreachable")] != 1 {
		t.Fatalf("outcomes %v", outcomes)
	}

	// The manager of the neighborhood it went to may take it too, in Persian.
	n = len(mgr.E.Messages())
	mgr.E.PressData(0, "a:bce:b:1")
	book, _ = mgr.Export(n)
	_, _, rows = readBook(t, mgr, book, bcExportColumns)
	if len(rows) != 5 {
		t.Fatalf("manager's rows %q", rows)
	}

	// Forged presses: a resident, another neighborhood's manager, a broadcast that is not.
	fa.E.PressData(0, "a:bce:b:1")
	otherMgr.E.PressData(0, "a:bce:b:1")
	otherMgr.E.PressData(0, "a:bce:b:99")
	h.Idle()
	for _, u := range []*chattest.User{fa, otherMgr} {
		if toasts := u.E.Toasts(); len(toasts) == 0 || toasts[len(toasts)-1] != u.Text("broadcast.export.denied") {
			t.Fatalf("user %d: toasts %q, want the refusal", u.ID, toasts)
		}
		for _, m := range u.E.Messages() {
			if m.Document != nil {
				t.Fatalf("user %d got a file %q", u.ID, m.Document.FileName)
			}
		}
	}
	if got, refused := audited(t, h, "broadcast_export", true), audited(t, h, "broadcast_export", false); got != 2 || refused != 3 {
		t.Fatalf("broadcast exports audited %d allowed and %d refused, want 2 and 3", got, refused)
	}
}
