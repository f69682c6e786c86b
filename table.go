package coopbot

import (
	"fmt"
	"time"
)

// Table is a list of records staff take away (the need reports of a period, a training's
// enrollees). A flow builds it from the domain and says what each column holds; the bot
// sends it as an Excel workbook and as a CSV file, headers and labels rendered in the
// reader's language. Flows never write file formats themselves.
type Table struct {
	Name    string   `json:"name"`  // file name without its extension: "needs-14030101-14030131"
	Sheet   Msg      `json:"sheet"` // the sheet's title in the workbook
	Columns []Column `json:"columns"`
	Rows    [][]Cell `json:"rows"` // each row has one cell per column
}

// Column is one column of a Table: its header and what its cells hold.
type Column struct {
	Header Msg        `json:"header"`
	Kind   ColumnKind `json:"kind"`
	// Decimals is the number of digits shown after the point in a number column.
	Decimals int `json:"decimals,omitempty"`
}

// ColumnKind is what the cells of a column hold, and so how they are written.
type ColumnKind string

const (
	// ColText: words (a name, a code, a label, what a resident wrote), kept as text.
	ColText ColumnKind = "text"
	// ColNumber: a number, kept a number that sums and sorts as one.
	ColNumber ColumnKind = "number"
	// ColDate: the Jalali day of a moment in Tehran.
	ColDate ColumnKind = "date"
	// ColTime: the time of day of a moment in Tehran.
	ColTime ColumnKind = "time"
	// ColDateTime: the Jalali day and the time of day of a moment in Tehran.
	ColDateTime ColumnKind = "datetime"
)

// Cell is one value of a Table. The zero Cell is empty. Exactly one of the fields is set,
// the one that matches its column's kind: Text or Label in text columns, Number in
// number columns, Time in date and time columns.
type Cell struct {
	Text   string    `json:"text,omitempty"`  // shown as it is
	Label  *Msg      `json:"label,omitempty"` // rendered in the reader's language
	Number *float64  `json:"number,omitempty"`
	Time   time.Time `json:"time,omitzero"`
}

// TextCell is a cell of words shown as they are.
func TextCell(s string) Cell { return Cell{Text: s} }

// LabelCell is a cell of a message rendered in the reader's language (a status, a
// category).
func LabelCell(m Msg) Cell { return Cell{Label: &m} }

// NumberCell is a number cell.
func NumberCell(n float64) Cell { return Cell{Number: &n} }

// TimeCell is a moment, shown as its column's kind says (a day, a time, both).
func TimeCell(t time.Time) Cell { return Cell{Time: t} }

// Empty reports whether c holds nothing.
func (c Cell) Empty() bool {
	return c.Text == "" && c.Label == nil && c.Number == nil && c.Time.IsZero()
}

// Check reports the first row whose cells do not fit the columns: a row of another
// length, or a value of another kind than its column's.
func (t Table) Check() error {
	for i, row := range t.Rows {
		if len(row) != len(t.Columns) {
			return fmt.Errorf("table %s: row %d has %d cells for %d columns", t.Name, i+1, len(row), len(t.Columns))
		}
		for j, c := range row {
			if c.Empty() {
				continue
			}
			var ok bool
			switch t.Columns[j].Kind {
			case ColText:
				ok = c.Number == nil && c.Time.IsZero() && (c.Text == "" || c.Label == nil)
			case ColNumber:
				ok = c.Number != nil && c.Text == "" && c.Label == nil && c.Time.IsZero()
			case ColDate, ColTime, ColDateTime:
				ok = !c.Time.IsZero() && c.Text == "" && c.Label == nil && c.Number == nil
			default:
				return fmt.Errorf("table %s: column %d of unknown kind %q", t.Name, j+1, t.Columns[j].Kind)
			}
			if !ok {
				return fmt.Errorf("table %s: row %d, column %d does not hold a %s value", t.Name, i+1, j+1, t.Columns[j].Kind)
			}
		}
	}
	return nil
}
