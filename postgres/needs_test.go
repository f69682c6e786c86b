package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"

	"github.com/jackc/pgx/v5"
)

// needBundle is a seeded database with two neighborhoods, residents in each, an office
// staff member and the manager of the first neighborhood.
type needBundle struct {
	db       *postgres.DB
	nbhA     int64 // سرخاب
	nbhB     int64 // ولیعصر
	staff    *coopbot.Staff
	manager  *coopbot.Staff // of nbhA
	resident func(nbh int64) int64
}

func needSetup(t *testing.T) *needBundle {
	t.Helper()
	ctx := context.Background()
	db := postgrestest.NewSeeded(t)
	b := &needBundle{db: db}
	all, err := db.Neighborhoods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range all {
		switch n.NameFa {
		case "سرخاب":
			b.nbhA = n.ID
		case "ولیعصر":
			b.nbhB = n.ID
		}
	}
	next := int64(5000)
	b.resident = func(nbh int64) int64 {
		t.Helper()
		next++
		id, err := db.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: next, ChatID: next, Lang: coopbot.Persian, NeighborhoodID: nbh, Name: fmt.Sprintf("ساکن %d", next), Phone: "+989121234567"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	staffID, managerID := b.resident(b.nbhA), b.resident(b.nbhA)
	if _, err := db.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role) VALUES ($1, 'staff')`, staffID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`, managerID, b.nbhA); err != nil {
		t.Fatal(err)
	}
	if b.staff, err = db.Staff(ctx, staffID); err != nil {
		t.Fatal(err)
	}
	if b.manager, err = db.Staff(ctx, managerID); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *needBundle) report(t *testing.T, resident int64, cat coopbot.NeedCategory, urgency coopbot.NeedUrgency, key string) *coopbot.NeedReport {
	t.Helper()
	r := &coopbot.NeedReport{ResidentID: resident, SubmitKey: key, Category: cat, Household: 4, Urgency: urgency,
		Description: "نیاز به کار برای " + key}
	if err := b.db.CreateNeedReport(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func notifyJobs(t *testing.T, db *postgres.DB, residentID int64) int {
	t.Helper()
	var n int
	err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'notify' AND (args->>'resident_id')::bigint = $1`, residentID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// notices returns the notices queued for a resident, oldest first.
func notices(t *testing.T, db *postgres.DB, residentID int64) []coopbot.Notice {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT args->'notice' FROM river_job
		WHERE kind = 'notify' AND (args->>'resident_id')::bigint = $1 ORDER BY id`, residentID)
	if err != nil {
		t.Fatal(err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[coopbot.Notice])
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestNeedReportCreateIsIdempotentAndSealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := needSetup(t)
	res := b.resident(b.nbhB)
	r := &coopbot.NeedReport{ResidentID: res, SubmitKey: "k1", Category: "housing", Household: 3, Urgency: coopbot.NeedUrgent,
		Description: "اجارهٔ خانه عقب افتاده\nصاحبخانه فشار می‌آورد", Address: "کوچهٔ گلستان، پلاک ۱۲", HasLocation: true, Lat: 38.08, Lon: 46.29}
	if err := b.db.CreateNeedReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	if len(r.Code) != 6 || r.Code[0] == '0' || r.Status != coopbot.NeedReceived || r.NeighborhoodID != b.nbhB {
		t.Fatalf("created report = %+v", r)
	}
	// The same submission again (a retried update) finds the first report.
	again := &coopbot.NeedReport{ResidentID: res, SubmitKey: "k1", Category: "housing", Household: 3, Urgency: 1, Description: "دوباره"}
	if err := b.db.CreateNeedReport(ctx, again); err != nil {
		t.Fatal(err)
	}
	if again.ID != r.ID || again.Code != r.Code {
		t.Fatalf("second submit: id %d code %s, want %d %s", again.ID, again.Code, r.ID, r.Code)
	}
	// nbhB has no manager: the office staff member is alerted once, nobody else.
	if got := notices(t, b.db, b.staff.ResidentID); len(got) != 1 || got[0].Kind != coopbot.NoticeNeedNew || got[0].ID != r.ID {
		t.Fatalf("staff alerts = %+v, want one %s of report %d", got, coopbot.NoticeNeedNew, r.ID)
	}
	if n := notifyJobs(t, b.db, b.manager.ResidentID); n != 0 {
		t.Fatalf("manager of another neighborhood alerted %d times", n)
	}

	// Personal data is not readable in a dump.
	var desc, addr, loc []byte
	if err := b.db.Pool.QueryRow(ctx, `SELECT description_enc, address_enc, location_enc FROM need_reports WHERE id = $1`, r.ID).Scan(&desc, &addr, &loc); err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"اجارهٔ", "گلستان", "38.08"} {
		if bytes.Contains(desc, []byte(plain)) || bytes.Contains(addr, []byte(plain)) || bytes.Contains(loc, []byte(plain)) {
			t.Fatalf("%q stored in plain text", plain)
		}
	}
	got, err := b.db.MyNeedReport(ctx, res, r.Code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != r.Description || got.Address != r.Address || !got.HasLocation || got.Lat != 38.08 || got.Lon != 46.29 {
		t.Fatalf("read back %+v", got)
	}
	if len(got.History) != 1 || got.History[0].Status != coopbot.NeedReceived || got.History[0].ActorID != 0 {
		t.Fatalf("history = %+v", got.History)
	}
	// Another resident cannot read it by code.
	if _, err := b.db.MyNeedReport(ctx, b.resident(b.nbhB), r.Code); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Fatalf("someone else's report: err = %v, want not found", err)
	}
}

func TestNeedReportManagerAlertedForOwnNeighborhood(t *testing.T) {
	t.Parallel()
	b := needSetup(t)
	b.report(t, b.resident(b.nbhA), "food", coopbot.NeedSoon, "a1")
	if n := notifyJobs(t, b.db, b.manager.ResidentID); n != 1 {
		t.Fatalf("manager alerts = %d, want 1", n)
	}
	if n := notifyJobs(t, b.db, b.staff.ResidentID); n != 0 {
		t.Fatalf("office staff alerted %d times although the neighborhood has a manager", n)
	}
}

func TestNeedQueueOrderAndScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := needSetup(t)
	a1 := b.report(t, b.resident(b.nbhA), "food", coopbot.NeedNormal, "a1")
	a2 := b.report(t, b.resident(b.nbhA), "health", coopbot.NeedUrgent, "a2")
	a3 := b.report(t, b.resident(b.nbhA), "food", coopbot.NeedNormal, "a3")
	bb := b.report(t, b.resident(b.nbhB), "food", coopbot.NeedUrgent, "b1")

	// Office staff: most urgent first, then oldest.
	card, err := b.db.NeedCard(ctx, b.staff, coopbot.NeedFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if card.Report.ID != a2.ID || card.Pos != 1 || card.Total != 4 || card.Prev != 0 || card.Next != bb.ID {
		t.Fatalf("first card = report %d pos %d/%d prev %d next %d", card.Report.ID, card.Pos, card.Total, card.Prev, card.Next)
	}
	card, err = b.db.NeedCard(ctx, b.staff, coopbot.NeedFilter{Category: "food"}, a1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if card.Pos != 2 || card.Total != 3 || card.Prev != bb.ID || card.Next != a3.ID {
		t.Fatalf("food card = pos %d/%d prev %d next %d", card.Pos, card.Total, card.Prev, card.Next)
	}
	if card.Report.ReporterName == "" || card.Report.ReporterPhone != "+989121234567" {
		t.Fatalf("staff card lacks the reporter: %+v", card.Report)
	}

	// The manager of A sees A's reports only, whatever filter or id is asked for.
	card, err = b.db.NeedCard(ctx, b.manager, coopbot.NeedFilter{Neighborhood: b.nbhB}, 0)
	if err != nil || card.Report != nil {
		t.Fatalf("manager asking for B's queue: %+v, %v", card.Report, err)
	}
	card, err = b.db.NeedCard(ctx, b.manager, coopbot.NeedFilter{}, 0)
	if err != nil || card.Total != 3 || card.Report.ID != a2.ID {
		t.Fatalf("manager's queue: %+v, %v", card, err)
	}
	if _, err := b.db.NeedCard(ctx, b.manager, coopbot.NeedFilter{}, bb.ID); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Fatalf("manager reading B's report: err = %v, want not found", err)
	}
	if _, err := b.db.FindNeedReport(ctx, b.manager, bb.Code); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Fatalf("manager finding B's code: err = %v, want not found", err)
	}
	if _, err := b.db.ChangeNeedStatus(ctx, b.manager, coopbot.NeedChange{ReportID: bb.ID, From: coopbot.NeedReceived, To: coopbot.NeedClosed}); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Fatalf("manager changing B's report: err = %v, want not found", err)
	}
	if _, err := b.db.NeedCard(ctx, nil, coopbot.NeedFilter{}, 0); coopbot.ErrorCode(err) != coopbot.EForbidden {
		t.Fatalf("no staff role: err = %v, want forbidden", err)
	}
	rows, err := b.db.NeedExport(ctx, b.manager, coopbot.NeedFilter{}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(rows) != 3 {
		t.Fatalf("manager's export: %d rows, %v", len(rows), err)
	}
	for _, r := range rows {
		if r.NeighborhoodID != b.nbhA {
			t.Fatalf("manager's export holds report %s of neighborhood %d", r.Code, r.NeighborhoodID)
		}
	}
}

func TestNeedStatusChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := needSetup(t)
	res := b.resident(b.nbhA)
	r := b.report(t, res, "debt", coopbot.NeedSoon, "s1")
	got, err := b.db.ChangeNeedStatus(ctx, b.manager, coopbot.NeedChange{ReportID: r.ID, From: coopbot.NeedReceived, To: coopbot.NeedReviewing})
	if err != nil || got.Status != coopbot.NeedReviewing {
		t.Fatalf("to reviewing: %+v, %v", got, err)
	}
	// A second change from the old status (another staff member's stale card) conflicts.
	if _, err := b.db.ChangeNeedStatus(ctx, b.staff, coopbot.NeedChange{ReportID: r.ID, From: coopbot.NeedReceived, To: coopbot.NeedClosed}); coopbot.ErrorCode(err) != coopbot.EConflict {
		t.Fatalf("stale change: err = %v, want conflict", err)
	}
	// Backwards is not allowed.
	if _, err := b.db.ChangeNeedStatus(ctx, b.staff, coopbot.NeedChange{ReportID: r.ID, From: coopbot.NeedReviewing, To: coopbot.NeedReceived}); coopbot.ErrorCode(err) != coopbot.EInvalid {
		t.Fatalf("backwards change: err = %v, want invalid", err)
	}
	got, err = b.db.ChangeNeedStatus(ctx, b.staff, coopbot.NeedChange{ReportID: r.ID, From: coopbot.NeedReviewing, To: coopbot.NeedReferred, ReferredTo: "کمیتهٔ امداد", Note: "پرونده فرستاده شد"})
	if err != nil || got.ReferredTo != "کمیتهٔ امداد" {
		t.Fatalf("to referred: %+v, %v", got, err)
	}
	got, err = b.db.ChangeNeedStatus(ctx, b.manager, coopbot.NeedChange{ReportID: r.ID, From: coopbot.NeedReferred, To: coopbot.NeedResolved, Note: "وام قرض‌الحسنه پرداخت شد"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.ChangeNeedStatus(ctx, b.staff, coopbot.NeedChange{ReportID: r.ID, From: coopbot.NeedResolved, To: coopbot.NeedClosed}); coopbot.ErrorCode(err) != coopbot.EInvalid {
		t.Fatalf("change after resolved: err = %v, want invalid", err)
	}

	want := []struct {
		status    coopbot.NeedStatus
		ref, note string
		actor     int64
	}{
		{coopbot.NeedReceived, "", "", 0},
		{coopbot.NeedReviewing, "", "", b.manager.ResidentID},
		{coopbot.NeedReferred, "کمیتهٔ امداد", "پرونده فرستاده شد", b.staff.ResidentID},
		{coopbot.NeedResolved, "", "وام قرض‌الحسنه پرداخت شد", b.manager.ResidentID},
	}
	if len(got.History) != len(want) {
		t.Fatalf("history has %d entries, want %d: %+v", len(got.History), len(want), got.History)
	}
	for i, w := range want {
		e := got.History[i]
		if e.Status != w.status || e.ReferredTo != w.ref || e.Note != w.note || e.ActorID != w.actor || e.At.IsZero() {
			t.Errorf("history[%d] = %+v, want %+v", i, e, w)
		}
		if w.actor != 0 && e.ActorName == "" {
			t.Errorf("history[%d] lacks the actor's name", i)
		}
	}
	// Each change queued one notice to the resident, naming the change, and one audit entry.
	sent := notices(t, b.db, res)
	if len(sent) != 3 {
		t.Fatalf("resident notices = %+v, want 3", sent)
	}
	for i, n := range sent {
		if e := got.History[i+1]; n.Kind != coopbot.NoticeNeedStatus || n.ID != r.ID || len(n.N) != 1 || n.N[0] != e.ID {
			t.Errorf("notice %d = %+v, want %s of report %d, event %d", i, n, coopbot.NoticeNeedStatus, r.ID, e.ID)
		}
	}
	var audits int
	if err := b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'need_status' AND subject = $1 AND allowed`, fmt.Sprintf("need:%d", r.ID)).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 3 {
		t.Fatalf("audit entries = %d, want 3", audits)
	}
}

func TestNeedCountsMatchInsertedData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := needSetup(t)
	type key struct {
		nbh    int64
		cat    coopbot.NeedCategory
		status coopbot.NeedStatus
	}
	want := map[key]int{}
	i := 0
	add := func(nbh int64, cat coopbot.NeedCategory, n int, to coopbot.NeedStatus) {
		for range n {
			i++
			r := b.report(t, b.resident(nbh), cat, coopbot.NeedNormal, fmt.Sprint("c", i))
			if to != coopbot.NeedReceived {
				if _, err := b.db.ChangeNeedStatus(ctx, b.staff, coopbot.NeedChange{ReportID: r.ID, From: coopbot.NeedReceived, To: to}); err != nil {
					t.Fatal(err)
				}
			}
			want[key{nbh, cat, to}]++
		}
	}
	add(b.nbhA, "food", 3, coopbot.NeedReceived)
	add(b.nbhA, "food", 1, coopbot.NeedClosed)
	add(b.nbhA, "employment", 2, coopbot.NeedReviewing)
	add(b.nbhB, "food", 1, coopbot.NeedReceived)
	add(b.nbhB, "health", 2, coopbot.NeedResolved)

	check := func(s *coopbot.Staff, only int64) {
		t.Helper()
		counts, err := b.db.NeedCounts(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		got := map[key]int{}
		for _, c := range counts {
			got[key{c.Neighborhood, c.Category, c.Status}] = c.N
		}
		for k, n := range want {
			if only != 0 && k.nbh != only {
				n = 0
			}
			if got[k] != n {
				t.Errorf("count %+v = %d, want %d", k, got[k], n)
			}
			delete(got, k)
		}
		for k, n := range got {
			if n != 0 {
				t.Errorf("unexpected count %+v = %d", k, n)
			}
		}
	}
	check(b.staff, 0)
	check(b.manager, b.nbhA)
}

// A status change made in a staff member's update and that update coming again after the
// resident erased their data: the replay finds the change made and shows nothing of what
// the resident wrote (the update's record keeps only the report's id).
func TestNeedStatusChangeReplayAfterErasure(t *testing.T) {
	t.Parallel()
	b := needSetup(t)
	res := b.resident(b.nbhA)
	r := b.report(t, res, "debt", coopbot.NeedSoon, "replay")
	ctx := coopbot.WithCause(context.Background(), coopbot.Cause{Platform: coopbot.Telegram, Account: "t", UpdateID: 77, UserID: 9001})
	ch := coopbot.NeedChange{ReportID: r.ID, From: coopbot.NeedReceived, To: coopbot.NeedReviewing}
	first, err := b.db.ChangeNeedStatus(ctx, b.staff, ch)
	if err != nil || first.Description != r.Description {
		t.Fatalf("first change: %+v, %v", first, err)
	}
	if _, err := b.db.EraseResident(context.Background(), res); err != nil {
		t.Fatal(err)
	}
	again, err := b.db.ChangeNeedStatus(coopbot.WithCause(context.Background(), coopbot.Cause{Platform: coopbot.Telegram, Account: "t", UpdateID: 77, UserID: 9001}), b.staff, ch)
	if err != nil || again.Status != coopbot.NeedReviewing {
		t.Fatalf("replayed change: %+v, %v", again, err)
	}
	if strings.Contains(again.Description, "replay") {
		t.Fatalf("the replay shows the erased description %q", again.Description)
	}
	var events int
	if err := b.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM need_events WHERE report_id = $1 AND status = 'reviewing'`, r.ID).Scan(&events); err != nil || events != 1 {
		t.Fatalf("%d changes to reviewing, want 1 (%v)", events, err)
	}
}

// A report's photos and documents are stored with it, in order, their file ids and names
// sealed; a fourth or one naming no file is refused with nothing written; the same
// submission again attaches nothing twice; the resident's erasure deletes them and the
// data summary counts them until then.
func TestNeedAttachmentsStoredSealedAndErased(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := needSetup(t)
	res := b.resident(b.nbhA)
	files := []coopbot.File{
		{Platform: coopbot.Telegram, Kind: coopbot.FilePhoto, ID: "AgACAgQAAxkBphoto-one"},
		{Platform: coopbot.Telegram, Kind: coopbot.FileDocument, ID: "BQACAgQAAxkBdoc-two", Name: "نسخهٔ دکتر رضایی.pdf"},
		{Platform: coopbot.Telegram, Kind: coopbot.FilePhoto, ID: "AgACAgQAAxkBphoto-three"},
	}
	report := func(key string, att []coopbot.File) (*coopbot.NeedReport, error) {
		r := &coopbot.NeedReport{ResidentID: res, SubmitKey: key, Category: "health", Household: 2, Urgency: coopbot.NeedUrgent,
			Description: "داروی پدرم تمام شده", Attachments: att}
		return r, b.db.CreateNeedReport(ctx, r)
	}
	for name, att := range map[string][]coopbot.File{
		"four files": append(slices.Clone(files), files[0]),
		"no file id": {{Platform: coopbot.Telegram, Kind: coopbot.FilePhoto}},
		"no kind":    {{Platform: coopbot.Telegram, ID: "x"}},
	} {
		if _, err := report("bad-"+name, att); coopbot.ErrorCode(err) != coopbot.EInvalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	if n := count(t, b.db, `SELECT count(*) FROM need_reports WHERE resident_id = $1`, res); n != 0 {
		t.Fatalf("%d reports after refused submissions", n)
	}
	r, err := report("k1", files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := report("k1", files); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b.db, `SELECT count(*) FROM need_attachments WHERE report_id = $1`, r.ID); n != 3 {
		t.Fatalf("%d attachment rows after the same submission twice, want 3", n)
	}
	rows, err := b.db.Pool.Query(ctx, `SELECT file_id_enc, coalesce(name_enc, '') FROM need_attachments`)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([]byte, error) {
		var id, name []byte
		err := row.Scan(&id, &name)
		return append(id, name...), err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range sealed {
		for _, plain := range []string{"AgACAgQAAxkB", "BQACAgQAAxkB", "رضایی"} {
			if bytes.Contains(v, []byte(plain)) {
				t.Fatalf("%q stored in plain text", plain)
			}
		}
	}
	mine, err := b.db.MyNeedReport(ctx, res, r.Code)
	if err != nil || !slices.Equal(mine.Attachments, files) {
		t.Fatalf("resident reads attachments %+v, %v; want %+v", mine.Attachments, err, files)
	}
	card, err := b.db.NeedCard(ctx, b.manager, coopbot.NeedFilter{}, r.ID)
	if err != nil || !slices.Equal(card.Report.Attachments, files) {
		t.Fatalf("manager reads attachments %+v, %v; want %+v", card.Report.Attachments, err, files)
	}
	if s, err := b.db.DataSummary(ctx, res); err != nil || s.Attachments != 3 {
		t.Fatalf("data summary counts %d attachments, %v; want 3", s.Attachments, err)
	}

	// Another resident's report keeps its attachment through the erasure.
	other := b.resident(b.nbhA)
	o := &coopbot.NeedReport{ResidentID: other, SubmitKey: "o1", Category: "food", Household: 3, Urgency: coopbot.NeedSoon,
		Description: "نان نداریم", Attachments: files[:1]}
	if err := b.db.CreateNeedReport(ctx, o); err != nil {
		t.Fatal(err)
	}
	erased, err := b.db.EraseResident(ctx, res)
	if err != nil || erased.Attachments != 3 || erased.Reports != 1 {
		t.Fatalf("erasure = %+v, %v; want 3 attachments of 1 report", erased, err)
	}
	if n := count(t, b.db, `SELECT count(*) FROM need_attachments WHERE report_id = $1`, r.ID); n != 0 {
		t.Fatalf("%d attachments of the erased resident remain", n)
	}
	if n := count(t, b.db, `SELECT count(*) FROM need_attachments WHERE report_id = $1`, o.ID); n != 1 {
		t.Fatalf("the other resident's report has %d attachments, want 1", n)
	}
	card, err = b.db.NeedCard(ctx, b.staff, coopbot.NeedFilter{}, r.ID)
	if err != nil || len(card.Report.Attachments) != 0 {
		t.Fatalf("staff still read %+v of the erased report, %v", card.Report.Attachments, err)
	}
}
