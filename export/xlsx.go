package export

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"coopbot"
	"coopbot/text"

	"github.com/xuri/excelize/v2"
)

// Widths of a column, in the spreadsheet's character units.
const (
	minWidth = 8.0
	maxWidth = 50.0
)

// maxCellText is the most characters a spreadsheet cell holds.
const maxCellText = 32767

// A row of wrapped text is made this many points high per line, up to maxLines lines
// (spreadsheet programs do not grow a row when they open a file).
const (
	lineHeight = 15
	maxLines   = 8
)

// scriptWidth is how much wider Persian and Azeri letters are than the digit a column's
// width is counted in (measured in LibreOffice's and Excel's default fonts).
const scriptWidth = 1.25

// XLSX writes s as a workbook of one right-to-left sheet: the header row in bold and
// frozen with a filter on it, each column as wide as its longest value (within bounds,
// long texts wrapped), numbers as numbers, dates and times as Jalali text in Persian
// digits (see the package comment), every other value as text (never a formula).
func XLSX(s *Sheet) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	name := sheetName(s.Title)
	if err := f.SetSheetName(f.GetSheetName(0), name); err != nil {
		return nil, fmt.Errorf("name sheet: %w", err)
	}
	rtl := true
	if err := f.SetSheetView(name, -1, &excelize.ViewOptions{RightToLeft: &rtl}); err != nil {
		return nil, fmt.Errorf("sheet view: %w", err)
	}
	st, err := newStyles(f, s.Columns)
	if err != nil {
		return nil, err
	}
	for j, c := range s.Columns {
		cell, _ := excelize.CoordinatesToCellName(j+1, 1)
		if err := f.SetCellStr(name, cell, c.Header); err != nil {
			return nil, fmt.Errorf("write header: %w", err)
		}
	}
	for i, row := range s.Rows {
		for j, v := range row {
			if v.empty() {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
			var err error
			switch {
			case v.IsNumber:
				err = f.SetCellFloat(name, cell, v.Number, -1, 64)
			case !v.At.IsZero():
				err = f.SetCellStr(name, cell, moment(v.At, s.Columns[j].Kind, text.FaDigits))
			default:
				err = f.SetCellStr(name, cell, truncate(v.Text, maxCellText))
			}
			if err != nil {
				return nil, fmt.Errorf("write row %d: %w", i+1, err)
			}
		}
	}
	last := len(s.Rows) + 1
	widths := make([]float64, len(s.Columns))
	for j := range s.Columns {
		widths[j] = width(s, j)
	}
	for j := range s.Columns {
		col, _ := excelize.ColumnNumberToName(j + 1)
		if err := f.SetColWidth(name, col, col, widths[j]); err != nil {
			return nil, fmt.Errorf("column width: %w", err)
		}
		if err := f.SetCellStyle(name, col+"1", col+"1", st.header); err != nil {
			return nil, fmt.Errorf("header style: %w", err)
		}
		if last > 1 {
			if err := f.SetCellStyle(name, col+"2", fmt.Sprintf("%s%d", col, last), st.columns[j]); err != nil {
				return nil, fmt.Errorf("column style: %w", err)
			}
		}
	}
	for i, row := range s.Rows {
		if lines := rowLines(row, widths); lines > 1 {
			if err := f.SetRowHeight(name, i+2, float64(min(lines, maxLines))*lineHeight); err != nil {
				return nil, fmt.Errorf("row height: %w", err)
			}
		}
	}
	if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return nil, fmt.Errorf("freeze header: %w", err)
	}
	if len(s.Columns) > 0 {
		end, _ := excelize.CoordinatesToCellName(len(s.Columns), last)
		if err := f.AutoFilter(name, "A1:"+end, nil); err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
	}
	// After the filter, which sets the sheet's properties anew.
	if err := printLayout(f, name, len(s.Columns)); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("write workbook: %w", err)
	}
	return buf.Bytes(), nil
}

// styles are the style ids of the header row and of each column's cells.
type styles struct {
	header  int
	columns []int
}

func newStyles(f *excelize.File, cols []Column) (styles, error) {
	const rtl = 2 // reading order right to left
	var st styles
	var err error
	st.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE6F0"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true, ReadingOrder: rtl},
	})
	if err != nil {
		return st, fmt.Errorf("header style: %w", err)
	}
	for _, c := range cols {
		var s excelize.Style
		switch c.Kind {
		case coopbot.ColNumber:
			s.Alignment = &excelize.Alignment{Vertical: "top"}
			if c.Decimals > 0 {
				format := "0." + strings.Repeat("0", c.Decimals)
				s.CustomNumFmt = &format
			} else {
				s.NumFmt = 1 // "0"
			}
		case coopbot.ColDate, coopbot.ColTime, coopbot.ColDateTime:
			s.Alignment = &excelize.Alignment{Horizontal: "center", Vertical: "top"}
		default:
			s.Alignment = &excelize.Alignment{Vertical: "top", WrapText: true, ReadingOrder: rtl}
			s.NumFmt = 49 // "@": text, also when a value is typed into the cell later
		}
		id, err := f.NewStyle(&s)
		if err != nil {
			return st, fmt.Errorf("column style: %w", err)
		}
		st.columns = append(st.columns, id)
	}
	return st, nil
}

// width is how wide column j is shown: its longest line, header included, within bounds.
func width(s *Sheet, j int) float64 {
	c := s.Columns[j]
	n := longestLine(c.Header)*1.1 + 3 // bold, and room for the filter button
	for _, row := range s.Rows {
		n = max(n, valueWidth(row[j], c))
	}
	return min(max(math.Ceil(n+1), minWidth), maxWidth)
}

// valueWidth is the width the longest line of v takes.
func valueWidth(v Value, c Column) float64 {
	switch {
	case v.IsNumber:
		return float64(len(strconv.FormatFloat(v.Number, 'f', c.Decimals, 64)))
	case !v.At.IsZero():
		return float64(utf8.RuneCountInString(moment(v.At, c.Kind, text.FaDigits)))
	}
	return longestLine(v.Text)
}

// longestLine is the width of the longest line of s: letters of the Arabic script count
// wider than Latin letters and digits.
func longestLine(s string) float64 {
	var n float64
	for line := range strings.SplitSeq(s, "\n") {
		var w float64
		for _, r := range line {
			switch {
			case r >= 0x0600 && r <= 0x06FF && !(r >= 0x06F0 && r <= 0x06F9) && !(r >= 0x0660 && r <= 0x0669):
				w += scriptWidth
			case r == 0x200C || r == 0x200D || r == 0x200E || r == 0x200F || (r >= 0x2066 && r <= 0x2069):
			default:
				w++
			}
		}
		n = max(n, w)
	}
	return n
}

// rowLines is how many lines the tallest cell of a row takes once wrapped to its column.
func rowLines(row []Value, widths []float64) int {
	lines := 1
	for j, v := range row {
		if v.IsNumber || !v.At.IsZero() || v.Text == "" {
			continue
		}
		room := widths[j] - 1
		n := 0
		for line := range strings.SplitSeq(v.Text, "\n") {
			n += max(1, int(math.Ceil(longestLine(line)/room)))
		}
		lines = max(lines, n)
	}
	return lines
}

// printLayout prints the sheet across as many pages as needed down but one page wide,
// in landscape when it has many columns, the header row repeated on every page.
func printLayout(f *excelize.File, sheet string, columns int) error {
	fit, one, auto := true, 1, 0
	opts := &excelize.PageLayoutOptions{FitToWidth: &one, FitToHeight: &auto}
	if columns > 6 {
		landscape := "landscape"
		opts.Orientation = &landscape
	}
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return fmt.Errorf("fit to page: %w", err)
	}
	if err := f.SetPageLayout(sheet, opts); err != nil {
		return fmt.Errorf("page layout: %w", err)
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + strings.ReplaceAll(sheet, "'", "''") + "'!$1:$1", Scope: sheet}); err != nil {
		return fmt.Errorf("print titles: %w", err)
	}
	return nil
}

// sheetName makes a title a valid sheet name: at most 31 characters, none of : \ / ? * [ ].
func sheetName(title string) string {
	title = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) || r < ' ' {
			return ' '
		}
		return r
	}, title)
	title = strings.Trim(strings.TrimSpace(truncate(strings.TrimSpace(title), 31)), "'")
	if title == "" {
		return "Sheet1"
	}
	return title
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
