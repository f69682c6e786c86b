package bot

import (
	"encoding/json"
	"testing"

	"coopbot"
	"coopbot/flows"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Everything a person can send where the bot asked for text reaches the engine as a kind
// it answers (KindOther gets the question again), never as text: a photo's caption comes
// with the photo (KindFile), not as a typed answer, and an edit of an earlier message is
// not an answer. Group chats and channels are not read,
// nor (without a panic) updates that lack their sender or chat.
func TestDecodeKinds(t *testing.T) {
	t.Parallel()
	const from = `"from": {"id": 52, "first_name": "x"}, "chat": {"id": 52, "type": "private"}, "date": 1, "message_id": 7`
	for _, c := range []struct {
		name, update string
		read         bool
		kind         flows.Kind
	}{
		{"text", `{"update_id": 1, "message": {` + from + `, "text": "سلام"}}`, true, flows.KindText},
		{"photo with caption", `{"update_id": 1, "message": {` + from + `, "photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}], "caption": "سرخاب"}}`, true, flows.KindFile},
		{"voice", `{"update_id": 1, "message": {` + from + `, "voice": {"file_id": "v", "file_unique_id": "u", "duration": 3}}}`, true, flows.KindOther},
		{"video note", `{"update_id": 1, "message": {` + from + `, "video_note": {"file_id": "v", "file_unique_id": "u", "length": 1, "duration": 3}}}`, true, flows.KindOther},
		{"document", `{"update_id": 1, "message": {` + from + `, "document": {"file_id": "d", "file_unique_id": "u"}, "caption": "۰۹۱۲۱۲۳۴۵۶۷"}}`, true, flows.KindFile},
		{"photo without a file id", `{"update_id": 1, "message": {` + from + `, "photo": [{"file_id": "", "file_unique_id": "u", "width": 1, "height": 1}]}}`, true, flows.KindOther},
		{"sticker", `{"update_id": 1, "message": {` + from + `, "sticker": {"file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1}}}`, true, flows.KindOther},
		{"dice", `{"update_id": 1, "message": {` + from + `, "dice": {"emoji": "🎲", "value": 3}}}`, true, flows.KindOther},
		{"location", `{"update_id": 1, "message": {` + from + `, "location": {"latitude": 38.08, "longitude": 46.29}}}`, true, flows.KindLocation},
		{"contact", `{"update_id": 1, "message": {` + from + `, "contact": {"phone_number": "+989121112233", "first_name": "x", "user_id": 52}}}`, true, flows.KindContact},
		{"edited text", `{"update_id": 1, "edited_message": {` + from + `, "edit_date": 2, "text": "سرخاب"}}`, true, flows.KindOther},
		{"group message", `{"update_id": 1, "message": {"from": {"id": 52, "first_name": "x"}, "chat": {"id": -1001234567890, "type": "supergroup"}, "date": 1, "message_id": 7, "text": "/start"}}`, false, 0},
		{"channel post", `{"update_id": 1, "channel_post": {"chat": {"id": -1001234567890, "type": "channel"}, "date": 1, "message_id": 7, "text": "x"}}`, false, 0},
		{"poll answer", `{"update_id": 1, "poll_answer": {"poll_id": "p", "user": {"id": 52, "first_name": "x"}, "option_ids": [0]}}`, false, 0},
		{"message without chat", `{"update_id": 1, "message": {"from": {"id": 52, "first_name": "x"}, "date": 1, "message_id": 7, "text": "x"}}`, false, 0},
		{"message without sender", `{"update_id": 1, "message": {"chat": {"id": 52, "type": "private"}, "date": 1, "message_id": 7, "text": "x"}}`, false, 0},
		{"edit without chat", `{"update_id": 1, "edited_message": {"from": {"id": 52, "first_name": "x"}, "date": 1, "message_id": 7, "text": "x"}}`, false, 0},
		{"press without sender", `{"update_id": 1, "callback_query": {"id": "q", "chat_instance": "1", "data": "x"}}`, false, 0},
		{"press on a message without chat", `{"update_id": 1, "callback_query": {"id": "q", "from": {"id": 52, "first_name": "x"}, "message": {"message_id": 7, "date": 1}, "chat_instance": "1", "data": "x"}}`, false, 0},
		{"press without message", `{"update_id": 1, "callback_query": {"id": "q", "from": {"id": 52, "first_name": "x"}, "chat_instance": "1", "data": "x"}}`, true, flows.KindCallback},
	} {
		var u tgbotapi.Update
		if err := json.Unmarshal([]byte(c.update), &u); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		up, ok := decode(coopbot.Telegram, u)
		if ok != c.read {
			t.Errorf("%s: read = %v, want %v", c.name, ok, c.read)
			continue
		}
		if !ok {
			continue
		}
		if up.Kind != c.kind {
			t.Errorf("%s: kind %d, want %d", c.name, up.Kind, c.kind)
		}
		if up.Kind == flows.KindFile && (up.File == nil || !up.File.Valid()) {
			t.Errorf("%s: file %+v", c.name, up.File)
		}
		if up.Kind != flows.KindText && up.Kind != flows.KindFile && up.Text != "" {
			t.Errorf("%s: carries text %q into the conversation", c.name, up.Text)
		}
		if up.ChatID != 52 || up.UserID != 52 {
			t.Errorf("%s: chat %d user %d", c.name, up.ChatID, up.UserID)
		}
	}
}

// The id of an undecoded update is read without decoding it when it comes first, and by
// decoding otherwise; what is not an id gives 0.
func TestUpdateID(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]int64{
		`{"update_id":123,"message":{}}`:        123,
		`{"update_id":7}`:                       7,
		`{"message":{"x":1},"update_id":42}`:    42,
		`{"update_id": 9, "message": {}}`:       9,
		`{"update_id":12x}`:                     0,
		`{"update_id":"12"}`:                    0,
		`{"message":{}}`:                        0,
		`{"update_id":-5}`:                      0,
		`{"update_id":99999999999999999999999}`: 0,
	} {
		if got := updateID([]byte(raw)); got != want {
			t.Errorf("updateID(%s) = %d, want %d", raw, got, want)
		}
	}
}
