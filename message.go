package coopbot

import (
	"fmt"
	"time"
)

// Msg is a localizable message: an ID in locales/ with template data. A Msg with Raw set
// is shown as it is (a resident's own words, a cooperative's name) and has no ID. Template
// data may hold other Msgs and Names: they are rendered in the reader's language first.
type Msg struct {
	ID    string         `json:"id,omitempty"`
	Data  map[string]any `json:"data,omitempty"`
	Count *int           `json:"count,omitempty"` // chooses the plural form
	Raw   string         `json:"raw,omitempty"`
	Lang  Lang           `json:"lang,omitempty"` // render in this language instead of the reader's
}

// M builds a message from an ID and key/value pairs for its template:
// M("join.review.name", "Name", name).
func M(id string, kv ...any) Msg {
	m := Msg{ID: id}
	if len(kv) > 0 {
		m.Data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m.Data[k] = kv[i+1]
		}
	}
	return m
}

// Raw is a message shown verbatim.
func Raw(s string) Msg { return Msg{Raw: s} }

// WithCount sets the plural count of m.
func (m Msg) WithCount(n int) Msg { m.Count = &n; return m }

// Button is one button of a keyboard. Inline buttons carry Data (callback data, at most 64
// bytes on the wire); reply-keyboard buttons may request the sender's contact or location.
type Button struct {
	Label    Msg    `json:"label"`
	Data     string `json:"data,omitempty"`
	Contact  bool   `json:"contact,omitempty"`
	Location bool   `json:"location,omitempty"`
}

// Reply is one message the bot sends (or edits) in a chat. Text is a list of paragraphs
// rendered one per line. Replies are data, not Telegram types: the bot package renders them.
type Reply struct {
	Text       []Msg      `json:"text"`
	Buttons    [][]Button `json:"buttons,omitempty"` // inline keyboard
	Keys       [][]Button `json:"keys,omitempty"`    // reply keyboard
	RemoveKeys bool       `json:"remove_keys,omitempty"`
	// Transient: the message is deleted as soon as it is sent. It only carries RemoveKeys
	// when every other reply carries inline buttons (a message takes one keyboard kind).
	Transient bool `json:"transient,omitempty"`
	Edit      bool `json:"edit,omitempty"` // edit the message whose button was pressed
	// EditMessage, with Edit, is an earlier message of the same chat to edit instead of
	// the pressed one: a card whose decision was given in a later answer.
	EditMessage int  `json:"edit_message,omitempty"`
	Toast       *Msg `json:"toast,omitempty"` // answer to the button press
	// Table is an export: the bot sends it as an Excel workbook, with the text as its
	// caption, and then as a CSV file.
	Table *Table `json:"table,omitempty"`
	// File is a photo or document sent by its file id, with the text as its caption
	// (the text follows in messages of its own when it is longer than a caption may be).
	File *File `json:"file,omitempty"`
}

// Document is a file made for sending: a Table written as a workbook or as CSV.
type Document struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// Text returns a reply of the given paragraphs.
func Text(msgs ...Msg) Reply { return Reply{Text: msgs} }

// Names is a name in both languages (a neighborhood, a cooperative, a training's title).
// As template data of a Msg it renders in the reader's language, so a message written now
// and rendered later (a notice) reads right in whatever language its reader has then.
type Names struct {
	Fa string `json:"fa,omitempty"`
	Az string `json:"az,omitempty"`
}

// In returns the name in l (the Persian one when there is no Azeri name).
func (n Names) In(l Lang) string {
	if l == Azeri && n.Az != "" {
		return n.Az
	}
	return n.Fa
}

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
