package postgres_test

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
)

// trainingBundle is a fresh seeded database for one test, opened with a pool of conns.
type trainingBundle struct {
	db    *postgres.DB
	url   string
	nbh   int64 // a neighborhood to hold trainings in
	staff int64 // a member of the office's staff, who edits and cancels them
}

func setupTrainings(tb testing.TB, conns int32) *trainingBundle {
	tb.Helper()
	url := postgrestest.NewURL(tb)
	db := openTrainingDB(tb, url, conns)
	if err := db.Seed(context.Background()); err != nil {
		tb.Fatal(err)
	}
	list, err := db.Neighborhoods(context.Background())
	if err != nil || len(list) == 0 {
		tb.Fatalf("neighborhoods: %v, %v", list, err)
	}
	b := &trainingBundle{db: db, url: url, nbh: list[0].ID}
	b.staff = b.residents(tb, 450000, 1)[0]
	if _, err := db.Pool.Exec(context.Background(), `INSERT INTO staff (resident_id, role) VALUES ($1, 'staff')`, b.staff); err != nil {
		tb.Fatal(err)
	}
	return b
}

func openTrainingDB(tb testing.TB, url string, conns int32) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{Key: postgrestest.Key, Log: slog.New(slog.DiscardHandler), MaxConns: conns})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return db
}

// residents creates n residents and returns their ids in order.
func (b *trainingBundle) residents(tb testing.TB, first, n int) []int64 {
	tb.Helper()
	rows, err := b.db.Pool.Query(context.Background(), `
		INSERT INTO residents (platform, user_id, chat_id, lang, neighborhood_id, name)
		SELECT 'telegram', $1::bigint + g, $1::bigint + g, CASE WHEN g % 2 = 0 THEN 'fa' ELSE 'az' END, $2, 'ساکن ' || g
		FROM generate_series(1, $3::int) g ORDER BY g RETURNING id`, first, b.nbh, n)
	if err != nil {
		tb.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) != n {
		tb.Fatalf("created %d residents: %v", len(ids), err)
	}
	return ids
}

func (b *trainingBundle) training(tb testing.TB, capacity int, start time.Time) *coopbot.Training {
	tb.Helper()
	t := &coopbot.Training{
		NeighborhoodID: b.nbh, TitleFa: "آموزش خیاطی", TitleAz: "تیکیش تعلیمی",
		DescriptionFa: "دوخت و دوز مقدماتی", DescriptionAz: "ایلک تیکیش درسلری",
		VenueName: "مسجد محله", VenueAddress: "کوچهٔ یکم", StartsAt: start,
		Duration: 90 * time.Minute, Capacity: capacity,
	}
	if _, err := b.db.CreateTraining(context.Background(), t); err != nil {
		tb.Fatal(err)
	}
	return t
}

// trSignUpCall is one press of the sign-up button, as the store saw it.
type trSignUpCall struct {
	resident   int64
	e          coopbot.Enrollment
	err        error
	start, end time.Time
}

// TestSeatRace: 1,000 residents sign up at once for 20 seats, one in seven pressing twice.
// Exactly 20 are confirmed, the others wait-listed in arrival order, nobody twice; then
// five cancellations confirm the first five on the wait-list.
func TestSeatRace(t *testing.T) {
	t.Parallel()
	b := setupTrainings(t, 10)
	ctx := context.Background()
	const users, seats = 1000, 20
	ids := b.residents(t, 500000, users)
	tr := b.training(t, seats, time.Now().Add(72*time.Hour))

	var calls []*trSignUpCall
	for i, id := range ids {
		calls = append(calls, &trSignUpCall{resident: id})
		if i%7 == 3 {
			calls = append(calls, &trSignUpCall{resident: id}) // the double press
		}
	}
	go1 := make(chan struct{})
	var wg sync.WaitGroup
	var delay time.Duration
	for i, c := range calls {
		wg.Add(1)
		// Arrivals spread over a second, so that some sign-ups finish before others begin;
		// a double press arrives together with its first press.
		if i == 0 || calls[i-1].resident != c.resident {
			delay = time.Duration(rand.N(1000)) * time.Millisecond
		}
		go func(delay time.Duration) {
			defer wg.Done()
			<-go1
			time.Sleep(delay)
			c.start = time.Now()
			c.e, c.err = b.db.SignUp(ctx, tr.ID, c.resident)
			c.end = time.Now()
		}(delay)
	}
	began := time.Now()
	close(go1)
	wg.Wait()
	t.Logf("%d sign-ups in %v", len(calls), time.Since(began))

	byResident := map[int64][]*trSignUpCall{}
	for _, c := range calls {
		if c.err != nil {
			t.Fatalf("sign-up of resident %d: %v", c.resident, c.err)
		}
		byResident[c.resident] = append(byResident[c.resident], c)
	}
	var first []*trSignUpCall // the call that enrolled each resident
	for r, cs := range byResident {
		fresh := 0
		for _, c := range cs {
			if c.e.ID != cs[0].e.ID {
				t.Fatalf("resident %d got two enrolments: %d and %d", r, c.e.ID, cs[0].e.ID)
			}
			if !c.e.Already {
				fresh++
				first = append(first, c)
			}
		}
		if fresh != 1 {
			t.Fatalf("resident %d: %d presses enrolled, want exactly 1", r, fresh)
		}
	}
	slices.SortFunc(first, func(a, b *trSignUpCall) int { return int(a.e.ID - b.e.ID) })
	for i, c := range first {
		switch {
		case i < seats && c.e.Status != coopbot.EnrollmentConfirmed:
			t.Fatalf("arrival %d (enrolment %d) is %s, want one of the %d seats", i+1, c.e.ID, c.e.Status, seats)
		case i >= seats && (c.e.Status != coopbot.EnrollmentWaitlisted || c.e.Position != i-seats+1):
			t.Fatalf("arrival %d is %s at position %d, want wait-listed at %d", i+1, c.e.Status, c.e.Position, i-seats+1)
		}
	}
	// Arrival order as the residents saw it: whoever was enrolled before another pressed
	// is ahead of them.
	ordered := 0
	for _, a := range first {
		for _, c := range first {
			if a.end.Before(c.start) {
				ordered++
			}
			if a.end.Before(c.start) && a.e.ID > c.e.ID {
				t.Fatalf("enrolment %d was answered before enrolment %d was asked for, yet is behind it", a.e.ID, c.e.ID)
			}
		}
	}
	if ordered == 0 {
		t.Fatal("no sign-up finished before another began: arrival order untested")
	}
	t.Logf("%d pairs of sign-ups one after the other", ordered)
	checkSeats := func(confirmed, waiting int) {
		t.Helper()
		var c, w, twice, taken int
		err := b.db.Pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE status = 'confirmed'), count(*) FILTER (WHERE status = 'waitlisted'),
			(SELECT count(*) FROM (SELECT resident_id FROM training_enrollments WHERE training_id = $1 AND status <> 'cancelled'
				GROUP BY resident_id HAVING count(*) > 1) x),
			(SELECT seats_taken FROM trainings WHERE id = $1)
			FROM training_enrollments WHERE training_id = $1`, tr.ID).Scan(&c, &w, &twice, &taken)
		if err != nil {
			t.Fatal(err)
		}
		if c != confirmed || w != waiting || twice != 0 || taken != confirmed {
			t.Fatalf("confirmed %d, wait-listed %d, residents twice %d, seats_taken %d; want %d, %d, 0, %d", c, w, twice, taken, confirmed, waiting, confirmed)
		}
	}
	checkSeats(seats, users-seats)

	// Five confirmed residents cancel: the first five on the wait-list get their seats and
	// are told, and the wait-list moves up.
	for _, c := range first[3:8] {
		e, err := b.db.CancelEnrollment(ctx, c.resident, c.e.ID)
		if err != nil || e.Status != coopbot.EnrollmentConfirmed || e.Already {
			t.Fatalf("cancel %d: %+v, %v", c.e.ID, e, err)
		}
	}
	checkSeats(seats, users-seats-5)
	for i, c := range first[seats : seats+6] {
		e, err := b.db.ActiveEnrollment(ctx, tr.ID, c.resident)
		if err != nil {
			t.Fatal(err)
		}
		want := coopbot.EnrollmentConfirmed
		if i == 5 {
			want = coopbot.EnrollmentWaitlisted
		}
		if e.Status != want || (i == 5 && e.Position != 1) {
			t.Fatalf("wait-list place %d after five cancellations: %+v, want %s", i+1, e, want)
		}
		if i < 5 {
			if n := trJobCount(t, b.db, c.resident, coopbot.NoticeTrainingPromoted); n != 1 {
				t.Fatalf("wait-list place %d got %d promotion notices, want 1", i+1, n)
			}
			if r := trReminderJobs(t, b.db, c.resident); len(r) != 2 {
				t.Fatalf("wait-list place %d has %d reminders, want 2", i+1, len(r))
			}
		}
	}
}

// trJobCount counts the notify jobs of a resident carrying message id.
func trJobCount(tb testing.TB, db *postgres.DB, resident int64, kind coopbot.NoticeKind) int {
	tb.Helper()
	var n int
	err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'notify'
		AND (args->>'resident_id')::bigint = $1 AND args->'notice'->>'kind' = $2`, resident, kind).Scan(&n)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// trReminderJob is a scheduled reminder as River holds it.
type trReminderJob struct {
	id    int64
	at    time.Time
	state string
	kind  coopbot.NoticeKind
}

func trReminderJobs(tb testing.TB, db *postgres.DB, resident int64) []trReminderJob {
	tb.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT id, scheduled_at, state, args FROM river_job
		WHERE kind = 'notify' AND args->>'check' = 'training_reminder' AND (args->>'resident_id')::bigint = $1
		ORDER BY scheduled_at, id`, resident)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []trReminderJob
	for rows.Next() {
		var j trReminderJob
		var args postgres.NotifyArgs
		var raw []byte
		if err := rows.Scan(&j.id, &j.at, &j.state, &raw); err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(raw, &args); err != nil {
			tb.Fatal(err)
		}
		if len(args.Reply.Text) > 0 {
			tb.Fatalf("reminder job %d carries words: %+v (the store queues a notice, worded when sent)", j.id, args.Reply)
		}
		j.kind = args.Notice.Kind
		out = append(out, j)
	}
	return out
}

// TestReminderInstants: the day before at the same Tehran clock time, and two hours
// before; those already past when the seat is confirmed are not scheduled.
func TestReminderInstants(t *testing.T) {
	t.Parallel()
	b := setupTrainings(t, 4)
	ctx := context.Background()
	ids := b.residents(t, 600000, 3)

	// 15 Farvardin 1410 at 10:00 in Tehran is 06:30 UTC on 4 April 2031.
	start := text.JalaliDate{Year: 1410, Month: 1, Day: 15}.At(10, 0)
	if want := time.Date(2031, 4, 4, 6, 30, 0, 0, time.UTC); !start.Equal(want) {
		t.Fatalf("start = %v, want %v", start.UTC(), want)
	}
	tr := b.training(t, 10, start)
	if _, err := b.db.SignUp(ctx, tr.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	jobs := trReminderJobs(t, b.db, ids[0])
	if len(jobs) != 2 {
		t.Fatalf("reminders = %+v, want 2", jobs)
	}
	for i, want := range []struct {
		at   time.Time
		kind coopbot.NoticeKind
	}{
		{time.Date(2031, 4, 3, 6, 30, 0, 0, time.UTC), coopbot.NoticeTrainingReminderDay},   // 14 Farvardin, 10:00 Tehran
		{time.Date(2031, 4, 4, 4, 30, 0, 0, time.UTC), coopbot.NoticeTrainingReminderHours}, // 15 Farvardin, 08:00 Tehran
	} {
		if !jobs[i].at.Equal(want.at) || jobs[i].kind != want.kind || jobs[i].state != "scheduled" {
			t.Errorf("reminder %d = %v %s %s, want %v %s scheduled", i, jobs[i].at.UTC(), jobs[i].kind, jobs[i].state, want.at, want.kind)
		}
	}
	if got := text.Clock(jobs[0].at) + " " + text.JalaliOf(jobs[0].at).String(); got != "۱۰:۰۰ 1410/01/14" {
		t.Errorf("day-before reminder at %s in Tehran", got)
	}

	// Three hours before the start only the two-hour reminder is ahead; one hour before,
	// none.
	soon := b.training(t, 10, time.Now().Add(3*time.Hour))
	if _, err := b.db.SignUp(ctx, soon.ID, ids[1]); err != nil {
		t.Fatal(err)
	}
	if jobs := trReminderJobs(t, b.db, ids[1]); len(jobs) != 1 || jobs[0].kind != coopbot.NoticeTrainingReminderHours {
		t.Errorf("3 h before: reminders %+v, want only the two-hour one", jobs)
	}
	sooner := b.training(t, 10, time.Now().Add(time.Hour))
	if _, err := b.db.SignUp(ctx, sooner.ID, ids[2]); err != nil {
		t.Fatal(err)
	}
	if jobs := trReminderJobs(t, b.db, ids[2]); len(jobs) != 0 {
		t.Errorf("1 h before: reminders %+v, want none", jobs)
	}
	slots, err := b.db.TrainingReminders(ctx, tr.ID)
	if err != nil || len(slots) != 2 || slots[0].Kind != coopbot.ReminderDayBefore || slots[0].Pending != 1 || !slots[1].At.Equal(jobs[1].at) {
		t.Errorf("reminder slots = %+v, %v", slots, err)
	}
}

// trSent records what a bot instance delivered.
type trSent struct {
	mu   sync.Mutex
	msgs []trSentMsg
}

// kindNotices renders a notice as its kind, for tests that only count what was sent.
type kindNotices struct{}

func (kindNotices) Render(_ context.Context, _ *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	return coopbot.Text(coopbot.M(string(n.Kind))), nil
}

type trSentMsg struct {
	resident int64
	kind     coopbot.NoticeKind
}

func (s *trSent) Send(ctx context.Context, r *coopbot.Resident, reply coopbot.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, trSentMsg{r.ID, coopbot.NoticeKind(reply.Text[0].ID)})
	return nil
}

func (s *trSent) list() []trSentMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// trDueNow moves a scheduled job's time to now, as if the clock had reached it.
func trDueNow(tb testing.TB, db *postgres.DB, jobID int64) {
	tb.Helper()
	if _, err := db.Pool.Exec(context.Background(), `UPDATE river_job SET scheduled_at = now(), state = 'available'
		WHERE id = $1 AND state = 'scheduled'`, jobID); err != nil {
		tb.Fatal(err)
	}
}

// trWaitWorked waits until River has finished the jobs.
func trWaitWorked(tb testing.TB, db *postgres.DB, jobIDs ...int64) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var left int
		if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE id = ANY($1) AND state <> 'completed'`, jobIDs).Scan(&left); err != nil {
			tb.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of jobs %v not worked", left, jobIDs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// trStartInstance is one bot process: its own pool and job client on the shared database.
func trStartInstance(tb testing.TB, url string) (*postgres.DB, *trSent, func()) {
	tb.Helper()
	db := openTrainingDB(tb, url, 4)
	s := &trSent{}
	ctx, cancel := context.WithCancel(context.Background())
	if err := db.StartJobs(ctx, s, kindNotices{}); err != nil {
		tb.Fatal(err)
	}
	return db, s, func() {
		stopCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		if err := db.StopJobs(stopCtx); err != nil {
			tb.Errorf("stop jobs: %v", err)
		}
		cancel()
	}
}

// TestRemindersSurviveRestartAndSendOnce: reminders scheduled by one instance are sent by
// the next one after a restart, once; cancelled enrolments, cancelled trainings and moved
// trainings get no stale reminder.
func TestRemindersSurviveRestartAndSendOnce(t *testing.T) {
	t.Parallel()
	b := setupTrainings(t, 4)
	ctx := context.Background()
	ids := b.residents(t, 700000, 4)
	kept, quitter, moved, dropped := ids[0], ids[1], ids[2], ids[3]

	a, _, stopA := trStartInstance(t, b.url)
	tr := b.training(t, 10, time.Now().Add(5*24*time.Hour))
	other := b.training(t, 10, time.Now().Add(6*24*time.Hour))
	gone := b.training(t, 10, time.Now().Add(7*24*time.Hour))
	for _, s := range []struct {
		training, resident int64
	}{{tr.ID, kept}, {tr.ID, quitter}, {other.ID, moved}, {gone.ID, dropped}} {
		if _, err := a.SignUp(ctx, s.training, s.resident); err != nil {
			t.Fatal(err)
		}
	}
	stopA()

	// Between the restart and the reminders: one resident cancels, one training moves by a
	// day, one is cancelled.
	e, err := b.db.ActiveEnrollment(ctx, tr.ID, quitter)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.CancelEnrollment(ctx, quitter, e.ID); err != nil {
		t.Fatal(err)
	}
	oldMoved := trReminderJobs(t, b.db, moved)
	other.StartsAt = other.StartsAt.Add(24 * time.Hour)
	if n, err := b.db.UpdateTraining(ctx, b.staff, other); err != nil || n != 1 {
		t.Fatalf("move training: %d told, %v", n, err)
	}
	if n, err := b.db.CancelTraining(ctx, b.staff, gone.ID); err != nil || n != 1 {
		t.Fatalf("cancel training: %d told, %v", n, err)
	}
	newMoved := trReminderJobs(t, b.db, moved)[2:]
	if len(newMoved) != 2 || !newMoved[0].at.Equal(oldMoved[0].at.Add(24*time.Hour)) {
		t.Fatalf("reminders after the move: %+v (before: %+v)", newMoved, oldMoved)
	}

	instB, sentB, stopB := trStartInstance(t, b.url)
	var all []int64
	for _, r := range ids {
		for _, j := range trReminderJobs(t, b.db, r) {
			trDueNow(t, b.db, j.id)
			all = append(all, j.id)
		}
	}
	trWaitWorked(t, instB, all...)
	stopB()
	got := sentB.list()
	slices.SortFunc(got, func(x, y trSentMsg) int {
		return cmp.Or(cmp.Compare(x.resident, y.resident), strings.Compare(string(x.kind), string(y.kind)))
	})
	// The notices of the edit and the cancellation were queued while no instance ran:
	// they go out too. Reminders go only to the resident still enrolled and, for the moved
	// training, only those of the new time.
	want := []trSentMsg{
		{kept, coopbot.NoticeTrainingReminderDay}, {kept, coopbot.NoticeTrainingReminderHours},
		{moved, coopbot.NoticeTrainingChanged}, {moved, coopbot.NoticeTrainingReminderDay}, {moved, coopbot.NoticeTrainingReminderHours},
		{dropped, coopbot.NoticeTrainingCancelled},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}

	// Another restart: nothing is sent again.
	_, sentC, stopC := trStartInstance(t, b.url)
	time.Sleep(1500 * time.Millisecond)
	stopC()
	if got := sentC.list(); len(got) != 0 {
		t.Fatalf("after another restart sent %v, want nothing", got)
	}
}

// TestTrainingRules: a second sign-up, closed and cancelled trainings, edits on an old
// revision, capacity below the seats taken, a larger capacity, attendance.
func TestTrainingRules(t *testing.T) {
	t.Parallel()
	b := setupTrainings(t, 4)
	ctx := context.Background()
	ids := b.residents(t, 800000, 4)
	tr := b.training(t, 1, time.Now().Add(48*time.Hour))

	e1, err := b.db.SignUp(ctx, tr.ID, ids[0])
	if err != nil || e1.Status != coopbot.EnrollmentConfirmed || e1.Already {
		t.Fatalf("first sign-up: %+v, %v", e1, err)
	}
	again, err := b.db.SignUp(ctx, tr.ID, ids[0])
	if err != nil || !again.Already || again.ID != e1.ID {
		t.Fatalf("second sign-up: %+v, %v", again, err)
	}
	w1, _ := b.db.SignUp(ctx, tr.ID, ids[1])
	w2, _ := b.db.SignUp(ctx, tr.ID, ids[2])
	if w1.Position != 1 || w2.Position != 2 {
		t.Fatalf("wait-list positions %d, %d", w1.Position, w2.Position)
	}

	// Saving without a change changes nothing and tells nobody.
	if n, err := b.db.UpdateTraining(ctx, b.staff, tr); err != nil || n != 0 || tr.Rev != 1 {
		t.Fatalf("save without a change: %d told, rev %d, %v", n, tr.Rev, err)
	}
	stale := *tr
	tr.Capacity = 0
	if _, err := b.db.UpdateTraining(ctx, b.staff, tr); coopbot.ErrorMsgID(err) != "trainings.edit.capacity_below" {
		t.Fatalf("capacity below the seats taken: %v", err)
	}
	// A larger capacity alone moves the first on the wait-list up (and tells only them).
	tr.Capacity = 2
	if n, err := b.db.UpdateTraining(ctx, b.staff, tr); err != nil || n != 0 || tr.Rev != 1 {
		t.Fatalf("larger capacity: %d told of a change, rev %d, %v", n, tr.Rev, err)
	}
	if trJobCount(t, b.db, ids[1], coopbot.NoticeTrainingPromoted) != 1 || trJobCount(t, b.db, ids[0], coopbot.NoticeTrainingChanged) != 0 {
		t.Fatal("a larger capacity did not tell exactly the resident who moved up")
	}
	// A new venue tells everyone enrolled and moves the revision on.
	tr.VenueName = "سالن تازه"
	if n, err := b.db.UpdateTraining(ctx, b.staff, tr); err != nil || n != 3 || tr.Rev != 2 {
		t.Fatalf("new venue: %d told, rev %d, %v", n, tr.Rev, err)
	}
	if e, _ := b.db.ActiveEnrollment(ctx, tr.ID, ids[1]); e.Status != coopbot.EnrollmentConfirmed {
		t.Fatalf("first on the wait-list after a larger capacity: %+v", e)
	}
	if e, _ := b.db.ActiveEnrollment(ctx, tr.ID, ids[2]); e.Position != 1 {
		t.Fatalf("second on the wait-list after a larger capacity: %+v", e)
	}
	if _, err := b.db.UpdateTraining(ctx, b.staff, &stale); coopbot.ErrorMsgID(err) != "trainings.edit.conflict" {
		t.Fatalf("edit of an old revision: %v", err)
	}

	if err := b.db.SetAttendance(ctx, b.staff, tr.ID, e1.ID, true); coopbot.ErrorMsgID(err) != "trainings.attendance.not_allowed" {
		t.Fatalf("attendance before the start: %v", err)
	}
	if _, err := b.db.Pool.Exec(ctx, `UPDATE trainings SET starts_at = now() - interval '1 minute' WHERE id = $1`, tr.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.SignUp(ctx, tr.ID, ids[3]); coopbot.ErrorMsgID(err) != "training.signup.closed" {
		t.Fatalf("sign-up after the start: %v", err)
	}
	if again, err := b.db.SignUp(ctx, tr.ID, ids[0]); err != nil || !again.Already {
		t.Fatalf("second press after the start: %+v, %v", again, err)
	}
	if _, err := b.db.CancelEnrollment(ctx, ids[0], e1.ID); coopbot.ErrorMsgID(err) != "training.cancel.started" {
		t.Fatalf("cancel after the start: %v", err)
	}
	if _, err := b.db.CancelEnrollment(ctx, ids[1], e1.ID); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Fatalf("cancel someone else's enrolment: %v", err)
	}
	if err := b.db.SetAttendance(ctx, b.staff, tr.ID, e1.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := b.db.SetAttendance(ctx, b.staff, tr.ID, w2.ID, true); coopbot.ErrorMsgID(err) != "trainings.attendance.not_allowed" {
		t.Fatalf("attendance of a wait-listed resident: %v", err)
	}
	list, err := b.db.Enrollees(ctx, tr.ID)
	if err != nil || len(list) != 3 || list[0].Attended == nil || !*list[0].Attended || list[2].Position != 1 {
		t.Fatalf("enrollees = %+v, %v", list, err)
	}

	gone := b.training(t, 5, time.Now().Add(48*time.Hour))
	if _, err := b.db.CancelTraining(ctx, b.staff, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.SignUp(ctx, gone.ID, ids[3]); coopbot.ErrorMsgID(err) != "training.signup.cancelled" {
		t.Fatalf("sign-up for a cancelled training: %v", err)
	}
	if _, err := b.db.CancelTraining(ctx, b.staff, gone.ID); coopbot.ErrorMsgID(err) != "trainings.edit.cancelled" {
		t.Fatalf("cancel twice: %v", err)
	}
}

// BenchmarkSeatRace measures sign-ups per second and their latency when 1,000 residents
// press at once for a training of 20 seats (a pool of 10 connections).
func BenchmarkSeatRace(b *testing.B) {
	tb := setupTrainings(b, 10)
	ctx := context.Background()
	const users = 1000
	ids := tb.residents(b, 900000, users)
	var lat []time.Duration
	var busy time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		tr := tb.training(b, 20, time.Now().Add(72*time.Hour))
		go1 := make(chan struct{})
		times := make([]time.Duration, users)
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-go1
				start := time.Now()
				if _, err := tb.db.SignUp(ctx, tr.ID, id); err != nil {
					b.Error(err)
				}
				times[i] = time.Since(start)
			}()
		}
		b.StartTimer()
		began := time.Now()
		close(go1)
		wg.Wait()
		busy += time.Since(began)
		lat = append(lat, times...)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/busy.Seconds(), "signups/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// TestTrainingStaffRights: the store checks the actor again in the transaction: someone
// who is not staff, or a manager of another neighborhood, cannot create, edit, cancel or
// mark attendance (forbidden with the message to show, audited, nothing changed); the
// training's own neighborhood manager can.
func TestTrainingStaffRights(t *testing.T) {
	t.Parallel()
	b := setupTrainings(t, 4)
	ctx := context.Background()
	ids := b.residents(t, 460000, 3)
	nobody, own, other := ids[0], ids[1], ids[2]
	nbhs, err := b.db.Neighborhoods(ctx)
	if err != nil || len(nbhs) < 2 {
		t.Fatalf("neighborhoods: %v, %v", nbhs, err)
	}
	elsewhere := nbhs[1].ID
	for _, m := range []struct{ id, nbh int64 }{{own, b.nbh}, {other, elsewhere}} {
		if _, err := b.db.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`, m.id, m.nbh); err != nil {
			t.Fatal(err)
		}
	}
	tr := b.training(t, 5, time.Now().Add(48*time.Hour))
	denied := func(what string, err error) {
		t.Helper()
		if coopbot.ErrorCode(err) != coopbot.EForbidden || coopbot.ErrorMsgID(err) != "trainings.denied" {
			t.Errorf("%s: %v, want forbidden with trainings.denied", what, err)
		}
	}
	for _, actor := range []int64{nobody, other} {
		nt := *tr
		nt.ID, nt.CreatedBy = 0, actor
		_, err := b.db.CreateTraining(ctx, &nt)
		denied("create", err)
		edit := *tr
		edit.VenueName = "جای دیگر"
		_, err = b.db.UpdateTraining(ctx, actor, &edit)
		denied("edit", err)
		_, err = b.db.CancelTraining(ctx, actor, tr.ID)
		denied("cancel", err)
		denied("attendance", b.db.SetAttendance(ctx, actor, tr.ID, 1, true))
	}
	var audited int
	if err := b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE NOT allowed AND actor_id = ANY($1)
		AND action IN ('training_create', 'training_edit', 'training_cancel', 'training_attendance')`, []int64{nobody, other}).Scan(&audited); err != nil || audited != 8 {
		t.Fatalf("refusals audited: %d, %v", audited, err)
	}
	if got, err := b.db.Training(ctx, tr.ID); err != nil || got.Status != coopbot.TrainingPublished || got.VenueName != tr.VenueName || got.Rev != tr.Rev {
		t.Fatalf("after the refusals: %+v, %v", got, err)
	}
	var count int
	if err := b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM trainings WHERE created_by = ANY($1)`, []int64{nobody, other}).Scan(&count); err != nil || count != 0 {
		t.Fatalf("trainings created by refused actors: %d, %v", count, err)
	}

	// The manager of the training's neighborhood edits it, but cannot move it to another.
	moved := *tr
	moved.NeighborhoodID = elsewhere
	_, err = b.db.UpdateTraining(ctx, own, &moved)
	denied("move to another neighborhood", err)
	edit := *tr
	edit.VenueName = "سالن محله"
	if _, err := b.db.UpdateTraining(ctx, own, &edit); err != nil {
		t.Fatalf("the neighborhood's manager edits: %v", err)
	}
	if _, err := b.db.CancelTraining(ctx, own, tr.ID); err != nil {
		t.Fatalf("the neighborhood's manager cancels: %v", err)
	}
}

// TestEnrolleesNamedAsTheOfficeKnowsThem: staff lists give the full name a resident wrote
// in their latest membership request, and the messenger's name only when there is none.
func TestEnrolleesNamedAsTheOfficeKnowsThem(t *testing.T) {
	t.Parallel()
	b := setupTrainings(t, 4)
	ctx := context.Background()
	ids := b.residents(t, 470000, 2)
	coops, err := b.db.JoinCooperatives(ctx)
	if err != nil || len(coops) == 0 {
		t.Fatalf("cooperatives: %v, %v", coops, err)
	}
	if _, _, err := b.db.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: coops[0].ID, ResidentID: ids[0],
		FullName: "مریم احمدی", NationalID: "0013542419", Phone: "+989121234567", Share: coops[0].MinShare, Skills: []string{"cooking"}}); err != nil {
		t.Fatal(err)
	}
	tr := b.training(t, 5, time.Now().Add(48*time.Hour))
	for _, id := range ids {
		if _, err := b.db.SignUp(ctx, tr.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	list, err := b.db.Enrollees(ctx, tr.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("enrollees = %+v, %v", list, err)
	}
	if list[0].Name != "مریم احمدی" || list[1].Name != "ساکن 2" {
		t.Fatalf("enrollee names = %q, %q; want the request's full name, then the messenger's", list[0].Name, list[1].Name)
	}
}

// TestTrainingAudienceMigration: a database of before 0010 keeps its notes on who a
// training is for as the Persian text; the demo trainings' notes get their Azeri text and
// notes staff typed get none (they are shown in Persian until staff add it).
func TestTrainingAudienceMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := postgrestest.NewURL(t)
	db := openTrainingDB(t, url, 4)
	if _, err := db.Pool.Exec(ctx, `DELETE FROM schema_migrations WHERE name LIKE '%0010_training_audience.sql';
		ALTER TABLE trainings DROP COLUMN audience_az; ALTER TABLE trainings RENAME COLUMN audience_fa TO audience;
		INSERT INTO residents (platform, user_id, chat_id, lang, name) VALUES ('telegram', 480001, 480001, 'fa', 'کارشناس');
		INSERT INTO neighborhoods (city, name_fa, name_az) VALUES ('تبریز', 'سرخاب', 'سورخاب')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `
		INSERT INTO trainings (neighborhood_id, title_fa, title_az, description_fa, description_az, venue_name, venue_address,
			audience, starts_at, duration_minutes, capacity, created_by)
		SELECT n.id, t.title, t.title, 'شرح', 'آچیقلاما', 'مسجد', 'کوچه', t.audience, now() + interval '3 days', 90, 10, t.creator
		FROM (SELECT id FROM neighborhoods ORDER BY id LIMIT 1) n,
			(VALUES ('نمایشی', 'ساکنان سرخاب و محله‌های اطراف', NULL::bigint),
				('نوشتهٔ کارشناس', 'جوانان جویای کار', (SELECT id FROM residents WHERE user_id = 480001)),
				('برای همه', '', NULL::bigint)) t(title, audience, creator)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT title_fa, audience_fa, audience_az FROM trainings ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([3]string, error) {
		var v [3]string
		err := r.Scan(&v[0], &v[1], &v[2])
		return v, err
	})
	want := [][3]string{
		{"نمایشی", "ساکنان سرخاب و محله‌های اطراف", "سورخاب و یاخین محله‌لرین ساکینلری"},
		{"نوشتهٔ کارشناس", "جوانان جویای کار", ""},
		{"برای همه", "", ""},
	}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("after 0010: %q, %v\nwant %q", got, err, want)
	}
}

// TestSeedTrainingsInBothLanguages: the demo trainings say who they are for in Azeri too.
func TestSeedTrainingsInBothLanguages(t *testing.T) {
	t.Parallel()
	b := setupTrainings(t, 2)
	list, _, err := b.db.UpcomingTrainings(context.Background(), 0, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, tr := range list {
		if tr.AudienceFa == "" {
			continue
		}
		notes++
		if tr.AudienceAz == "" || tr.AudienceAz == tr.AudienceFa {
			t.Errorf("%s: Azeri note %q for %q", tr.TitleFa, tr.AudienceAz, tr.AudienceFa)
		}
	}
	if notes == 0 {
		t.Fatal("no demo training says who it is for")
	}
}
