package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
)

// The store side of broadcasts: audiences, queuing, exclusive claims. The runner that
// works the deliveries is tested in package broadcaster, against the fake Bot API.

// staffChat is the staff member who confirms the broadcasts.
const staffChat = 1

type bcStore struct {
	t     *testing.T
	db    *postgres.DB
	staff int64
	ctx   context.Context
}

// newStore is a fresh database with a staff member, who is marked unreachable so that
// they are in no audience here.
func newStore(t *testing.T) *bcStore {
	t.Helper()
	b := &bcStore{t: t, db: postgrestest.New(t), ctx: context.Background()}
	if err := b.db.Pool.QueryRow(b.ctx, `INSERT INTO residents (platform, user_id, chat_id, lang, name, unreachable_at)
		VALUES ('telegram', $1, $1, 'fa', 'staff', now()) RETURNING id`, staffChat).Scan(&b.staff); err != nil {
		t.Fatal(err)
	}
	return b
}

// residents adds residents with user (and chat) ids from..to on Telegram, every third one
// Azeri, and returns the id of the first.
func (b *bcStore) residents(from, to int64) int64 {
	b.t.Helper()
	var first int64
	err := b.db.Pool.QueryRow(b.ctx, `
		WITH r AS (
			INSERT INTO residents (platform, user_id, chat_id, lang, name)
			SELECT 'telegram', g, g, CASE WHEN g % 3 = 0 THEN 'az' ELSE 'fa' END, 'resident ' || g
			FROM generate_series($1::bigint, $2::bigint) g RETURNING id)
		SELECT min(id) FROM r`, from, to).Scan(&first)
	if err != nil {
		b.t.Fatal(err)
	}
	return first
}

const (
	textFa = "کارگاه آموزشی قالی‌بافی از شنبه در سرای محله برگزار می‌شود. <b>ثبت‌نام</b> رایگان است."
	textAz = "خالچا توخوما کارگاهی شنبه گونوندن محله ائوینده کئچیریلیر. <b>یازیلماق</b> پولسوزدور."
)

func (b *bcStore) broadcast(a coopbot.Audience) (int64, int) {
	b.t.Helper()
	id, total, err := b.db.CreateBroadcast(b.ctx, coopbot.NewBroadcast{
		CreatedBy: b.staff, Audience: a, TextFa: textFa, TextAz: textAz,
		Progress: coopbot.ProgressMessage{Platform: coopbot.Telegram, ChatID: staffChat, Lang: coopbot.Persian},
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return id, total
}

// Claims racing on one broadcast never hand out a row twice.
func TestBroadcastClaimsAreExclusive(t *testing.T) {
	t.Parallel()
	b := newStore(t)
	b.residents(40_000, 41_999)
	id, total := b.broadcast(coopbot.Audience{Kind: coopbot.AudienceAll})
	if total != 2000 {
		t.Fatalf("queued %d, want the 2000 reachable residents", total)
	}
	var (
		mu   sync.Mutex
		seen = map[int64]string{}
		wg   sync.WaitGroup
	)
	for _, who := range []string{"a", "b", "c", "d"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rows, err := b.db.ClaimDeliveries(b.ctx, id, coopbot.Telegram, 7, 0, who, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(rows) == 0 {
					return
				}
				mu.Lock()
				for _, d := range rows {
					if other, ok := seen[d.ID]; ok {
						t.Errorf("delivery %d claimed by %s and %s", d.ID, other, who)
					}
					seen[d.ID] = who
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 2000 {
		t.Fatalf("%d deliveries claimed, want all 2000", len(seen))
	}
}

// Audiences: neighborhoods, one language, members of a cooperative.
func TestBroadcastAudiences(t *testing.T) {
	t.Parallel()
	b := newStore(t)
	if err := b.db.Seed(b.ctx); err != nil {
		t.Fatal(err)
	}
	first := b.residents(90_000, 90_029)
	var n1, n2 int64
	b.db.Pool.QueryRow(b.ctx, `SELECT min(id), max(id) FROM neighborhoods`).Scan(&n1, &n2)
	// Ten in the first neighborhood, five in the last, the rest nowhere yet.
	b.db.Pool.Exec(b.ctx, `UPDATE residents SET neighborhood_id = $2 WHERE id >= $1 AND id < $1 + 10`, first, n1)
	b.db.Pool.Exec(b.ctx, `UPDATE residents SET neighborhood_id = $2 WHERE id >= $1 + 10 AND id < $1 + 15`, first, n2)
	var coop int64
	b.db.Pool.QueryRow(b.ctx, `SELECT min(id) FROM cooperatives`).Scan(&coop)
	for i, status := range []string{"approved", "approved", "pending", "rejected", "approved"} {
		_, err := b.db.Pool.Exec(b.ctx, `INSERT INTO join_requests (cooperative_id, resident_id, full_name, national_id_enc, national_id_hash,
			phone_enc, phone_hash, share, status, decided_at) VALUES ($1, $2, 'x', '\x00', '\x00', '\x00', '\x00', 1, $3, CASE WHEN $3 <> 'pending' THEN now() END)`,
			coop, first+int64(i), status)
		if err != nil {
			t.Fatal(err)
		}
	}
	var training int64
	if err := b.db.Pool.QueryRow(b.ctx, `SELECT min(id) FROM trainings WHERE starts_at > now()`).Scan(&training); err != nil {
		t.Fatal(err)
	}
	for i, status := range []string{"confirmed", "waitlisted", "cancelled", "confirmed"} {
		if _, err := b.db.Pool.Exec(b.ctx, `INSERT INTO training_enrollments (training_id, resident_id, status) VALUES ($1, $2, $3)`,
			training, first+10+int64(i), status); err != nil {
			t.Fatal(err)
		}
	}
	count := func(a coopbot.Audience) map[string]int {
		cs, err := b.db.AudienceCounts(b.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, c := range cs {
			out[string(c.Platform)+"/"+string(c.Lang)] = c.Residents
		}
		return out
	}
	// User ids 90000..90029: every third (divisible by 3) is Azeri.
	for _, tc := range []struct {
		a    coopbot.Audience
		want map[string]int
	}{
		{coopbot.Audience{Kind: coopbot.AudienceAll}, map[string]int{"telegram/fa": 20, "telegram/az": 10}},
		{coopbot.Audience{Kind: coopbot.AudienceNeighborhoods, IDs: []int64{n1}}, map[string]int{"telegram/fa": 6, "telegram/az": 4}},
		{coopbot.Audience{Kind: coopbot.AudienceNeighborhoods, IDs: []int64{n1, n2}}, map[string]int{"telegram/fa": 10, "telegram/az": 5}},
		{coopbot.Audience{Kind: coopbot.AudienceLang, Lang: coopbot.Azeri}, map[string]int{"telegram/az": 10}},
		{coopbot.Audience{Kind: coopbot.AudienceCooperative, IDs: []int64{coop}}, map[string]int{"telegram/fa": 2, "telegram/az": 1}},
		// user ids 90010..90013: confirmed, wait-listed, cancelled (the Azeri one), confirmed
		{coopbot.Audience{Kind: coopbot.AudienceTraining, IDs: []int64{training}}, map[string]int{"telegram/fa": 3}},
	} {
		got := count(tc.a)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("audience %+v: counts %v, want %v", tc.a, got, tc.want)
		}
	}
	coops, err := b.db.AudienceCooperatives(b.ctx)
	if err != nil || len(coops) == 0 {
		t.Fatalf("cooperatives = %v, %v", coops, err)
	}
	for _, c := range coops {
		if c.ID == coop && c.Members != 3 {
			t.Fatalf("cooperative %d has %d members, want 3 approved", c.ID, c.Members)
		}
	}
	trainings, err := b.db.AudienceTrainings(b.ctx)
	if err != nil || len(trainings) != 1 || trainings[0].ID != training || trainings[0].Members != 3 {
		t.Fatalf("trainings with enrollees = %+v, %v; want the one with 3", trainings, err)
	}
	if _, _, err := b.db.CreateBroadcast(b.ctx, coopbot.NewBroadcast{CreatedBy: b.staff, Audience: coopbot.Audience{Kind: "nobody"}, TextFa: "x",
		Progress: coopbot.ProgressMessage{Platform: coopbot.Telegram, ChatID: staffChat, Lang: coopbot.Persian}}); coopbot.ErrorCode(err) != coopbot.EInvalid {
		t.Fatalf("unknown audience kind: %v, want invalid", err)
	}
}

// A broadcast keeps its file and button for the runners; a button whose training has
// started or was cancelled, or whose cooperative closed, is refused on confirm, and so is
// a file with a text longer than a caption.
func TestBroadcastFileAndButton(t *testing.T) {
	t.Parallel()
	b := newStore(t)
	b.residents(50_000, 50_002)
	var nbh, training, coop int64
	if err := b.db.Pool.QueryRow(b.ctx, `INSERT INTO neighborhoods (city, name_fa, name_az) VALUES ('تبریز', 'سرخاب', 'سورخاب') RETURNING id`).Scan(&nbh); err != nil {
		t.Fatal(err)
	}
	tr := &coopbot.Training{NeighborhoodID: nbh, TitleFa: "قالی‌بافی", TitleAz: "خالچا", DescriptionFa: "شرح", DescriptionAz: "شرح",
		VenueName: "سرا", VenueAddress: "کوچه", StartsAt: time.Now().Add(72 * time.Hour), Duration: time.Hour, Capacity: 5}
	training, err := b.db.CreateTraining(b.ctx, tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.db.Pool.QueryRow(b.ctx, `INSERT INTO cooperatives (neighborhood_id, name_fa, name_az, activity_fa, activity_az, min_share)
		VALUES ($1, 'تعاونی', 'تعاونی', 'فرش', 'خالچا', 1) RETURNING id`, nbh).Scan(&coop); err != nil {
		t.Fatal(err)
	}
	file := &coopbot.File{Platform: coopbot.Bale, Kind: coopbot.FilePhoto, ID: "AgACAgQAAx-poster"}
	create := func(text string, btn *coopbot.BroadcastButton) error {
		_, _, err := b.db.CreateBroadcast(b.ctx, coopbot.NewBroadcast{
			CreatedBy: b.staff, Audience: coopbot.Audience{Kind: coopbot.AudienceAll}, TextFa: text, TextAz: text, File: file, Button: btn,
			Progress: coopbot.ProgressMessage{Platform: coopbot.Telegram, ChatID: staffChat, Lang: coopbot.Persian},
		})
		return err
	}
	if err := create(textFa, &coopbot.BroadcastButton{Kind: coopbot.ButtonTraining, ID: training}); err != nil {
		t.Fatal(err)
	}
	running, err := b.db.RunningBroadcasts(b.ctx)
	if err != nil || len(running) != 1 {
		t.Fatalf("running %+v, %v", running, err)
	}
	if got := running[0]; got.File == nil || *got.File != *file || got.Button == nil || got.Button.ID != training || got.Plain() {
		t.Fatalf("read back file %+v and button %+v", got.File, got.Button)
	}
	if err := create(textFa, &coopbot.BroadcastButton{Kind: coopbot.ButtonCooperative, ID: coop}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Pool.Exec(b.ctx, `UPDATE trainings SET status = 'cancelled' WHERE id = $1`, training); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Pool.Exec(b.ctx, `UPDATE cooperatives SET status = 'closed' WHERE id = $1`, coop); err != nil {
		t.Fatal(err)
	}
	for _, btn := range []coopbot.BroadcastButton{{Kind: coopbot.ButtonTraining, ID: training}, {Kind: coopbot.ButtonCooperative, ID: coop}} {
		if err := create(textFa, &btn); coopbot.ErrorMsgID(err) != "broadcast.button.gone" {
			t.Errorf("button of a closed %s: %v, want broadcast.button.gone", btn.Kind, err)
		}
	}
	if err := create(strings.Repeat("ب", 1100), nil); coopbot.ErrorCode(err) != coopbot.EInvalid {
		t.Errorf("a file with a 1,100-character text: %v, want invalid", err)
	}
	var n int
	if err := b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM broadcasts`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d broadcasts (%v), want the two confirmed", n, err)
	}
}
