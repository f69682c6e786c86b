package emulator

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"coopbot"
	"coopbot/locales"
	"coopbot/text"
)

//go:embed web/index.html
var indexHTML []byte

// pageTexts are the message IDs of the web chat's own texts (locales/, "webchat." and the
// two language names), with their template data.
var pageTexts = map[string]map[string]any{
	"webchat.title": nil, "webchat.user_label": nil, "webchat.user_hint": nil,
	"webchat.staff_hint": {"ID": text.Number(DefaultStaffID)},
	"webchat.lang_label": nil, "webchat.offline": nil, "webchat.unreachable": nil, "webchat.error": nil,
	"webchat.blocked": nil, "webchat.empty": nil, "webchat.restarted": nil, "webchat.placeholder": nil,
	"webchat.send": nil, "webchat.edited": nil, "webchat.sticker": nil, "webchat.phone_prompt": nil,
	"webchat.bad_user": nil, "lang.fa.name": nil, "lang.az.name": nil,
}

// DefaultStaffID is the user id that coopbot makes staff when it serves the emulator and
// ADMINS is not set; the page says so.
const DefaultStaffID = 1

// textsMarker is the element of index.html that receives the page texts as JSON.
const textsMarker = `<script id="texts" type="application/json">{}</script>`

var page struct {
	once sync.Once
	html []byte
	err  error
}

// pageHTML returns index.html with the page texts of both languages filled in from the
// locale files: {"fa": {id: text}, "az": {id: text}}.
func pageHTML() ([]byte, error) {
	page.once.Do(func() {
		cat, err := locales.Load()
		if err != nil {
			page.err = fmt.Errorf("web chat texts: %w", err)
			return
		}
		all := map[coopbot.Lang]map[string]string{}
		for _, lang := range []coopbot.Lang{coopbot.Persian, coopbot.Azeri} {
			all[lang] = map[string]string{}
			for id, data := range pageTexts {
				t, err := cat.Text(lang, id, data, nil)
				if err != nil {
					page.err = fmt.Errorf("web chat text %s: %w", id, err)
					return
				}
				all[lang][id] = t
			}
		}
		js, err := json.Marshal(all) // escapes < > &: safe inside <script>
		if err != nil {
			page.err = err
			return
		}
		if !bytes.Contains(indexHTML, []byte(textsMarker)) {
			page.err = fmt.Errorf("web chat: index.html lacks %s", textsMarker)
			return
		}
		page.html = bytes.Replace(indexHTML, []byte(textsMarker),
			[]byte(`<script id="texts" type="application/json">`+string(js)+`</script>`), 1)
	})
	return page.html, page.err
}

// Tabriz, shared by request_location buttons of the web chat.
const (
	TabrizLat = 38.0800
	TabrizLon = 46.2919
)

const uiPollTimeout = 25 * time.Second

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := pageHTML()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:")
	_, _ = w.Write(body)
}

// UI API JSON shapes.
type uiMessage struct {
	ID       int         `json:"id"`
	From     string      `json:"from"` // "user" or "bot"
	Kind     string      `json:"kind"` // text, document, contact, location, sticker
	Text     string      `json:"text"`
	Inline   [][]Button  `json:"inline,omitempty"`
	Edits    int         `json:"edits,omitempty"`
	Document *uiDocument `json:"document,omitempty"`
	Date     int64       `json:"date"`
	Contact  *Contact    `json:"contact,omitempty"`
	Location *Location   `json:"location,omitempty"`
}

type uiDocument struct {
	Name    string `json:"name"`
	Caption string `json:"caption,omitempty"`
	Size    int    `json:"size"`
	URL     string `json:"url"`
}

type uiToast struct {
	N     int    `json:"n"`
	Text  string `json:"text"`
	Alert bool   `json:"alert,omitempty"`
}

type uiState struct {
	User     int64         `json:"user"`
	Version  int64         `json:"version"`
	Bale     bool          `json:"bale"`
	Bot      string        `json:"bot"`
	Blocked  bool          `json:"blocked"`
	Messages []uiMessage   `json:"messages"`
	Keyboard [][]KeyButton `json:"keyboard"`
	Toasts   []uiToast     `json:"toasts"`
}

type uiRequest struct {
	User    int64   `json:"user"`
	Text    string  `json:"text"`
	Message int     `json:"message"`
	Data    string  `json:"data"`
	Label   string  `json:"label"`
	Phone   string  `json:"phone"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
}

func uiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"ok": false, "error": msg})
}

func (s *Server) serveUI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/ui/messages":
		s.uiMessages(w, r)
	case "/ui/document":
		s.uiDocument(w, r)
	case "/ui/send", "/ui/press", "/ui/contact", "/ui/location":
		if r.Method != http.MethodPost {
			uiError(w, http.StatusMethodNotAllowed, "POST only")
			return
		}
		var req uiRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
			uiError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
			return
		}
		if req.User <= 0 {
			uiError(w, http.StatusBadRequest, "user must be a positive id")
			return
		}
		u := s.User(req.User)
		switch r.URL.Path {
		case "/ui/send":
			if strings.TrimSpace(req.Text) == "" {
				uiError(w, http.StatusBadRequest, "empty text")
				return
			}
			u.Send(req.Text)
		case "/ui/press":
			if err := u.pressFromUI(req.Message, req.Label, req.Data); err != nil {
				uiError(w, http.StatusConflict, err.Error())
				return
			}
		case "/ui/contact":
			phone := strings.TrimSpace(req.Phone)
			if phone == "" {
				phone = "0912" + fmt.Sprintf("%07d", req.User%10_000_000)
			}
			u.ShareContact(phone, req.User)
		case "/ui/location":
			if req.Lat == 0 && req.Lon == 0 {
				req.Lat, req.Lon = TabrizLat, TabrizLon
			}
			u.ShareLocation(req.Lat, req.Lon)
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	default:
		uiError(w, http.StatusNotFound, "not found")
	}
}

// pressFromUI presses a button the page showed: it must still be on the message.
func (u *User) pressFromUI(msgID int, label, data string) error {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	rec, _ := u.findLocked(msgID)
	if rec == nil || rec.msg.FromUser {
		return fmt.Errorf("message %d no longer exists", msgID)
	}
	for _, row := range rec.msg.Inline {
		for _, b := range row {
			if b.URL == "" && b.Data == data && (label == "" || b.Text == label) {
				u.pressLocked(rec, msgID, b.Data)
				return nil
			}
		}
	}
	return fmt.Errorf("message %d has no such button any more", msgID)
}

func queryInt(r *http.Request, k string) (int64, bool) {
	n, err := strconv.ParseInt(r.URL.Query().Get(k), 10, 64)
	return n, err == nil
}

func (s *Server) uiMessages(w http.ResponseWriter, r *http.Request) {
	id, ok := queryInt(r, "user")
	if !ok || id <= 0 {
		uiError(w, http.StatusBadRequest, "user must be a positive id")
		return
	}
	after, _ := queryInt(r, "after")
	// The long poll outlasts a server's write timeout: it gets its own deadline.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(uiPollTimeout + 10*time.Second))
	timer := time.NewTimer(uiPollTimeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		u := s.userLocked(id)
		if u.version != after || s.closed {
			st := s.uiStateLocked(u)
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, st)
			return
		}
		ch := u.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			after = -1 // answer with the current state
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) displayText(text, parseMode string) string {
	if !s.opts.Bale && strings.EqualFold(parseMode, "HTML") {
		if plain, err := renderHTML(text); err == nil {
			return plain
		}
	}
	return text
}

func (s *Server) uiStateLocked(u *User) uiState {
	st := uiState{User: u.id, Version: u.version, Bale: s.opts.Bale, Bot: BotUsername, Blocked: u.blocked,
		Messages: make([]uiMessage, 0, len(u.msgs)), Toasts: []uiToast{}}
	for _, rec := range u.msgs {
		m := rec.msg
		um := uiMessage{ID: m.ID, From: "bot", Kind: "text", Text: s.displayText(m.Text, m.ParseMode),
			Inline: m.Inline, Edits: m.Edits, Date: rec.date, Contact: m.Contact, Location: m.Location}
		if m.FromUser {
			um.From = "user"
			um.Text = m.Text
		}
		switch {
		case m.Document != nil:
			um.Kind = "document"
			um.Document = &uiDocument{Name: m.Document.FileName, Caption: s.displayText(m.Document.Caption, m.ParseMode),
				Size: len(m.Document.Data),
				URL:  fmt.Sprintf("/ui/document?user=%d&message=%d", u.id, m.ID)}
		case m.Contact != nil:
			um.Kind = "contact"
		case m.Location != nil:
			um.Kind = "location"
		case m.Sticker:
			um.Kind = "sticker"
		}
		st.Messages = append(st.Messages, um)
	}
	if u.kb != nil {
		st.Keyboard = u.kb.rows
	}
	first := u.answerSeq - len(u.answers)
	from := max(0, len(u.answers)-20)
	for i := from; i < len(u.answers); i++ {
		a := u.answers[i]
		st.Toasts = append(st.Toasts, uiToast{N: first + i + 1, Text: a.Text, Alert: a.ShowAlert})
	}
	return st
}

func (s *Server) uiDocument(w http.ResponseWriter, r *http.Request) {
	uid, ok1 := queryInt(r, "user")
	mid, ok2 := queryInt(r, "message")
	if !ok1 || !ok2 {
		http.Error(w, "user and message required", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	var doc *Document
	if u := s.users[uid]; u != nil {
		if rec, _ := u.findLocked(int(mid)); rec != nil && rec.msg.Document != nil {
			doc = rec.msg.Document
		}
	}
	s.mu.Unlock()
	if doc == nil || doc.Data == nil {
		http.NotFound(w, r)
		return
	}
	ct := doc.MIMEType
	if ct == "" {
		ct = "application/octet-stream"
	}
	name := doc.FileName
	if name == "" {
		name = "document"
	}
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if cd == "" {
		cd = "attachment; filename*=UTF-8''" + url.PathEscape(name)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", cd)
	w.Header().Set("Content-Length", strconv.Itoa(len(doc.Data)))
	_, _ = w.Write(doc.Data)
}
