package postgres

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"coopbot"

	"github.com/jackc/pgx/v5"
)

// What the operator's configuration does to the database at start: which bot accounts
// serve from it, whether DATA_KEY is the key its data is sealed with, who is staff by
// ADMINS; and `coopbot rekey`.

// operatorLock serializes starts (Prepare) with a rekey: a start waits until a rekey has
// committed and then checks its key against the new check value.
const operatorLock = 0x6b657973 // "keys"

// ServingName is the application_name of a serving instance's connections; a rekey
// refuses to run while any is connected.
const ServingName = "coopbot serve"

// Account is a bot account serving from this database: the local emulator's, or a real
// bot's, named by its numeric id (the part of the token before the colon, never the token).
type Account struct {
	Platform coopbot.Platform
	ID       string
	Emulator bool
}

func (a Account) String() string {
	if a.Emulator {
		return "the local emulator"
	}
	return fmt.Sprintf("%s bot %s", a.Platform, a.ID)
}

// AccountError is a start refused because the database belongs to the other kind of
// account: a real bot's database for the emulator, or the emulator's for a real bot.
type AccountError struct {
	Emulator bool      // the refused start is the emulator's
	Others   []Account // the accounts recorded before
}

func (e *AccountError) Error() string {
	if e.Emulator {
		names := make([]string, len(e.Others))
		for i, a := range e.Others {
			names[i] = a.String()
			if a.Platform == "unknown" {
				names[i] = "residents from before coopbot recorded its bot accounts"
			}
		}
		return "this database holds the data of a real bot (" + strings.Join(names, ", ") +
			"); the local emulator (no TELEGRAM_TOKEN or BALE_TOKEN) serves demo data and an unauthenticated web chat and runs only on a database of its own: point DATABASE_URL at another database"
	}
	return "this database was used by the local emulator (demo data, test residents, the public development key); a real bot needs a database of its own: point DATABASE_URL at another database"
}

// KeyError is a data key that is not the one the database's data is sealed with.
type KeyError struct{ Existing bool } // no check value yet, and stored data does not open

func (e *KeyError) Error() string {
	if e.Existing {
		return "does not open the personal data already stored in this database; start with the key it was written with"
	}
	return "is not the key this database's personal data is sealed with; start with that key (or change it with `coopbot rekey`)"
}

// Prepare checks, in one transaction, that this database may serve accounts and that the
// data key is its key, and records both (the key's check value on first use). When a check
// fails nothing is written and the error is an *AccountError or a *KeyError.
func (db *DB) Prepare(ctx context.Context, accounts []Account) error {
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, operatorLock); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT platform, account, emulator FROM bot_accounts ORDER BY first_used_at, platform, account`)
		if err != nil {
			return err
		}
		known, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Account, error) {
			var a Account
			err := row.Scan(&a.Platform, &a.ID, &a.Emulator)
			return a, err
		})
		if err != nil {
			return err
		}
		for _, a := range accounts {
			others := slices.DeleteFunc(slices.Clone(known), func(k Account) bool { return k.Emulator == a.Emulator })
			if len(others) > 0 {
				return &AccountError{Emulator: a.Emulator, Others: others}
			}
		}
		if err := db.checkKey(ctx, tx); err != nil {
			return err
		}
		for _, a := range accounts {
			if _, err := tx.Exec(ctx, `
				INSERT INTO bot_accounts (platform, account, emulator) VALUES ($1, $2, $3)
				ON CONFLICT (platform, account) DO UPDATE SET last_used_at = now()`, a.Platform, a.ID, a.Emulator); err != nil {
				return err
			}
		}
		return nil
	})
	var ae *AccountError
	var ke *KeyError
	if errors.As(err, &ae) || errors.As(err, &ke) {
		return err
	}
	return wrap(err, "prepare database")
}

// checkKey compares the data key with the stored check value. Without one (a new
// database, or one from before check values) it first opens a stored sealed value of each
// kind, so that a wrong key is not taken for the right one, and stores the check value.
func (db *DB) checkKey(ctx context.Context, tx pgx.Tx) error {
	var stored string
	err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE name = 'data_key_check'`).Scan(&stored)
	switch {
	case err == nil:
		if subtle.ConstantTimeCompare([]byte(stored), []byte(db.check)) != 1 {
			return &KeyError{}
		}
		return nil
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	tables, err := sealedTablesIn(ctx, tx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		for _, col := range t.sealed {
			var v []byte
			err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE length(%s) > 0 LIMIT 1`, col, t.table, col)).Scan(&v)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := db.open(v); err != nil {
				return &KeyError{Existing: true}
			}
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO meta (name, value) VALUES ('data_key_check', $1)`, db.check)
	return err
}

// sealedTable lists a table's columns of sealed personal data and of keyed hashes, each
// hash with the sealed column whose plain text it hashes. Every bytea column of the schema
// is here or in unsealedBytea (a test holds the two lists to the schema).
type sealedTable struct {
	table  string
	sealed []string
	hashes map[string]string // hash column → sealed column
}

var sealedTables = []sealedTable{
	{table: "residents", sealed: []string{"phone_enc"}, hashes: map[string]string{"phone_hash": "phone_enc"}},
	{table: "join_requests", sealed: []string{"national_id_enc", "phone_enc"},
		hashes: map[string]string{"national_id_hash": "national_id_enc", "phone_hash": "phone_enc"}},
	{table: "need_reports", sealed: []string{"description_enc", "address_enc", "location_enc"}},
	{table: "questions", sealed: []string{"body_enc", "photo_enc"}},
	{table: "question_answers", sealed: []string{"body_enc"}},
	{table: "office_messages", sealed: []string{"body_enc"}},
	{table: "need_attachments", sealed: []string{"file_id_enc", "name_enc"}},
	// Results of committed effects (they may name personal data), where that table exists.
	{table: "effects", sealed: []string{"result"}},
}

// unsealedBytea are bytea columns that hold no sealed value: keyed hashes of data that is
// not kept (a rekey voids what they guard).
var unsealedBytea = []string{"coop_invites.code_hash", "console_links.token_hash", "console_sessions.token_hash"}

// sealedTablesIn is sealedTables without the tables this schema lacks.
func sealedTablesIn(ctx context.Context, tx pgx.Tx) ([]sealedTable, error) {
	var out []sealedTable
	for _, t := range sealedTables {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+t.table).Scan(&exists); err != nil {
			return nil, err
		}
		if exists {
			out = append(out, t)
		}
	}
	return out, nil
}

// RekeyStats is what a rekey changed.
type RekeyStats struct {
	Sealed  int // values re-sealed
	Hashes  int // keyed hashes recomputed
	Invites int // unused invite codes voided (only a hash of each is kept)
}

// rekeyBatch is how many rows one UPDATE of a rekey writes.
const rekeyBatch = 1000

// Rekey re-seals every sealed value and recomputes every keyed hash under newKey, voids the
// unused invite codes (whose hashes cannot be recomputed), and stores newKey's check
// value, all in one transaction. The current key must be the database's (a *KeyError
// otherwise). Run it with every instance stopped: see Serving.
func (db *DB) Rekey(ctx context.Context, newKey []byte) (RekeyStats, error) {
	var st RekeyStats
	nk, err := newKeyed(newKey)
	if err != nil {
		return st, err
	}
	next := &DB{aead: nk.aead, mac: nk.mac}
	err = pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, operatorLock); err != nil {
			return err
		}
		if err := db.checkKey(ctx, tx); err != nil {
			return err
		}
		tables, err := sealedTablesIn(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range tables {
			sealed, hashed, err := db.rekeyTable(ctx, tx, next, t)
			if err != nil {
				return fmt.Errorf("%s: %w", t.table, err)
			}
			st.Sealed += sealed
			st.Hashes += hashed
		}
		tag, err := tx.Exec(ctx, `UPDATE coop_invites SET expires_at = now() WHERE used_at IS NULL AND expires_at > now()`)
		if err != nil {
			return err
		}
		st.Invites = int(tag.RowsAffected())
		if _, err := tx.Exec(ctx, `UPDATE meta SET value = $1, updated_at = now() WHERE name = 'data_key_check'`, nk.check); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (action, detail) VALUES ('data_rekey', $1)`,
			map[string]any{"sealed": st.Sealed, "hashes": st.Hashes, "invites_voided": st.Invites})
		return err
	})
	var ke *KeyError
	if errors.As(err, &ke) {
		return RekeyStats{}, err
	}
	if err != nil {
		return RekeyStats{}, wrap(err, "rekey")
	}
	return st, nil
}

// rekeyTable re-seals and re-hashes one table's columns under next, rows addressed by
// ctid while the table is locked against writes.
func (db *DB) rekeyTable(ctx context.Context, tx pgx.Tx, next *DB, t sealedTable) (sealed, hashed int, err error) {
	if _, err := tx.Exec(ctx, `LOCK TABLE `+t.table+` IN EXCLUSIVE MODE`); err != nil {
		return 0, 0, err
	}
	hashCols := make([]string, 0, len(t.hashes))
	for h := range t.hashes {
		hashCols = append(hashCols, h)
	}
	slices.Sort(hashCols)
	cols := append(slices.Clone(t.sealed), hashCols...)
	rows, err := tx.Query(ctx, `SELECT ctid::text, `+strings.Join(cols, ", ")+` FROM `+t.table)
	if err != nil {
		return 0, 0, err
	}
	ids := []string{}
	vals := make([][][]byte, len(cols))
	for rows.Next() {
		var id string
		cur := make([][]byte, len(cols))
		dest := []any{&id}
		for i := range cur {
			dest = append(dest, &cur[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return 0, 0, err
		}
		plain := map[string]string{}
		for i, col := range t.sealed {
			p, err := db.open(cur[i])
			if err != nil {
				rows.Close()
				return 0, 0, fmt.Errorf("open %s of row %s: %w", col, id, err)
			}
			plain[col] = p
			if len(cur[i]) > 0 { // NULL, or emptied by an erasure: stays as it is
				cur[i] = next.seal(p)
				sealed++
			}
		}
		for i, h := range hashCols {
			j := len(t.sealed) + i
			if len(cur[j]) > 0 {
				cur[j] = next.hash(plain[t.hashes[h]])
				hashed++
			}
		}
		ids = append(ids, id)
		for i := range cols {
			vals[i] = append(vals[i], cur[i])
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	// UPDATE t SET c1 = v.c1, … FROM unnest($1::tid[], $2::bytea[], …) v(id, c1, …)
	set := make([]string, len(cols))
	params := []string{"$1::text[]"}
	names := []string{"id"}
	for i, col := range cols {
		set[i] = fmt.Sprintf("%s = v.%s", col, col)
		params = append(params, fmt.Sprintf("$%d::bytea[]", i+2))
		names = append(names, col)
	}
	q := fmt.Sprintf(`UPDATE %s t SET %s FROM unnest(%s) AS v(%s) WHERE t.ctid = v.id::tid`,
		t.table, strings.Join(set, ", "), strings.Join(params, ", "), strings.Join(names, ", "))
	for start := 0; start < len(ids); start += rekeyBatch {
		end := min(start+rekeyBatch, len(ids))
		args := []any{ids[start:end]}
		for i := range cols {
			args = append(args, vals[i][start:end])
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return 0, 0, err
		}
	}
	return sealed, hashed, nil
}

// Serving counts the connections of serving instances (ServingName) to this database,
// waiting up to wait for them to go (an instance just stopped closes its own).
func (db *DB) Serving(ctx context.Context, wait time.Duration) (int, error) {
	deadline := time.Now().Add(wait)
	for {
		var n int
		err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()`, ServingName).Scan(&n)
		if err != nil || n == 0 || time.Now().After(deadline) {
			return n, wrap(err, "count serving instances")
		}
		select {
		case <-ctx.Done():
			return n, wrap(ctx.Err(), "count serving instances")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// SyncAdmins makes the people in refs (ADMINS) staff and takes the role from those who
// had it by ADMINS and are no longer named there; each grant and revocation is audited.
// Roles given otherwise (source 'app') are left alone, unless the person is named: then
// the role becomes full staff by ADMINS.
func (db *DB) SyncAdmins(ctx context.Context, refs []coopbot.UserRef) error {
	platforms := make([]string, len(refs))
	users := make([]int64, len(refs))
	for i, r := range refs {
		platforms[i], users[i] = string(r.Platform), r.UserID
	}
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		// Instances starting together: one at a time, so each change is audited once.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, operatorLock+1); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			DELETE FROM staff_grants g WHERE NOT EXISTS (
				SELECT 1 FROM unnest($1::text[], $2::bigint[]) AS a(platform, user_id)
				WHERE a.platform = g.platform AND a.user_id = g.user_id)`, platforms, users); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO staff_grants (platform, user_id)
			SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING`, platforms, users); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			WITH revoked AS (
				DELETE FROM staff s USING residents r
				WHERE r.id = s.resident_id AND s.source = 'config'
				  AND NOT EXISTS (SELECT 1 FROM staff_grants g WHERE g.platform = r.platform AND g.user_id = r.user_id)
				RETURNING s.resident_id, s.role, r.platform, r.user_id)
			INSERT INTO audit_log (action, subject, detail)
			SELECT 'staff_revoke', 'resident:' || resident_id,
				jsonb_build_object('source', 'ADMINS', 'ref', platform || ':' || user_id, 'role', role)
			FROM revoked`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			WITH granted AS (
				INSERT INTO staff (resident_id, role, source)
				SELECT r.id, 'staff', 'config' FROM residents r JOIN staff_grants g ON g.platform = r.platform AND g.user_id = r.user_id
				ON CONFLICT (resident_id) DO UPDATE SET role = 'staff', neighborhood_id = NULL, source = 'config'
				WHERE staff.role <> 'staff' OR staff.source <> 'config'
				RETURNING resident_id)
			INSERT INTO audit_log (action, subject, detail)
			SELECT 'staff_grant', 'resident:' || g.resident_id,
				jsonb_build_object('source', 'ADMINS', 'ref', r.platform || ':' || r.user_id)
			FROM granted g JOIN residents r ON r.id = g.resident_id`)
		return err
	})
	return wrap(err, "sync ADMINS")
}

// OnUnreachable sets what to do when a send finds a resident unreachable (blocked the
// bot, chat gone), besides marking them: the wiring forgets their conversation, so that
// their next update, whatever it is, reloads their profile and so clears the mark.
func (db *DB) OnUnreachable(f func(ctx context.Context, p coopbot.Platform, chatID int64)) {
	db.unreachable = f
}

func (db *DB) forgetUnreachable(ctx context.Context, p coopbot.Platform, chatID int64) {
	if db.unreachable != nil && chatID != 0 {
		db.unreachable(ctx, p, chatID)
	}
}
