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
	"coopbot/internal/chattest"
	"coopbot/text"

	"github.com/xuri/excelize/v2"
)

// Staff who export the need reports get an Excel workbook they can open as it is: a
// right-to-left sheet named in their language with the header row frozen, headers,
// neighborhoods and labels in their language (Persian for one, Azeri for the other), the
// household size a number, the day of the report its Jalali date in Persian digits; then
// the same table as CSV.
func TestNeedExportWorkbook(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 9101, 9102)
	fa := h.User(9101)
	fa.Onboard("سرخاب")
	az := h.User(9102).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	res := h.User(9103)
	res.Onboard("سرخاب")
	code := needQuickReport(t, res, "need.cat.food", "need.urgency.urgent", "نان نداریم")
	h.Idle()
	nbh := needNeighborhood(t, h, "سرخاب")
	today := text.JalaliOf(time.Now())
	columns := []string{"needs.csv.code", "needs.csv.date", "needs.csv.time", "needs.csv.neighborhood", "needs.csv.category",
		"needs.csv.household", "needs.csv.urgency", "needs.csv.status", "needs.csv.referred_to", "needs.csv.description",
		"needs.csv.address", "needs.csv.lat", "needs.csv.lon", "needs.csv.updated", "needs.csv.reporter"}

	for _, staff := range []*chattest.User{fa, az} {
		staff.Press("needs.menu.summary")
		staff.Sees("needs.summary.title", "Total", "۱")
		staff.Press("needs.summary.export")
		staff.Sees("needs.export.from", "Example", text.Date(time.Now().AddDate(0, 0, -30)))
		staff.Send(today.String())
		staff.Sees("needs.export.to", "From", today.Fa())
		n := len(staff.E.Messages())
		staff.Press("needs.export.today")
		book, csv := staff.Export(n)
		if book.Caption != staff.Text("needs.export.caption", "From", today.Fa(), "To", today.Fa(), "Count", "۱") ||
			csv.Caption != staff.Text("export.csv.caption") {
			t.Fatalf("%s: captions %q and %q", staff.Lang, book.Caption, csv.Caption)
		}
		if want := "needs-" + strings.ReplaceAll(today.String(), "/", "") + "-" + strings.ReplaceAll(today.String(), "/", "") + ".xlsx"; book.FileName != want {
			t.Fatalf("%s: workbook named %q, want %q", staff.Lang, book.FileName, want)
		}

		f, err := excelize.OpenReader(bytes.NewReader(book.Data))
		if err != nil {
			t.Fatalf("%s: not a workbook: %v", staff.Lang, err)
		}
		sheet := f.GetSheetName(0)
		if sheet != staff.Text("needs.export.sheet") {
			t.Fatalf("%s: sheet %q", staff.Lang, sheet)
		}
		if v, err := f.GetSheetView(sheet, -1); err != nil || v.RightToLeft == nil || !*v.RightToLeft {
			t.Fatalf("%s: sheet not right to left: %+v, %v", staff.Lang, v, err)
		}
		if p, err := f.GetPanes(sheet); err != nil || !p.Freeze || p.YSplit != 1 || p.TopLeftCell != "A2" {
			t.Fatalf("%s: header row not frozen: %+v, %v", staff.Lang, p, err)
		}
		rows, err := f.GetRows(sheet)
		if err != nil || len(rows) != 2 {
			t.Fatalf("%s: rows %q, %v", staff.Lang, rows, err)
		}
		var header []string
		for _, id := range columns {
			header = append(header, staff.Text(id))
		}
		if !slices.Equal(rows[0], header) {
			t.Fatalf("%s: header %q, want %q", staff.Lang, rows[0], header)
		}
		cell := func(id string) string {
			t.Helper()
			name, _ := excelize.CoordinatesToCellName(slices.Index(columns, id)+1, 2)
			return name
		}
		r := rows[1]
		at := func(id string) string { return r[slices.Index(columns, id)] }
		if at("needs.csv.code") != code || at("needs.csv.neighborhood") != nbh.Name(staff.Lang) ||
			at("needs.csv.category") != staff.Text("need.cat.food") || at("needs.csv.status") != staff.Text("need.status.received") ||
			at("needs.csv.description") != "نان نداریم" {
			t.Fatalf("%s: row %q", staff.Lang, r)
		}
		// The day of the report reads as its Jalali date, in Persian digits, as text.
		if got := at("needs.csv.date"); got != text.FaDigits(today.String()) {
			t.Fatalf("%s: date cell %q, want %q", staff.Lang, got, text.FaDigits(today.String()))
		}
		if typ, _ := f.GetCellType(sheet, cell("needs.csv.date")); typ != excelize.CellTypeSharedString {
			t.Fatalf("%s: date cell of type %v", staff.Lang, typ)
		}
		// The household size is a number cell, not text.
		household := cell("needs.csv.household")
		if typ, _ := f.GetCellType(sheet, household); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Fatalf("%s: household cell of type %v", staff.Lang, typ)
		}
		if v, err := f.GetCellValue(sheet, household, excelize.Options{RawCellValue: true}); err != nil || v != "4" {
			t.Fatalf("%s: household %q, %v", staff.Lang, v, err)
		}
		if _, err := strconv.ParseFloat(at("needs.csv.household"), 64); err != nil {
			t.Fatalf("%s: household does not read as a number: %v", staff.Lang, err)
		}
		// Every column is wide enough for its header and no wider than the bound.
		for j, h := range header {
			col, _ := excelize.ColumnNumberToName(j + 1)
			if w, err := f.GetColWidth(sheet, col); err != nil || w < float64(len([]rune(h))) || w > 50 {
				t.Fatalf("%s: column %s (%q) is %v wide, %v", staff.Lang, col, h, w, err)
			}
		}
		f.Close()
		staff.Sees("menu.title")
	}

	var audited int
	if err := h.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'need_export'`).Scan(&audited); err != nil || audited != 2 {
		t.Fatalf("exports audited %d times, %v", audited, err)
	}
}
