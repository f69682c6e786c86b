package flows_test

import (
	"context"
	"testing"
	"time"

	"coopbot"
	"coopbot/text"
)

// TestNeedEscalationReachesManagerThenStaff: an urgent report nobody looked at is
// reminded to the neighborhood's manager, who opens it from the reminder; 48 hours later,
// still untouched, to the office staff (in Azeri); once each.
func TestNeedEscalationReachesManagerThenStaff(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 3302)
	ctx := context.Background()
	mgr := h.User(3301)
	mgr.Onboard("سرخاب")
	staff := h.User(3302).Speaks(coopbot.Azeri)
	staff.Onboard("سرخاب")
	res := h.User(3303)
	res.Onboard("سرخاب")
	nbh := needNeighborhood(t, h, "سرخاب")
	if _, err := h.DB.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`,
		needResident(t, h, mgr), nbh.ID); err != nil {
		t.Fatal(err)
	}
	mgr.Send("/menu")
	mgr.Sees("menu.title")

	code := needQuickReport(t, res, "need.cat.health", "need.urgency.urgent", "داروی مادرم تمام شده")
	h.Idle()
	mgr.Sees("needs.alert.new", "Code", text.FaDigits(code), "NameFa", nbh.NameFa, "CatFa", mgr.Text("need.cat.health"), "UrgFa", mgr.Text("need.urgency.urgent"))
	// A Wednesday morning in Tehran, 50 hours after the report.
	now := time.Date(2026, time.November, 25, 10, 0, 0, 0, text.Tehran)
	if _, err := h.DB.Pool.Exec(ctx, `UPDATE need_reports SET created_at = $2 WHERE code = $1`, code, now.Add(-50*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := h.DB.EscalateNeeds(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	h.Idle()
	mgr.Sees("needs.escalate.managers", "Code", text.FaDigits(code), "Neighborhood", text.Isolate(nbh.NameFa),
		"Category", coopbot.M("need.cat.health"), "Hours", text.Number(50))
	mgr.Press("needs.escalate.open")
	mgr.SeesText(text.FaDigits(code))

	later := now.Add(48 * time.Hour) // Friday: waits for Saturday
	if n, err := h.DB.EscalateNeeds(ctx, later); err != nil || n != 0 {
		t.Fatalf("on Friday: %d reminders, %v; want none", n, err)
	}
	saturday := time.Date(2026, time.November, 28, 8, 0, 0, 0, text.Tehran)
	for range 2 {
		if _, err := h.DB.EscalateNeeds(ctx, saturday); err != nil {
			t.Fatal(err)
		}
	}
	h.Idle()
	staff.Sees("needs.escalate.staff", "Code", text.FaDigits(code), "Neighborhood", text.Isolate(nbh.Name(coopbot.Azeri)),
		"Category", coopbot.M("need.cat.health"), "Hours", text.Number(120))
	staff.Press("needs.escalate.open")
	staff.SeesText(text.FaDigits(code))

	var reminders int
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'notify' AND args->'notice'->>'kind' = 'need_escalation'`).Scan(&reminders); err != nil || reminders != 2 {
		t.Fatalf("escalation reminders queued = %d, %v; want 2 (manager, then staff)", reminders, err)
	}
}
