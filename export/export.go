// Package export writes a coopbot.Table as the files staff open: an Excel workbook (.xlsx)
// and a CSV file. It is the only importer of excelize; flows build Tables and never import
// it. Headers and labels are rendered by the caller's function, in the reader's language.
//
// Dates are written as Jalali text ("۱۴۰۳/۰۱/۱۵"), not as spreadsheet dates: a spreadsheet
// date is a Gregorian day number, and no number format shows it in the Solar Hijri
// calendar in every program staff use (Excel's calendar codes are Windows-only and
// LibreOffice, Google Sheets and phone viewers show the Gregorian day). Zero-padded
// year/month/day text reads the same everywhere and sorts and filters in date order.
package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coopbot"
	"coopbot/text"
)

// Render renders a message in the reader's language.
type Render func(coopbot.Msg) (string, error)

// Files writes t as a workbook and as a CSV file, in this order, named t.Name plus
// ".xlsx" and ".csv".
func Files(t coopbot.Table, render Render) ([]coopbot.Document, error) {
	s, err := resolve(t, render)
	if err != nil {
		return nil, err
	}
	x, err := XLSX(s)
	if err != nil {
		return nil, err
	}
	c, err := CSV(s)
	if err != nil {
		return nil, err
	}
	name := fileName(t.Name)
	return []coopbot.Document{{Name: name + ".xlsx", Data: x}, {Name: name + ".csv", Data: c}}, nil
}

// File writes t in one format, "xlsx" or "csv", named t.Name plus the extension (a
// download from the web console takes one file, not both).
func File(t coopbot.Table, render Render, format string) (coopbot.Document, error) {
	s, err := resolve(t, render)
	if err != nil {
		return coopbot.Document{}, err
	}
	var data []byte
	switch format {
	case "xlsx":
		data, err = XLSX(s)
	case "csv":
		data, err = CSV(s)
	default:
		return coopbot.Document{}, fmt.Errorf("export: unknown format %q", format)
	}
	if err != nil {
		return coopbot.Document{}, err
	}
	return coopbot.Document{Name: fileName(t.Name) + "." + format, Data: data}, nil
}

// Sheet is a Table in words: headers and labels rendered, values typed.
type Sheet struct {
	Title   string
	Columns []Column
	Rows    [][]Value
}

// Column is a rendered column.
type Column struct {
	Header   string
	Kind     coopbot.ColumnKind
	Decimals int
}

// Value is one cell: text, or a number when IsNumber, or a moment when At is set.
type Value struct {
	Text     string
	Number   float64
	IsNumber bool
	At       time.Time
}

func (v Value) empty() bool { return v.Text == "" && !v.IsNumber && v.At.IsZero() }

// resolve renders the headers and labels of t.
func resolve(t coopbot.Table, render Render) (*Sheet, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	title, err := render(t.Sheet)
	if err != nil {
		return nil, fmt.Errorf("render sheet title: %w", err)
	}
	s := &Sheet{Title: title, Columns: make([]Column, len(t.Columns)), Rows: make([][]Value, len(t.Rows))}
	for i, c := range t.Columns {
		h, err := render(c.Header)
		if err != nil {
			return nil, fmt.Errorf("render header %d: %w", i+1, err)
		}
		s.Columns[i] = Column{Header: h, Kind: c.Kind, Decimals: c.Decimals}
	}
	labels := map[string]string{} // the same status or category on many rows
	for i, row := range t.Rows {
		vs := make([]Value, len(row))
		for j, c := range row {
			switch {
			case c.Label != nil:
				key := c.Label.ID + "\x00" + c.Label.Raw + "\x00" + string(c.Label.Lang)
				l, ok := labels[key]
				if !ok || len(c.Label.Data) > 0 {
					if l, err = render(*c.Label); err != nil {
						return nil, fmt.Errorf("render row %d, column %d: %w", i+1, j+1, err)
					}
					if len(c.Label.Data) == 0 {
						labels[key] = l
					}
				}
				vs[j] = Value{Text: l}
			case c.Number != nil:
				vs[j] = Value{Number: *c.Number, IsNumber: true}
			case !c.Time.IsZero():
				vs[j] = Value{At: c.Time}
			default:
				vs[j] = Value{Text: c.Text}
			}
		}
		s.Rows[i] = vs
	}
	return s, nil
}

// moment writes a moment as its column shows it, in Tehran, with the given digits.
func moment(t time.Time, kind coopbot.ColumnKind, digits func(string) string) string {
	day := text.JalaliOf(t).String()
	clock := t.In(text.Tehran).Format("15:04")
	switch kind {
	case coopbot.ColDate:
		return digits(day)
	case coopbot.ColTime:
		return digits(clock)
	}
	return digits(day + " " + clock)
}

func ascii(s string) string { return s }

// CSV writes s for spreadsheets and other programs: UTF-8 with a byte order mark (so that
// Excel reads Persian), CRLF line ends, ASCII digits, Jalali dates as year/month/day.
// A text that starts like a formula gets a leading apostrophe.
func CSV(s *Sheet) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	rec := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		rec[i] = c.Header
	}
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	for _, row := range s.Rows {
		for j, v := range row {
			switch {
			case v.IsNumber:
				rec[j] = strconv.FormatFloat(v.Number, 'f', s.Columns[j].Decimals, 64)
			case !v.At.IsZero():
				rec[j] = moment(v.At, s.Columns[j].Kind, ascii)
			default:
				rec[j] = guard(v.Text)
			}
		}
		if err := w.Write(rec); err != nil {
			return nil, fmt.Errorf("write csv: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return b.Bytes(), nil
}

// guard keeps a cell from being read as a formula by spreadsheet programs.
func guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// fileName keeps a file name to letters, digits, "-" and "_".
func fileName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r == ':' || r == ' ':
			return '-'
		case r < ' ' || strings.ContainsRune(`*?"<>|`, r):
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "export"
	}
	return s
}
