package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"coopbot"
	"coopbot/emulator"
	"coopbot/locales"
)

type uiState struct {
	Version  int64 `json:"version"`
	Messages []struct {
		ID     int                 `json:"id"`
		From   string              `json:"from"`
		Kind   string              `json:"kind"`
		Text   string              `json:"text"`
		Inline [][]emulator.Button `json:"inline"`
		Edits  int                 `json:"edits"`
	} `json:"messages"`
	Keyboard [][]emulator.KeyButton `json:"keyboard"`
	Toasts   []struct {
		N    int    `json:"n"`
		Text string `json:"text"`
	} `json:"toasts"`
}

func uiGet(t *testing.T, base string, user, after int64) uiState {
	t.Helper()
	resp, err := http.Get(base + "/ui/messages?user=" + itoa(user) + "&after=" + itoa(after))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st uiState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func uiPost(t *testing.T, base, path string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestPageServed(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	resp, err := http.Get(e.hs.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	for _, want := range []string{`<html lang="fa" dir="rtl">`, `id="user-id"`, `id="text"`, `id="send"`, `id="toast"`, "Vazirmatn", "pre-wrap"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("page refers to an external resource")
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	r404, _ := http.Get(e.hs.URL + "/nothing")
	r404.Body.Close()
	if r404.StatusCode != 404 {
		t.Errorf("/nothing: %d", r404.StatusCode)
	}
}

// The page's own texts come from the locale files, in Persian and Azeri: the HTML carries
// them as JSON and has no Persian or Azeri text of its own.
func TestPageTextsComeFromLocales(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	resp, err := http.Get(e.hs.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	const open, end = `<script id="texts" type="application/json">`, `</script>`
	i := strings.Index(page, open)
	if i < 0 {
		t.Fatal("page has no texts element")
	}
	j := strings.Index(page[i:], end)
	var texts map[string]map[string]string
	if err := json.Unmarshal([]byte(page[i+len(open):i+j]), &texts); err != nil {
		t.Fatalf("texts JSON: %v", err)
	}
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`data-t(?:-placeholder)?="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(ids) < 8 {
		t.Fatalf("only %d elements take a text", len(ids))
	}
	for _, m := range ids {
		for lang, cl := range map[string]coopbot.Lang{"fa": coopbot.Persian, "az": coopbot.Azeri} {
			got := texts[lang][m[1]]
			if got == "" {
				t.Errorf("%s: no %s text", m[1], lang)
				continue
			}
			if want, err := cat.Text(cl, m[1], map[string]any{"ID": "۱"}, nil); err != nil || want != got {
				t.Errorf("%s %s: page has %q, locale files %q (%v)", lang, m[1], got, want, err)
			}
		}
	}
	for _, id := range []string{"webchat.empty", "webchat.restarted", "webchat.phone_prompt", "webchat.bad_user", "webchat.sticker", "webchat.edited"} {
		if texts["fa"][id] == "" || texts["az"][id] == "" || texts["fa"][id] == texts["az"][id] {
			t.Errorf("%s: fa %q, az %q", id, texts["fa"][id], texts["az"][id])
		}
	}
	// The staff hint names the user who is staff by default, in Persian digits.
	if h := texts["fa"]["webchat.staff_hint"]; !strings.Contains(h, "۱") || !strings.Contains(texts["az"]["webchat.staff_hint"], "۱") {
		t.Errorf("staff hint %q does not name user ۱", h)
	}
	rest := page[:i] + page[i+j:]
	if m := regexp.MustCompile(`\p{Arabic}+`).FindString(rest); m != "" {
		t.Errorf("the page has its own Persian or Azeri text %q; put it in locales/", m)
	}
}

func TestUIAPI(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	base := e.hs.URL
	st := uiGet(t, base, 1001, -1)
	if len(st.Messages) != 0 {
		t.Fatalf("fresh user: %+v", st)
	}
	// The long poll is woken by a message from the page.
	done := make(chan uiState, 1)
	go func() { done <- uiGet(t, base, 1001, st.Version) }()
	time.Sleep(100 * time.Millisecond)
	if c := uiPost(t, base, "/ui/send", map[string]any{"user": 1001, "text": "سلام"}); c != 200 {
		t.Fatalf("send: %d", c)
	}
	select {
	case st = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("long poll not woken")
	}
	if len(st.Messages) != 1 || st.Messages[0].From != "user" || st.Messages[0].Text != "سلام" {
		t.Fatalf("after send: %+v", st)
	}
	ups := getUpdates(t, e.bot, 0, 0)
	if len(ups) != 1 || ups[0].Message.Text != "سلام" || ups[0].Message.From.ID != 1001 {
		t.Fatalf("bot got %+v", ups)
	}
	m := tgbotapi.NewMessage(1001, "<b>خوش آمدید</b>")
	m.ParseMode = tgbotapi.ModeHTML
	m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("عضویت", "join")))
	sent, err := e.bot.Send(m)
	if err != nil {
		t.Fatal(err)
	}
	kb := tgbotapi.NewMessage(1001, "شماره؟")
	kb.ReplyMarkup = tgbotapi.NewReplyKeyboard(tgbotapi.NewKeyboardButtonRow(
		tgbotapi.NewKeyboardButtonContact("ارسال شماره"), tgbotapi.NewKeyboardButtonLocation("موقعیت")))
	if _, err := e.bot.Send(kb); err != nil {
		t.Fatal(err)
	}
	st = uiGet(t, base, 1001, st.Version)
	if len(st.Messages) != 3 || st.Messages[1].Text != "خوش آمدید" || st.Messages[1].Inline[0][0].Data != "join" ||
		len(st.Keyboard) != 1 || !st.Keyboard[0][0].RequestContact {
		t.Fatalf("state: %+v", st)
	}
	if c := uiPost(t, base, "/ui/press", map[string]any{"user": 1001, "message": sent.MessageID, "data": "join", "label": "عضویت"}); c != 200 {
		t.Fatalf("press: %d", c)
	}
	if c := uiPost(t, base, "/ui/press", map[string]any{"user": 1001, "message": sent.MessageID, "data": "gone"}); c != 409 {
		t.Fatalf("press of a missing button: %d", c)
	}
	if c := uiPost(t, base, "/ui/contact", map[string]any{"user": 1001}); c != 200 {
		t.Fatalf("contact: %d", c)
	}
	if c := uiPost(t, base, "/ui/location", map[string]any{"user": 1001}); c != 200 {
		t.Fatalf("location: %d", c)
	}
	ups = getUpdates(t, e.bot, ups[0].UpdateID+1, 0)
	if len(ups) != 3 || ups[0].CallbackQuery == nil || ups[0].CallbackQuery.Data != "join" ||
		ups[1].Message.Contact == nil || ups[1].Message.Contact.UserID != 1001 || ups[1].Message.Contact.PhoneNumber != "09120001001" ||
		ups[2].Message.Location == nil || ups[2].Message.Location.Latitude != emulator.TabrizLat {
		t.Fatalf("updates from the page: %+v", ups)
	}
	if _, err := e.bot.Request(tgbotapi.NewCallback(ups[0].CallbackQuery.ID, "ثبت شد")); err != nil {
		t.Fatal(err)
	}
	st = uiGet(t, base, 1001, -1)
	if len(st.Toasts) != 1 || st.Toasts[0].Text != "ثبت شد" || st.Toasts[0].N != 1 {
		t.Fatalf("toasts: %+v", st.Toasts)
	}
	if c := uiPost(t, base, "/ui/send", map[string]any{"user": 0, "text": "x"}); c != 400 {
		t.Fatalf("user 0: %d", c)
	}
}
