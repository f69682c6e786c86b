package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Error descriptions, as the Bot API words them.
const (
	descUnauthorized     = "Unauthorized"
	descNotFound         = "Not Found"
	descChatNotFound     = "Bad Request: chat not found"
	descChatIDEmpty      = "Bad Request: chat_id is empty"
	descTextEmpty        = "Bad Request: message text is empty"
	descTooLong          = "Bad Request: message is too long"
	descCaptionTooLong   = "Bad Request: message caption is too long"
	descBlocked          = "Forbidden: bot was blocked by the user"
	descNotModified      = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
	descEditNotFound     = "Bad Request: message to edit not found"
	descCantEdit         = "Bad Request: message can't be edited"
	descNoText           = "Bad Request: there is no text in the message to edit"
	descDeleteNotFound   = "Bad Request: message to delete not found"
	descQueryInvalid     = "Bad Request: query is too old and response timeout expired or query ID is invalid"
	descConflictPoll     = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
	descConflictWebhook  = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
	descBadMarkup        = "Bad Request: can't parse reply keyboard markup JSON object"
	descButtonData       = "Bad Request: BUTTON_DATA_INVALID"
	descTextButtons      = "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
	descInlineExpected   = "Bad Request: inline keyboard expected"
	descNoDocument       = "Bad Request: there is no document in the request"
	descEmptyFile        = "Bad Request: file must be non-empty"
	descSecretToken      = "Bad Request: secret token contains unallowed characters"
	descBadCommand       = "Bad Request: BOT_COMMAND_INVALID"
	descTooManyRequestsF = "Too Many Requests: retry after %d"
	maxTextLen           = 4096
	maxCaptionLen        = 1024
	maxCallbackData      = 64
)

// methods maps lower-case method names to their canonical spelling.
var methods = map[string]string{}

func init() {
	for _, m := range []string{
		"getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
		"sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery",
		"deleteMessage", "sendDocument", "sendPhoto", "getFile", "setMyCommands", "deleteMyCommands", "getMyCommands",
		"sendChatAction",
	} {
		methods[strings.ToLower(m)] = m
	}
}

// apiErr is an error answer.
type apiErr struct {
	code       int
	desc       string
	retryAfter int
}

func errf(code int, desc string) *apiErr { return &apiErr{code: code, desc: desc} }

// params gives uniform access to form, multipart and JSON parameters.
type params struct {
	form  url.Values
	json  map[string]json.RawMessage
	files map[string][]*multipart.FileHeader
}

func parseParams(w http.ResponseWriter, r *http.Request) (*params, *apiErr) {
	p := &params{form: r.URL.Query()}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes+1<<20)
	switch ct {
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, errf(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &p.json); err != nil {
				return nil, errf(http.StatusBadRequest, "Bad Request: can't parse JSON object")
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, errf(http.StatusBadRequest, "Bad Request: can't parse multipart form")
		}
		for k, v := range r.MultipartForm.Value {
			p.form[k] = append(p.form[k], v...)
		}
		p.files = r.MultipartForm.File
	default:
		if err := r.ParseForm(); err != nil {
			return nil, errf(http.StatusBadRequest, "Bad Request: can't parse request")
		}
		p.form = r.Form
	}
	return p, nil
}

func (p *params) has(k string) bool {
	_, ok := p.str(k)
	return ok
}

// str returns a parameter as text: JSON strings unquoted, other JSON values verbatim.
func (p *params) str(k string) (string, bool) {
	if raw, ok := p.json[k]; ok && string(raw) != "null" {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, true
		}
		return string(raw), true
	}
	if vs, ok := p.form[k]; ok && len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

func (p *params) get(k string) string {
	s, _ := p.str(k)
	return s
}

func (p *params) int(k string) (int64, bool) {
	s, ok := p.str(k)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

func (p *params) bool(k string) bool {
	s, _ := p.str(k)
	b, _ := strconv.ParseBool(strings.TrimSpace(s))
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeAPIError(w http.ResponseWriter, e *apiErr) {
	resp := apiResponse{OK: false, ErrorCode: e.code, Description: e.desc}
	if e.retryAfter > 0 {
		resp.Parameters = &apiRespParams{RetryAfter: e.retryAfter}
	}
	status := e.code
	if status < 100 || status > 599 {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, resp)
}

func (s *Server) serveBotAPI(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/bot")
	token, method, ok := strings.Cut(rest, "/")
	if !ok || method == "" || strings.Contains(method, "/") {
		writeAPIError(w, errf(http.StatusNotFound, descNotFound))
		return
	}
	if s.opts.Token != "" && token != s.opts.Token {
		writeAPIError(w, errf(http.StatusUnauthorized, descUnauthorized))
		return
	}
	lower := strings.ToLower(method)
	s.mu.Lock()
	s.calls[lower]++
	hook := s.hook
	s.mu.Unlock()
	canon, known := methods[lower]
	if !known {
		s.log.Debug("unknown Bot API method", "method", method)
		writeAPIError(w, errf(http.StatusNotFound, descNotFound))
		return
	}
	p, perr := parseParams(w, r)
	if perr != nil {
		writeAPIError(w, perr)
		return
	}
	if r.MultipartForm != nil {
		defer func() { _ = r.MultipartForm.RemoveAll() }()
	}
	if timeout, ok := p.int("timeout"); ok && canon == "getUpdates" && timeout > 0 {
		// A long poll outlasts a server's write timeout: it gets its own deadline.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Duration(timeout)*time.Second + 10*time.Second))
	}
	chatID, _ := p.int("chat_id")
	if hook != nil {
		if e := hook(canon, chatID); e != nil {
			if e.Delay > 0 {
				t := time.NewTimer(e.Delay)
				select {
				case <-t.C:
				case <-s.ctx.Done():
					t.Stop()
				}
			}
			switch {
			case e.Code < 0:
				panic(http.ErrAbortHandler)
			case e.Code > 0:
				desc := e.Description
				if desc == "" {
					desc = http.StatusText(e.Code)
				}
				s.log.Debug("hook fault", "method", canon, "chat", chatID, "code", e.Code)
				writeAPIError(w, &apiErr{code: e.Code, desc: desc, retryAfter: e.RetryAfter})
				return
			}
		}
	}
	var result any
	var aerr *apiErr
	switch canon {
	case "getMe":
		result = s.botUserFull()
	case "getUpdates":
		result, aerr = s.getUpdates(r, p)
	case "setWebhook":
		result, aerr = s.setWebhook(p)
	case "deleteWebhook":
		result, aerr = s.deleteWebhook(p)
	case "getWebhookInfo":
		result = s.webhookInfo()
	case "sendMessage":
		result, aerr = s.sendMessage(p)
	case "editMessageText":
		result, aerr = s.editMessage(p, true)
	case "editMessageReplyMarkup":
		result, aerr = s.editMessage(p, false)
	case "answerCallbackQuery":
		result, aerr = s.answerCallback(p)
	case "deleteMessage":
		result, aerr = s.deleteMessage(p)
	case "sendPhoto":
		result, aerr = s.sendPhoto(p)
	case "getFile":
		result, aerr = s.getFile(p)
	case "sendDocument":
		result, aerr = s.sendDocument(p)
	case "setMyCommands", "deleteMyCommands", "getMyCommands":
		result, aerr = s.myCommands(canon, p)
	case "sendChatAction":
		result, aerr = s.sendChatAction(p)
	}
	if aerr != nil {
		s.log.Debug("Bot API error", "method", canon, "chat", chatID, "code", aerr.code, "description", aerr.desc)
		writeAPIError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{OK: true, Result: result})
}

func (s *Server) botUser() apiUser {
	return apiUser{ID: s.botID, IsBot: true, FirstName: botFirstName, Username: BotUsername}
}

func (s *Server) botUserFull() apiUser {
	u := s.botUser()
	t, f := true, false
	u.CanJoinGroups, u.CanReadAllGroupMessages, u.SupportsInlineQueries = &t, &f, &f
	return u
}

func (u *User) apiFrom() apiUser {
	return apiUser{ID: u.id, FirstName: u.firstName}
}

func (u *User) apiChat() apiChat {
	return apiChat{ID: u.id, Type: "private", FirstName: u.firstName}
}

// messageJSON renders a transcript record as a Bot API Message.
func (s *Server) messageJSON(u *User, rec *record) *apiMessage {
	m := rec.msg
	out := &apiMessage{MessageID: m.ID, Chat: u.apiChat(), Date: rec.date, EditDate: rec.editDate}
	if m.FromUser {
		from := u.apiFrom()
		out.From = &from
		out.Text = m.Text
		out.Entities = rec.entities
		if c := m.Contact; c != nil {
			out.Contact = &apiContact{PhoneNumber: c.PhoneNumber, FirstName: c.FirstName, UserID: c.UserID}
		}
		if l := m.Location; l != nil {
			out.Location = &apiLocation{Latitude: l.Latitude, Longitude: l.Longitude}
		}
		if d := m.Document; d != nil {
			out.Caption = d.Caption
			out.Document = &apiDocument{FileID: d.FileID, FileUniqueID: "u" + d.FileID, FileName: d.FileName,
				MIMEType: d.MIMEType, FileSize: len(d.Data)}
		}
		if d := m.Photo; d != nil {
			out.Caption = d.Caption
			out.Photo = photoSizes(d)
		}
		if m.Sticker {
			out.Sticker = &apiSticker{FileID: "CAACAgIAAxkBAAEemulatorsticker", FileUniqueID: "AgADemulator",
				Type: "regular", Width: 512, Height: 512, Emoji: "🙂"}
		}
		return out
	}
	bot := s.botUser()
	out.From = &bot
	out.Text = m.Text
	if d := m.Document; d != nil {
		out.Text = ""
		out.Caption = d.Caption
		out.Document = &apiDocument{FileID: d.FileID, FileUniqueID: "u" + d.FileID, FileName: d.FileName,
			MIMEType: d.MIMEType, FileSize: len(d.Data)}
	}
	if d := m.Photo; d != nil {
		out.Text = ""
		out.Caption = d.Caption
		out.Photo = photoSizes(d)
	}
	if m.Inline != nil {
		mk := &apiInlineMarkup{InlineKeyboard: make([][]apiInlineButton, len(m.Inline))}
		for i, row := range m.Inline {
			mk.InlineKeyboard[i] = make([]apiInlineButton, len(row))
			for j, b := range row {
				ab := apiInlineButton{Text: b.Text}
				if b.URL != "" {
					ab.URL = &b.URL
				} else {
					ab.CallbackData = &b.Data
				}
				mk.InlineKeyboard[i][j] = ab
			}
		}
		out.ReplyMarkup = mk
	}
	return out
}

// markup is a parsed reply_markup.
type markup struct {
	inline   [][]Button
	keyboard [][]KeyButton
	oneTime  bool
	remove   bool
}

func parseMarkup(p *params) (*markup, *apiErr) {
	raw, ok := p.str("reply_markup")
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var in inMarkup
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return nil, errf(http.StatusBadRequest, descBadMarkup)
	}
	mk := &markup{oneTime: in.OneTimeKeyboard, remove: in.RemoveKeyboard}
	if in.InlineKeyboard != nil {
		mk.inline = make([][]Button, 0, len(in.InlineKeyboard))
		for _, row := range in.InlineKeyboard {
			r := make([]Button, 0, len(row))
			for _, b := range row {
				switch {
				case b.CallbackData != nil:
					if n := len(*b.CallbackData); n == 0 || n > maxCallbackData {
						return nil, errf(http.StatusBadRequest, descButtonData)
					}
					r = append(r, Button{Text: b.Text, Data: *b.CallbackData})
				case b.URL != nil:
					r = append(r, Button{Text: b.Text, URL: *b.URL})
				default:
					return nil, errf(http.StatusBadRequest, descTextButtons)
				}
			}
			mk.inline = append(mk.inline, r)
		}
	}
	if in.Keyboard != nil {
		mk.keyboard = make([][]KeyButton, 0, len(in.Keyboard))
		for _, row := range in.Keyboard {
			r := make([]KeyButton, 0, len(row))
			for _, b := range row {
				r = append(r, KeyButton{Text: b.Text, RequestContact: b.RequestContact, RequestLocation: b.RequestLocation})
			}
			mk.keyboard = append(mk.keyboard, r)
		}
	}
	return mk, nil
}

// chatLocked resolves chat_id to a user the bot may write to.
func (s *Server) chatLocked(p *params) (*User, *apiErr) {
	raw, ok := p.str("chat_id")
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, errf(http.StatusBadRequest, descChatIDEmpty)
	}
	id, ok := p.int("chat_id")
	if !ok {
		return nil, errf(http.StatusBadRequest, descChatNotFound)
	}
	u := s.users[id]
	if u == nil || !u.known {
		return nil, errf(http.StatusBadRequest, descChatNotFound)
	}
	if u.blocked {
		return nil, errf(http.StatusForbidden, descBlocked)
	}
	return u, nil
}

// checkText validates a message text or caption; it returns the text's
// length as Telegram counts it (after HTML parsing in Telegram mode).
func (s *Server) checkText(text, parseMode string) (int, *apiErr) {
	if !s.opts.Bale && strings.EqualFold(parseMode, "HTML") {
		plain, err := renderHTML(text)
		if err != nil {
			return 0, errf(http.StatusBadRequest, "Bad Request: can't parse entities: "+err.Error())
		}
		return textLen(strings.TrimSpace(plain)), nil
	}
	return textLen(strings.TrimSpace(text)), nil
}

func (s *Server) sendMessage(p *params) (any, *apiErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, e := s.chatLocked(p)
	if e != nil {
		return nil, e
	}
	text := p.get("text")
	parseMode := p.get("parse_mode")
	n, e := s.checkText(text, parseMode)
	if e != nil {
		return nil, e
	}
	if n == 0 {
		return nil, errf(http.StatusBadRequest, descTextEmpty)
	}
	if n > maxTextLen {
		return nil, errf(http.StatusBadRequest, descTooLong)
	}
	mk, e := parseMarkup(p)
	if e != nil {
		return nil, e
	}
	if ok, retry := s.takeTokenLocked(time.Now()); !ok {
		return nil, &apiErr{code: http.StatusTooManyRequests, desc: fmt.Sprintf(descTooManyRequestsF, retry), retryAfter: retry}
	}
	rec := s.addBotMessageLocked(u, Message{Text: text, ParseMode: parseMode}, mk)
	s.sent++
	u.sent++
	return s.messageJSON(u, rec), nil
}

func (s *Server) addBotMessageLocked(u *User, m Message, mk *markup) *record {
	if mk != nil {
		m.Inline = mk.inline
		m.Keyboard = mk.keyboard
		m.RemoveKeyboard = mk.remove
		m.OneTime = mk.oneTime && mk.keyboard != nil
		switch {
		case mk.keyboard != nil:
			u.kb = &replyKB{rows: copyRows(mk.keyboard), oneTime: mk.oneTime}
		case mk.remove:
			u.kb = nil
		}
	}
	return u.addLocked(m)
}

func (s *Server) editMessage(p *params, withText bool) (any, *apiErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.has("inline_message_id") && !p.has("chat_id") {
		return nil, errf(http.StatusBadRequest, descEditNotFound)
	}
	u, e := s.chatLocked(p)
	if e != nil {
		return nil, e
	}
	id, _ := p.int("message_id")
	rec, _ := u.findLocked(int(id))
	if rec == nil {
		return nil, errf(http.StatusBadRequest, descEditNotFound)
	}
	if rec.msg.FromUser {
		return nil, errf(http.StatusBadRequest, descCantEdit)
	}
	mk, e := parseMarkup(p)
	if e != nil {
		return nil, e
	}
	var inline [][]Button
	if mk != nil {
		if mk.keyboard != nil || mk.remove {
			return nil, errf(http.StatusBadRequest, descInlineExpected)
		}
		inline = mk.inline
	}
	if len(inline) == 0 {
		inline = nil
	}
	text, parseMode := rec.msg.Text, rec.msg.ParseMode
	if withText {
		if rec.msg.Document != nil {
			return nil, errf(http.StatusBadRequest, descNoText)
		}
		text, parseMode = p.get("text"), p.get("parse_mode")
		n, e := s.checkText(text, parseMode)
		if e != nil {
			return nil, e
		}
		if n == 0 {
			return nil, errf(http.StatusBadRequest, descTextEmpty)
		}
		if n > maxTextLen {
			return nil, errf(http.StatusBadRequest, descTooLong)
		}
	}
	old := rec.msg.Inline
	if len(old) == 0 {
		old = nil
	}
	if text == rec.msg.Text && reflect.DeepEqual(inline, old) {
		return nil, errf(http.StatusBadRequest, descNotModified)
	}
	rec.msg.Text, rec.msg.ParseMode = text, parseMode
	rec.msg.Inline = inline
	rec.msg.Edits++
	rec.editDate = time.Now().Unix()
	u.touchLocked()
	return s.messageJSON(u, rec), nil
}

func (s *Server) answerCallback(p *params) (any, *apiErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p.get("callback_query_id")
	cb := s.callbacks[id]
	if cb == nil {
		return nil, errf(http.StatusBadRequest, descQueryInvalid)
	}
	delete(s.callbacks, id)
	u := cb.user
	u.answers = append(u.answers, Answer{QueryID: id, Data: cb.data, MessageID: cb.msgID,
		Text: p.get("text"), ShowAlert: p.bool("show_alert")})
	u.answerSeq++
	if len(u.answers) > maxAnswersPerChat {
		u.answers = u.answers[1:]
	}
	u.touchLocked()
	return true, nil
}

func (s *Server) deleteMessage(p *params) (any, *apiErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, e := s.chatLocked(p)
	if e != nil {
		return nil, e
	}
	id, _ := p.int("message_id")
	rec, i := u.findLocked(int(id))
	if rec == nil {
		return nil, errf(http.StatusBadRequest, descDeleteNotFound)
	}
	copy(u.msgs[i:], u.msgs[i+1:])
	u.msgs[len(u.msgs)-1] = nil
	u.msgs = u.msgs[:len(u.msgs)-1]
	u.touchLocked()
	return true, nil
}

func (s *Server) sendDocument(p *params) (any, *apiErr) { return s.sendFile(p, "document") }

func (s *Server) sendPhoto(p *params) (any, *apiErr) { return s.sendFile(p, "photo") }

// sendFile is sendDocument or sendPhoto (field names the file parameter): an upload,
// or a file_id of a file the emulator holds.
func (s *Server) sendFile(p *params, field string) (any, *apiErr) {
	missing := descNoDocument
	if field == "photo" {
		missing = "Bad Request: there is no photo in the request"
	}
	var doc Document
	if fhs := p.files[field]; len(fhs) > 0 {
		fh := fhs[0]
		f, err := fh.Open()
		if err != nil {
			return nil, errf(http.StatusBadRequest, missing)
		}
		data, err := io.ReadAll(io.LimitReader(f, maxUploadBytes+1))
		_ = f.Close()
		if err != nil {
			return nil, errf(http.StatusBadRequest, missing)
		}
		if len(data) > maxUploadBytes {
			return nil, errf(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		}
		if len(data) == 0 {
			return nil, errf(http.StatusBadRequest, descEmptyFile)
		}
		doc.FileName = fh.Filename
		doc.Data = data
		doc.MIMEType = fh.Header.Get("Content-Type")
		if doc.MIMEType == "" || doc.MIMEType == "application/octet-stream" {
			if t := mime.TypeByExtension(extOf(doc.FileName)); t != "" {
				doc.MIMEType = t
			}
		}
	} else if ref := p.get(field); ref != "" {
		doc.FileID = ref // a file_id or URL: resolved below when it names a file sent here
	} else {
		return nil, errf(http.StatusBadRequest, missing)
	}
	doc.Caption = p.get("caption")
	parseMode := p.get("parse_mode")

	s.mu.Lock()
	defer s.mu.Unlock()
	u, e := s.chatLocked(p)
	if e != nil {
		return nil, e
	}
	n, e := s.checkText(doc.Caption, parseMode)
	if e != nil {
		return nil, e
	}
	if n > maxCaptionLen {
		return nil, errf(http.StatusBadRequest, descCaptionTooLong)
	}
	mk, e := parseMarkup(p)
	if e != nil {
		return nil, e
	}
	if doc.Data == nil {
		if known := s.findFileLocked(doc.FileID); known != nil {
			doc.FileName, doc.Data, doc.MIMEType = known.FileName, known.Data, known.MIMEType
		}
	}
	if doc.Data == nil && doc.FileID != "" {
		return nil, errf(http.StatusBadRequest, "Bad Request: wrong file identifier/HTTP URL specified")
	}
	msg := Message{Document: &doc, ParseMode: parseMode}
	prefix := "BQACAgQAAxkDemu"
	if field == "photo" {
		doc.FileName = ""
		msg = Message{Photo: &doc, ParseMode: parseMode}
		prefix = "AgACAgQAAxkDemu"
	}
	rec := s.addBotMessageLocked(u, msg, mk)
	if doc.FileID == "" {
		doc.FileID = fmt.Sprintf("%s%d_%d", prefix, u.id, rec.msg.ID)
	}
	return s.messageJSON(u, rec), nil
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

func (s *Server) findFileLocked(fileID string) *Document {
	for _, u := range s.users {
		for i := len(u.msgs) - 1; i >= 0; i-- {
			for _, d := range []*Document{u.msgs[i].msg.Document, u.msgs[i].msg.Photo} {
				if d != nil && d.FileID == fileID && d.Data != nil {
					return d
				}
			}
		}
	}
	return nil
}

// photoSizes is a photo as the Bot API gives it: a small size and the full one.
func photoSizes(d *Document) []apiPhotoSize {
	return []apiPhotoSize{
		{FileID: d.FileID + "_s", FileUniqueID: "u" + d.FileID + "_s", Width: 90, Height: 90},
		{FileID: d.FileID, FileUniqueID: "u" + d.FileID, Width: 1280, Height: 960, FileSize: len(d.Data)},
	}
}

// getFile describes a file the emulator holds; its bytes are served at
// /file/bot<token>/<file_path>.
func (s *Server) getFile(p *params) (any, *apiErr) {
	id := p.get("file_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.findFileLocked(strings.TrimSuffix(id, "_s"))
	if id == "" || d == nil {
		return nil, errf(http.StatusBadRequest, "Bad Request: invalid file_id")
	}
	return apiFile{FileID: id, FileUniqueID: "u" + id, FileSize: len(d.Data), FilePath: "files/" + d.FileID}, nil
}

// serveFile serves the bytes of a file named by getFile.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/file/bot")
	token, path, _ := strings.Cut(rest, "/")
	if s.opts.Token != "" && token != s.opts.Token {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	d := s.findFileLocked(strings.TrimPrefix(path, "files/"))
	s.mu.Unlock()
	if d == nil {
		http.NotFound(w, r)
		return
	}
	if d.MIMEType != "" {
		w.Header().Set("Content-Type", d.MIMEType)
	}
	_, _ = w.Write(d.Data)
}

func (s *Server) sendChatAction(p *params) (any, *apiErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := s.chatLocked(p); e != nil {
		return nil, e
	}
	if p.get("action") == "" {
		return nil, errf(http.StatusBadRequest, "Bad Request: wrong parameter action in request")
	}
	return true, nil
}

func (s *Server) myCommands(method string, p *params) (any, *apiErr) {
	scope := "default"
	if raw := p.get("scope"); raw != "" {
		var sc struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(raw), &sc) != nil || sc.Type == "" {
			return nil, errf(http.StatusBadRequest, "Bad Request: can't parse BotCommandScope JSON object")
		}
		scope = sc.Type
	}
	key := scope + "/" + p.get("language_code")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case "getMyCommands":
		cmds := s.commands[key]
		if cmds == nil {
			cmds = []Command{}
		}
		return cmds, nil
	case "deleteMyCommands":
		delete(s.commands, key)
		return true, nil
	}
	var cmds []Command
	if err := json.Unmarshal([]byte(p.get("commands")), &cmds); err != nil {
		return nil, errf(http.StatusBadRequest, "Bad Request: can't parse commands JSON object")
	}
	for _, c := range cmds {
		if !validCommand(c.Command) {
			return nil, errf(http.StatusBadRequest, descBadCommand)
		}
		if n := textLen(c.Description); n < 1 || n > 256 {
			return nil, errf(http.StatusBadRequest, "Bad Request: command description must be non-empty")
		}
	}
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	return true, nil
}

func validCommand(c string) bool {
	if len(c) < 1 || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
