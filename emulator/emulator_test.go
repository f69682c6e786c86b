package emulator_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"coopbot/emulator"
)

const testToken = "123456:TEST-token_abc"

type env struct {
	s   *emulator.Server
	hs  *httptest.Server
	bot *tgbotapi.BotAPI
}

func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	s := emulator.New(opts)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.Close() // wakes long polls first, so hs.Close does not wait for them
		hs.Close()
	})
	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(opts.Token, hs.URL+"/bot%s/%s")
	if err != nil {
		t.Fatalf("NewBotAPIWithAPIEndpoint: %v", err)
	}
	return &env{s: s, hs: hs, bot: bot}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// apiError extracts the tgbotapi error, failing the test if err is another kind.
func apiError(t *testing.T, err error) *tgbotapi.Error {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *tgbotapi.Error, got %T %v", err, err)
	}
	return e
}

func wantAPIError(t *testing.T, err error, code int, desc string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %d %q, got success", code, desc)
	}
	e := apiError(t, err)
	if e.Code != code || !strings.HasPrefix(e.Message, desc) {
		t.Fatalf("want %d %q, got %d %q", code, desc, e.Code, e.Message)
	}
}

func getUpdates(t *testing.T, bot *tgbotapi.BotAPI, offset, timeout int) []tgbotapi.Update {
	t.Helper()
	cfg := tgbotapi.NewUpdate(offset)
	cfg.Timeout = timeout
	ups, err := bot.GetUpdates(cfg)
	if err != nil {
		t.Fatalf("GetUpdates(offset %d): %v", offset, err)
	}
	return ups
}

func TestGetMeAndToken(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	if !e.bot.Self.IsBot || e.bot.Self.UserName != "coopbot_local_bot" || e.bot.Self.ID != 123456 {
		t.Fatalf("getMe: %+v", e.bot.Self)
	}
	_, err := tgbotapi.NewBotAPIWithAPIEndpoint("999:wrong", e.hs.URL+"/bot%s/%s")
	wantAPIError(t, err, 401, "Unauthorized")

	resp, err := http.Post(e.hs.URL+"/bot999:wrong/getMe", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("HTTP status %d, want 401", resp.StatusCode)
	}

	_, err = e.bot.MakeRequest("noSuchMethod", nil)
	wantAPIError(t, err, 404, "Not Found")
	if e.s.Calls("getMe") != 1 || e.s.Calls("noSuchMethod") != 1 {
		t.Fatalf("calls: getMe %d noSuchMethod %d", e.s.Calls("getMe"), e.s.Calls("noSuchMethod"))
	}
}

func TestUpdatesOffsetAndLongPoll(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	u := e.s.User(1001)
	u.Send("/start hello")
	u.Send("سلام، من ساکن پلاک ۱۲ هستم")
	if e.s.Pending() != 2 {
		t.Fatalf("pending %d, want 2", e.s.Pending())
	}
	ups := getUpdates(t, e.bot, 0, 0)
	if len(ups) != 2 || ups[0].UpdateID != 1 || ups[1].UpdateID != 2 {
		t.Fatalf("updates: %+v", ups)
	}
	m := ups[0].Message
	if m == nil || m.Text != "/start hello" || !m.IsCommand() || m.Command() != "start" || m.CommandArguments() != "hello" {
		t.Fatalf("first message: %+v", m)
	}
	if m.From.ID != 1001 || m.From.FirstName != "User 1001" || m.From.IsBot || m.From.LanguageCode != "" {
		t.Fatalf("from: %+v", m.From)
	}
	if m.Chat.ID != 1001 || m.Chat.Type != "private" || !m.Chat.IsPrivate() || m.Date == 0 {
		t.Fatalf("chat: %+v date %d", m.Chat, m.Date)
	}
	if ups[1].Message.MessageID != m.MessageID+1 || ups[1].Message.IsCommand() {
		t.Fatalf("second message: %+v", ups[1].Message)
	}
	// Unconfirmed updates are returned again; offset confirms.
	if again := getUpdates(t, e.bot, 0, 0); len(again) != 2 {
		t.Fatalf("re-poll without offset got %d updates", len(again))
	}
	if got := getUpdates(t, e.bot, 2, 0); len(got) != 1 || got[0].UpdateID != 2 {
		t.Fatalf("offset 2: %+v", got)
	}
	if e.s.Pending() != 1 {
		t.Fatalf("pending %d, want 1", e.s.Pending())
	}
	// limit
	for range 5 {
		u.Send("x")
	}
	cfg := tgbotapi.NewUpdate(3)
	cfg.Limit = 2
	if got, err := e.bot.GetUpdates(cfg); err != nil || len(got) != 2 || got[0].UpdateID != 3 {
		t.Fatalf("limit: %v %+v", err, got)
	}
	getUpdates(t, e.bot, 8, 0)
	if e.s.Pending() != 0 {
		t.Fatalf("pending %d, want 0", e.s.Pending())
	}

	// A long poll is woken as soon as an update arrives.
	go func() {
		time.Sleep(200 * time.Millisecond)
		u.Send("late")
	}()
	start := time.Now()
	got := getUpdates(t, e.bot, 8, 10)
	if len(got) != 1 || got[0].Message.Text != "late" || got[0].UpdateID != 8 {
		t.Fatalf("long poll: %+v", got)
	}
	if d := time.Since(start); d > 3*time.Second || d < 150*time.Millisecond {
		t.Fatalf("long poll returned after %v", d)
	}
	// A long poll with nothing to deliver waits for its timeout and returns [].
	start = time.Now()
	if got := getUpdates(t, e.bot, 9, 1); len(got) != 0 {
		t.Fatalf("empty poll: %+v", got)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("empty long poll returned after %v", d)
	}
}

func TestConflictTwoPollers(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	type result struct {
		ups []tgbotapi.Update
		err error
	}
	results := make(chan result, 2)
	poll := func() {
		cfg := tgbotapi.NewUpdate(0)
		cfg.Timeout = 10
		ups, err := e.bot.GetUpdates(cfg)
		results <- result{ups, err}
	}
	go poll()
	for e.s.Calls("getUpdates") < 1 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	go poll()
	// The older of the two waiting requests is terminated with 409.
	first := <-results
	wantAPIError(t, first.err, 409, "Conflict: terminated by other getUpdates request")
	e.s.User(7).Send("hi")
	if second := <-results; second.err != nil || len(second.ups) != 1 || second.ups[0].Message.Text != "hi" {
		t.Fatalf("second poller: %+v", second)
	}
}

func TestSendKeyboardsAndMessages(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	u := e.s.User(1001)
	u.Send("/start")

	msg := tgbotapi.NewMessage(1001, "به تعاونی خوش آمدید")
	msg.ReplyMarkup = tgbotapi.NewReplyKeyboard(
		tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact("📞 ارسال شماره")),
		tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonLocation("📍 موقعیت"), tgbotapi.NewKeyboardButton("راهنما")),
	)
	sent, err := e.bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if sent.MessageID != 2 || sent.Chat.ID != 1001 || sent.From == nil || !sent.From.IsBot || sent.Text != "به تعاونی خوش آمدید" {
		t.Fatalf("result: %+v", sent)
	}
	inline := tgbotapi.NewMessage(1001, "یکی را انتخاب کنید")
	inline.ParseMode = tgbotapi.ModeHTML
	inline.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("بله", "vote:yes"),
			tgbotapi.NewInlineKeyboardButtonData("خیر", "vote:no")),
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonURL("سایت", "https://example.org")),
	)
	sent2, err := e.bot.Send(inline)
	if err != nil {
		t.Fatal(err)
	}
	if sent2.ReplyMarkup == nil || len(sent2.ReplyMarkup.InlineKeyboard) != 2 ||
		*sent2.ReplyMarkup.InlineKeyboard[0][1].CallbackData != "vote:no" {
		t.Fatalf("result markup: %+v", sent2.ReplyMarkup)
	}

	msgs, err := u.WaitCount(ctxT(t, 5*time.Second), 2)
	if err != nil {
		t.Fatal(err)
	}
	kb := msgs[0].Keyboard
	if len(kb) != 2 || !kb[0][0].RequestContact || !kb[1][0].RequestLocation || kb[1][1].Text != "راهنما" || msgs[0].Inline != nil {
		t.Fatalf("reply keyboard: %+v", msgs[0])
	}
	want := [][]emulator.Button{{{Text: "بله", Data: "vote:yes"}, {Text: "خیر", Data: "vote:no"}}, {{Text: "سایت", URL: "https://example.org"}}}
	if msgs[1].Text != "یکی را انتخاب کنید" || msgs[1].ParseMode != "HTML" || !equalButtons(msgs[1].Inline, want) || msgs[1].Keyboard != nil {
		t.Fatalf("inline message: %+v", msgs[1])
	}
	if got := u.Keyboard(); len(got) != 2 {
		t.Fatalf("current keyboard: %+v", got)
	}
	rm := tgbotapi.NewMessage(1001, "ثبت شد")
	rm.ReplyMarkup = tgbotapi.NewRemoveKeyboard(false)
	if _, err := e.bot.Send(rm); err != nil {
		t.Fatal(err)
	}
	msgs = u.Messages()
	if !msgs[2].RemoveKeyboard || u.Keyboard() != nil {
		t.Fatalf("remove keyboard: %+v, keyboard %v", msgs[2], u.Keyboard())
	}
	if e.s.Sent() != 3 || e.s.SentTo(1001) != 3 || e.s.SentTo(1002) != 0 {
		t.Fatalf("sent %d sentTo %d", e.s.Sent(), e.s.SentTo(1001))
	}
	// Transcript has both directions with one id counter.
	tr := u.Transcript()
	if len(tr) != 4 || !tr[0].FromUser || tr[0].ID != 1 || tr[1].FromUser || tr[3].ID != 4 {
		t.Fatalf("transcript: %+v", tr)
	}
	// A second user's chat has its own counter.
	u2 := e.s.User(1002)
	u2.Send("salam")
	r, err := e.bot.Send(tgbotapi.NewMessage(1002, "سلام"))
	if err != nil || r.MessageID != 2 {
		t.Fatalf("second chat: %v %+v", err, r)
	}
}

func equalButtons(a, b [][]emulator.Button) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestPressCallbackAndAnswer(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	u := e.s.User(1001)
	u.Send("/vote")
	getUpdates(t, e.bot, 0, 0)

	send := func(text, data string) tgbotapi.Message {
		m := tgbotapi.NewMessage(1001, text)
		m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("تایید", data)))
		r, err := e.bot.Send(m)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	old := send("صورت‌جلسه ۱", "approve:1")
	newer := send("صورت‌جلسه ۲", "approve:2")

	if err := u.Press("تایید"); err != nil {
		t.Fatal(err)
	}
	ups := getUpdates(t, e.bot, 2, 0)
	if len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Fatalf("updates: %+v", ups)
	}
	cq := ups[0].CallbackQuery
	if cq.Data != "approve:2" || cq.From.ID != 1001 || cq.Message == nil || cq.Message.MessageID != newer.MessageID ||
		cq.Message.Chat.ID != 1001 || cq.Message.Text != "صورت‌جلسه ۲" || cq.ID == "" || cq.ChatInstance == "" {
		t.Fatalf("callback: %+v message %+v", cq, cq.Message)
	}
	if _, err := e.bot.Request(tgbotapi.NewCallback(cq.ID, "ثبت شد ✅")); err != nil {
		t.Fatal(err)
	}
	// A second answer to the same query fails, as on Telegram.
	_, err := e.bot.Request(tgbotapi.NewCallback(cq.ID, "again"))
	wantAPIError(t, err, 400, "Bad Request: query is too old")

	// Stale press on the old message.
	if err := u.PressOn(old.MessageID, "تایید"); err != nil {
		t.Fatal(err)
	}
	u.PressData(old.MessageID, "forged:data")
	ups = getUpdates(t, e.bot, 3, 0)
	if len(ups) != 2 || ups[0].CallbackQuery.Data != "approve:1" || ups[0].CallbackQuery.Message.MessageID != old.MessageID ||
		ups[1].CallbackQuery.Data != "forged:data" {
		t.Fatalf("stale/forged: %+v", ups)
	}
	if _, err := e.bot.Request(tgbotapi.NewCallbackWithAlert(ups[0].CallbackQuery.ID, "این رأی‌گیری بسته شده است")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bot.Request(tgbotapi.NewCallback(ups[1].CallbackQuery.ID, "")); err != nil {
		t.Fatal(err)
	}
	toasts := u.Toasts()
	if len(toasts) != 3 || toasts[0] != "ثبت شد ✅" || toasts[1] != "این رأی‌گیری بسته شده است" || toasts[2] != "" {
		t.Fatalf("toasts: %q", toasts)
	}
	if a := u.Answers(); !a[1].ShowAlert || a[1].Data != "approve:1" || a[1].MessageID != old.MessageID {
		t.Fatalf("answers: %+v", a)
	}
	if err := u.Press("nope"); err == nil || !strings.Contains(err.Error(), "تایید") {
		t.Fatalf("Press of a missing label: %v", err)
	}
	if err := u.PressOn(old.MessageID, "nope"); err == nil {
		t.Fatal("PressOn of a missing label succeeded")
	}
	if err := u.PressOn(999, "تایید"); err == nil {
		t.Fatal("PressOn of a missing message succeeded")
	}
	// Toasts wake waiters.
	u.Press("تایید")
	ups = getUpdates(t, e.bot, 5, 0)
	go e.bot.Request(tgbotapi.NewCallback(ups[0].CallbackQuery.ID, "late toast"))
	if err := u.Wait(ctxT(t, 5*time.Second), func([]emulator.Message) bool {
		ts := u.Toasts()
		return len(ts) == 4 && ts[3] == "late toast"
	}); err != nil {
		t.Fatal(err)
	}
}

func TestEditMessage(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	u := e.s.User(1001)
	u.Send("hi")
	markup := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("A", "a")))
	m := tgbotapi.NewMessage(1001, "نسخه ۱")
	m.ReplyMarkup = markup
	sent, err := e.bot.Send(m)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := e.bot.Send(tgbotapi.NewEditMessageTextAndMarkup(1001, sent.MessageID, "نسخه ۲", markup))
	if err != nil {
		t.Fatal(err)
	}
	if ed.Text != "نسخه ۲" || ed.EditDate == 0 {
		t.Fatalf("edit result: %+v", ed)
	}
	_, err = e.bot.Send(tgbotapi.NewEditMessageTextAndMarkup(1001, sent.MessageID, "نسخه ۲", markup))
	wantAPIError(t, err, 400, "Bad Request: message is not modified")

	got := u.Messages()
	if len(got) != 1 || got[0].Text != "نسخه ۲" || got[0].Edits != 1 || len(got[0].Inline) != 1 {
		t.Fatalf("after edit: %+v", got)
	}
	// editMessageText without reply_markup drops the inline keyboard (as Telegram does).
	if _, err := e.bot.Send(tgbotapi.NewEditMessageText(1001, sent.MessageID, "نسخه ۳")); err != nil {
		t.Fatal(err)
	}
	if got := u.Messages(); got[0].Inline != nil || got[0].Edits != 2 {
		t.Fatalf("after edit without markup: %+v", got)
	}
	// editMessageReplyMarkup
	if _, err := e.bot.Send(tgbotapi.NewEditMessageReplyMarkup(1001, sent.MessageID, markup)); err != nil {
		t.Fatal(err)
	}
	_, err = e.bot.Send(tgbotapi.NewEditMessageReplyMarkup(1001, sent.MessageID, markup))
	wantAPIError(t, err, 400, "Bad Request: message is not modified")
	if got := u.Messages(); got[0].Text != "نسخه ۳" || len(got[0].Inline) != 1 || got[0].Edits != 3 {
		t.Fatalf("after markup edit: %+v", got)
	}
	_, err = e.bot.Send(tgbotapi.NewEditMessageText(1001, 999, "x"))
	wantAPIError(t, err, 400, "Bad Request: message to edit not found")
	_, err = e.bot.Send(tgbotapi.NewEditMessageText(1001, 1, "x")) // the user's message
	wantAPIError(t, err, 400, "Bad Request: message can't be edited")

	// deleteMessage
	if _, err := e.bot.Request(tgbotapi.NewDeleteMessage(1001, sent.MessageID)); err != nil {
		t.Fatal(err)
	}
	if got := u.Messages(); len(got) != 0 {
		t.Fatalf("after delete: %+v", got)
	}
	_, err = e.bot.Request(tgbotapi.NewDeleteMessage(1001, sent.MessageID))
	wantAPIError(t, err, 400, "Bad Request: message to delete not found")
}

func TestSendErrors(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	_, err := e.bot.Send(tgbotapi.NewMessage(4242, "hello"))
	wantAPIError(t, err, 400, "Bad Request: chat not found")
	e.s.User(4242) // merely looking at a user does not open the chat
	_, err = e.bot.Send(tgbotapi.NewMessage(4242, "hello"))
	wantAPIError(t, err, 400, "Bad Request: chat not found")

	u := e.s.User(1001)
	u.Send("hi")
	_, err = e.bot.Send(tgbotapi.NewMessage(1001, ""))
	wantAPIError(t, err, 400, "Bad Request: message text is empty")
	_, err = e.bot.Send(tgbotapi.NewMessage(1001, "  \n "))
	wantAPIError(t, err, 400, "Bad Request: message text is empty")

	// 4096 UTF-16 code units: Persian letters count 1, emoji 2.
	if _, err := e.bot.Send(tgbotapi.NewMessage(1001, strings.Repeat("ب", 4096))); err != nil {
		t.Fatalf("4096 runes: %v", err)
	}
	_, err = e.bot.Send(tgbotapi.NewMessage(1001, strings.Repeat("ب", 4097)))
	wantAPIError(t, err, 400, "Bad Request: message is too long")
	_, err = e.bot.Send(tgbotapi.NewMessage(1001, strings.Repeat("🙂", 2049)))
	wantAPIError(t, err, 400, "Bad Request: message is too long")
	if _, err := e.bot.Send(tgbotapi.NewMessage(1001, strings.Repeat("🙂", 2048))); err != nil {
		t.Fatalf("2048 emoji: %v", err)
	}

	// callback_data over 64 bytes
	m := tgbotapi.NewMessage(1001, "x")
	m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("x", strings.Repeat("د", 33))))
	_, err = e.bot.Send(m)
	wantAPIError(t, err, 400, "Bad Request: BUTTON_DATA_INVALID")

	// HTML that Telegram would refuse
	h := tgbotapi.NewMessage(1001, "قیمت < ۵۰۰ تومان")
	h.ParseMode = tgbotapi.ModeHTML
	_, err = e.bot.Send(h)
	wantAPIError(t, err, 400, "Bad Request: can't parse entities")
	h.Text = "<b>مهم</b> &lt;۵۰۰"
	if _, err := e.bot.Send(h); err != nil {
		t.Fatalf("valid HTML: %v", err)
	}

	// blocked
	e.s.Block(1001)
	_, err = e.bot.Send(tgbotapi.NewMessage(1001, "hello"))
	wantAPIError(t, err, 403, "Forbidden: bot was blocked by the user")
	_, err = e.bot.Request(tgbotapi.NewChatAction(1001, tgbotapi.ChatTyping))
	wantAPIError(t, err, 403, "Forbidden: bot was blocked by the user")
	e.s.Unblock(1001)
	if _, err := e.bot.Request(tgbotapi.NewChatAction(1001, tgbotapi.ChatTyping)); err != nil {
		t.Fatal(err)
	}
	if e.s.Sent() != 3 {
		t.Fatalf("Sent() = %d, want 3", e.s.Sent())
	}
}

func TestSendRate429(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.s.User(1001).Send("hi")
	e.s.SetSendRate(2)
	var ok, limited int
	var last *tgbotapi.Error
	start := time.Now()
	for range 10 {
		_, err := e.bot.Send(tgbotapi.NewMessage(1001, "پیام گروهی"))
		if err == nil {
			ok++
			continue
		}
		last = apiError(t, err)
		limited++
	}
	// Burst of 2, then 2 per second.
	if maxOK := 2 + int(2*time.Since(start).Seconds()) + 1; ok < 2 || ok > maxOK || limited == 0 {
		t.Fatalf("ok %d (max %d) limited %d", ok, maxOK, limited)
	}
	if last.Code != 429 || last.RetryAfter < 1 || !strings.HasPrefix(last.Message, "Too Many Requests: retry after ") {
		t.Fatalf("429 error: %+v", last)
	}
	if e.s.Sent() != ok {
		t.Fatalf("Sent %d, ok %d", e.s.Sent(), ok)
	}
	e.s.SetSendRate(0)
	if _, err := e.bot.Send(tgbotapi.NewMessage(1001, "x")); err != nil {
		t.Fatal(err)
	}
}

func TestHookFaults(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.s.User(1001).Send("hi")
	var mu sync.Mutex
	var seen []string
	fail := 2
	e.s.SetHook(func(method string, chatID int64) *emulator.APIError {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, method)
		if method == "sendMessage" && chatID == 1001 && fail > 0 {
			fail--
			if fail == 1 {
				return &emulator.APIError{Code: 429, Description: "Too Many Requests: retry after 3", RetryAfter: 3}
			}
			return &emulator.APIError{Code: 502}
		}
		return nil
	})
	_, err := e.bot.Send(tgbotapi.NewMessage(1001, "a"))
	if te := apiError(t, err); te.Code != 429 || te.RetryAfter != 3 {
		t.Fatalf("hook 429: %+v", te)
	}
	_, err = e.bot.Send(tgbotapi.NewMessage(1001, "a"))
	wantAPIError(t, err, 502, "Bad Gateway")
	if _, err := e.bot.Send(tgbotapi.NewMessage(1001, "a")); err != nil {
		t.Fatal(err)
	}
	if len(u1(e).Messages()) != 1 {
		t.Fatalf("failed sends left messages: %+v", u1(e).Messages())
	}

	// Delay with Code 0: the call succeeds late; a client with a short
	// timeout gives up although the message was sent.
	e.s.SetHook(func(method string, chatID int64) *emulator.APIError {
		if method == "sendMessage" {
			return &emulator.APIError{Delay: time.Second}
		}
		return nil
	})
	impatient, err := tgbotapi.NewBotAPIWithClient(testToken, e.hs.URL+"/bot%s/%s", &http.Client{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := impatient.Send(tgbotapi.NewMessage(1001, "slow")); err == nil {
		t.Fatal("want a client timeout")
	}
	if _, err := u1(e).WaitCount(ctxT(t, 5*time.Second), 2); err != nil {
		t.Fatal(err)
	}
	// Code < 0 drops the connection.
	e.s.SetHook(func(method string, chatID int64) *emulator.APIError {
		return &emulator.APIError{Code: -1}
	})
	if _, err := e.bot.Send(tgbotapi.NewMessage(1001, "x")); err == nil {
		t.Fatal("want a connection error")
	} else {
		var te *tgbotapi.Error
		if errors.As(err, &te) {
			t.Fatalf("want a transport error, got API error %+v", te)
		}
	}
	e.s.SetHook(nil)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 3 || seen[0] != "sendMessage" {
		t.Fatalf("hook saw %v", seen)
	}
}

func u1(e *env) *emulator.User { return e.s.User(1001) }

func TestUserMessageKinds(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	u := e.s.User(1001)
	u.Send("متن اول")
	u.EditLast("متن اصلاح‌شده")
	u.ShareContact("09141234567", 1001)
	u.ShareLocation(38.08, 46.2919)
	u.SendSticker()
	ups := getUpdates(t, e.bot, 0, 0)
	if len(ups) != 5 {
		t.Fatalf("%d updates", len(ups))
	}
	if em := ups[1].EditedMessage; em == nil || em.Text != "متن اصلاح‌شده" || em.MessageID != ups[0].Message.MessageID || em.EditDate == 0 {
		t.Fatalf("edited: %+v", ups[1])
	}
	if c := ups[2].Message.Contact; c == nil || c.PhoneNumber != "09141234567" || c.UserID != 1001 || c.FirstName != "User 1001" || ups[2].Message.Text != "" {
		t.Fatalf("contact: %+v", ups[2].Message)
	}
	if l := ups[3].Message.Location; l == nil || l.Latitude != 38.08 || l.Longitude != 46.2919 {
		t.Fatalf("location: %+v", ups[3].Message)
	}
	if m := ups[4].Message; m.Sticker == nil || m.Text != "" || m.Sticker.FileID == "" {
		t.Fatalf("sticker: %+v", m)
	}
	if tr := u.Transcript(); tr[0].Text != "متن اصلاح‌شده" || tr[0].Edits != 1 {
		t.Fatalf("transcript: %+v", tr[0])
	}
}

func TestDocumentAndCommands(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	u := e.s.User(1001)
	u.Send("/report")
	data := []byte("نام,مبلغ\nعلی,۱۲۰۰۰۰\n")
	doc := tgbotapi.NewDocument(1001, tgbotapi.FileBytes{Name: "گزارش.csv", Bytes: data})
	doc.Caption = "گزارش ماهانه"
	r, err := e.bot.Send(doc)
	if err != nil {
		t.Fatal(err)
	}
	if r.Document == nil || r.Document.FileName != "گزارش.csv" || r.Document.FileSize != len(data) || r.Caption != "گزارش ماهانه" {
		t.Fatalf("result: %+v doc %+v", r, r.Document)
	}
	msgs := u.Messages()
	if len(msgs) != 1 || msgs[0].Document == nil || string(msgs[0].Document.Data) != string(data) ||
		msgs[0].Document.Caption != "گزارش ماهانه" || msgs[0].Document.FileName != "گزارش.csv" {
		t.Fatalf("messages: %+v", msgs)
	}
	// resend by file_id
	if _, err := e.bot.Send(tgbotapi.NewDocument(1001, tgbotapi.FileID(r.Document.FileID))); err != nil {
		t.Fatal(err)
	}
	if m := u.Messages(); len(m) != 2 || string(m[1].Document.Data) != string(data) {
		t.Fatalf("resent: %+v", m)
	}
	// web chat download
	resp, err := http.Get(e.hs.URL + "/ui/document?user=1001&message=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
	}

	cmds := []tgbotapi.BotCommand{{Command: "start", Description: "شروع"}, {Command: "help", Description: "راهنما"}}
	if _, err := e.bot.Request(tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		t.Fatal(err)
	}
	if got := e.s.Commands(); len(got) != 2 || got[1].Command != "help" {
		t.Fatalf("commands: %+v", got)
	}
	if got, err := e.bot.GetMyCommands(); err != nil || len(got) != 2 {
		t.Fatalf("getMyCommands: %v %+v", err, got)
	}
	_, err = e.bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Bad-Cmd", Description: "x"}))
	wantAPIError(t, err, 400, "Bad Request: BOT_COMMAND_INVALID")
	if _, err := e.bot.Request(tgbotapi.NewDeleteMyCommands()); err != nil {
		t.Fatal(err)
	}
	if got := e.s.Commands(); len(got) != 0 {
		t.Fatalf("after delete: %+v", got)
	}
}

func TestWaitTimeoutDumpsTranscript(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	u := e.s.User(1001)
	u.Send("سلام")
	if _, err := e.bot.Send(tgbotapi.NewMessage(1001, "پاسخ ربات")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := u.WaitCount(ctx, 5)
	if err == nil || !strings.Contains(err.Error(), "پاسخ ربات") || !strings.Contains(err.Error(), "سلام") {
		t.Fatalf("error: %v", err)
	}
}

func TestMemoryBoundPerChat(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	u := e.s.User(1001)
	u.Send("hi")
	for i := range 520 {
		if _, err := e.bot.Send(tgbotapi.NewMessage(1001, "m"+string(rune('a'+i%26)))); err != nil {
			t.Fatal(err)
		}
	}
	msgs := u.Messages()
	if len(msgs) != emulator.MaxMessagesPerChat || msgs[len(msgs)-1].ID != 521 || msgs[0].ID != 22 {
		t.Fatalf("kept %d messages, first %d last %d", len(msgs), msgs[0].ID, msgs[len(msgs)-1].ID)
	}
}

func TestCloseWakesLongPoll(t *testing.T) {
	s := emulator.New(emulator.Options{Token: testToken})
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(testToken, hs.URL+"/bot%s/%s")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		cfg := tgbotapi.NewUpdate(0)
		cfg.Timeout = 30
		_, err := bot.GetUpdates(cfg)
		done <- err
	}()
	for s.Calls("getUpdates") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll not woken by Close")
	}
}

func TestJSONBody(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.s.User(1001).Send("hi")
	body := `{"chat_id":1001,"text":"از JSON","reply_markup":{"inline_keyboard":[[{"text":"OK","callback_data":"ok"}]]}}`
	resp, err := http.Post(e.hs.URL+"/bot"+testToken+"/SENDMESSAGE", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if m := e.s.User(1001).Messages(); len(m) != 1 || m[0].Text != "از JSON" || m[0].Inline[0][0].Data != "ok" {
		t.Fatalf("messages: %+v", m)
	}
	if e.s.Calls("sendMessage") != 1 {
		t.Fatalf("calls %d", e.s.Calls("sendMessage"))
	}
}

// TestManyChatsEcho runs an echo bot with concurrent senders against many
// chats at once (run with -race).
func TestManyChatsEcho(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	const users, each = 40, 15
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() {
			u := e.s.User(int64(5000 + i))
			for j := range each {
				u.Send("پیام " + string(rune('۰'+j%10)))
			}
		})
	}
	jobs := make(chan tgbotapi.Update)
	var workers sync.WaitGroup
	for range 4 {
		workers.Go(func() {
			for up := range jobs {
				if _, err := e.bot.Send(tgbotapi.NewMessage(up.Message.Chat.ID, "echo: "+up.Message.Text)); err != nil {
					t.Errorf("send: %v", err)
				}
			}
		})
	}
	offset, got := 0, 0
	for got < users*each {
		for _, up := range getUpdates(t, e.bot, offset, 2) {
			offset = up.UpdateID + 1
			got++
			jobs <- up
		}
	}
	close(jobs)
	workers.Wait()
	wg.Wait()
	for i := range users {
		if _, err := e.s.User(int64(5000+i)).WaitCount(ctxT(t, 5*time.Second), each); err != nil {
			t.Fatal(err)
		}
	}
	getUpdates(t, e.bot, offset, 0)
	if e.s.Sent() != users*each || e.s.Pending() != 0 {
		t.Fatalf("sent %d pending %d", e.s.Sent(), e.s.Pending())
	}
}
