package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"coopbot/postgres"
	"coopbot/text"
)

// tehran is a wall-clock time in Tehran.
func tehran(day, hour, minute int) time.Time {
	return time.Date(2026, time.November, day, hour, minute, 0, 0, text.Tehran)
}

func TestEscalationWorkingHours(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{tehran(28, 8, 0), true},   // Saturday opening
		{tehran(28, 7, 59), false}, // before it
		{tehran(25, 15, 59), true}, // Wednesday
		{tehran(25, 16, 0), false}, // Wednesday closing
		{tehran(26, 12, 59), true}, // Thursday morning
		{tehran(26, 13, 0), false}, // Thursday afternoon
		{tehran(27, 10, 0), false}, // Friday
	} {
		if got := postgres.WorkingHour(c.at); got != c.want {
			t.Errorf("%s %s: working hour %v, want %v", c.at.Weekday(), c.at.Format("15:04"), got, c.want)
		}
	}
}

// escalations counts the reminders queued about report id at level to resident.
func (b *needBundle) escalations(t *testing.T, resident, id int64, level int) int {
	t.Helper()
	var n int
	err := b.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'notify'
		AND (args->>'resident_id')::bigint = $1 AND args->'notice'->>'kind' = 'need_escalation'
		AND (args->'notice'->>'id')::bigint = $2 AND (args->'notice'->'n'->>0)::int = $3`, resident, id, level).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (b *needBundle) escalate(t *testing.T, now time.Time) int {
	t.Helper()
	n, err := b.db.EscalateNeeds(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (b *needBundle) createdAt(t *testing.T, id int64, at time.Time) {
	t.Helper()
	if _, err := b.db.Pool.Exec(context.Background(), `UPDATE need_reports SET created_at = $2 WHERE id = $1`, id, at); err != nil {
		t.Fatal(err)
	}
}

// TestEscalateNeeds: an urgent report left at "received" 48 hours is reminded to its
// neighborhood's manager once, 48 hours later to the office staff once, however often
// and by however many instances the job runs; reports moved on or not urgent never are.
func TestEscalateNeeds(t *testing.T) {
	ctx := context.Background()
	b := needSetup(t)
	res := b.resident(b.nbhA)
	urgent := b.report(t, res, "health", 1, "urgent")
	normal := b.report(t, res, "food", 3, "normal")
	moved := b.report(t, res, "housing", 1, "moved")
	submitted := tehran(28, 10, 0) // Saturday
	for _, r := range []int64{urgent.ID, normal.ID, moved.ID} {
		b.createdAt(t, r, submitted)
	}
	if _, err := b.db.Pool.Exec(ctx, `UPDATE need_reports SET status = 'reviewing' WHERE id = $1`, moved.ID); err != nil {
		t.Fatal(err)
	}
	mgr, staff := b.manager.ResidentID, b.staff.ResidentID

	if n := b.escalate(t, submitted.Add(47*time.Hour)); n != 0 {
		t.Fatalf("after 47 hours: %d reminders, want none", n)
	}
	first := submitted.Add(49 * time.Hour) // Monday 11:00
	if n := b.escalate(t, first); n != 1 {
		t.Fatalf("after 49 hours: %d reminders, want 1", n)
	}
	if n := b.escalate(t, first.Add(time.Minute)); n != 0 {
		t.Fatalf("run again: %d reminders, want none", n)
	}
	if got := b.escalations(t, mgr, urgent.ID, 1); got != 1 {
		t.Errorf("manager has %d first reminders, want 1", got)
	}
	if got := b.escalations(t, staff, urgent.ID, 1) + b.escalations(t, staff, urgent.ID, 2); got != 0 {
		t.Errorf("staff reminded %d times before the second interval, want none", got)
	}

	if n := b.escalate(t, first.Add(47*time.Hour)); n != 0 {
		t.Fatalf("47 hours after the first reminder: %d reminders, want none", n)
	}
	// Two instances at once: one of them sends it.
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := b.db.EscalateNeeds(ctx, first.Add(48*time.Hour))
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != 1 {
		t.Fatalf("two instances sent %v reminders, want 1 in all", counts)
	}
	if n := b.escalate(t, first.Add(100*time.Hour)); n != 0 {
		t.Fatalf("later: %d reminders, want none", n)
	}
	if got := b.escalations(t, staff, urgent.ID, 2); got != 1 {
		t.Errorf("staff have %d second reminders, want 1", got)
	}
	if got := b.escalations(t, mgr, urgent.ID, 1) + b.escalations(t, mgr, urgent.ID, 2); got != 1 {
		t.Errorf("manager reminded %d times in all, want 1", got)
	}
	for _, r := range []int64{normal.ID, moved.ID} {
		for _, who := range []int64{mgr, staff} {
			if got := b.escalations(t, who, r, 1) + b.escalations(t, who, r, 2); got != 0 {
				t.Errorf("report %d (not urgent or moved) reminded %d times to %d", r, got, who)
			}
		}
	}
}

// TestEscalateNeedsWaitsForWorkingHours: a reminder due on a Friday or a Thursday
// afternoon goes out at Saturday 8:00.
func TestEscalateNeedsWaitsForWorkingHours(t *testing.T) {
	b := needSetup(t)
	res := b.resident(b.nbhA)
	friday := b.report(t, res, "health", 1, "friday")
	b.createdAt(t, friday.ID, tehran(25, 10, 0)) // Wednesday: due Friday 10:00
	thursday := b.report(t, res, "debt", 1, "thursday")
	b.createdAt(t, thursday.ID, tehran(24, 14, 0)) // Tuesday: due Thursday 14:00
	mgr := b.manager.ResidentID

	for _, at := range []time.Time{tehran(26, 14, 0), tehran(26, 15, 30), tehran(27, 10, 0), tehran(27, 23, 0), tehran(28, 7, 45)} {
		if n := b.escalate(t, at); n != 0 {
			t.Fatalf("%s %s: %d reminders, want none outside working hours", at.Weekday(), at.Format("15:04"), n)
		}
	}
	if n := b.escalate(t, tehran(28, 8, 0)); n != 2 {
		t.Fatalf("Saturday 8:00: %d reminders, want 2", n)
	}
	for _, r := range []int64{friday.ID, thursday.ID} {
		if got := b.escalations(t, mgr, r, 1); got != 1 {
			t.Errorf("report %d: manager has %d reminders, want 1", r, got)
		}
	}
}
