package main

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"coopbot"
	"coopbot/bot"
	"coopbot/postgres"
)

// config is everything read from the environment. Every variable is documented in the
// README with its default.
type config struct {
	platforms     []bot.PlatformConfig
	emulator      bool // no token: serve the local emulator and point a Telegram client at it
	databaseURL   string
	redisURL      string
	redisPrefix   string
	httpAddr      string
	webhook       bool
	webhookBase   string
	webhookSecret string
	admins        []coopbot.UserRef
	logLevel      slog.Level
	dataKey       []byte
	stateTTL      time.Duration

	// Membership requests pending longer than this many days are reminded to the
	// cooperative's admins once a day.
	pendingRemindDays int
	needEscalateHours int
	metricsAddr       string // serves /metrics and /debug/pprof, privately
	// The office's web console: its own listener, and the public base URL put in the
	// bot's sign-in links ("" until the listener is up: then http://<WEB_ADDR>).
	webAddr    string
	webBaseURL string
	dbName     string // application_name of the database connections ("coopbot serve", …)

	// Broadcasts: the messages a second each platform's bot account may send, shared by
	// every instance (replies count against it but never wait), and how long a runner's
	// claim on deliveries holds without renewal.
	sendRates map[coopbot.Platform]float64
	claimTTL  time.Duration
}

// emulatorToken is the token the built-in fake Bot API accepts.
const emulatorToken = "123456:local-emulator"

// devDataKey seals personal data in the local emulator only; production needs DATA_KEY.
var devDataKey = []byte("coopbot-local-emulator-dev-key!!")

// loadConfig reads and checks the environment. An error names the variable at fault.
func loadConfig(getenv func(string) string) (*config, error) {
	c := &config{
		databaseURL: cmp.Or(getenv("DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/coopbot?sslmode=disable"),
		redisURL:    cmp.Or(getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"),
		redisPrefix: cmp.Or(getenv("REDIS_PREFIX"), "coopbot:"),
		httpAddr:    cmp.Or(getenv("HTTP_ADDR"), ":8080"),
	}
	for _, p := range []struct {
		name          coopbot.Platform
		token, apiURL string
		defURL        string
	}{
		{coopbot.Telegram, "TELEGRAM_TOKEN", "TELEGRAM_API_URL", "https://api.telegram.org"},
		{coopbot.Bale, "BALE_TOKEN", "BALE_API_URL", "https://tapi.bale.ai"},
	} {
		token := strings.TrimSpace(getenv(p.token))
		if token == "" {
			continue
		}
		if strings.ContainsAny(token, " /?#") {
			return nil, fmt.Errorf("%s: a bot token has no spaces or slashes", p.token)
		}
		api := cmp.Or(getenv(p.apiURL), p.defURL)
		if u, err := url.Parse(api); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s: want an http(s) base URL such as %s, got %q", p.apiURL, p.defURL, api)
		}
		c.platforms = append(c.platforms, bot.PlatformConfig{Platform: p.name, Token: token, APIURL: api})
	}
	c.emulator = len(c.platforms) == 0

	switch mode := cmp.Or(getenv("MODE"), "polling"); mode {
	case "polling":
	case "webhook":
		c.webhook = true
		c.webhookBase = getenv("WEBHOOK_BASE_URL")
		if u, err := url.Parse(c.webhookBase); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return nil, fmt.Errorf("WEBHOOK_BASE_URL: webhook mode needs the public base URL the platforms post to, got %q", c.webhookBase)
		}
		c.webhookSecret = getenv("WEBHOOK_SECRET")
		if len(c.webhookSecret) < 16 || strings.Trim(c.webhookSecret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			return nil, fmt.Errorf("WEBHOOK_SECRET: webhook mode needs a secret of at least 16 characters from A-Z a-z 0-9 _ -")
		}
		if c.emulator {
			return nil, fmt.Errorf("MODE: webhook mode needs TELEGRAM_TOKEN or BALE_TOKEN")
		}
	default:
		return nil, fmt.Errorf("MODE: want polling or webhook, got %q", mode)
	}

	if s := strings.TrimSpace(getenv("ADMINS")); s != "" {
		for _, f := range strings.Split(s, ",") {
			ref, err := coopbot.ParseUserRef(f)
			if err != nil {
				return nil, fmt.Errorf("ADMINS: %w", err)
			}
			c.admins = append(c.admins, ref)
		}
	} else if c.emulator {
		// In the local emulator, user 1 is staff so a newcomer can try the staff side.
		c.admins = []coopbot.UserRef{{Platform: coopbot.Telegram, UserID: 1}}
	}

	if err := c.logLevel.UnmarshalText([]byte(cmp.Or(getenv("LOG_LEVEL"), "info"))); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL: want debug, info, warn or error, got %q", getenv("LOG_LEVEL"))
	}

	switch k := getenv("DATA_KEY"); {
	case k != "":
		key, err := parseKey(k)
		if err != nil {
			return nil, fmt.Errorf("DATA_KEY: %w", err)
		}
		c.dataKey = key
	case c.emulator:
		c.dataKey = devDataKey
	default:
		return nil, fmt.Errorf("DATA_KEY: needed to encrypt national IDs and phone numbers (32 bytes, base64 or hex; make one with `openssl rand -base64 32`)")
	}

	c.metricsAddr = cmp.Or(getenv("METRICS_ADDR"), "127.0.0.1:9090")
	if getenv("DEBUG_ADDR") != "" {
		return nil, fmt.Errorf("DEBUG_ADDR: the profiler is served on METRICS_ADDR now (with /metrics, default 127.0.0.1:9090); unset DEBUG_ADDR")
	}
	c.webAddr = cmp.Or(getenv("WEB_ADDR"), "127.0.0.1:8081")
	if b := strings.TrimRight(strings.TrimSpace(getenv("WEB_BASE_URL")), "/"); b != "" {
		u, err := url.Parse(b)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("WEB_BASE_URL: want the console's public base URL such as https://console.example.org, got %q", b)
		}
		c.webBaseURL = b
	}
	c.stateTTL = 24 * time.Hour
	if s := getenv("STATE_TTL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute {
			return nil, fmt.Errorf("STATE_TTL: want a duration of at least 1m such as 24h, got %q", s)
		}
		c.stateTTL = d
	}

	// Telegram documents about 30 messages a second per bot. Bale publishes no number and
	// answers 429 or "bot limit exceed" beyond it: start lower there and let the limiter
	// step down further when it answers so.
	c.sendRates = map[coopbot.Platform]float64{coopbot.Telegram: 30, coopbot.Bale: 20}
	for p, name := range map[coopbot.Platform]string{coopbot.Telegram: "TELEGRAM_RATE", coopbot.Bale: "BALE_RATE"} {
		if s := strings.TrimSpace(getenv(name)); s != "" {
			r, err := strconv.ParseFloat(s, 64)
			if err != nil || !(r >= 0.1 && r <= 1000) {
				return nil, fmt.Errorf("%s: want messages a second from 0.1 to 1000, such as 30, got %q", name, s)
			}
			c.sendRates[p] = r
		}
	}
	c.claimTTL = 30 * time.Second
	if s := getenv("BROADCAST_CLAIM_TTL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second || d > 10*time.Minute {
			return nil, fmt.Errorf("BROADCAST_CLAIM_TTL: want a duration from 1s to 10m such as 30s, got %q", s)
		}
		c.claimTTL = d
	}

	c.pendingRemindDays = postgres.DefaultPendingRemindDays
	if s := strings.TrimSpace(getenv("PENDING_REMIND_DAYS")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 365 {
			return nil, fmt.Errorf("PENDING_REMIND_DAYS: want a whole number of days from 1 to 365, got %q", s)
		}
		c.pendingRemindDays = n
	}

	c.needEscalateHours = postgres.DefaultNeedEscalateHours
	if s := strings.TrimSpace(getenv("NEED_ESCALATE_HOURS")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 720 {
			return nil, fmt.Errorf("NEED_ESCALATE_HOURS: want a whole number of hours from 1 to 720, got %q", s)
		}
		c.needEscalateHours = n
	}
	return c, nil
}

func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, fmt.Errorf("want 32 bytes as base64 or hex")
}
