package postgres_test

import (
	"slices"
	"testing"

	"coopbot"
)

// FindResidents: by a part of the name under the loose key, by phone (the resident's
// own or one of a membership request) and by national ID; office staff see phones and
// everyone, a manager their neighborhood's residents without phones, anyone else is
// refused; an erased resident is no one; the values are never audited.
func TestFindResidents(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	ctx := b.ctx
	applicant := residentAt(t, b.db, 100, b.carpet.NeighborhoodID)
	b.submit(t, applicant, b.carpet.ID) // زهرا احمدی, 0012345679, +989121112233
	shopper := residentAt(t, b.db, 101, b.shop.NeighborhoodID)
	if err := b.db.SetPhone(ctx, shopper, "+989141234567"); err != nil {
		t.Fatal(err)
	}
	gone := residentAt(t, b.db, 102, b.carpet.NeighborhoodID)
	if err := b.db.SetPhone(ctx, gone, "+989130001122"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.EraseResident(ctx, gone); err != nil {
		t.Fatal(err)
	}
	manager := residentAt(t, b.db, 103, b.shop.NeighborhoodID)
	if err := b.db.GrantManager(ctx, b.staff, manager, b.shop.NeighborhoodID); err != nil {
		t.Fatal(err)
	}
	ids := func(list []coopbot.FoundResident) []int64 {
		out := []int64{}
		for _, f := range list {
			out = append(out, f.ResidentID)
		}
		return out
	}
	find := func(actor int64, q coopbot.ResidentQuery, limit int) ([]coopbot.FoundResident, int) {
		t.Helper()
		list, total, err := b.db.FindResidents(ctx, actor, q, limit)
		if err != nil {
			t.Fatalf("find %+v: %v", q, err)
		}
		return list, total
	}

	for _, name := range []string{"احمدي", "زهرااحمدی", "زهرا احمدی"} {
		if list, _ := find(b.staff, coopbot.ResidentQuery{Name: name}, 10); !slices.Equal(ids(list), []int64{applicant}) || list[0].Phone != "+989121112233" || list[0].NeighborhoodID != b.carpet.NeighborhoodID {
			t.Errorf("by name %q: %+v", name, list)
		}
	}
	if list, _ := find(b.staff, coopbot.ResidentQuery{NationalID: "0012345679"}, 10); !slices.Equal(ids(list), []int64{applicant}) {
		t.Errorf("by national ID: %+v", list)
	}
	if list, _ := find(b.staff, coopbot.ResidentQuery{Phone: "+989121112233"}, 10); !slices.Equal(ids(list), []int64{applicant}) {
		t.Errorf("by the phone of a membership request: %+v", list)
	}
	if list, _ := find(b.staff, coopbot.ResidentQuery{Phone: "+989141234567"}, 10); !slices.Equal(ids(list), []int64{shopper}) || list[0].Phone != "+989141234567" {
		t.Errorf("by the resident's phone: %+v", list)
	}
	if list, _ := find(b.staff, coopbot.ResidentQuery{Phone: "+989130001122"}, 10); len(list) != 0 {
		t.Errorf("an erased resident was found: %+v", list)
	}
	// Roles: the office's own, a cooperative admin's, a manager's.
	list, total := find(b.staff, coopbot.ResidentQuery{Name: "R"}, 100)
	roles := map[int64]coopbot.FoundResident{}
	for _, f := range list {
		roles[f.ResidentID] = f
	}
	if roles[b.staff].Role != coopbot.RoleStaff || roles[b.staff].RoleSource != "config" || !slices.Equal(roles[b.admin].AdminOf, []int64{b.carpet.ID}) ||
		roles[manager].ManagerOf != b.shop.NeighborhoodID || roles[shopper].Role != "" || total != len(list) {
		t.Errorf("roles of the found: %+v", list)
	}
	if page, all := find(b.staff, coopbot.ResidentQuery{Name: "R"}, 2); len(page) != 2 || all != total {
		t.Errorf("a limited search: %d of %d, want 2 of %d", len(page), all, total)
	}

	// A manager: their neighborhood only, no phones.
	if list, _ := find(manager, coopbot.ResidentQuery{Phone: "+989121112233"}, 10); len(list) != 0 {
		t.Errorf("a manager found another neighborhood's resident: %+v", list)
	}
	if list, _ := find(manager, coopbot.ResidentQuery{Phone: "+989141234567"}, 10); !slices.Equal(ids(list), []int64{shopper}) || list[0].Phone != "" {
		t.Errorf("a manager's search: %+v", list)
	}
	// No staff role: refused and audited.
	if _, _, err := b.db.FindResidents(ctx, b.admin, coopbot.ResidentQuery{NationalID: "0012345679"}, 10); coopbot.ErrorCode(err) != coopbot.EForbidden {
		t.Errorf("a cooperative admin's search: %v, want forbidden", err)
	}
	if n := b.count(t, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'resident_search' AND NOT allowed AND detail->>'by' = 'national_id'`, b.admin); n != 1 {
		t.Errorf("refused search audited %d times, want 1", n)
	}
	if n := b.count(t, `SELECT count(*) FROM audit_log WHERE action = 'resident_search' AND allowed`); n != 11 {
		t.Errorf("searches audited %d times, want 11", n)
	}
	if n := b.count(t, `SELECT count(*) FROM audit_log WHERE subject || detail::text ~ '0012345679|9121112233|9141234567|احمد'`); n != 0 {
		t.Errorf("%d audit rows hold a searched value", n)
	}
	if _, _, err := b.db.FindResidents(ctx, b.staff, coopbot.ResidentQuery{Name: "،،"}, 10); coopbot.ErrorCode(err) != coopbot.EInvalid {
		t.Errorf("a query of punctuation only: %v, want invalid", err)
	}
}
