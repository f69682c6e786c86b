package emulator

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// User is a person in a private chat with the bot (chat id == user id).
// Its methods are safe for concurrent use.
type User struct {
	s         *Server
	id        int64
	firstName string

	// guarded by s.mu
	known     bool // has sent something: the bot may write to this chat
	blocked   bool
	nextMsgID int
	msgs      []*record // last MaxMessagesPerChat messages, both directions
	sent      int
	answers   []Answer
	answerSeq int // answers ever recorded (numbering for the web chat)
	kb        *replyKB
	lastText  int // message id of the user's last text message
	version   int64
	changed   chan struct{} // closed and replaced on every change
	fifo      []*pending    // this chat's unconfirmed updates, in order
	last      *pending      // the newest update this user sent (for Redeliver)
	inflight  bool          // an update of this chat is being pushed to the webhook
	ready     bool          // listed in the webhook's ready queue
}

type record struct {
	msg      Message
	date     int64
	editDate int64
	entities []apiEntity
}

type replyKB struct {
	rows    [][]KeyButton
	oneTime bool
}

// ID returns the user id (also the chat id).
func (u *User) ID() int64 { return u.id }

// FirstName returns the user's first name ("User <id>").
func (u *User) FirstName() string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return u.firstName
}

// SetFirstName changes the first name later updates carry (names hold whatever people put
// in them: emoji, direction marks, control characters).
func (u *User) SetFirstName(name string) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.firstName = name
}

func (u *User) touchLocked() {
	u.version++
	close(u.changed)
	u.changed = make(chan struct{})
}

// addLocked appends a message to the transcript with the chat's next message id.
func (u *User) addLocked(m Message) *record {
	if m.FromUser {
		u.known = true
	}
	u.nextMsgID++
	now := time.Now()
	m.ID = u.nextMsgID
	m.Date = now
	rec := &record{msg: m, date: now.Unix()}
	u.msgs = append(u.msgs, rec)
	for len(u.msgs) > MaxMessagesPerChat {
		u.msgs[0] = nil
		u.msgs = u.msgs[1:]
	}
	u.touchLocked()
	return rec
}

func (u *User) findLocked(id int) (*record, int) {
	for i := len(u.msgs) - 1; i >= 0; i-- {
		if u.msgs[i].msg.ID == id {
			return u.msgs[i], i
		}
	}
	return nil, -1
}

// hideOneTimeLocked hides a one-time reply keyboard after the user used one of its buttons.
func (u *User) hideOneTimeLocked(match func(KeyButton) bool) {
	if u.kb == nil || !u.kb.oneTime {
		return
	}
	for _, row := range u.kb.rows {
		for _, b := range row {
			if match(b) {
				u.kb = nil
				return
			}
		}
	}
}

func (u *User) sendUserMessageLocked(m Message) *record {
	m.FromUser = true
	rec := u.addLocked(m)
	u.s.enqueueLocked(u, &apiUpdate{Message: u.s.messageJSON(u, rec)})
	return rec
}

// Send queues a text message from this user. A leading /command gets a
// bot_command entity, as Telegram adds.
func (u *User) Send(text string) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.hideOneTimeLocked(func(b KeyButton) bool {
		return b.Text == text && !b.RequestContact && !b.RequestLocation
	})
	m := Message{FromUser: true, Text: text}
	rec := u.addLocked(m)
	rec.entities = commandEntities(text)
	u.lastText = rec.msg.ID
	u.s.enqueueLocked(u, &apiUpdate{Message: u.s.messageJSON(u, rec)})
}

// EditLast edits the user's last text message: an edited_message update.
// It does nothing if the user has no text message left in the transcript.
func (u *User) EditLast(text string) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	rec, _ := u.findLocked(u.lastText)
	if rec == nil {
		return
	}
	rec.msg.Text = text
	rec.msg.Edits++
	rec.editDate = time.Now().Unix()
	rec.entities = commandEntities(text)
	u.touchLocked()
	u.s.enqueueLocked(u, &apiUpdate{EditedMessage: u.s.messageJSON(u, rec)})
}

// ShareContact queues a message with a contact {phone_number, first_name,
// user_id}. contactUserID == u.ID() shares the user's own contact.
func (u *User) ShareContact(phone string, contactUserID int64) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	name := "Contact"
	if contactUserID != 0 {
		name = "User " + strconv.FormatInt(contactUserID, 10)
	}
	u.hideOneTimeLocked(func(b KeyButton) bool { return b.RequestContact })
	u.sendUserMessageLocked(Message{Contact: &Contact{PhoneNumber: phone, FirstName: name, UserID: contactUserID}})
}

// ShareLocation queues a message with a location.
func (u *User) ShareLocation(lat, lon float64) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.hideOneTimeLocked(func(b KeyButton) bool { return b.RequestLocation })
	u.sendUserMessageLocked(Message{Location: &Location{Latitude: lat, Longitude: lon}})
}

// SendPhoto queues a photo with an optional caption and returns the file_id the
// bot will see.
func (u *User) SendPhoto(data []byte, caption string) string {
	return u.sendFile(Message{Photo: &Document{Data: data, Caption: caption, MIMEType: "image/jpeg"}}, "AgACAgQAAxkBemu")
}

// SendDocument queues a document with an optional caption and returns its file_id.
func (u *User) SendDocument(name string, data []byte, caption string) string {
	mt := mime.TypeByExtension(extOf(name))
	if mt == "" {
		mt = "application/octet-stream"
	}
	return u.sendFile(Message{Document: &Document{FileName: name, Data: data, Caption: caption, MIMEType: mt}}, "BQACAgQAAxkBemu")
}

func (u *User) sendFile(m Message, prefix string) string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	d := m.Document
	if d == nil {
		d = m.Photo
	}
	u.s.fileSeq++
	d.FileID = fmt.Sprintf("%s%d_%d", prefix, u.id, u.s.fileSeq)
	u.sendUserMessageLocked(m)
	return d.FileID
}

// SendSticker queues a message with only a sticker (no text).
func (u *User) SendSticker() {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.sendUserMessageLocked(Message{Sticker: true})
}

// Press presses the inline button with exactly this label on the newest bot
// message in this chat that has one: a callback_query update carrying that
// message. It fails if no message has such a button.
func (u *User) Press(label string) error {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	for i := len(u.msgs) - 1; i >= 0; i-- {
		rec := u.msgs[i]
		if rec.msg.FromUser {
			continue
		}
		if b, ok := findButton(rec.msg.Inline, label); ok {
			u.pressLocked(rec, rec.msg.ID, b.Data)
			return nil
		}
	}
	return fmt.Errorf("emulator: user %d: no bot message has an inline button %q (buttons: %s)", u.id, label, u.buttonListLocked())
}

// PressOn presses the button with this label on a given (possibly old) bot message.
func (u *User) PressOn(messageID int, label string) error {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	rec, _ := u.findLocked(messageID)
	if rec == nil || rec.msg.FromUser {
		return fmt.Errorf("emulator: user %d: no bot message %d", u.id, messageID)
	}
	b, ok := findButton(rec.msg.Inline, label)
	if !ok {
		return fmt.Errorf("emulator: user %d: message %d has no inline button %q (buttons: %s)", u.id, messageID, label, buttonLabels(rec.msg.Inline))
	}
	u.pressLocked(rec, messageID, b.Data)
	return nil
}

// PressData sends a callback query with arbitrary (forged) data for a
// message; the update carries the message if it still exists.
func (u *User) PressData(messageID int, data string) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	rec, _ := u.findLocked(messageID)
	if rec != nil && rec.msg.FromUser {
		rec = nil
	}
	u.pressLocked(rec, messageID, data)
}

func (u *User) pressLocked(rec *record, msgID int, data string) {
	u.known = true
	id := u.s.registerCallbackLocked(u, data, msgID)
	cq := &apiCallbackQuery{
		ID:           id,
		From:         u.apiFrom(),
		ChatInstance: strconv.FormatInt(u.s.botID, 10) + strconv.FormatInt(u.id, 10),
		Data:         data,
	}
	if rec != nil {
		cq.Message = u.s.messageJSON(u, rec)
	}
	u.s.enqueueLocked(u, &apiUpdate{CallbackQuery: cq})
}

func findButton(rows [][]Button, label string) (Button, bool) {
	for _, row := range rows {
		for _, b := range row {
			if b.Text == label && b.URL == "" {
				return b, true
			}
		}
	}
	return Button{}, false
}

func buttonLabels(rows [][]Button) string {
	var labels []string
	for _, row := range rows {
		for _, b := range row {
			labels = append(labels, strconv.Quote(b.Text))
		}
	}
	if labels == nil {
		return "none"
	}
	return strings.Join(labels, ", ")
}

func (u *User) buttonListLocked() string {
	var parts []string
	for i := len(u.msgs) - 1; i >= 0 && len(parts) < 5; i-- {
		if m := u.msgs[i].msg; !m.FromUser && m.Inline != nil {
			parts = append(parts, fmt.Sprintf("#%d: %s", m.ID, buttonLabels(m.Inline)))
		}
	}
	if parts == nil {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// Messages returns the bot's messages in this chat, oldest first, with edits
// applied (at most the last MaxMessagesPerChat messages of the chat).
func (u *User) Messages() []Message {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return u.botMessagesLocked()
}

func (u *User) botMessagesLocked() []Message {
	out := make([]Message, 0, len(u.msgs))
	for _, rec := range u.msgs {
		if !rec.msg.FromUser {
			out = append(out, copyMessage(rec.msg))
		}
	}
	return out
}

// Transcript returns both directions, oldest first (FromUser marks the
// user's messages).
func (u *User) Transcript() []Message {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	out := make([]Message, 0, len(u.msgs))
	for _, rec := range u.msgs {
		out = append(out, copyMessage(rec.msg))
	}
	return out
}

// Keyboard returns the reply keyboard the user currently sees (nil if none).
func (u *User) Keyboard() [][]KeyButton {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	if u.kb == nil {
		return nil
	}
	return copyRows(u.kb.rows)
}

// Toasts returns the texts of the answerCallbackQuery calls for this user's
// callback queries, in order. An answer without text gives "".
func (u *User) Toasts() []string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	out := make([]string, len(u.answers))
	for i, a := range u.answers {
		out[i] = a.Text
	}
	return out
}

// Answers returns the answerCallbackQuery calls for this user's callback queries.
func (u *User) Answers() []Answer {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return append([]Answer(nil), u.answers...)
}

// Wait blocks until cond(u.Messages()) is true, re-checking after every
// change to the chat. cond runs without locks held. When ctx ends first (or
// the server is closed), the error includes a dump of the transcript.
func (u *User) Wait(ctx context.Context, cond func([]Message) bool) error {
	for {
		u.s.mu.Lock()
		msgs := u.botMessagesLocked()
		ch := u.changed
		closed := u.s.closed
		u.s.mu.Unlock()
		if cond(msgs) {
			return nil
		}
		if closed {
			return fmt.Errorf("emulator: user %d: server closed while waiting\n%s", u.id, u.Dump())
		}
		select {
		case <-ch:
		case <-ctx.Done():
			err := context.Cause(ctx)
			if errors.Is(err, context.DeadlineExceeded) {
				err = errors.New("condition not met before the deadline")
			}
			return fmt.Errorf("emulator: user %d: %w\n%s", u.id, err, u.Dump())
		}
	}
}

// WaitCount waits until the chat has at least n bot messages and returns them.
func (u *User) WaitCount(ctx context.Context, n int) ([]Message, error) {
	var got []Message
	err := u.Wait(ctx, func(m []Message) bool {
		got = m
		return len(m) >= n
	})
	if err != nil {
		return got, fmt.Errorf("waiting for %d bot messages, have %d: %w", n, len(got), err)
	}
	return got, nil
}

// Dump returns the transcript as readable text (for test failures).
func (u *User) Dump() string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "transcript of chat %d (%d messages kept):\n", u.id, len(u.msgs))
	for _, rec := range u.msgs {
		m := rec.msg
		who := "bot "
		if m.FromUser {
			who = "user"
		}
		fmt.Fprintf(&b, "  #%d %s: %s", m.ID, who, describe(m))
		if m.Edits > 0 {
			fmt.Fprintf(&b, " (edited %dx)", m.Edits)
		}
		b.WriteByte('\n')
		for _, row := range m.Inline {
			b.WriteString("        [")
			for i, bt := range row {
				if i > 0 {
					b.WriteString(" | ")
				}
				fmt.Fprintf(&b, "%s → %q", bt.Text, bt.Data+bt.URL)
			}
			b.WriteString("]\n")
		}
		if m.Keyboard != nil {
			fmt.Fprintf(&b, "        reply keyboard: %v\n", m.Keyboard)
		}
		if m.RemoveKeyboard {
			b.WriteString("        (removes reply keyboard)\n")
		}
	}
	for _, a := range u.answers {
		fmt.Fprintf(&b, "  toast for %q: %q alert=%v\n", a.Data, a.Text, a.ShowAlert)
	}
	return b.String()
}

func describe(m Message) string {
	switch {
	case m.Document != nil:
		return fmt.Sprintf("[document %q, %d bytes] %s", m.Document.FileName, len(m.Document.Data), m.Document.Caption)
	case m.Photo != nil:
		return fmt.Sprintf("[photo %s, %d bytes] %s", m.Photo.FileID, len(m.Photo.Data), m.Photo.Caption)
	case m.Contact != nil:
		return fmt.Sprintf("[contact %s %s user %d]", m.Contact.PhoneNumber, m.Contact.FirstName, m.Contact.UserID)
	case m.Location != nil:
		return fmt.Sprintf("[location %.4f, %.4f]", m.Location.Latitude, m.Location.Longitude)
	case m.Sticker:
		return "[sticker]"
	}
	return strconv.Quote(m.Text)
}

func copyRows[T any](rows [][]T) [][]T {
	if rows == nil {
		return nil
	}
	out := make([][]T, len(rows))
	for i, r := range rows {
		out[i] = append([]T(nil), r...)
	}
	return out
}

func copyMessage(m Message) Message {
	m.Inline = copyRows(m.Inline)
	m.Keyboard = copyRows(m.Keyboard)
	if m.Document != nil {
		d := *m.Document
		m.Document = &d
	}
	if m.Photo != nil {
		d := *m.Photo
		m.Photo = &d
	}
	if m.Contact != nil {
		c := *m.Contact
		m.Contact = &c
	}
	if m.Location != nil {
		l := *m.Location
		m.Location = &l
	}
	return m
}

// commandEntities marks /commands the way Telegram does (offsets in UTF-16 units).
func commandEntities(text string) []apiEntity {
	var ents []apiEntity
	offset := 0 // UTF-16 offset of i
	prevSpace := true
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '/' && prevSpace {
			j := i + 1
			for j < len(rs) && isCmdRune(rs[j]) {
				j++
			}
			if j < len(rs) && rs[j] == '@' {
				k := j + 1
				for k < len(rs) && isCmdRune(rs[k]) {
					k++
				}
				if k > j+1 {
					j = k
				}
			}
			if j > i+1 && j-i-1 <= 64 && (j == len(rs) || !isCmdRune(rs[j])) {
				ents = append(ents, apiEntity{Type: "bot_command", Offset: offset, Length: j - i})
				offset += j - i // command runes are ASCII
				i = j - 1
				prevSpace = false
				continue
			}
		}
		prevSpace = r == ' ' || r == '\n' || r == '\t'
		offset += utf16Len(r)
	}
	return ents
}

func isCmdRune(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func utf16Len(r rune) int {
	if utf16.RuneLen(r) == 2 {
		return 2
	}
	return 1
}

// textLen counts as Telegram does: UTF-16 code units.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

// Redeliver queues the newest update of this user again with the same update_id, as a
// platform does when it did not see the update confirmed (at-least-once delivery).
func (u *User) Redeliver() {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.last == nil {
		return
	}
	p := &pending{id: u.last.id, user: u, payload: u.last.payload, again: true, queued: time.Now()}
	s.queue = append(s.queue, p)
	s.pendingN++
	u.fifo = append(u.fifo, p)
	s.markReadyLocked(u)
	s.pumpLocked()
	s.notifyUpdatesLocked()
}

// InjectRaw queues an update from this user whose JSON is build's result as is, given the
// update id it gets: a malformed update as a platform might send one (a wrong-typed
// field, no chat, no sender, no update_id at all). getUpdates serves it among the others;
// a webhook gets it pushed until it answers 2xx, like any update. It returns the id.
func (u *User) InjectRaw(build func(updateID int) []byte) int {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdateID++
	p := &pending{id: s.nextUpdateID, user: u, payload: build(s.nextUpdateID), queued: time.Now()}
	s.queue = append(s.queue, p)
	s.pendingN++
	u.fifo = append(u.fifo, p)
	u.last = p
	s.markReadyLocked(u)
	s.pumpLocked()
	s.notifyUpdatesLocked()
	return p.id
}
