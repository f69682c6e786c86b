package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

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
// after its update was handled: 200 when done, 503 when it must come again.
func (b *Bot) WebhookHandler() http.Handler {
	mux := http.NewServeMux()
	for name, p := range b.platforms {
		mux.Handle(b.webhookPath(name), b.webhook(p))
	}
	return mux
}

func (b *Bot) webhook(p *platform) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		var u tgbotapi.Update
		if err := json.Unmarshal(body, &u); err != nil || u.UpdateID == 0 {
			http.Error(w, "malformed update", http.StatusBadRequest)
			return
		}
		if err := b.submit(r.Context(), p, u); err != nil {
			http.Error(w, fmt.Sprintf("update not handled: %s", coopbot.ErrorCode(err)), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
