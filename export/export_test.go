package export_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/export"
	"coopbot/text"

	"github.com/xuri/excelize/v2"
)

// words is a catalog of the test: each message ID in the reader's language.
var words = map[coopbot.Lang]map[string]string{
	coopbot.Persian: {"sheet": "گزارش‌ها", "code": "کد", "day": "تاریخ", "at": "زمان", "n": "تعداد", "lat": "عرض", "st": "وضعیت", "open": "باز", "text": "شرح"},
	coopbot.Azeri:   {"sheet": "گۆزارشلار", "code": "کود", "day": "تاریخ", "at": "واخت", "n": "سای", "lat": "عرض", "st": "دوروم", "open": "آچیق", "text": "آچیقلاما"},
}

func render(l coopbot.Lang) export.Render {
	return func(m coopbot.Msg) (string, error) {
		if m.ID == "" {
			return m.Raw, nil
		}
		s, ok := words[l][m.ID]
		if !ok {
			return "", fmt.Errorf("no message %q", m.ID)
		}
		return s, nil
	}
}

// sample is a table of every kind of column; its second row has empty cells.
func sample() coopbot.Table {
	at := time.Date(2024, 4, 3, 10, 5, 0, 0, time.UTC) // 1403/01/15 13:35 in Tehran
	return coopbot.Table{
		Name:  "needs-14030115",
		Sheet: coopbot.M("sheet"),
		Columns: []coopbot.Column{
			{Header: coopbot.M("code"), Kind: coopbot.ColText},
			{Header: coopbot.M("day"), Kind: coopbot.ColDate},
			{Header: coopbot.M("at"), Kind: coopbot.ColDateTime},
			{Header: coopbot.M("n"), Kind: coopbot.ColNumber},
			{Header: coopbot.M("lat"), Kind: coopbot.ColNumber, Decimals: 6},
			{Header: coopbot.M("st"), Kind: coopbot.ColText},
			{Header: coopbot.M("text"), Kind: coopbot.ColText},
		},
		Rows: [][]coopbot.Cell{
			{coopbot.TextCell("0123"), coopbot.TimeCell(at), coopbot.TimeCell(at), coopbot.NumberCell(4), coopbot.NumberCell(38.0667),
				coopbot.LabelCell(coopbot.M("open")), coopbot.TextCell("=HYPERLINK(\"x\")\n" + strings.Repeat("نان ", 40))},
			{coopbot.TextCell("0124"), coopbot.TimeCell(at), {}, coopbot.NumberCell(12), {}, coopbot.LabelCell(coopbot.M("open")), {}},
		},
	}
}

func TestWorkbook(t *testing.T) {
	t.Parallel()
	for _, l := range []coopbot.Lang{coopbot.Persian, coopbot.Azeri} {
		t.Run(string(l), func(t *testing.T) {
			t.Parallel()
			docs, err := export.Files(sample(), render(l))
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 2 || docs[0].Name != "needs-14030115.xlsx" || docs[1].Name != "needs-14030115.csv" {
				t.Fatalf("files = %q, %q", docs[0].Name, docs[1].Name)
			}
			f, err := excelize.OpenReader(bytes.NewReader(docs[0].Data))
			if err != nil {
				t.Fatalf("not a workbook: %v", err)
			}
			defer f.Close()
			w := words[l]
			sheet := f.GetSheetName(0)
			if sheet != w["sheet"] || f.SheetCount != 1 {
				t.Fatalf("sheets %q, want one named %q", f.GetSheetList(), w["sheet"])
			}
			view, err := f.GetSheetView(sheet, -1)
			if err != nil || view.RightToLeft == nil || !*view.RightToLeft {
				t.Fatalf("sheet is not right to left: %+v, %v", view, err)
			}
			panes, err := f.GetPanes(sheet)
			if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
				t.Fatalf("header row not frozen: %+v, %v", panes, err)
			}
			if p, err := f.GetPageLayout(sheet); err != nil || p.FitToWidth == nil || *p.FitToWidth != 1 || p.Orientation == nil || *p.Orientation != "landscape" {
				t.Fatalf("not printed one page wide in landscape: %+v, %v", p, err)
			}
			if h, err := f.GetRowHeight(sheet, 2); err != nil || h < 30 {
				t.Fatalf("the row of a long text is %v high, %v", h, err)
			}
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			header := []string{w["code"], w["day"], w["at"], w["n"], w["lat"], w["st"], w["text"]}
			if len(rows) != 3 || !slices.Equal(rows[0], header) {
				t.Fatalf("rows = %q, want the header %q and two rows", rows, header)
			}
			want := func(cell, value string, numeric bool) {
				t.Helper()
				v, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
				if err != nil || v != value {
					t.Fatalf("%s = %q (%v), want %q", cell, v, err, value)
				}
				typ, err := f.GetCellType(sheet, cell)
				if err != nil {
					t.Fatal(err)
				}
				isNumber := typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset
				if isNumber != numeric {
					t.Fatalf("%s is of type %v, numeric %v wanted", cell, typ, numeric)
				}
				if f, _ := f.GetCellFormula(sheet, cell); f != "" {
					t.Fatalf("%s holds the formula %q", cell, f)
				}
			}
			want("A2", "0123", false) // a code keeps its leading zero
			want("B2", "۱۴۰۳/۰۱/۱۵", false)
			want("C2", "۱۴۰۳/۰۱/۱۵ ۱۳:۳۵", false)
			want("D2", "4", true)
			want("E2", "38.0667", true)
			want("F2", w["open"], false)
			want("G2", "=HYPERLINK(\"x\")\n"+strings.Repeat("نان ", 40), false)
			want("D3", "12", true)
			if v, _ := f.GetCellValue(sheet, "E2"); v != "38.066700" {
				t.Fatalf("E2 shows %q, want six decimals", v)
			}
			if v, _ := f.GetCellValue(sheet, "E3"); v != "" {
				t.Fatalf("an empty cell holds %q", v)
			}
			for col, bounds := range map[string][2]float64{"A": {8, 12}, "C": {16, 22}, "G": {50, 50}} {
				wd, err := f.GetColWidth(sheet, col)
				if err != nil || wd < bounds[0] || wd > bounds[1] {
					t.Fatalf("column %s is %v wide (%v), want %v", col, wd, err, bounds)
				}
			}
			if st, _ := f.GetCellStyle(sheet, "G2"); st == 0 {
				t.Fatal("long text has no style (no wrapping)")
			} else if s, err := f.GetStyle(st); err != nil || s.Alignment == nil || !s.Alignment.WrapText {
				t.Fatalf("long text is not wrapped: %+v, %v", s, err)
			}
			if st, _ := f.GetCellStyle(sheet, "A1"); st == 0 {
				t.Fatal("header has no style")
			} else if s, err := f.GetStyle(st); err != nil || s.Font == nil || !s.Font.Bold {
				t.Fatalf("header is not bold: %+v, %v", s, err)
			}
		})
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	docs, err := export.Files(sample(), render(coopbot.Azeri))
	if err != nil {
		t.Fatal(err)
	}
	data, ok := bytes.CutPrefix(docs[1].Data, []byte("\uFEFF"))
	if !ok || !bytes.Contains(data, []byte("\r\n")) {
		t.Fatalf("csv without a byte order mark or CRLF: %q", docs[1].Data[:min(20, len(docs[1].Data))])
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	w := words[coopbot.Azeri]
	want := [][]string{
		{w["code"], w["day"], w["at"], w["n"], w["lat"], w["st"], w["text"]},
		{"0123", "1403/01/15", "1403/01/15 13:35", "4", "38.066700", w["open"], "'=HYPERLINK(\"x\")\n" + strings.Repeat("نان ", 40)},
		{"0124", "1403/01/15", "", "12", "", w["open"], ""},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("csv = %q\nwant %q", rows, want)
	}
}

// A table whose rows do not fit its columns is refused, not written.
func TestRefusesMisfitRows(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*coopbot.Table){
		"short row":       func(tb *coopbot.Table) { tb.Rows[0] = tb.Rows[0][:3] },
		"text in numbers": func(tb *coopbot.Table) { tb.Rows[0][3] = coopbot.TextCell("4") },
		"number in dates": func(tb *coopbot.Table) { tb.Rows[0][1] = coopbot.NumberCell(1) },
		"time in text":    func(tb *coopbot.Table) { tb.Rows[0][0] = coopbot.TimeCell(time.Now()) },
		"unknown kind":    func(tb *coopbot.Table) { tb.Columns[0].Kind = "money" },
	} {
		tb := sample()
		change(&tb)
		if _, err := export.Files(tb, render(coopbot.Persian)); err == nil {
			t.Errorf("%s: written", name)
		}
	}
	tb := sample()
	tb.Columns[0].Header = coopbot.M("missing")
	if _, err := export.Files(tb, render(coopbot.Persian)); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a header that does not render: %v", err)
	}
}

// A big export stays quick and every row arrives.
func TestManyRows(t *testing.T) {
	t.Parallel()
	tb := sample()
	row := tb.Rows[0]
	tb.Rows = nil
	for i := range 5000 {
		r := slices.Clone(row)
		r[0] = coopbot.TextCell(strconv.Itoa(i))
		tb.Rows = append(tb.Rows, r)
	}
	start := time.Now()
	docs, err := export.Files(tb, render(coopbot.Persian))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("5000 rows: %v, workbook %d bytes, csv %d bytes", time.Since(start), len(docs[0].Data), len(docs[1].Data))
	f, err := excelize.OpenReader(bytes.NewReader(docs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil || len(rows) != 5001 || rows[5000][0] != "4999" || rows[5000][1] != text.FaDigits("1403/01/15") {
		t.Fatalf("%d rows, last %q, %v", len(rows), rows[len(rows)-1], err)
	}
}
