package flows_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// pressOn presses the button labelled with message id on one given message.
func pressOn(t *testing.T, u *chattest.User, msgID int, id string, kv ...any) {
	t.Helper()
	if err := u.E.PressOn(msgID, u.Text(id, kv...)); err != nil {
		t.Fatal(err)
	}
}

// becomes waits until the user's message msgID (edited in place) holds each of the
// rendered messages, and returns it.
func (e *joinEnv) becomes(u *chattest.User, msgID int, msgs ...[]any) emulator.Message {
	e.t.Helper()
	var m emulator.Message
	holds := func() bool {
		for _, mm := range u.E.Messages() {
			if mm.ID != msgID {
				continue
			}
			m = mm
			for _, want := range msgs {
				if !strings.Contains(mm.Text, u.Text(want[0].(string), want[1:]...)) {
					return false
				}
			}
			return true
		}
		return false
	}
	e.eventually(holds)
	return m
}

// noButtons fails when a message still offers buttons.
func noButtons(t *testing.T, m emulator.Message) {
	t.Helper()
	if len(m.Inline) != 0 {
		t.Fatalf("the decided card still has buttons %v:\n%s", m.Inline, m.Text)
	}
}

func TestCoopRejectEditsTheCardAndOffersTheNext(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	admin := e.admin(9101, coopbot.Persian, carpetFa)
	u1 := e.h.User(1101)
	u1.Onboard("سرخاب")
	id1 := e.apply(u1, application{coopFa: carpetFa, name: "مریم رحیمی", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	card1 := admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id1))...)
	u2 := e.h.User(1102)
	u2.Onboard("سرخاب")
	id2 := e.apply(u2, application{coopFa: carpetFa, name: "فاطمه حسینی", nid: nid2, phone: "09141234567", share: "۵۰۰ هزار تومان"})
	admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id2))...)

	// The admin rejects the first card, giving the reason in their own words.
	pressOn(t, admin, card1.ID, "coop.card.reject")
	admin.Sees("coop.reject.prompt", "ID", recordNo(id1))
	admin.Send("مدارک ناقص است")
	admin.Sees("coop.reject.done", "ID", recordNo(id1), "Name", text.Isolate("مریم رحیمی"))
	// Then the next request of the cooperative is offered, its card ready to decide.
	offer := admin.Sees("coop.next", coop(carpetFa, "Count", "۱")...)
	contains(t, admin, offer, msg("coop.card.title", coop(carpetFa, "ID", recordNo(id2))...),
		msg("coop.card.name", "Name", text.Isolate("فاطمه حسینی")), msg("coop.card.nid", "NationalID", text.NationalID(nid2)))
	admin.Sees("menu.title")

	// The first card now says who rejected it, when and why; nothing is left to press.
	r1 := e.decided(id1)
	if r1.Status != coopbot.JoinRejected || r1.DeciderName == "" {
		t.Fatalf("request %+v", r1)
	}
	noButtons(t, e.becomes(admin, card1.ID,
		msg("coop.card.rejected", "Name", text.Isolate(r1.DeciderName), "Date", whenText(r1.DecidedAt)),
		msg("join.reason.own", "Text", text.Isolate("مدارک ناقص است"))))
	u1.Sees("join.notify.rejected", coop(carpetFa, "ID", recordNo(id1))...)

	// Approving the offered card edits it too, and says no other request waits.
	pressOn(t, admin, offer.ID, "coop.card.approve")
	admin.Sees("coop.next.none", coop(carpetFa)...)
	r2 := e.decided(id2)
	noButtons(t, e.becomes(admin, offer.ID,
		msg("coop.card.approved", "Name", text.Isolate(r2.DeciderName), "Date", whenText(r2.DecidedAt))))
	e.toasted(admin, "coop.toast.approved")
	u2.Sees("join.notify.approved", coop(carpetFa, "ID", recordNo(id2))...)
}

func TestCoopRejectFromThePendingList(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	admin := e.admin(9103, coopbot.Azeri, shopFa)
	u := e.h.User(1103)
	u.Onboard("ائل‌گلی")
	id := e.apply(u, application{coopFa: shopFa, name: "علی نوروزی", nid: nid1, phone: "09121112233", share: "۲۰۰ هزار تومان"})
	admin.Sees("coop.card.title", coop(shopFa, "ID", recordNo(id))...)

	admin.Press("coop.pending.menu")
	admin.Sees("coop.pending.title", "Count", "۱")
	admin.Press("coop.pending.open", "ID", recordNo(id), "Name", text.Isolate("علی نوروزی"))
	card := admin.Sees("coop.card.title", coop(shopFa, "ID", recordNo(id))...)
	pressOn(t, admin, card.ID, "coop.card.reject")
	admin.Sees("coop.reject.prompt", "ID", recordNo(id))
	admin.Press("coop.reason.not_local")
	admin.Sees("coop.reject.done", "ID", recordNo(id), "Name", text.Isolate("علی نوروزی"))
	admin.Sees("coop.next.none", coop(shopFa)...)

	r := e.decided(id)
	noButtons(t, e.becomes(admin, card.ID,
		msg("coop.card.rejected", "Name", text.Isolate(r.DeciderName), "Date", whenText(r.DecidedAt)),
		msg("coop.reason.not_local")))
	// A later press on the card the job sent changes nothing.
	admin.Press("coop.card.approve")
	e.toasted(admin, "coop.toast.already")
	if r2 := e.request(id); r2.Status != coopbot.JoinRejected {
		t.Fatalf("status = %s", r2.Status)
	}
}

func TestJoinToACooperativeWithoutAdmins(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	u := e.h.User(1104).Speaks(coopbot.Azeri)
	u.Onboard("حکم‌آباد")
	// Nobody at the bakery cooperative decides yet: the resident is told the office has it,
	// not that its admins do.
	id := e.apply(u, application{coopFa: breadFa, name: "یوسف نظری", nid: nid1, phone: "09121112233", share: "۳ میلیون تومان", office: true})
	if n := count(u, "join.submitted", coop(breadFa, "ID", recordNo(id))...); n != 0 {
		t.Fatal("the resident was told the cooperative's admins got the request")
	}
	// Staff get its card at once, by a durable job, once.
	title := coop(breadFa, "ID", recordNo(id))
	e.staff.Sees("coop.card.title", title...)
	if n := e.sql(`SELECT count(*) FROM river_job WHERE kind = 'join_card' AND (args->>'request_id')::bigint = $1
		AND (args->>'admin_id')::bigint = $2`, id, e.residentID(e.staff)); n != 1 {
		t.Fatalf("%d card jobs to staff, want 1", n)
	}
	e.h.Idle()
	e.staff.Quiet(500 * time.Millisecond)
	if n := count(e.staff, "coop.card.title", title...); n != 1 {
		t.Fatalf("staff got %d cards, want 1", n)
	}

	// Once the cooperative has an admin, its requests go to them as before.
	admin := e.admin(9104, coopbot.Persian, breadFa)
	v := e.h.User(1105)
	v.Onboard("حکم‌آباد")
	id2 := e.apply(v, application{coopFa: breadFa, name: "رقیه صمدی", nid: nid2, phone: "09141234567", share: "۳ میلیون تومان"})
	admin.Sees("coop.card.title", coop(breadFa, "ID", recordNo(id2))...)
}

func TestMistypedInviteCodes(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	u := e.h.User(1106)
	u.Onboard("سرخاب")
	// Shaped like a code but with characters no code has (1, O, I, L, 0), in any digit
	// script, with or without the dash: the code is not valid, and the menu is there.
	for _, typed := range []string{"ABCD-1234", "abcd ۱۲۳۴", "XYZW0OIL", "hjkm-npq1", "PQRS–٢٣٤١"} {
		u.Send(typed)
		again := u.Sees("admin.invite.invalid")
		contains(t, u, again, msg("menu.title"))
	}
	// Words and numbers are not taken for codes.
	for _, typed := range []string{"language", "12345678", "ABC-123"} {
		u.Send(typed)
		u.Sees("menu.unknown")
	}
	// A real code still works after mistakes.
	code := e.invite(techFa)
	u.Send(code)
	u.Sees("admin.invite.redeemed", coop(techFa)...)
}

// recordNo is a record number as the cards show it.
func recordNo(id int64) string { return text.FaDigits(strconv.FormatInt(id, 10)) }

// whenText is a moment as the cards show it: Jalali date and time.
func whenText(t time.Time) string { return text.Date(t) + " " + text.Clock(t) }
