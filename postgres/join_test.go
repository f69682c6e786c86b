package postgres_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
)

type joinBundle struct {
	db                  *postgres.DB
	ctx                 context.Context
	carpet, shop        coopbot.Cooperative
	staff, admin, other int64 // staff, an admin of carpet, an admin of shop
}

func residentAt(t *testing.T, db *postgres.DB, userID int64, nbh int64) int64 {
	t.Helper()
	id, err := db.SaveResident(context.Background(), &coopbot.Resident{
		Platform: coopbot.Telegram, UserID: userID, ChatID: userID, Lang: coopbot.Persian, NeighborhoodID: nbh, Name: "R"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func setupJoin(t *testing.T) *joinBundle {
	t.Helper()
	b := &joinBundle{db: postgrestest.NewSeeded(t), ctx: context.Background()}
	coops, err := b.db.JoinCooperatives(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, co := range coops {
		switch co.NameFa {
		case "تعاونی فرش‌بافی بانوان سرخاب":
			b.carpet = co
		case "تعاونی مصرف محله ائل‌گلی":
			b.shop = co
		}
	}
	if b.carpet.ID == 0 || b.shop.ID == 0 || b.carpet.Members != 34 {
		t.Fatalf("seeded cooperatives: %+v", coops)
	}
	if err := b.db.GrantStaff(b.ctx, []coopbot.UserRef{{Platform: coopbot.Telegram, UserID: 1}}); err != nil {
		t.Fatal(err)
	}
	b.staff = residentAt(t, b.db, 1, b.carpet.NeighborhoodID)
	b.admin = b.makeAdmin(t, 2, b.carpet.ID)
	b.other = b.makeAdmin(t, 3, b.shop.ID)
	return b
}

func (b *joinBundle) makeAdmin(t *testing.T, userID, coopID int64) int64 {
	t.Helper()
	id := residentAt(t, b.db, userID, 0)
	code, expires, err := b.db.CreateCoopInvite(b.ctx, b.staff, coopID)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(expires); d < 6*24*time.Hour || d > 7*24*time.Hour+time.Minute {
		t.Fatalf("invite expires in %v, want 7 days", d)
	}
	co, already, err := b.db.RedeemCoopInvite(b.ctx, id, code)
	if err != nil || already || co.ID != coopID {
		t.Fatalf("redeem: %+v %v %v", co, already, err)
	}
	return id
}

func (b *joinBundle) submit(t *testing.T, residentID, coopID int64) int64 {
	t.Helper()
	id, route, err := b.db.SubmitJoinRequest(b.ctx, &coopbot.JoinRequest{
		CooperativeID: coopID, ResidentID: residentID, FullName: "زهرا احمدی",
		NationalID: "0012345679", Phone: "+989121112233", Share: 6_000_000, Skills: []string{"carpet"}})
	if err != nil || route != coopbot.JoinToAdmins {
		t.Fatalf("submit: route %q, %v", route, err)
	}
	return id
}

func (b *joinBundle) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := b.db.Pool.QueryRow(b.ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestJoinFirstDecisionWins(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	second := b.makeAdmin(t, 4, b.carpet.ID)
	resident := residentAt(t, b.db, 100, b.carpet.NeighborhoodID)
	id := b.submit(t, resident, b.carpet.ID)
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'join_card'`); n != 2 {
		t.Fatalf("%d cards queued, want one per admin (2)", n)
	}

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []coopbot.JoinDecision
	)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := coopbot.JoinDecision{RequestID: id, ActorID: []int64{b.admin, second, b.staff}[i%3], Approve: i%2 == 0}
			if !d.Approve {
				d.ReasonCode = coopbot.RejectCapacity
			}
			r, won, err := b.db.DecideJoinRequest(b.ctx, d)
			if err != nil {
				t.Error(err)
				return
			}
			if r.Status == coopbot.JoinPending || r.DecidedBy == 0 || r.DecidedAt.IsZero() {
				t.Errorf("returned request %+v", r)
			}
			if won {
				mu.Lock()
				wins = append(wins, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d decisions won, want exactly 1", len(wins))
	}
	r, err := b.db.JoinRequest(b.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := coopbot.JoinRejected
	members := 34
	if wins[0].Approve {
		want, members = coopbot.JoinApproved, 35
	}
	if r.Status != want || r.DecidedBy != wins[0].ActorID {
		t.Fatalf("stored %s by %d, winner %+v", r.Status, r.DecidedBy, wins[0])
	}
	if n := b.count(t, `SELECT members FROM cooperatives WHERE id = $1`, b.carpet.ID); n != members {
		t.Fatalf("members = %d, want %d", n, members)
	}
	// The applicant's notice names the decision; it is worded when it is sent.
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'notify' AND (args->>'resident_id')::bigint = $1
		AND args->'notice'->>'kind' = $2 AND (args->'notice'->>'id')::bigint = $3 AND NOT args ? 'reply'`,
		resident, string(coopbot.NoticeJoinDecision), id); n != 1 {
		t.Fatalf("%d decision notices to the resident, want 1", n)
	}
	if n := b.count(t, `SELECT count(*) FROM audit_log WHERE action = 'join_decide' AND allowed`); n != 1 {
		t.Fatalf("%d decisions audited", n)
	}
}

func TestJoinDecisionNeedsAnAdminOfThatCooperative(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	resident := residentAt(t, b.db, 100, b.carpet.NeighborhoodID)
	id := b.submit(t, resident, b.carpet.ID)
	manager := residentAt(t, b.db, 5, 0)
	if _, err := b.db.Pool.Exec(b.ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`,
		manager, b.shop.NeighborhoodID); err != nil {
		t.Fatal(err)
	}
	for _, actor := range []int64{resident, b.other, manager} {
		ok, err := b.db.CanDecideJoin(b.ctx, actor, b.carpet.ID)
		if err != nil || ok {
			t.Fatalf("actor %d may decide: %v %v", actor, ok, err)
		}
		_, _, err = b.db.DecideJoinRequest(b.ctx, coopbot.JoinDecision{RequestID: id, ActorID: actor, Approve: true})
		if coopbot.ErrorCode(err) != coopbot.EForbidden {
			t.Fatalf("actor %d: err = %v, want forbidden", actor, err)
		}
	}
	if n := b.count(t, `SELECT count(*) FROM audit_log WHERE action = 'join_decide' AND NOT allowed`); n != 3 {
		t.Fatalf("%d denied attempts audited, want 3", n)
	}
	if r, _ := b.db.JoinRequest(b.ctx, id); r.Status != coopbot.JoinPending {
		t.Fatalf("status %s", r.Status)
	}
	// Admins see only their cooperatives' pending requests; staff see all.
	for actor, want := range map[int64]int{b.admin: 1, b.other: 0, b.staff: 1, resident: 0, manager: 0} {
		list, err := b.db.PendingJoinRequests(b.ctx, actor)
		if err != nil || len(list) != want {
			t.Fatalf("actor %d sees %d pending, want %d (%v)", actor, len(list), want, err)
		}
		for _, r := range list {
			if r.NationalID != "" || r.Phone != "" {
				t.Fatal("the pending list carries personal data")
			}
		}
	}
}

func TestJoinDecisionsTheRulesRefuse(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	resident := residentAt(t, b.db, 100, b.carpet.NeighborhoodID)
	id := b.submit(t, resident, b.carpet.ID)
	for _, d := range []coopbot.JoinDecision{
		{Approve: false},                  // a rejection without a reason
		{ReasonCode: "lazy"},              // a reason of no list
		{ReasonCode: coopbot.RejectOther}, // "other" without words
		{ReasonCode: coopbot.RejectOther, ReasonText: strings.Repeat("ن", coopbot.MaxReasonText+1)},
		{Approve: true, ReasonCode: coopbot.RejectShare}, // an approval with a reason
	} {
		d.RequestID, d.ActorID = id, b.admin
		if _, _, err := b.db.DecideJoinRequest(b.ctx, d); coopbot.ErrorCode(err) != coopbot.EInvalid {
			t.Errorf("%+v: err = %v, want invalid", d, err)
		}
	}
	if r, _ := b.db.JoinRequest(b.ctx, id); r.Status != coopbot.JoinPending {
		t.Fatalf("status %s after refused decisions", r.Status)
	}
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'notify'`); n != 0 {
		t.Fatalf("%d notices queued for refused decisions", n)
	}
	r, won, err := b.db.DecideJoinRequest(b.ctx, coopbot.JoinDecision{RequestID: id, ActorID: b.admin,
		ReasonCode: coopbot.RejectOther, ReasonText: "سهم نقدی لازم است"})
	if err != nil || !won || r.Status != coopbot.JoinRejected || r.ReasonCode != coopbot.RejectOther || r.ReasonText != "سهم نقدی لازم است" {
		t.Fatalf("own words: %+v %v %v", r, won, err)
	}
}

func TestJoinSubmitRules(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	resident := residentAt(t, b.db, 100, b.carpet.NeighborhoodID)
	req := func(coopID, share int64) *coopbot.JoinRequest {
		return &coopbot.JoinRequest{CooperativeID: coopID, ResidentID: resident, FullName: "نام", NationalID: "0012345679",
			Phone: "+989121112233", Share: share}
	}
	if _, _, err := b.db.SubmitJoinRequest(b.ctx, req(b.carpet.ID, 4_999_999)); coopbot.ErrorMsgID(err) != "join.share.below_min" {
		t.Fatalf("below minimum: %v", err)
	}
	id := b.submit(t, resident, b.carpet.ID)
	if _, _, err := b.db.SubmitJoinRequest(b.ctx, req(b.carpet.ID, 5_000_000)); coopbot.ErrorMsgID(err) != "join.duplicate" || coopbot.ErrorCode(err) != coopbot.EConflict {
		t.Fatalf("second pending request: %v", err)
	}
	if open, err := b.db.ActiveJoinRequest(b.ctx, resident, b.carpet.ID); err != nil || open == nil || open.ID != id {
		t.Fatalf("open request = %+v, %v", open, err)
	}
	// Another cooperative is fine; a closed one is not.
	b.submit(t, resident, b.shop.ID)
	if _, err := b.db.Pool.Exec(b.ctx, `UPDATE cooperatives SET status = 'closed' WHERE id = $1`, b.shop.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.db.SubmitJoinRequest(b.ctx, req(b.shop.ID, 5_000_000)); coopbot.ErrorMsgID(err) != "join.coop.closed" {
		t.Fatalf("closed cooperative: %v", err)
	}
	// A member cannot apply again.
	if _, won, err := b.db.DecideJoinRequest(b.ctx, coopbot.JoinDecision{RequestID: id, ActorID: b.admin, Approve: true}); err != nil || !won {
		t.Fatal(won, err)
	}
	if _, _, err := b.db.SubmitJoinRequest(b.ctx, req(b.carpet.ID, 5_000_000)); coopbot.ErrorMsgID(err) != "join.already_member" {
		t.Fatalf("member applying again: %v", err)
	}
	if open, err := b.db.ActiveJoinRequest(b.ctx, resident, b.carpet.ID); err != nil || open == nil || open.Status != coopbot.JoinApproved {
		t.Fatalf("approved request = %+v, %v", open, err)
	}
}

func TestJoinWithdraw(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	resident := residentAt(t, b.db, 100, b.carpet.NeighborhoodID)
	stranger := residentAt(t, b.db, 101, b.carpet.NeighborhoodID)
	id := b.submit(t, resident, b.carpet.ID)
	if _, err := b.db.WithdrawJoinRequest(b.ctx, stranger, id); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Fatalf("someone else's request: %v", err)
	}
	r, err := b.db.WithdrawJoinRequest(b.ctx, resident, id)
	if err != nil || r.Status != coopbot.JoinWithdrawn || r.NationalID != "" {
		t.Fatalf("withdraw: %+v, %v", r, err)
	}
	if _, err := b.db.WithdrawJoinRequest(b.ctx, resident, id); coopbot.ErrorCode(err) != coopbot.EConflict {
		t.Fatalf("second withdrawal: %v", err)
	}
	if _, won, err := b.db.DecideJoinRequest(b.ctx, coopbot.JoinDecision{RequestID: id, ActorID: b.admin, Approve: true}); err != nil || won {
		t.Fatalf("deciding a withdrawn request: won=%v %v", won, err)
	}
	list, err := b.db.JoinRequests(b.ctx, resident)
	if err != nil || len(list) != 1 || list[0].Status != coopbot.JoinWithdrawn {
		t.Fatalf("requests = %+v, %v", list, err)
	}
}

func TestJoinPersonalDataIsSealed(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	resident := residentAt(t, b.db, 100, b.carpet.NeighborhoodID)
	id := b.submit(t, resident, b.carpet.ID)
	var nid, nidHash, phone []byte
	if err := b.db.Pool.QueryRow(b.ctx, `SELECT national_id_enc, national_id_hash, phone_enc FROM join_requests WHERE id = $1`, id).
		Scan(&nid, &nidHash, &phone); err != nil {
		t.Fatal(err)
	}
	for _, col := range [][]byte{nid, nidHash, phone} {
		if len(col) == 0 || bytes.Contains(col, []byte("0012345679")) || bytes.Contains(col, []byte("9121112233")) {
			t.Fatalf("personal data readable in a column: %q", col)
		}
	}
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE args::text LIKE '%0012345679%' OR args::text LIKE '%9121112233%'`); n != 0 {
		t.Fatal("personal data in the job table")
	}
	r, err := b.db.JoinRequest(b.ctx, id)
	if err != nil || r.NationalID != "0012345679" || r.Phone != "+989121112233" || r.Skills[0] != "carpet" || r.Cooperative.ID != b.carpet.ID {
		t.Fatalf("opened request = %+v, %v", r, err)
	}
	// Answers kept in the conversation (Redis) are sealed too.
	sealed := b.db.SealJoinAnswer("0012345679")
	if strings.Contains(sealed, "0012345679") || sealed == b.db.SealJoinAnswer("0012345679") {
		t.Fatalf("sealed answer %q", sealed)
	}
	if plain, err := b.db.OpenJoinAnswer(sealed); err != nil || plain != "0012345679" {
		t.Fatalf("open = %q, %v", plain, err)
	}
	if _, err := b.db.OpenJoinAnswer("AAAA" + sealed); err == nil {
		t.Fatal("a tampered answer opened")
	}
}

func TestCoopInviteRules(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	resident := residentAt(t, b.db, 100, b.carpet.NeighborhoodID)
	// Only staff (within their scope) make codes.
	for _, actor := range []int64{resident, b.admin} {
		if _, _, err := b.db.CreateCoopInvite(b.ctx, actor, b.carpet.ID); coopbot.ErrorCode(err) != coopbot.EForbidden {
			t.Fatalf("actor %d made a code: %v", actor, err)
		}
	}
	code, _, err := b.db.CreateCoopInvite(b.ctx, b.staff, b.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := coopbot.ParseInviteCode(code.Show()); !ok || n != code || len(code) != coopbot.InviteCodeLen {
		t.Fatalf("code %q does not read back", code)
	}
	co, already, err := b.db.RedeemCoopInvite(b.ctx, resident, code)
	if err != nil || already || co.ID != b.shop.ID {
		t.Fatalf("redeem: %+v %v %v", co, already, err)
	}
	if ok, _ := b.db.CanDecideJoin(b.ctx, resident, b.shop.ID); !ok {
		t.Fatal("the new admin may not decide")
	}
	if _, _, err := b.db.RedeemCoopInvite(b.ctx, b.admin, code); coopbot.ErrorCode(err) != coopbot.ENotFound {
		t.Fatalf("a used code worked again: %v", err)
	}
	// An admin redeeming a second code of the same cooperative stays one admin.
	code2, _, _ := b.db.CreateCoopInvite(b.ctx, b.staff, b.shop.ID)
	if _, already, err := b.db.RedeemCoopInvite(b.ctx, resident, code2); err != nil || !already {
		t.Fatalf("second code: already=%v %v", already, err)
	}
	p, err := b.db.Profile(b.ctx, coopbot.UserRef{Platform: coopbot.Telegram, UserID: 100})
	if err != nil || !p.CoopAdmin {
		t.Fatalf("profile = %+v, %v", p, err)
	}
	if n := b.count(t, `SELECT count(*) FROM audit_log WHERE action = 'coop_invite_create' AND NOT allowed`); n != 2 {
		t.Fatalf("%d refused invites audited, want 2", n)
	}
}

func TestNewInviteCodesDiffer(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	seen := map[coopbot.InviteCode]bool{}
	for range 50 {
		code, _, err := b.db.CreateCoopInvite(b.ctx, b.staff, b.carpet.ID)
		if err != nil {
			t.Fatal(err)
		}
		if seen[code] {
			t.Fatalf("code %s made twice", code)
		}
		seen[code] = true
	}
}

func TestJoinNobodyDecidesOnTheirOwnRequest(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	// The carpet cooperative's only admin applies to it: the card goes to staff instead,
	// and the route says so.
	id, route, err := b.db.SubmitJoinRequest(b.ctx, &coopbot.JoinRequest{CooperativeID: b.carpet.ID, ResidentID: b.admin,
		FullName: "زهرا احمدی", NationalID: "0012345679", Phone: "+989121112233", Share: 6_000_000})
	if err != nil || route != coopbot.JoinToOffice {
		t.Fatalf("submit: route %q, %v", route, err)
	}
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'join_card' AND (args->>'admin_id')::bigint = $1`, b.admin); n != 0 {
		t.Fatal("the applicant got the card of their own request")
	}
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'join_card' AND (args->>'admin_id')::bigint = $1`, b.staff); n != 1 {
		t.Fatalf("staff got %d cards, want 1", n)
	}
	if list, err := b.db.PendingJoinRequests(b.ctx, b.admin); err != nil || len(list) != 0 {
		t.Fatalf("own request in the pending list: %d, %v", len(list), err)
	}
	if _, _, err := b.db.DecideJoinRequest(b.ctx, coopbot.JoinDecision{RequestID: id, ActorID: b.admin, Approve: true}); coopbot.ErrorCode(err) != coopbot.EForbidden {
		t.Fatalf("deciding one's own request: %v", err)
	}
	if _, won, err := b.db.DecideJoinRequest(b.ctx, coopbot.JoinDecision{RequestID: id, ActorID: b.staff, Approve: true}); err != nil || !won {
		t.Fatalf("staff decision: %v %v", won, err)
	}
}

func TestJoinNationalIDIsOnePersonPerCooperative(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	const nid = "0012345679"
	req := func(resident, coopID int64) *coopbot.JoinRequest {
		return &coopbot.JoinRequest{CooperativeID: coopID, ResidentID: resident, FullName: "زهرا احمدی", NationalID: nid,
			Phone: "+989121112233", Share: 6_000_000}
	}
	// Ten accounts send the same national ID to one cooperative at once: one request
	// stands, the others are refused, each refusal audited.
	accounts := make([]int64, 10)
	for i := range accounts {
		accounts[i] = residentAt(t, b.db, int64(200+i), b.carpet.NeighborhoodID)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     []int64
		refused int
	)
	for _, a := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, _, err := b.db.SubmitJoinRequest(b.ctx, req(a, b.carpet.ID))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, id)
			case coopbot.ErrorMsgID(err) == "join.nid.taken" && coopbot.ErrorCode(err) == coopbot.EConflict:
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || refused != 9 {
		t.Fatalf("%d requests stored, %d refused; want 1 and 9", len(won), refused)
	}
	if n := b.count(t, `SELECT count(*) FROM join_requests WHERE cooperative_id = $1`, b.carpet.ID); n != 1 {
		t.Fatalf("%d requests stored", n)
	}
	if n := b.count(t, `SELECT count(*) FROM audit_log WHERE action = 'join_nid_taken' AND NOT allowed AND subject = $1`, "cooperative:"+strconv.FormatInt(b.carpet.ID, 10)); n != 9 {
		t.Fatalf("%d refusals audited, want 9", n)
	}
	first := won[0]
	r, err := b.db.JoinRequest(b.ctx, first)
	if err != nil || len(r.Elsewhere) != 0 {
		t.Fatalf("request %+v, %v", r, err)
	}
	var owner int64
	for _, a := range accounts {
		if r.ResidentID == a {
			owner = a
		}
	}
	// The others, in order.
	var spare []int64
	for _, a := range accounts {
		if a != owner {
			spare = append(spare, a)
		}
	}
	other := spare[0]

	// Another cooperative takes the ID from another account; each card names the other.
	shopReq, _, err := b.db.SubmitJoinRequest(b.ctx, req(other, b.shop.ID))
	if err != nil {
		t.Fatal(err)
	}
	if r, err = b.db.JoinRequest(b.ctx, shopReq); err != nil || len(r.Elsewhere) != 1 ||
		r.Elsewhere[0].Cooperative.ID != b.carpet.ID || r.Elsewhere[0].Member || r.Elsewhere[0].Same {
		t.Fatalf("shop's request elsewhere %+v, %v", r.Elsewhere, err)
	}
	if _, won, err := b.db.DecideJoinRequest(b.ctx, coopbot.JoinDecision{RequestID: first, ActorID: b.admin, Approve: true}); err != nil || !won {
		t.Fatal(won, err)
	}
	if r, err = b.db.JoinRequest(b.ctx, shopReq); err != nil || len(r.Elsewhere) != 1 || !r.Elsewhere[0].Member {
		t.Fatalf("after the approval: %+v, %v", r.Elsewhere, err)
	}
	// A member's ID is refused too.
	if _, _, err := b.db.SubmitJoinRequest(b.ctx, req(other, b.carpet.ID)); coopbot.ErrorMsgID(err) != "join.nid.taken" {
		t.Fatalf("a member's ID from another account: %v", err)
	}

	// Rejected and withdrawn requests hold nothing: the shop's request rejected, another
	// account may send the ID there.
	if _, won, err := b.db.DecideJoinRequest(b.ctx, coopbot.JoinDecision{RequestID: shopReq, ActorID: b.other, ReasonCode: coopbot.RejectCapacity}); err != nil || !won {
		t.Fatal(won, err)
	}
	again, _, err := b.db.SubmitJoinRequest(b.ctx, req(spare[2], b.shop.ID))
	if err != nil {
		t.Fatalf("after a rejection: %v", err)
	}
	if _, err := b.db.WithdrawJoinRequest(b.ctx, spare[2], again); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.db.SubmitJoinRequest(b.ctx, req(spare[3], b.shop.ID)); err != nil {
		t.Fatalf("after a withdrawal: %v", err)
	}

	// An erased member's ID is gone with them: nobody is refused for it, no card names it.
	if _, err := b.db.EraseResident(b.ctx, owner); err != nil {
		t.Fatal(err)
	}
	fresh, _, err := b.db.SubmitJoinRequest(b.ctx, req(spare[4], b.carpet.ID))
	if err != nil {
		t.Fatalf("after the member's erasure: %v", err)
	}
	if r, err = b.db.JoinRequest(b.ctx, fresh); err != nil || len(r.Elsewhere) != 1 || r.Elsewhere[0].Cooperative.ID != b.shop.ID {
		t.Fatalf("after the erasure: %+v, %v", r.Elsewhere, err)
	}
}

func TestJoinOverdue(t *testing.T) {
	t.Parallel()
	b := setupJoin(t)
	resident := residentAt(t, b.db, 100, b.carpet.NeighborhoodID)
	id := b.submit(t, resident, b.carpet.ID)
	pending := func() coopbot.JoinRequest {
		t.Helper()
		list, err := b.db.PendingJoinRequests(b.ctx, b.admin)
		if err != nil || len(list) != 1 {
			t.Fatalf("pending %+v, %v", list, err)
		}
		return list[0]
	}
	if r := pending(); r.Overdue {
		t.Fatal("a fresh request is overdue")
	}
	// Just under the default three days, then just over.
	backdate := func(d time.Duration) {
		t.Helper()
		if _, err := b.db.Pool.Exec(b.ctx, `UPDATE join_requests SET created_at = now() - $2::interval WHERE id = $1`, id, d.String()); err != nil {
			t.Fatal(err)
		}
	}
	backdate(3*24*time.Hour - time.Minute)
	if r := pending(); r.Overdue {
		t.Fatal("overdue before the reminder")
	}
	backdate(3*24*time.Hour + time.Minute)
	r := pending()
	if !r.Overdue || r.DaysWaiting(time.Now()) != 3 {
		t.Fatalf("overdue %v, %d days", r.Overdue, r.DaysWaiting(time.Now()))
	}
	// A decided request is not overdue, however old.
	if _, won, err := b.db.DecideJoinRequest(b.ctx, coopbot.JoinDecision{RequestID: id, ActorID: b.admin, Approve: true}); err != nil || !won {
		t.Fatal(won, err)
	}
	if r, err := b.db.JoinRequest(b.ctx, id); err != nil || r.Overdue {
		t.Fatalf("decided request overdue: %+v, %v", r, err)
	}
}
