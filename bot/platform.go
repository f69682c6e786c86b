package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"coopbot"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// PlatformConfig is one messenger account the process serves.
type PlatformConfig struct {
	Platform coopbot.Platform
	Token    string
	APIURL   string // base URL; the client appends /bot<token>/<method>
}

// platform is one connected bot account: the only place the Telegram library is called.
type platform struct {
	name    coopbot.Platform
	token   string
	api     *tgbotapi.BotAPI
	log     *slog.Logger
	account string // rate-limit identity: platform and a hash of the token
	http    *httpClient
	meter   Meter // nil: sends are not counted
	metrics Metrics
	apiBase string                         // the Bot API's base URL (files are downloaded under it)
	peers   map[coopbot.Platform]*platform // every platform of the process, to fetch their files
	carried carried

	readyMu  sync.Mutex
	readyAt  time.Time
	readyErr error
}

// httpClient gives the library's requests a context (so shutdown ends a long poll), a
// timeout fitting the method, and enough idle connections for concurrent sends.
type httpClient struct {
	base    *http.Client
	ctx     context.Context
	timeout time.Duration                   // of a call that is not a long poll
	poll    atomic.Pointer[context.Context] // the poll loop's context, for getUpdates
}

// polling is the context getUpdates runs in: the poll loop's (which ends the long poll when
// the loop stops, and gives the last call that confirms the offset a bound of its own), or
// the client's.
func (c *httpClient) polling() context.Context {
	if ctx := c.poll.Load(); ctx != nil {
		return *ctx
	}
	return c.ctx
}

func (c *httpClient) Do(req *http.Request) (*http.Response, error) {
	timeout := c.timeout
	// Shutdown ends the requests that only read (a long poll, getMe); a send or an edit
	// that has started runs to its own timeout, so an update in flight is finished rather
	// than left half answered and answered again by the next process.
	ctx := context.WithoutCancel(c.ctx)
	switch {
	case strings.HasSuffix(req.URL.Path, "/getUpdates"):
		timeout = pollTimeout + 15*time.Second
		ctx = c.polling()
	case strings.HasSuffix(req.URL.Path, "/getMe"):
		ctx = c.ctx
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	// Whether the request reached the wire tells a send that surely failed (refused,
	// nothing written) from one that may have been carried out (timeout after writing).
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	})
	resp, err := c.base.Do(req.WithContext(ctx))
	if err != nil {
		cancel()
		if wrote.Load() {
			return nil, &writtenError{err: err}
		}
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// writtenError is a transport failure after the whole request was written: the platform
// may have carried it out.
type writtenError struct{ err error }

func (e *writtenError) Error() string { return e.err.Error() }
func (e *writtenError) Unwrap() error { return e.err }

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error { err := b.ReadCloser.Close(); b.cancel(); return err }

// Read marks a failure while reading the answer as coming after the request was written.
func (b *cancelBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = &writtenError{err: err}
	}
	return n, err
}

// newHTTPClient keeps enough idle connections per host for concurrent sends (Go's default
// of 2 makes almost every call open a new connection).
func newHTTPClient(ctx context.Context, timeout time.Duration) *httpClient {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &httpClient{base: &http.Client{Transport: tr}, ctx: ctx, timeout: timeout}
}

// connect builds the client, retrying with backoff while the platform is unreachable
// (the library calls getMe on construction). A rejected token is final.
func connect(ctx context.Context, cfg PlatformConfig, timeout time.Duration, log *slog.Logger) (*platform, error) {
	endpoint := strings.TrimRight(cfg.APIURL, "/") + "/bot%s/%s"
	hc := newHTTPClient(ctx, timeout)
	delay := 500 * time.Millisecond
	for {
		api, err := tgbotapi.NewBotAPIWithClient(cfg.Token, endpoint, hc)
		if err == nil {
			return &platform{name: cfg.Platform, token: cfg.Token, api: api, log: log, http: hc, apiBase: cfg.APIURL}, nil
		}
		err = redact(err, cfg.Token)
		var apiErr *tgbotapi.Error
		if errors.As(err, &apiErr) && (apiErr.Code == 401 || apiErr.Code == 404) {
			return nil, fmt.Errorf("%s: token rejected: %w", cfg.Platform, err)
		}
		log.Warn("platform unreachable, retrying", "platform", cfg.Platform, "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay + time.Duration(rand.Int64N(int64(delay/4)+1))):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// getUpdates asks for the updates from offset on, in ctx, and returns each one undecoded:
// the library's GetUpdates decodes the whole list at once, so one malformed update would
// fail them all.
func (p *platform) getUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration) ([]json.RawMessage, error) {
	p.http.poll.Store(&ctx)
	params := tgbotapi.Params{}
	params.AddNonZero64("offset", offset)
	params.AddNonZero("limit", limit)
	params.AddNonZero("timeout", int(timeout/time.Second))
	resp, err := p.api.MakeRequest("getUpdates", params)
	if err != nil {
		return nil, err
	}
	var list []json.RawMessage
	if err := json.Unmarshal(resp.Result, &list); err != nil {
		return nil, fmt.Errorf("getUpdates: the result is not a list: %w", err)
	}
	return list, nil
}

// redactedError hides the bot token, which the library's errors carry inside URLs.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redact(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, token) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(msg, token, "<token>"), err: err}
}

// classify turns a platform error into a coopbot error: blocked or vanished chats are
// unreachable, 429 and Bale's flood answers are rate limits, a request that was written
// but got no clear answer (a timeout or dropped connection after writing, a 5xx, an answer
// that is not the Bot API's JSON) is uncertain, other 4xx answers are internal (the
// request was refused), the rest (nothing written) is unavailable.
func (p *platform) classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var written *writtenError
	if errors.As(err, &written) {
		return &coopbot.Error{Code: coopbot.EUncertain, Err: fmt.Errorf("%s %s: %w", p.name, what, redact(err, p.token))}
	}
	err = redact(err, p.token)
	var apiErr *tgbotapi.Error
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) || errors.Is(err, io.ErrUnexpectedEOF) {
		// An answer came but was not the Bot API's (a proxy's error page, a cut body).
		return &coopbot.Error{Code: coopbot.EUncertain, Err: fmt.Errorf("%s %s: %w", p.name, what, err)}
	}
	if errors.As(err, &apiErr) {
		desc := strings.ToLower(apiErr.Message)
		switch {
		case apiErr.Code == 429 || apiErr.Code == 420 || strings.Contains(desc, "bot limit exceed") || strings.Contains(desc, "too many requests"):
			wait := time.Duration(apiErr.RetryAfter) * time.Second
			if wait <= 0 {
				wait = time.Second
			}
			return &coopbot.Error{Code: coopbot.ERateLimited, RetryAfter: wait, Err: fmt.Errorf("%s %s: %w", p.name, what, err)}
		case apiErr.Code == 403 || strings.Contains(desc, "chat not found") || strings.Contains(desc, "user is deactivated"):
			return &coopbot.Error{Code: coopbot.EUnreachable, Err: fmt.Errorf("%s %s: %w", p.name, what, err)}
		case apiErr.Code >= 400 && apiErr.Code < 500:
			return &coopbot.Error{Code: coopbot.EInternal, Err: fmt.Errorf("%s %s: %w", p.name, what, err)}
		case apiErr.Code >= 500:
			return &coopbot.Error{Code: coopbot.EUncertain, Err: fmt.Errorf("%s %s: %w", p.name, what, err)}
		}
	}
	return &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("%s %s: %w", p.name, what, err)}
}

// isNotModified reports the harmless answer to an edit that changes nothing.
func isNotModified(err error) bool {
	return err != nil && strings.Contains(err.Error(), "message is not modified")
}
