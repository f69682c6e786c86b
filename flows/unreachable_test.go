package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
)

// unreachable reports whether the resident with this user id is marked unreachable.
func unreachable(t *testing.T, h *chattest.Harness, userID int64) bool {
	t.Helper()
	var marked bool
	err := h.DB.Pool.QueryRow(context.Background(), `SELECT unreachable_at IS NOT NULL FROM residents WHERE platform = 'telegram' AND user_id = $1`, userID).Scan(&marked)
	if err != nil {
		t.Fatal(err)
	}
	return marked
}

// Row "a resident who blocked the bot and later writes again": a cooperative admin blocks
// the bot while their conversation is still in Redis, misses a decision card and is marked
// unreachable; once they write again (anything: here a greeting at what was their menu)
// they are reachable, and the next request's card reaches them.
func TestBlockedAdminWhoWritesAgainGetsTheNextCard(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	a := e.admin(9031, coopbot.Persian, carpetFa)
	e.h.API.Block(a.ID)
	u := e.h.User(1031)
	u.Onboard("سرخاب")
	first := e.apply(u, application{coopFa: carpetFa, name: "مینا عباسی", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	e.eventually(func() bool { return unreachable(t, e.h, a.ID) })
	e.eventually(func() bool {
		return e.sql(`SELECT count(*) FROM river_job WHERE kind = 'join_card' AND state = 'completed'`) == 1
	})

	e.h.API.Unblock(a.ID)
	a.Send("سلام")
	a.Sees("conv.reset") // the conversation the block cut short starts over politely
	a.Sees("menu.title")
	e.h.Idle()
	if unreachable(t, e.h, a.ID) {
		t.Fatal("still marked unreachable after writing again")
	}
	v := e.h.User(1032)
	v.Onboard("سرخاب")
	second := e.apply(v, application{coopFa: carpetFa, name: "کاوه مرادی", nid: nid2, phone: "09141234567", share: "۵۰۰ هزار تومان"})
	a.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(second))...)
	missed := a.Text("coop.card.title", coop(carpetFa, "ID", recordNo(first))...)
	for _, m := range a.E.Messages() {
		if strings.Contains(m.Text, missed) {
			t.Fatal("the card sent while the admin had blocked the bot was delivered")
		}
	}
}

// Row "a resident who blocked the bot and later writes again": blocked during a broadcast,
// they are marked unreachable and left out of the next audience; after they write again
// (a greeting at the menu: their conversation was still in Redis when they blocked) the
// next broadcast reaches them.
func TestBlockedResidentWhoWritesAgainGetsBroadcasts(t *testing.T) {
	t.Parallel()
	h := bcHarness(t, 1000)
	staff := h.User(1)
	staff.Onboard("ولیعصر")
	r := h.User(1301)
	r.Onboard("سرخاب")
	other := h.User(1302)
	other.Onboard("سرخاب")
	broadcast := func(n int, text string, total string) {
		t.Helper()
		staff.Press("broadcast.menu")
		staff.Sees("broadcast.audience.prompt")
		staff.Press("broadcast.audience.neighborhoods")
		staff.Sees("broadcast.neighborhoods.prompt")
		staff.Send("سرخاب")
		bcTicked(t, staff, "سرخاب")
		staff.Press("broadcast.neighborhoods.continue")
		staff.Sees("broadcast.mode.prompt")
		staff.Press("broadcast.mode.one")
		staff.Sees("broadcast.text.prompt_one")
		staff.Send(text)
		bcNoExtras(t, staff)
		staff.Sees("broadcast.when.prompt")
		staff.Press("broadcast.when.now")
		staff.Sees("broadcast.preview.total", "Total", total)
		staff.Press("broadcast.confirm")
		staff.Sees("broadcast.report.title", "ID", recordNo(int64(n)))
	}

	h.API.Block(r.ID)
	broadcast(1, "جلسهٔ اول", "۲")
	other.SeesText("جلسهٔ اول")
	if !unreachable(t, h, r.ID) {
		t.Fatal("a resident who blocked the bot is not marked unreachable")
	}
	h.API.Unblock(r.ID)
	broadcast(2, "جلسهٔ دوم", "۱") // still unreachable: left out
	other.SeesText("جلسهٔ دوم")

	r.Send("سلام")
	r.Sees("menu.title")
	h.Idle()
	broadcast(3, "جلسهٔ سوم", "۲")
	r.SeesText("جلسهٔ سوم")
	r.Quiet(200 * time.Millisecond)
	for _, m := range r.E.Messages() {
		if m.Text == "جلسهٔ اول" || m.Text == "جلسهٔ دوم" {
			t.Fatalf("got %q, sent while blocked or marked", m.Text)
		}
	}
}
