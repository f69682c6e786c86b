// Command nullbot is the baseline for coopbot-load: a bot that does no work at all. It polls
// with the same go-telegram-bot-api client (and an HTTP client keeping idle connections) and
// answers every update with one message echoing the text (a button press is answered with
// answerCallbackQuery first, as any bot must), with no Redis, no Postgres and no
// conversation. Its CPU per update is the floor that the client library and HTTP set on a
// machine; coopbot's own cost is what it needs above that.
//
//	go build -o /tmp/nullbot ./cmd/coopbot-load/nullbot
//	go run ./cmd/coopbot-load -bin /tmp/nullbot -users 1200 -rate 1000 -duration 15s
//
// It speaks just enough of coopbot's surface for the load tool: /readyz, the handled-update
// counter of /metrics (on METRICS_ADDR), the language button at /start, webhook mode
// (MODE=webhook, WEBHOOK_BASE_URL, WEBHOOK_SECRET) and "migrate"/"seed" as no-ops.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] != "serve" {
		return // migrate, seed: nothing to do
	}
	var handled atomic.Int64
	http.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ready\n")) })
	metrics := http.NewServeMux()
	metrics.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "coopbot_updates_total{outcome=\"handled\",platform=\"telegram\"} %d\ncoopbot_redis_roundtrips_total 0\n", handled.Load())
	})
	go http.ListenAndServe(os.Getenv("HTTP_ADDR"), nil)
	go http.ListenAndServe(os.Getenv("METRICS_ADDR"), metrics)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	bot, err := tgbotapi.NewBotAPIWithClient(os.Getenv("TELEGRAM_TOKEN"), strings.TrimRight(os.Getenv("TELEGRAM_API_URL"), "/")+"/bot%s/%s", client)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nullbot: the fake Bot API did not answer")
		os.Exit(1)
	}
	handle := func(u tgbotapi.Update) {
		switch {
		case u.Message != nil && u.Message.Text == "/start":
			m := tgbotapi.NewMessage(u.Message.Chat.ID, "start")
			m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("فارسی", "fa")))
			bot.Request(m)
		case u.Message != nil:
			bot.Request(tgbotapi.NewMessage(u.Message.Chat.ID, "«"+u.Message.Text+"»"))
		case u.CallbackQuery != nil:
			// As a bot must: the press is answered, then the reply sent.
			bot.Request(tgbotapi.NewCallback(u.CallbackQuery.ID, ""))
			bot.Request(tgbotapi.NewMessage(u.CallbackQuery.From.ID, "ok"))
		}
		handled.Add(1)
	}
	if os.Getenv("MODE") == "webhook" {
		serveWebhook(bot, handle)
		return
	}
	offset := 0
	for {
		updates, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: 10})
		if err != nil {
			continue
		}
		var wg sync.WaitGroup
		for _, u := range updates {
			offset = u.UpdateID + 1
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(u)
			}()
		}
		wg.Wait()
	}
}

// serveWebhook takes updates as coopbot does in webhook mode: POSTs to /webhook/telegram
// on HTTP_ADDR carrying WEBHOOK_SECRET, each answered once it was handled.
func serveWebhook(bot *tgbotapi.BotAPI, handle func(tgbotapi.Update)) {
	secret := os.Getenv("WEBHOOK_SECRET")
	http.HandleFunc("/webhook/telegram", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != secret {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		var u tgbotapi.Update
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		handle(u)
	})
	params := tgbotapi.Params{"url": strings.TrimRight(os.Getenv("WEBHOOK_BASE_URL"), "/") + "/webhook/telegram", "secret_token": secret, "max_connections": "40"}
	if _, err := bot.MakeRequest("setWebhook", params); err != nil {
		fmt.Fprintln(os.Stderr, "nullbot: setWebhook:", err)
		os.Exit(1)
	}
	select {}
}
