package postgres_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"coopbot"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
)

var otherKey = []byte("another-32-byte-key-for-rekeying")

func openWith(t *testing.T, url string, key []byte) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{Key: key, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// dump is every row of every table of the database (River's included), as text.
func dump(t *testing.T, db *postgres.DB) string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		tables = append(tables, s)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		var s string
		if err := db.Pool.QueryRow(ctx, `SELECT COALESCE(string_agg(to_jsonb(t)::text, E'\n' ORDER BY to_jsonb(t)::text), '') FROM "`+table+`" t`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		b.WriteString(table + ":\n" + s + "\n")
	}
	return b.String()
}

// Every bytea column of the schema is either re-sealed/re-hashed by a rekey or known to
// hold no sealed value, and every column the rekey names exists: a new sealed column
// cannot be forgotten by `coopbot rekey`.
func TestSealedColumnsCoverTheSchema(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t)
	rows, err := db.Pool.Query(context.Background(), `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type = 'bytea' AND table_name NOT LIKE 'river%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var schema []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		schema = append(schema, s)
	}
	rows.Close()
	rekeyed, other := postgres.ProtectedColumns()
	for _, c := range schema {
		if !slices.Contains(rekeyed, c) && !slices.Contains(other, c) {
			t.Errorf("bytea column %s is neither re-sealed by rekey (sealedTables) nor listed in unsealedBytea", c)
		}
	}
	for _, c := range append(rekeyed, other...) {
		table, _, _ := strings.Cut(c, ".")
		var exists bool
		db.Pool.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, "public."+table).Scan(&exists)
		if exists && !slices.Contains(schema, c) {
			t.Errorf("rekey names %s, which is no bytea column of the schema", c)
		}
	}
	if len(schema) < 8 {
		t.Fatalf("bytea columns found: %v", schema)
	}
}

// A wrong data key is refused at start, before anything is written; the first start
// records the key's check value, but only when the data already stored opens with it.
func TestPrepareRefusesAWrongKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := postgrestest.NewURL(t)
	a := openWith(t, url, postgrestest.Key)
	if err := a.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	// Data written before check values existed: no check value yet.
	if _, err := a.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: 10, ChatID: 10, Lang: coopbot.Persian, Phone: "+989121112233"}); err != nil {
		t.Fatal(err)
	}
	acct := []postgres.Account{{Platform: coopbot.Telegram, ID: "77"}}
	b := openWith(t, url, otherKey)
	before := dump(t, b)
	var ke *postgres.KeyError
	if err := b.Prepare(ctx, acct); !errors.As(err, &ke) || !ke.Existing {
		t.Fatalf("first start with a key that does not open the stored data: %v, want a KeyError", err)
	}
	if after := dump(t, b); after != before {
		t.Fatalf("a refused start wrote to the database:\nbefore %s\nafter %s", before, after)
	}
	if err := a.Prepare(ctx, acct); err != nil {
		t.Fatalf("the right key: %v", err)
	}
	before = dump(t, b)
	if err := b.Prepare(ctx, acct); !errors.As(err, &ke) || ke.Existing {
		t.Fatalf("a wrong key against the check value: %v, want a KeyError", err)
	}
	if strings.Contains(ke.Error(), string(otherKey)) {
		t.Fatal("the error names the key")
	}
	if after := dump(t, b); after != before {
		t.Fatalf("a refused start wrote to the database:\nbefore %s\nafter %s", before, after)
	}
	if err := a.Prepare(ctx, acct); err != nil {
		t.Fatalf("the right key again: %v", err)
	}
}

// The emulator never runs on a database a real bot has served (nor on one with residents
// from before accounts were recorded), and a real bot never on the emulator's; a refusal
// writes nothing.
func TestPrepareKeepsEmulatorAndRealBotsApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emulator := postgres.Account{Platform: coopbot.Telegram, ID: "emulator", Emulator: true}
	telegram := postgres.Account{Platform: coopbot.Telegram, ID: "123"}
	bale := postgres.Account{Platform: coopbot.Bale, ID: "456"}
	refused := func(t *testing.T, db *postgres.DB, a postgres.Account, wantEmulator bool) {
		t.Helper()
		before := dump(t, db)
		var ae *postgres.AccountError
		err := db.Prepare(ctx, []postgres.Account{a})
		if !errors.As(err, &ae) || ae.Emulator != wantEmulator || strings.Contains(err.Error(), "\n") {
			t.Fatalf("%v on this database: %v, want a one-line AccountError", a, err)
		}
		if after := dump(t, db); after != before {
			t.Fatalf("a refused start wrote to the database:\nbefore %s\nafter %s", before, after)
		}
	}

	real := postgrestest.New(t)
	if err := real.Prepare(ctx, []postgres.Account{telegram, bale}); err != nil {
		t.Fatal(err)
	}
	if err := real.Prepare(ctx, []postgres.Account{telegram}); err != nil {
		t.Fatalf("the same bot again: %v", err)
	}
	refused(t, real, emulator, true)

	dev := postgrestest.New(t)
	if err := dev.Prepare(ctx, []postgres.Account{emulator}); err != nil {
		t.Fatal(err)
	}
	if err := dev.Prepare(ctx, []postgres.Account{emulator}); err != nil {
		t.Fatalf("the emulator again: %v", err)
	}
	refused(t, dev, telegram, false)

	// A database that had residents when accounts began to be recorded.
	url := postgrestest.NewURL(t)
	old := openWith(t, url, postgrestest.Key)
	if _, err := old.Pool.Exec(ctx, `DELETE FROM schema_migrations WHERE name LIKE '%0007_operator.sql';
		DROP TABLE meta, bot_accounts; ALTER TABLE staff DROP COLUMN source`); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Pool.Exec(ctx, `INSERT INTO residents (platform, user_id, chat_id, lang) VALUES ('telegram', 5, 5, 'fa')`); err != nil {
		t.Fatal(err)
	}
	if err := old.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	refused(t, old, emulator, true)
	if err := old.Prepare(ctx, []postgres.Account{telegram}); err != nil {
		t.Fatalf("a real bot on its own older database: %v", err)
	}
}

func lookupHash(key []byte, plain string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("coopbot lookup hash"))
	h := hmac.New(sha256.New, m.Sum(nil))
	h.Write([]byte(plain))
	return h.Sum(nil)
}

// Rekey: everything sealed under the old key opens under the new one, the lookup hashes
// are the new key's, the old key is refused afterwards, unused invite codes are void.
func TestRekey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := postgrestest.NewURL(t)
	a := openWith(t, url, postgrestest.Key)
	if err := a.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	acct := []postgres.Account{{Platform: coopbot.Telegram, ID: "77"}}
	if err := a.Prepare(ctx, acct); err != nil {
		t.Fatal(err)
	}
	coops, err := a.JoinCooperatives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const phone, nid = "+989141234567", "0012345679"
	resident, err := a.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: 20, ChatID: 20, Lang: coopbot.Persian, Phone: phone, NeighborhoodID: coops[0].NeighborhoodID})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.GrantStaff(ctx, []coopbot.UserRef{{Platform: coopbot.Telegram, UserID: 21}}); err != nil {
		t.Fatal(err)
	}
	staffID, err := a.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: 21, ChatID: 21, Lang: coopbot.Persian})
	if err != nil {
		t.Fatal(err)
	}
	reqID, _, err := a.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: coops[0].ID, ResidentID: resident,
		FullName: "زهرا احمدی", NationalID: nid, Phone: phone, Share: coops[0].MinShare})
	if err != nil {
		t.Fatal(err)
	}
	need := &coopbot.NeedReport{ResidentID: resident, SubmitKey: "k", Category: "housing", Household: 2, Urgency: coopbot.NeedUrgent,
		Description: "اجاره عقب افتاده", Address: "کوچهٔ گلستان", HasLocation: true, Lat: 38.08, Lon: 46.29}
	if err := a.CreateNeedReport(ctx, need); err != nil {
		t.Fatal(err)
	}
	code, _, err := a.CreateCoopInvite(ctx, staffID, coops[0].ID)
	if err != nil {
		t.Fatal(err)
	}

	st, err := a.Rekey(ctx, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	// phone (resident), national ID and phone (request), description, address, location.
	if st.Sealed != 6 || st.Hashes != 3 || st.Invites != 1 {
		t.Fatalf("rekey stats %+v, want 6 sealed, 3 hashes, 1 invite", st)
	}
	var ke *postgres.KeyError
	if err := a.Prepare(ctx, acct); !errors.As(err, &ke) {
		t.Fatalf("the old key after a rekey: %v, want a KeyError", err)
	}
	b := openWith(t, url, otherKey)
	if err := b.Prepare(ctx, acct); err != nil {
		t.Fatalf("the new key: %v", err)
	}
	p, err := b.Profile(ctx, coopbot.UserRef{Platform: coopbot.Telegram, UserID: 20})
	if err != nil || p.Phone != phone {
		t.Fatalf("profile under the new key: %+v, %v", p, err)
	}
	r, err := b.JoinRequest(ctx, reqID)
	if err != nil || r.NationalID != nid || r.Phone != phone {
		t.Fatalf("join request under the new key: %+v, %v", r, err)
	}
	s, err := b.Staff(ctx, staffID)
	if err != nil || s == nil {
		t.Fatalf("staff: %v %v", s, err)
	}
	got, err := b.FindNeedReport(ctx, s, need.Code)
	if err != nil || got.Description != need.Description || got.Address != need.Address || got.Lat != need.Lat || got.ReporterPhone != phone {
		t.Fatalf("need report under the new key: %+v, %v", got, err)
	}
	for _, c := range []struct{ q, plain string }{
		{`SELECT phone_hash FROM residents WHERE id = $1`, phone},
		{`SELECT national_id_hash FROM join_requests WHERE resident_id = $1`, nid},
		{`SELECT phone_hash FROM join_requests WHERE resident_id = $1`, phone},
	} {
		var h []byte
		if err := b.Pool.QueryRow(ctx, c.q, resident).Scan(&h); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(h, lookupHash(otherKey, c.plain)) {
			t.Errorf("%s: not the new key's hash", c.q)
		}
	}
	if _, _, err := b.RedeemCoopInvite(ctx, resident, code); err == nil {
		t.Error("an invite code made before the rekey still works")
	}
	if d := dump(t, b); strings.Contains(d, nid) || strings.Contains(d, "9141234567") || strings.Contains(d, "گلستان") {
		t.Error("personal data in plain text after the rekey")
	}
	var audited int
	b.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'data_rekey'`).Scan(&audited)
	if audited != 1 {
		t.Errorf("rekey audited %d times", audited)
	}
	// A rekey under a key that is not the database's changes nothing.
	if _, err := a.Rekey(ctx, []byte("yet-another-32-byte-key-12345678")); !errors.As(err, &ke) {
		t.Fatalf("rekey with the old key: %v, want a KeyError", err)
	}
}

// ADMINS: the people named become staff, those no longer named lose the role they had by
// ADMINS, roles given otherwise stay; every change is audited once.
func TestSyncAdmins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.NewSeeded(t)
	ref := func(id int64) coopbot.UserRef { return coopbot.UserRef{Platform: coopbot.Telegram, UserID: id} }
	res := func(id int64) int64 {
		r, err := db.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: id, ChatID: id, Lang: coopbot.Persian})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	one, two, manager := res(1), res(2), res(3)
	nbhs, _ := db.Neighborhoods(ctx)
	if _, err := db.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`, manager, nbhs[0].ID); err != nil {
		t.Fatal(err)
	}
	role := func(id int64) coopbot.Role {
		s, err := db.Staff(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s == nil {
			return ""
		}
		return s.Role
	}
	audits := func(action string, id int64) int {
		var n int
		db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = $1 AND subject = 'resident:' || $2::bigint AND actor_id IS NULL`, action, id).Scan(&n)
		return n
	}
	if err := db.SyncAdmins(ctx, []coopbot.UserRef{ref(1), ref(2), ref(4)}); err != nil {
		t.Fatal(err)
	}
	if role(one) != coopbot.RoleStaff || role(two) != coopbot.RoleStaff || audits("staff_grant", one) != 1 {
		t.Fatalf("after granting: %q %q, %d grants audited", role(one), role(two), audits("staff_grant", one))
	}
	four := res(4) // named before onboarding: staff when they finish it
	if role(four) != coopbot.RoleStaff || audits("staff_grant", four) != 1 {
		t.Fatalf("named before onboarding: %q, %d audited", role(four), audits("staff_grant", four))
	}
	if err := db.SyncAdmins(ctx, []coopbot.UserRef{ref(1), ref(2), ref(4)}); err != nil {
		t.Fatal(err)
	}
	if audits("staff_grant", one) != 1 {
		t.Fatal("an unchanged ADMINS audited again")
	}
	if err := db.SyncAdmins(ctx, []coopbot.UserRef{ref(2)}); err != nil {
		t.Fatal(err)
	}
	if role(one) != "" || role(four) != "" || role(two) != coopbot.RoleStaff || role(manager) != coopbot.RoleNeighborhoodManager {
		t.Fatalf("after removing 1 and 4: %q %q %q %q", role(one), role(four), role(two), role(manager))
	}
	if audits("staff_revoke", one) != 1 || audits("staff_revoke", four) != 1 || audits("staff_revoke", two) != 0 {
		t.Fatalf("revocations audited: %d %d %d", audits("staff_revoke", one), audits("staff_revoke", four), audits("staff_revoke", two))
	}
	// Onboarding again does not bring the role back.
	res(1)
	if role(one) != "" {
		t.Fatal("a removed admin became staff again by onboarding")
	}
	if err := db.SyncAdmins(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if role(two) != "" || role(manager) != coopbot.RoleNeighborhoodManager {
		t.Fatalf("ADMINS emptied: %q %q", role(two), role(manager))
	}
}

// A resident marked unreachable is reachable again when their profile is loaded (they
// wrote), and when a later send reaches them.
func TestProfileClearsTheUnreachableMark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.NewSeeded(t)
	id, err := db.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: 30, ChatID: 30, Lang: coopbot.Persian})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.MarkUnreachable(ctx, id); err != nil {
		t.Fatal(err)
	}
	if r, _ := db.Resident(ctx, id); !r.Unreachable {
		t.Fatal("not marked")
	}
	if _, err := db.Profile(ctx, coopbot.UserRef{Platform: coopbot.Telegram, UserID: 30}); err != nil {
		t.Fatal(err)
	}
	if r, _ := db.Resident(ctx, id); r.Unreachable {
		t.Fatal("still unreachable after their profile was loaded")
	}
}
