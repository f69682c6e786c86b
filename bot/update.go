package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"coopbot"
	"coopbot/flows"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// updateID reads the update id of an undecoded update. The platforms write it first
// (`{"update_id":123,…`), which is read without decoding the rest: a poll returns again
// the updates still being handled, and only new ones need decoding. Any other shape is
// decoded for its id alone. 0: no id could be read.
func updateID(raw []byte) int64 {
	const prefix = `{"update_id":`
	if rest, ok := bytes.CutPrefix(raw, []byte(prefix)); ok {
		var id int64
		n := 0
		for n < len(rest) && n < 19 && rest[n] >= '0' && rest[n] <= '9' {
			id = id*10 + int64(rest[n]-'0')
			n++
		}
		if n > 0 && n < len(rest) && (rest[n] == ',' || rest[n] == '}') {
			return id
		}
	}
	var v struct {
		UpdateID int64 `json:"update_id"`
	}
	if json.Unmarshal(raw, &v) != nil || v.UpdateID < 0 {
		return 0
	}
	return v.UpdateID
}

// parseUpdate decodes one update of a getUpdates list or a webhook body on its own, so
// that one malformed update costs only itself. It returns the update id when it can be
// read (0 otherwise), also with an error.
func parseUpdate(raw []byte) (int64, tgbotapi.Update, error) {
	var u tgbotapi.Update
	err := json.Unmarshal(raw, &u)
	if err == nil && u.UpdateID > 0 {
		return int64(u.UpdateID), u, nil
	}
	var id struct {
		UpdateID int64 `json:"update_id"`
	}
	if json.Unmarshal(raw, &id) != nil || id.UpdateID < 0 {
		id.UpdateID = 0
	}
	if err == nil {
		err = errors.New("no update_id")
	}
	return id.UpdateID, tgbotapi.Update{}, fmt.Errorf("malformed update: %w", err)
}

// decode turns a platform update into the engine's Update. Only private chats are read:
// group chats and channels are ignored, and so is an update that lacks the sender or the
// chat (nothing is dereferenced before it is checked).
func decode(p coopbot.Platform, u tgbotapi.Update) (flows.Update, bool) {
	up := flows.Update{Platform: p, ID: int64(u.UpdateID)}
	m := u.Message
	if m == nil {
		m = u.EditedMessage
	}
	switch {
	case m != nil:
		if m.From == nil || m.Chat == nil || m.Chat.Type != "private" {
			return up, false
		}
		up.ChatID, up.UserID, up.FirstName = m.Chat.ID, m.From.ID, m.From.FirstName
		switch {
		case u.EditedMessage != nil:
			// An edit of an earlier answer is not a new answer.
			up.Kind = flows.KindOther
		case m.Contact != nil:
			up.Kind = flows.KindContact
			up.Contact = &flows.Contact{Phone: m.Contact.PhoneNumber, UserID: m.Contact.UserID}
		case m.Location != nil:
			up.Kind = flows.KindLocation
			up.Location = &flows.Location{Lat: m.Location.Latitude, Lon: m.Location.Longitude}
		case len(m.Photo) > 0 || m.Document != nil:
			up.Kind, up.Text = flows.KindFile, m.Caption
			up.File = fileOf(p, m)
			if up.File == nil {
				up.Kind = flows.KindOther
			}
		case m.Text != "":
			up.Kind = flows.KindText
			up.Text = m.Text
		default:
			up.Kind = flows.KindOther
		}
		return up, true
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		if q.From == nil {
			return up, false
		}
		up.UserID, up.FirstName, up.ChatID = q.From.ID, q.From.FirstName, q.From.ID
		if q.Message != nil {
			if q.Message.Chat == nil || q.Message.Chat.Type != "private" {
				return up, false
			}
			up.ChatID, up.MessageID = q.Message.Chat.ID, q.Message.MessageID
		}
		up.Kind, up.Data, up.CallbackID = flows.KindCallback, q.Data, q.ID
		return up, true
	}
	return up, false
}

// send sends (or, for a pressed button's message or the one the reply names, edits) one
// rendered reply.
func (p *platform) send(ctx context.Context, chatID int64, pressedMsg int, r *rendered) error {
	if r.docs != nil {
		// An export: the workbook with the text as its caption, then the same table as
		// CSV for other programs. Resent whole when a send fails (at most one duplicate).
		for i, doc := range r.docs {
			d := tgbotapi.NewDocument(chatID, tgbotapi.FileBytes{Name: doc.Name, Bytes: doc.Data})
			if i == 0 && len(r.chunks) > 0 {
				d.Caption = r.chunks[0]
			} else if i > 0 {
				d.Caption = r.docNote
			}
			p.spend()
			_, err := p.api.Send(d)
			if err := p.metered(p.classify(err, "sendDocument")); err != nil {
				return err
			}
		}
		return nil
	}
	if r.file != nil {
		// The text rides as the caption when it fits one, keyboards with it; else the file
		// goes first and the text follows as usual.
		if len(r.chunks) <= 1 && utf16Len(first(r.chunks)) <= maxCaption {
			return p.sendFile(ctx, chatID, r, first(r.chunks), true, false)
		}
		if err := p.sendFile(ctx, chatID, r, "", false, false); err != nil {
			return err
		}
	}
	if !r.hasText {
		return nil
	}
	target := pressedMsg
	if r.editMsg != 0 {
		target = r.editMsg
	}
	if r.edit && r.file == nil && target != 0 && len(r.chunks) == 1 && r.keys == nil && !r.remove {
		e := tgbotapi.NewEditMessageText(chatID, target, r.chunks[0])
		e.ReplyMarkup = r.inline
		p.spend()
		_, err := p.api.Request(e)
		if err == nil || isNotModified(err) {
			return nil
		}
		// The message may be too old to edit: send a new one instead.
		p.log.Debug("edit failed, sending instead", "err", redact(err, p.token))
	}
	for i, chunk := range r.chunks {
		msg := tgbotapi.NewMessage(chatID, chunk)
		if i == len(r.chunks)-1 {
			switch {
			case r.inline != nil:
				msg.ReplyMarkup = r.inline
			case r.keys != nil:
				msg.ReplyMarkup = r.keys
			case r.remove:
				msg.ReplyMarkup = tgbotapi.NewRemoveKeyboard(true)
			}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		p.spend()
		resp, err := p.api.Request(msg) // Request: the sent message is not decoded unless it goes again
		if err := p.metered(p.classify(err, "sendMessage")); err != nil {
			return err
		}
		if r.transient {
			p.unsend(chatID, resp)
		}
	}
	return nil
}

// unsend deletes a message that only carried the removal of a reply keyboard (which
// stays removed), best effort: at worst the short note stays in the chat.
func (p *platform) unsend(chatID int64, resp *tgbotapi.APIResponse) {
	var m struct {
		MessageID int `json:"message_id"`
	}
	if resp == nil || json.Unmarshal(resp.Result, &m) != nil || m.MessageID == 0 {
		return
	}
	if _, err := p.api.Request(tgbotapi.NewDeleteMessage(chatID, m.MessageID)); err != nil {
		p.log.Debug("delete keyboard note", "err", redact(err, p.token))
	}
}

// answer answers a button press, best effort: a failure only leaves a spinner.
func (p *platform) answer(callbackID, text string) {
	if callbackID == "" {
		return
	}
	if _, err := p.api.Request(tgbotapi.NewCallback(callbackID, text)); err != nil {
		p.log.Debug("answer callback", "err", redact(err, p.token))
	}
}

// fileOf returns the photo (its largest size) or document of a message, nil when the
// platform sent no usable file id.
func fileOf(p coopbot.Platform, m *tgbotapi.Message) *coopbot.File {
	f := coopbot.File{Platform: p}
	if m.Document != nil {
		f.Kind, f.ID, f.Name = coopbot.FileDocument, m.Document.FileID, m.Document.FileName
	} else {
		best := m.Photo[0]
		for _, ps := range m.Photo[1:] {
			if ps.Width*ps.Height > best.Width*best.Height {
				best = ps
			}
		}
		f.Kind, f.ID = coopbot.FilePhoto, best.FileID
	}
	if !f.Valid() {
		return nil
	}
	return &f
}
