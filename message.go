package coopbot

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
