package postgres_test

import (
	"sync"
	"testing"

	"coopbot"
)

// A form key used again by its author, also at the same moment, creates nothing: the
// first broadcast's id and count come back with a conflict; another author's same key is
// theirs alone; no key at all (the chat) never conflicts.
func TestBroadcastKeyCreatesOnce(t *testing.T) {
	t.Parallel()
	b := newStore(t)
	b.residents(60_000, 60_009)
	nb := coopbot.NewBroadcast{CreatedBy: b.staff, Audience: coopbot.Audience{Kind: coopbot.AudienceAll}, TextFa: textFa, TextAz: textAz,
		Progress: coopbot.ProgressMessage{Platform: coopbot.Telegram, ChatID: staffChat, Lang: coopbot.Persian}, Key: "k1"}
	type result struct {
		id    int64
		total int
		err   error
	}
	results := make([]result, 4)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, total, err := b.db.CreateBroadcast(b.ctx, nb)
			results[i] = result{id, total, err}
		}()
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		switch {
		case r.err == nil:
			created++
		case coopbot.ErrorCode(r.err) != coopbot.EConflict || coopbot.ErrorMsgID(r.err) != "console.broadcasts.sent_already":
			t.Fatalf("a repeated key: %v", r.err)
		}
		if r.id != results[0].id || r.total != 10 {
			t.Fatalf("results %+v: want one broadcast of 10 for every call", results)
		}
	}
	if created != 1 {
		t.Fatalf("%d calls created the broadcast, want 1", created)
	}
	var n int
	if err := b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM deliveries`).Scan(&n); err != nil || n != 10 {
		t.Fatalf("%d deliveries (%v), want 10", n, err)
	}
	// No key: the chat's confirms, each its own broadcast.
	nb.Key = ""
	for range 2 {
		if _, _, err := b.db.CreateBroadcast(b.ctx, nb); err != nil {
			t.Fatal(err)
		}
	}
	// Another author with the same key.
	var other int64
	if err := b.db.Pool.QueryRow(b.ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name, unreachable_at)
		VALUES ('telegram', 2, 2, 'fa', 'other staff', now()) RETURNING id`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	nb.Key, nb.CreatedBy = "k1", other
	if _, _, err := b.db.CreateBroadcast(b.ctx, nb); err != nil {
		t.Fatalf("another author's key: %v", err)
	}
	if err := b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM broadcasts`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("%d broadcasts (%v), want 4", n, err)
	}
}

// The history is newest first with each broadcast's counts; a neighborhood manager's holds
// the broadcasts to their one neighborhood only, and one outside it is not found.
func TestBroadcastHistoryScope(t *testing.T) {
	t.Parallel()
	b := newStore(t)
	var n1, n2 int64
	if err := b.db.Pool.QueryRow(b.ctx, `WITH n AS (INSERT INTO neighborhoods (city, name_fa, name_az)
		VALUES ('تبریز', 'سرخاب', 'سورخاب'), ('تبریز', 'مارالان', 'مارالان') RETURNING id) SELECT min(id), max(id) FROM n`).Scan(&n1, &n2); err != nil {
		t.Fatal(err)
	}
	first := b.residents(61_000, 61_004)
	if _, err := b.db.Pool.Exec(b.ctx, `UPDATE residents SET neighborhood_id = CASE WHEN id < $1::bigint + 3 THEN $2::bigint ELSE $3::bigint END WHERE id >= $1`, first, n1, n2); err != nil {
		t.Fatal(err)
	}
	one, _ := b.broadcast(coopbot.Audience{Kind: coopbot.AudienceNeighborhoods, IDs: []int64{n1}})
	two, _ := b.broadcast(coopbot.Audience{Kind: coopbot.AudienceNeighborhoods, IDs: []int64{n2}})
	all, _ := b.broadcast(coopbot.Audience{Kind: coopbot.AudienceAll})
	if _, err := b.db.CancelBroadcast(b.ctx, all, b.staff); err != nil {
		t.Fatal(err)
	}

	office := &coopbot.Staff{ResidentID: b.staff, Role: coopbot.RoleStaff}
	list, total, err := b.db.BroadcastHistory(b.ctx, office, 0, 2)
	if err != nil || total != 3 || len(list) != 2 || list[0].ID != all || list[1].ID != two {
		t.Fatalf("office history: %d of %d %+v, %v", len(list), total, list, err)
	}
	if c := list[0]; c.Status != coopbot.BroadcastCancelled || c.Cancelled != 5 || c.Total != 5 || c.AuthorName != "staff" || c.Audience.Kind != coopbot.AudienceAll {
		t.Errorf("the cancelled broadcast: %+v", c)
	}
	if c := list[1]; c.Pending != 2 || c.NeighborhoodID != n2 || c.TextFa != textFa {
		t.Errorf("the running broadcast: %+v", c)
	}
	mgr := &coopbot.Staff{ResidentID: b.staff, Role: coopbot.RoleNeighborhoodManager, NeighborhoodID: n1}
	list, total, err = b.db.BroadcastHistory(b.ctx, mgr, 0, 10)
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != one || list[0].Pending != 3 {
		t.Fatalf("manager's history: %+v (%d), %v", list, total, err)
	}
	if _, err := b.db.BroadcastSummary(b.ctx, mgr, two); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Errorf("another neighborhood's broadcast for a manager: %v, want not_found", err)
	}
	if s, err := b.db.BroadcastSummary(b.ctx, mgr, one); err != nil || s.ID != one {
		t.Errorf("own neighborhood's broadcast: %+v, %v", s, err)
	}
	if _, _, err := b.db.BroadcastHistory(b.ctx, nil, 0, 10); coopbot.ErrorCode(err) != coopbot.EForbidden {
		t.Errorf("history without a staff role: %v, want forbidden", err)
	}
}
