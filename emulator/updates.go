package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

const (
	defaultMaxConnections = 40
	webhookTimeout        = 60 * time.Second
	retryMin              = 50 * time.Millisecond
	retryMax              = time.Second
)

func (s *Server) getUpdates(r *http.Request, p *params) (any, *apiErr) {
	offset64, _ := p.int("offset")
	limit64, _ := p.int("limit")
	timeout64, _ := p.int("timeout")
	offset := int(offset64)
	limit := int(limit64)
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout := time.Duration(max(timeout64, 0)) * time.Second

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wh != nil {
		return s.webhookConflictLocked()
	}
	// A newer request terminates an older, still waiting one.
	s.pollGen++
	gen := s.pollGen
	s.notifyUpdatesLocked()

	if offset < 0 {
		s.keepLastLocked(-offset)
	} else {
		s.confirmBelowLocked(offset)
	}
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	for {
		var out []json.RawMessage
		now := time.Now()
		for _, q := range s.queue {
			if len(out) == limit {
				break
			}
			if !q.done && !q.inflight {
				q.served = true
				s.takenLocked(q, now)
				out = append(out, q.payload)
			}
		}
		if len(out) > 0 || timeout == 0 || s.closed {
			return rawList(out), nil
		}
		ch := s.updatesChanged
		s.mu.Unlock()
		stop := false
		select {
		case <-ch:
		case <-deadline:
			stop = true
		case <-r.Context().Done():
			stop = true
		}
		s.mu.Lock()
		if s.pollGen != gen {
			return nil, errf(http.StatusConflict, descConflictPoll)
		}
		if s.wh != nil {
			return s.webhookConflictLocked()
		}
		if stop {
			timeout = 0 // one last look, then answer
		}
	}
}

func (s *Server) webhookConflictLocked() (any, *apiErr) {
	if s.opts.Bale {
		return rawList(nil), nil
	}
	return nil, errf(http.StatusConflict, descConflictWebhook)
}

func rawList(items []json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// webhook is one setWebhook registration; replaced as a whole on change.
type webhook struct {
	url      string
	secret   string
	maxConn  int
	ctx      context.Context
	cancel   context.CancelFunc
	client   *http.Client
	inflight int
	ready    []*User // chats whose next update may be pushed
}

func (s *Server) setWebhook(p *params) (any, *apiErr) {
	rawURL := strings.TrimSpace(p.get("url"))
	if rawURL == "" {
		return s.deleteWebhook(p)
	}
	if !strings.HasPrefix(rawURL, "http://") && !strings.HasPrefix(rawURL, "https://") {
		return nil, errf(http.StatusBadRequest, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
	}
	secret := p.get("secret_token")
	if s.opts.Bale {
		secret = ""
	} else if !validSecret(secret) {
		return nil, errf(http.StatusBadRequest, descSecretToken)
	}
	maxConn := defaultMaxConnections
	if n, ok := p.int("max_connections"); ok && n > 0 {
		maxConn = int(min(n, 100))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.bool("drop_pending_updates") {
		s.dropPendingLocked()
	}
	s.stopWebhookLocked()
	ctx, cancel := context.WithCancel(s.ctx)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = maxConn
	tr.Proxy = nil // the bot's webhook is local; never send it through a proxy
	wh := &webhook{url: rawURL, secret: secret, maxConn: maxConn, ctx: ctx, cancel: cancel,
		client: &http.Client{Transport: tr, Timeout: webhookTimeout}}
	s.wh = wh
	s.whLastErrDate, s.whLastErrMsg = 0, ""
	// Chats with pending updates, in the order of their oldest update.
	var ready []*User
	for _, u := range s.users {
		u.ready = false
		if len(u.fifo) > 0 && !u.inflight {
			ready = append(ready, u)
		}
	}
	slices.SortFunc(ready, func(a, b *User) int { return a.fifo[0].id - b.fifo[0].id })
	for _, u := range ready {
		u.ready = true
	}
	wh.ready = ready
	s.pumpLocked()
	s.notifyUpdatesLocked() // long polls now answer 409 (or [] on Bale)
	s.log.Info("webhook set", "url", rawURL, "max_connections", maxConn)
	return true, nil
}

func validSecret(s string) bool {
	if len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (s *Server) deleteWebhook(p *params) (any, *apiErr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.bool("drop_pending_updates") {
		s.dropPendingLocked()
	}
	s.stopWebhookLocked()
	return true, nil
}

func (s *Server) stopWebhookLocked() {
	if s.wh == nil {
		return
	}
	s.wh.cancel()
	s.wh.client.CloseIdleConnections()
	for _, u := range s.wh.ready {
		u.ready = false
	}
	s.wh = nil
}

func (s *Server) dropPendingLocked() {
	for _, q := range slices.Clone(s.queue) {
		if !q.done && !q.inflight {
			s.confirmLocked(q)
		}
	}
}

func (s *Server) webhookInfo() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := apiWebhookInfo{PendingUpdateCount: s.pendingN}
	if s.wh != nil {
		info.URL = s.wh.url
		info.MaxConnections = s.wh.maxConn
		info.LastErrorDate = s.whLastErrDate
		info.LastErrorMessage = s.whLastErrMsg
	}
	return info
}

// markReadyLocked lists a chat for webhook delivery if its next update may go.
func (s *Server) markReadyLocked(u *User) {
	if s.wh == nil || u.ready || u.inflight || len(u.fifo) == 0 {
		return
	}
	u.ready = true
	s.wh.ready = append(s.wh.ready, u)
}

// pumpLocked starts deliveries while connections are free.
func (s *Server) pumpLocked() {
	wh := s.wh
	if wh == nil || s.closed {
		return
	}
	for wh.inflight < wh.maxConn && len(wh.ready) > 0 {
		u := wh.ready[0]
		wh.ready[0] = nil
		wh.ready = wh.ready[1:]
		u.ready = false
		if u.inflight || len(u.fifo) == 0 {
			continue
		}
		q := u.fifo[0]
		u.inflight, q.inflight = true, true
		s.takenLocked(q, time.Now())
		wh.inflight++
		s.wg.Add(1)
		go s.deliver(wh, q)
	}
}

// deliver pushes one update until the webhook answers 2xx or is replaced.
func (s *Server) deliver(wh *webhook, q *pending) {
	defer s.wg.Done()
	backoff := retryMin
	for attempt := 1; ; attempt++ {
		status, err := s.post(wh, q.payload)
		s.mu.Lock()
		ok := err == nil && status >= 200 && status < 300
		if ok {
			s.confirmLocked(q)
		} else if wh == s.wh {
			s.whLastErrDate = time.Now().Unix()
			if err != nil {
				s.whLastErrMsg = err.Error()
			} else {
				s.whLastErrMsg = fmt.Sprintf("Wrong response from the webhook: %d %s", status, http.StatusText(status))
			}
		}
		if ok || wh.ctx.Err() != nil {
			// Done, or the webhook was replaced/deleted/closed: release the chat.
			wh.inflight--
			q.inflight = false
			q.user.inflight = false
			s.markReadyLocked(q.user)
			s.pumpLocked()
			if !ok {
				s.notifyUpdatesLocked()
			}
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		s.log.Debug("webhook delivery failed", "update_id", q.id, "attempt", attempt, "status", status, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-wh.ctx.Done():
			t.Stop()
		}
		backoff = min(backoff*2, retryMax)
	}
}

func (s *Server) post(wh *webhook, payload []byte) (int, error) {
	req, err := http.NewRequestWithContext(wh.ctx, http.MethodPost, wh.url, bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if wh.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", wh.secret)
	}
	resp, err := wh.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
