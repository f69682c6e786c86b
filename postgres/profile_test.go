package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
)

// count runs a counting query and fails the test on an error.
func count(t *testing.T, db *postgres.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// An erasure empties every personal column of the resident in every table, withdraws
// their pending request, cancels their enrolment in a training to come (the wait-list
// moves up) but keeps the one of a training that took place, ends their roles, and leaves
// other residents' records and every count alone. Handled again under the same update it
// returns what it did the first time; it cannot be undone; a rekey afterwards still works.
func TestEraseResident(t *testing.T) {
	t.Parallel()
	url := postgrestest.NewURL(t)
	db := openWith(t, url, postgrestest.Key)
	ctx := context.Background()
	if err := db.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	coops, err := db.JoinCooperatives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nbh := coops[0].NeighborhoodID
	// The resident to erase is staff by ADMINS (an audit row names their messenger identity).
	ref := coopbot.UserRef{Platform: coopbot.Telegram, UserID: 31}
	if err := db.GrantStaff(ctx, []coopbot.UserRef{ref}); err != nil {
		t.Fatal(err)
	}
	r, err := db.SaveResident(ctx, &coopbot.Resident{Platform: ref.Platform, UserID: ref.UserID, ChatID: 31, Lang: coopbot.Persian,
		Name: "مریم", Phone: "+989141234567", NeighborhoodID: nbh})
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: 32, ChatID: 32, Lang: coopbot.Azeri,
		Name: "آیدین", Phone: "+989121112233", NeighborhoodID: nbh})
	if err != nil {
		t.Fatal(err)
	}
	pending, _, err := db.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: coops[0].ID, ResidentID: r, FullName: "مریم رضایی",
		NationalID: "0012345679", Phone: "+989141234567", Share: coops[0].MinShare, Skills: []string{"cooking"}, SkillsOther: "آشپز مجالس"})
	if err != nil {
		t.Fatal(err)
	}
	rejected, _, err := db.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: coops[1].ID, ResidentID: r, FullName: "مریم رضایی",
		NationalID: "0012345679", Phone: "+989141234567", Share: coops[1].MinShare})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE join_requests SET status = 'rejected', decided_at = now(), reason_code = 'other',
		reason_text = 'خانم رضایی ساکن این محله نیست' WHERE id = $1`, rejected); err != nil {
		t.Fatal(err)
	}
	othersRequest, _, err := db.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: coops[0].ID, ResidentID: other, FullName: "آیدین قاسمی",
		NationalID: "1376543214", Phone: "+989121112233", Share: coops[0].MinShare})
	if err != nil {
		t.Fatal(err)
	}
	// The resident's updates commit effects, and the erasure comes in an update.
	cause := func(id int64) context.Context {
		return coopbot.WithCause(ctx, coopbot.Cause{Platform: coopbot.Telegram, Account: "t", UpdateID: id, UserID: 31})
	}
	need := &coopbot.NeedReport{ResidentID: r, SubmitKey: "k", Category: "housing", Household: 2, Urgency: coopbot.NeedUrgent,
		Description: "اجاره عقب افتاده", Address: "کوچهٔ گلستان", HasLocation: true, Lat: 38.08, Lon: 46.29}
	if err := db.CreateNeedReport(cause(1), need); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO need_events (report_id, actor_id, status, note) VALUES ($1, $2, 'reviewing', 'همسرش بیمار است')`, need.ID, other); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO cooperative_admins (cooperative_id, resident_id) VALUES ($1, $2)`, coops[2].ID, r); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO broadcasts (created_by, audience, text_fa, progress_platform, progress_chat, status)
		VALUES ($1, '{"kind": "all"}', 'اطلاعیه', 'telegram', 31, 'done')`, r); err != nil {
		t.Fatal(err)
	}
	// A training to come (one seat: the other resident waits) and one that took place.
	soon := &coopbot.Training{NeighborhoodID: nbh, TitleFa: "خیاطی", TitleAz: "تیکیش", DescriptionFa: "شرح", DescriptionAz: "آچیقلاما",
		VenueName: "مسجد", VenueAddress: "کوچه", StartsAt: time.Now().Add(72 * time.Hour), Duration: time.Hour, Capacity: 1}
	past := *soon
	past.TitleFa, past.TitleAz = "سفالگری", "ساخسی"
	for _, tr := range []*coopbot.Training{soon, &past} {
		if _, err := db.CreateTraining(ctx, tr); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SignUp(ctx, tr.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	if e, err := db.SignUp(ctx, soon.ID, other); err != nil || e.Status != coopbot.EnrollmentWaitlisted {
		t.Fatalf("other's sign-up: %+v, %v", e, err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE trainings SET starts_at = now() - interval '1 day' WHERE id = $1`, past.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM river_job WHERE kind = 'notify' AND (args->>'resident_id')::bigint = $1`, r); n == 0 {
		t.Fatal("no notice queued for the resident: the check below would prove nothing")
	}
	if n := count(t, db, `SELECT count(*) FROM effects WHERE user_ref = 'telegram:31' AND result IS NOT NULL`); n != 1 {
		t.Fatalf("%d effects with a result recorded as the resident's, want 1", n)
	}
	before := count(t, db, `SELECT count(*) FROM join_requests`) + count(t, db, `SELECT count(*) FROM training_enrollments`) +
		count(t, db, `SELECT count(*) FROM need_reports`) + count(t, db, `SELECT count(*) FROM residents`)

	res, err := db.EraseResident(cause(2), r)
	if err != nil {
		t.Fatal(err)
	}
	if want := (coopbot.Erasure{Withdrawn: 1, Cancelled: 1, Reports: 1}); res != want {
		t.Fatalf("erasure = %+v, want %+v", res, want)
	}
	// The same update again: the same answer, nothing done twice.
	if again, err := db.EraseResident(cause(2), r); err != nil || again != res {
		t.Fatalf("erasure handled again = %+v, %v; want %+v", again, err, res)
	}
	// Another update: nothing left to do.
	if again, err := db.EraseResident(cause(3), r); err != nil || again != (coopbot.Erasure{}) {
		t.Fatalf("erasing an erased resident = %+v, %v", again, err)
	}

	for _, q := range []string{
		`SELECT count(*) FROM residents WHERE id = $1 AND name = '' AND phone_enc IS NULL AND phone_hash IS NULL
			AND user_id = 0 AND chat_id = 0 AND erased_at IS NOT NULL AND unreachable_at IS NOT NULL`,
		`SELECT count(*) FROM join_requests WHERE resident_id = $1 AND full_name = '' AND length(national_id_enc) = 0
			AND length(national_id_hash) = 0 AND length(phone_enc) = 0 AND length(phone_hash) = 0 AND skills_other = '' AND reason_text = ''`,
		`SELECT count(*) FROM need_reports WHERE resident_id = $1 AND length(description_enc) = 0 AND address_enc IS NULL AND location_enc IS NULL`,
		`SELECT count(*) FROM need_events e JOIN need_reports n ON n.id = e.report_id WHERE n.resident_id = $1 AND e.note = ''`,
		`SELECT count(*) FROM training_enrollments WHERE resident_id = $1 AND status = 'cancelled'`,
		`SELECT count(*) FROM training_enrollments WHERE resident_id = $1 AND status = 'confirmed'`, // the training that took place
		`SELECT count(*) FROM broadcasts WHERE created_by = $1 AND progress_chat = 0`,
		`SELECT count(*) FROM audit_log WHERE action = 'resident_erase' AND actor_id = $1`,
	} {
		want := 1
		switch {
		case strings.Contains(q, "FROM join_requests"):
			want = 2
		case strings.Contains(q, "FROM need_events"):
			want = 2 // the submission and the staff's note
		}
		if n := count(t, db, q, r); n != want {
			t.Errorf("%d rows, want %d: %s", n, want, q)
		}
	}
	for _, q := range []string{
		`SELECT count(*) FROM staff WHERE resident_id = $1`,
		`SELECT count(*) FROM cooperative_admins WHERE resident_id = $1`,
		`SELECT count(*) FROM audit_log WHERE (actor_id = $1 OR subject = 'resident:' || $1) AND detail ? 'ref'`,
		`SELECT count(*) FROM river_job WHERE kind = 'notify' AND (args->>'resident_id')::bigint = $1`,
		`SELECT count(*) FROM join_requests WHERE resident_id = $1 AND status = 'pending'`,
	} {
		if n := count(t, db, q, r); n != 0 {
			t.Errorf("%d rows, want none: %s", n, q)
		}
	}
	// What the resident's updates stored is emptied; what the erasure stored stays, for
	// the update coming again.
	if n := count(t, db, `SELECT count(*) FROM effects WHERE user_ref = 'telegram:31' OR cause = 'telegram:t:1' AND result IS NOT NULL`); n != 0 {
		t.Errorf("%d effects still hold what the resident's updates stored", n)
	}
	if n := count(t, db, `SELECT count(*) FROM effects WHERE cause = 'telegram:t:2' AND result IS NOT NULL`); n != 1 {
		t.Errorf("the erasure's own result is gone (%d)", n)
	}
	if j, err := db.JoinRequest(ctx, pending); err != nil || j.Status != coopbot.JoinWithdrawn || j.FullName != "" || j.NationalID != "" || j.Phone != "" {
		t.Errorf("withdrawn request = %+v, %v", j, err)
	}
	// The other resident: their request untouched, and the freed seat is theirs.
	if j, err := db.JoinRequest(ctx, othersRequest); err != nil || j.FullName != "آیدین قاسمی" || j.NationalID != "1376543214" {
		t.Errorf("another resident's request = %+v, %v", j, err)
	}
	if e, err := db.ActiveEnrollment(ctx, soon.ID, other); err != nil || e == nil || e.Status != coopbot.EnrollmentConfirmed {
		t.Errorf("the wait-listed resident after the erasure: %+v, %v", e, err)
	}
	if n := count(t, db, `SELECT count(*) FROM river_job WHERE kind = 'notify' AND (args->>'resident_id')::bigint = $1
		AND args->'notice'->>'kind' = 'training_promoted'`, other); n != 1 {
		t.Errorf("%d promotion notices to the wait-listed resident, want 1", n)
	}
	after := count(t, db, `SELECT count(*) FROM join_requests`) + count(t, db, `SELECT count(*) FROM training_enrollments`) +
		count(t, db, `SELECT count(*) FROM need_reports`) + count(t, db, `SELECT count(*) FROM residents`)
	if after != before {
		t.Errorf("rows before %d, after %d: the counts changed", before, after)
	}

	// For good: the schema refuses to undo the erasure or to put personal data back.
	if _, err := db.Pool.Exec(ctx, `UPDATE residents SET erased_at = NULL WHERE id = $1`, r); err == nil {
		t.Error("an erasure was undone")
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE residents SET user_id = 31, chat_id = 31 WHERE id = $1`, r); err == nil {
		t.Error("an erased resident got their messenger identity back")
	}
	// The person writing again is a newcomer.
	if p, err := db.Profile(ctx, ref); err != nil || p.ResidentID != 0 {
		t.Fatalf("profile after the erasure: %+v, %v", p, err)
	}
	again, err := db.SaveResident(ctx, &coopbot.Resident{Platform: ref.Platform, UserID: ref.UserID, ChatID: 31, Lang: coopbot.Azeri, NeighborhoodID: nbh})
	if err != nil || again == r {
		t.Fatalf("the person registering again: id %d (erased %d), %v", again, r, err)
	}
	if s, err := db.DataSummary(ctx, again); err != nil || len(s.Requests)+len(s.Enrollments)+len(s.Reports) != 0 {
		t.Fatalf("the newcomer's data: %+v, %v", s, err)
	}
	if _, err := db.DataSummary(ctx, r); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Errorf("data summary of an erased resident: %v", err)
	}

	// A rekey re-seals what is left and leaves the emptied values empty.
	if err := db.Prepare(ctx, []postgres.Account{{Platform: coopbot.Telegram, ID: "77"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Rekey(ctx, otherKey); err != nil {
		t.Fatalf("rekey after an erasure: %v", err)
	}
	b := openWith(t, url, otherKey)
	if j, err := b.JoinRequest(ctx, othersRequest); err != nil || j.NationalID != "1376543214" {
		t.Fatalf("another resident's request after the rekey: %+v, %v", j, err)
	}
	if j, err := b.JoinRequest(ctx, pending); err != nil || j.NationalID != "" {
		t.Fatalf("the erased request after the rekey: %+v, %v", j, err)
	}
}
