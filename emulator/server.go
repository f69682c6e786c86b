package emulator

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits of the emulator.
const (
	// MaxMessagesPerChat is how many messages (both directions) a chat keeps.
	MaxMessagesPerChat = 500
	maxAnswersPerChat  = 500
	maxOpenCallbacks   = 10000
	maxUploadBytes     = 50 << 20
	// BotUsername is the username getMe reports.
	BotUsername  = "coopbot_local_bot"
	botFirstName = "Coopbot (local)"
)

// Options configure a Server.
type Options struct {
	Token  string       // the one bot token this server accepts; requests with another token get 401. Empty: any token is accepted.
	Bale   bool         // behave like Bale: setWebhook ignores secret_token; while a webhook is set, getUpdates returns [] silently (Telegram answers 409); parse_mode is recorded but not interpreted
	Logger *slog.Logger // optional
}

// Server is a fake Bot API server with a web chat. Create it with New.
type Server struct {
	opts  Options
	log   *slog.Logger
	botID int64

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // webhook delivery goroutines

	mu             sync.Mutex
	closed         bool
	fileSeq        int // numbers the files users send
	users          map[int64]*User
	nextUpdateID   int
	queue          []*pending // ordered by update id; may hold done entries
	pendingN       int        // not-done entries in queue
	updatesChanged chan struct{}
	pollGen        uint64 // generation of the newest getUpdates request
	wh             *webhook
	whLastErrDate  int64
	whLastErrMsg   string
	calls          map[string]int
	sent           int
	hook           func(method string, chatID int64) *APIError
	takenHook      func(chatID int64, updateID int, waited time.Duration)
	rate           float64
	tokens         float64
	tokensAt       time.Time
	callbacks      map[string]*openCallback
	callbackOrder  []string
	nextCallback   int64
	commands       map[string][]Command
}

// pending is a queued update.
type pending struct {
	id       int
	user     *User
	payload  []byte
	done     bool
	inflight bool
	served   bool // handed out by getUpdates at least once
	again    bool // queued again by Redeliver
	queued   time.Time
	taken    bool // handed to the bot once (getUpdates or a webhook request)
}

type openCallback struct {
	user  *User
	data  string
	msgID int
}

// New returns a server. Call Close when done with it.
func New(opts Options) *Server {
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	botID := int64(1000000001)
	if i := strings.IndexByte(opts.Token, ':'); i > 0 {
		if n, err := strconv.ParseInt(opts.Token[:i], 10, 64); err == nil && n > 0 {
			botID = n
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		opts:           opts,
		log:            lg.With("component", "emulator"),
		botID:          botID,
		ctx:            ctx,
		cancel:         cancel,
		users:          make(map[int64]*User),
		updatesChanged: make(chan struct{}),
		calls:          make(map[string]int),
		callbacks:      make(map[string]*openCallback),
		commands:       make(map[string][]Command),
	}
}

// Handler serves the Bot API at /bot<token>/<method>, the web chat at / and
// its JSON API under /ui/.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/bot"):
			s.serveBotAPI(w, r)
		case strings.HasPrefix(p, "/file/bot"):
			s.serveFile(w, r)
		case strings.HasPrefix(p, "/ui/"):
			s.serveUI(w, r)
		case p == "/" || p == "/index.html":
			s.servePage(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// Close stops webhook delivery, wakes long polls and waiters, and waits for
// the delivery goroutines to end. The handler keeps answering afterwards, but
// long polls return at once and no webhook is called.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.cancel()
		if s.wh != nil {
			s.wh.cancel()
		}
		s.notifyUpdatesLocked()
		for _, u := range s.users {
			u.touchLocked()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// User returns the private-chat user with this id (chat id == user id),
// creating it on first use. A user the bot may write to is one who has sent
// something (Send, Press, ShareContact...).
func (s *Server) User(id int64) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userLocked(id)
}

func (s *Server) userLocked(id int64) *User {
	u := s.users[id]
	if u == nil {
		u = &User{
			s:         s,
			id:        id,
			firstName: "User " + strconv.FormatInt(id, 10),
			changed:   make(chan struct{}),
		}
		s.users[id] = u
	}
	return u
}

// Block makes every call addressed to this chat fail with 403
// "Forbidden: bot was blocked by the user".
func (s *Server) Block(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(userID)
	u.blocked = true
	u.touchLocked()
}

// Unblock undoes Block.
func (s *Server) Unblock(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(userID)
	u.blocked = false
	u.touchLocked()
}

// SetHook installs h, called before every Bot API method with the method's
// canonical name (e.g. "sendMessage") and the request's chat_id (0 if none).
// A non-nil result is applied as described at APIError. nil removes the hook.
func (s *Server) SetHook(h func(method string, chatID int64) *APIError) {
	s.mu.Lock()
	s.hook = h
	s.mu.Unlock()
}

// SetTakenHook installs h, called the first time each update is handed to the bot (in a
// getUpdates answer, or when its webhook request starts) with how long it had been
// available: the delivery delay. It runs with the server's lock held, so it must be quick
// and must not call the Server. nil removes it.
func (s *Server) SetTakenHook(h func(chatID int64, updateID int, waited time.Duration)) {
	s.mu.Lock()
	s.takenHook = h
	s.mu.Unlock()
}

// takenLocked reports an update handed to the bot for the first time.
func (s *Server) takenLocked(p *pending, now time.Time) {
	if p.taken {
		return
	}
	p.taken = true
	if s.takenHook != nil {
		s.takenHook(p.user.id, p.id, now.Sub(p.queued))
	}
}

// SetSendRate limits sendMessage to perSecond calls per second (token bucket
// holding one second's worth, at least one call); calls beyond it get 429
// "Too Many Requests: retry after N" with parameters.retry_after. 0 removes
// the limit.
func (s *Server) SetSendRate(perSecond float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = perSecond
	s.tokens = max(perSecond, 1)
	s.tokensAt = time.Now()
}

// takeTokenLocked takes one send token; if none is left it returns the
// seconds to wait.
func (s *Server) takeTokenLocked(now time.Time) (ok bool, retryAfter int) {
	if s.rate <= 0 {
		return true, 0
	}
	burst := max(s.rate, 1)
	s.tokens = min(burst, s.tokens+now.Sub(s.tokensAt).Seconds()*s.rate)
	s.tokensAt = now
	if s.tokens >= 1 {
		s.tokens--
		return true, 0
	}
	wait := (1 - s.tokens) / s.rate
	retryAfter = int(wait)
	if float64(retryAfter) < wait {
		retryAfter++
	}
	return false, max(retryAfter, 1)
}

// Calls reports how many times a Bot API method was called with the right
// token (method names are case-insensitive, as in the Bot API).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[strings.ToLower(method)]
}

// Sent reports the number of successful sendMessage calls.
func (s *Server) Sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// SentTo reports the number of successful sendMessage calls to one chat.
func (s *Server) SentTo(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[chatID]; u != nil {
		return u.sent
	}
	return 0
}

// Pending reports the updates queued but not yet confirmed (by a getUpdates
// offset or a 2xx webhook answer).
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingN
}

// Commands returns the commands set with setMyCommands for the default scope
// and no language code.
func (s *Server) Commands() []Command {
	return s.CommandsFor("default", "")
}

// CommandsFor returns the commands set for a scope type ("default",
// "all_private_chats", ...) and language code.
func (s *Server) CommandsFor(scopeType, languageCode string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands[scopeType+"/"+languageCode])
}

// WebhookURL returns the webhook URL currently set ("" if none).
func (s *Server) WebhookURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wh == nil {
		return ""
	}
	return s.wh.url
}

func (s *Server) notifyUpdatesLocked() {
	close(s.updatesChanged)
	s.updatesChanged = make(chan struct{})
}

// enqueueLocked queues an update from u; build fills in everything but the id.
func (s *Server) enqueueLocked(u *User, upd *apiUpdate) {
	s.nextUpdateID++
	upd.UpdateID = s.nextUpdateID
	payload, err := json.Marshal(upd)
	if err != nil {
		panic("emulator: marshal update: " + err.Error())
	}
	p := &pending{id: upd.UpdateID, user: u, payload: payload, queued: time.Now()}
	s.queue = append(s.queue, p)
	s.pendingN++
	u.fifo = append(u.fifo, p)
	u.last = p
	s.markReadyLocked(u)
	s.pumpLocked()
	s.notifyUpdatesLocked()
}

// confirmLocked removes a delivered update from the queue.
func (s *Server) confirmLocked(p *pending) {
	if p.done {
		return
	}
	p.done = true
	s.pendingN--
	u := p.user
	if i := slices.Index(u.fifo, p); i >= 0 {
		u.fifo[i] = nil
		u.fifo = slices.Delete(u.fifo, i, i+1)
	}
	// Trim the done prefix; compact when mostly done.
	n := 0
	for n < len(s.queue) && s.queue[n].done {
		s.queue[n] = nil
		n++
	}
	s.queue = s.queue[n:]
	if len(s.queue) > 64 && s.pendingN < len(s.queue)/2 {
		s.queue = slices.DeleteFunc(s.queue, func(p *pending) bool { return p.done })
	}
}

// confirmBelowLocked confirms all updates with an id below offset. An update queued again
// with an old id (Redeliver) is confirmed only once it was served again.
func (s *Server) confirmBelowLocked(offset int) {
	for _, p := range slices.Clone(s.queue) {
		if !p.done && p.id < offset && (p.served || !p.again) {
			s.confirmLocked(p)
		}
	}
}

// keepLastLocked confirms all but the last n unconfirmed updates.
func (s *Server) keepLastLocked(n int) {
	for s.pendingN > n && len(s.queue) > 0 {
		s.confirmLocked(s.queue[0])
	}
}

// registerCallbackLocked remembers an open callback query for answerCallbackQuery.
func (s *Server) registerCallbackLocked(u *User, data string, msgID int) string {
	s.nextCallback++
	id := strconv.FormatInt(s.botID%1000*1e12+s.nextCallback, 10)
	s.callbacks[id] = &openCallback{user: u, data: data, msgID: msgID}
	s.callbackOrder = append(s.callbackOrder, id)
	for len(s.callbackOrder) > maxOpenCallbacks {
		delete(s.callbacks, s.callbackOrder[0])
		s.callbackOrder = s.callbackOrder[1:]
	}
	return id
}

// Endpoint returns the go-telegram-bot-api endpoint format for a server
// reachable at baseURL (for example an httptest.Server's URL):
//
//	tgbotapi.NewBotAPIWithAPIEndpoint(token, emulator.Endpoint(srv.URL))
func Endpoint(baseURL string) string {
	return strings.TrimRight(baseURL, "/") + "/bot%s/%s"
}
