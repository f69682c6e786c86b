package bot

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"coopbot"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// maxWebhookBody bounds a webhook request; updates are a few kilobytes.
const maxWebhookBody = 1 << 20

// webhookPath is where a platform posts its updates. Bale's setWebhook takes no secret
// token, so its path carries the secret instead.
func (b *Bot) webhookPath(p coopbot.Platform) string {
	if p == coopbot.Bale {
		return "/webhook/bale/" + b.cfg.WebhookSecret
	}
	return "/webhook/" + string(p)
}

// setWebhook registers this deployment's webhook with the platform. The library's webhook
// config has no secret_token, so the request is made by hand.
func (b *Bot) setWebhook(ctx context.Context, p *platform) error {
	params := tgbotapi.Params{"url": strings.TrimRight(b.cfg.WebhookBase, "/") + b.webhookPath(p.name)}
	if p.name != coopbot.Bale {
		params["secret_token"] = b.cfg.WebhookSecret
		params["max_connections"] = "40"
	}
	if err := retry(ctx, p, "setWebhook", func() error {
		_, err := p.api.MakeRequest("setWebhook", params)
		return err
	}); err != nil {
		return err
	}
	p.log.Info("webhook set", "platform", p.name)
	<-ctx.Done()
	return nil
}

// WebhookHandler serves the webhook paths of every platform. A request is answered only
// after its update was finished: 200 when handled (or given up and recorded), 503 when it
// must come again (an outage, or its chat locked longer than the lock wait), 400 at once
// for a body that is not an update. Each request is handled on its own: one chat that
// waits never holds up another's.

func (b *Bot) WebhookHandler() http.Handler {
	mux := http.NewServeMux()
	for name, p := range b.platforms {
		mux.Handle(b.webhookPath(name), b.webhook(p))
	}
	return mux
}

// enter takes a slot for a webhook request, waiting at most lockWait while MaxInFlight
// updates are in flight; false when none came or the bot is stopping.
func (b *Bot) enter(ctx context.Context) bool {
	b.intake.RLock()
	if b.closed {
		b.intake.RUnlock()
		return false
	}
	b.requests.Add(1)
	b.intake.RUnlock()
	t := time.NewTimer(lockWait)
	defer t.Stop()
	select {
	case b.slots <- struct{}{}:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	b.requests.Done()
	return false
}

// webhookDeadline bounds a webhook request: a slot, the update with its finish, a record
// and a note when it is given up.
func (b *Bot) webhookDeadline() time.Duration {
	return lockWait + b.cfg.HandleTimeout + 2*finishTimeout + recordTimeout + 5*time.Second
}

func (b *Bot) leave() {
	<-b.slots
	b.requests.Done()
}

func (b *Bot) webhook(p *platform) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			// Handling has its own recover (the chain); this is for the rest of the request.
			if v := recover(); v != nil {
				b.log.Error("webhook request panicked", "platform", p.name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if p.name != coopbot.Bale {
			got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
			if subtle.ConstantTimeCompare([]byte(got), []byte(b.cfg.WebhookSecret)) != 1 {
				b.log.Warn("webhook call with a wrong secret", "platform", p.name, "remote", r.RemoteAddr)
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
		}
		// Answered only once the update was handled, which may outlast the listener's
		// write timeout: the request gets its own deadline, below the platform's 60 s.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(b.webhookDeadline()))
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		id, u, err := parseUpdate(body)
		if err != nil {
			b.log.Warn("malformed update refused", "platform", p.name, "update_id", id, "err", err)
			b.metrics.Update(p.name, outcomeMalformed, 0)
			http.Error(w, "malformed update", http.StatusBadRequest)
			return
		}
		up, ok := decode(p.name, u)
		if !ok {
			b.metrics.Update(p.name, outcomeIgnored, 0) // not something the bot reads
			w.WriteHeader(http.StatusOK)
			return
		}
		if !b.enter(r.Context()) {
			http.Error(w, "not taking updates now", http.StatusServiceUnavailable)
			return
		}
		req := b.newRequest(p, up)
		finished := b.settle(req, b.handle(context.Background(), req))
		b.leave()
		if !finished {
			http.Error(w, "update not handled, send it again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
