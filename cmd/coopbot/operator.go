package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"coopbot"
	"coopbot/postgres"
)

// What the operator's configuration may do to a database, checked before serve writes
// anything: the emulator only on loopback and only on a database of its own, a real bot
// never on the emulator's, DATA_KEY the key the data is sealed with; then staff by ADMINS
// granted and revoked. And `coopbot rekey`.

// emulatorAccount is the bot account the local emulator records in the database.
var emulatorAccount = postgres.Account{Platform: coopbot.Telegram, ID: "emulator", Emulator: true}

// prepare runs at the start of serve. On a refusal nothing was written.
func prepare(ctx context.Context, cfg *config, db *postgres.DB) error {
	accounts := []postgres.Account{emulatorAccount}
	if cfg.emulator {
		addr, err := loopbackAddr(cfg.httpAddr)
		if err != nil {
			return err
		}
		cfg.httpAddr = addr
	} else {
		accounts = accounts[:0]
		for _, p := range cfg.platforms {
			accounts = append(accounts, postgres.Account{Platform: p.Platform, ID: accountID(p.Token)})
		}
	}
	if err := db.Prepare(ctx, accounts); err != nil {
		return operatorError(db, err)
	}
	return db.SyncAdmins(ctx, cfg.admins)
}

// operatorError turns a refusal of the database into one line naming the variable.
func operatorError(db *postgres.DB, err error) error {
	var ae *postgres.AccountError
	var ke *postgres.KeyError
	switch {
	case errors.As(err, &ae):
		return fmt.Errorf("DATABASE_URL (database %q): %w", db.Pool.Config().ConnConfig.Database, ae)
	case errors.As(err, &ke):
		return fmt.Errorf("DATA_KEY: %w", ke)
	}
	return err
}

// loopbackAddr is HTTP_ADDR for the emulator, whose web chat has no sign-in: a missing
// host becomes 127.0.0.1, a loopback host stays, any other host is refused.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("HTTP_ADDR: want host:port such as 127.0.0.1:8080, got %q", addr)
	}
	if host == "" {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return addr, nil
	}
	return "", fmt.Errorf("HTTP_ADDR: the local emulator (no TELEGRAM_TOKEN or BALE_TOKEN) serves a web chat without sign-in and listens on loopback only, such as 127.0.0.1:8080; got %q", addr)
}

// accountID names a real bot account without its secret: the bot's numeric id, which
// Telegram and Bale tokens start with, or else a short hash of the token.
func accountID(token string) string {
	if id, _, ok := strings.Cut(token, ":"); ok && id != "" && strings.Trim(id, "0123456789") == "" {
		return id
	}
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// rekey re-seals the database's personal data under NEW_DATA_KEY.
func rekey(ctx context.Context, cfg *config, db *postgres.DB, getenv func(string) string, stdout io.Writer) error {
	s := getenv("NEW_DATA_KEY")
	if s == "" {
		return fmt.Errorf("NEW_DATA_KEY: coopbot rekey needs the new key (32 bytes, base64 or hex; make one with `openssl rand -base64 32`); DATA_KEY is the current one")
	}
	key, err := parseKey(s)
	if err != nil {
		return fmt.Errorf("NEW_DATA_KEY: %w", err)
	}
	if bytes.Equal(key, cfg.dataKey) {
		return fmt.Errorf("NEW_DATA_KEY: is the current DATA_KEY; give the new key")
	}
	n, err := db.Serving(ctx, 5*time.Second)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("rekey: %d connections of a serving coopbot to this database: stop every instance first (they would go on sealing with the old key)", n)
	}
	st, err := db.Rekey(ctx, key)
	if err != nil {
		return operatorError(db, err)
	}
	fmt.Fprintf(stdout, "rekeyed: %d values sealed and %d lookup hashes computed under the new key; %d unused invite codes voided (create new ones). Start every instance with DATA_KEY set to the new key; conversations in progress start over.\n",
		st.Sealed, st.Hashes, st.Invites)
	return nil
}
