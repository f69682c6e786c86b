package flows_test

import (
	"context"
	"strings"
	"testing"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// nid3 is a third valid national ID.
const nid3 = "0023456787"

// refused submits a filled form whose national ID is another account's at the
// cooperative: the resident is told so, asked the national ID again, and nothing is sent.
func (e *joinEnv) refused(u *chattest.User, coopFa string) {
	e.t.Helper()
	before := e.newestRequest(u)
	u.Press("join.review.submit")
	u.Sees("join.nid.taken", coop(coopFa)...)
	u.Sees("join.nid.prompt")
	e.h.Idle()
	if after := e.newestRequest(u); after != before {
		e.t.Fatalf("a refused request was stored: %d", after)
	}
}

func TestJoinSameNationalIDFromAnotherAccount(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	admin := e.admin(9201, coopbot.Azeri, carpetFa)
	u1 := e.h.User(1201)
	u1.Onboard("سرخاب")
	id1 := e.apply(u1, application{coopFa: carpetFa, name: "مریم رحیمی", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id1))...)

	// A second account sends the same national ID (written in Persian digits) to the same
	// cooperative while the first request is pending: refused at submission, in Persian.
	u2 := e.h.User(1202)
	u2.Onboard("سرخاب")
	e.fill(u2, application{coopFa: carpetFa, name: "مریم رحیمی", nid: text.FaDigits(nid1), phone: "09141234567", share: "۵۰۰ هزار تومان"})
	e.refused(u2, carpetFa)
	if n := e.sql(`SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'join_nid_taken' AND NOT allowed`, e.residentID(u2)); n != 1 {
		t.Fatalf("%d refusals audited, want 1", n)
	}
	if n := e.sql(`SELECT count(*) FROM audit_log WHERE action = 'join_nid_taken' AND detail::text LIKE '%' || $1 || '%'`, nid1); n != 0 {
		t.Fatal("the audit row holds the national ID")
	}
	// Their own, right national ID goes through, from the review.
	u2.Send(nid2)
	u2.Sees("join.review.title")
	id2 := e.lastRequestAfterSubmit(u2)
	u2.Sees("join.submitted", coop(carpetFa, "ID", recordNo(id2))...)
	admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id2))...)

	// Once the first is a member, a third account with that ID is refused too, in Azeri.
	admin.Press("coop.pending.menu")
	admin.Press("coop.pending.open", "ID", recordNo(id1), "Name", text.Isolate("مریم رحیمی"))
	admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id1))...)
	admin.Press("coop.card.approve")
	e.decided(id1)
	u3 := e.h.User(1203).Speaks(coopbot.Azeri)
	u3.Onboard("سرخاب")
	e.fill(u3, application{coopFa: carpetFa, name: "Məryəm Rəhimi", nid: nid1, phone: "09141234567", share: "۵۰۰ هزار تومان"})
	e.refused(u3, carpetFa)

	// The same ID at another cooperative is the office's to weigh, not refused; and a
	// withdrawn request does not hold the ID.
	u3.Send("/menu")
	u3.Sees("menu.title")
	id3 := e.apply(u3, application{coopFa: techFa, name: "Məryəm Rəhimi", nid: nid1, phone: "09141234567", share: "۵ میلیون تومان", office: true})
	u3.Press("join.mine.menu")
	u3.Press("join.mine.open", "ID", recordNo(id3), "Coop", techAz)
	u3.Press("join.mine.withdraw")
	u3.Press("join.withdraw.yes")
	u3.Sees("join.withdrawn", coop(techFa, "ID", recordNo(id3))...)
	u4 := e.h.User(1204)
	u4.Onboard("مارالان")
	e.apply(u4, application{coopFa: techFa, name: "مریم رحیمی", nid: nid1, phone: "09121112233", share: "۵ میلیون تومان", office: true})
}

// lastRequestAfterSubmit presses submit on the review and returns the new request's id.
func (e *joinEnv) lastRequestAfterSubmit(u *chattest.User) int64 {
	e.t.Helper()
	before := e.newestRequest(u)
	u.Press("join.review.submit")
	return e.lastRequest(u, before)
}

func TestJoinCardShowsTheOtherCooperatives(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	carpet := e.admin(9211, coopbot.Persian, carpetFa)
	shop := e.admin(9212, coopbot.Azeri, shopFa)
	u := e.h.User(1211)
	u.Onboard("سرخاب")
	idCarpet := e.apply(u, application{coopFa: carpetFa, name: "زهرا احمدی", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	first := carpet.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(idCarpet))...)
	if strings.Contains(first.Text, "⚠️") {
		t.Fatalf("a first request's card warns of others:\n%s", first.Text)
	}

	// The same person applies to a second cooperative: its admin (Azeri) reads that the
	// ID has applied to the first, which is named; the ID is said once, on its own line.
	idShop := e.apply(u, application{coopFa: shopFa, name: "زهرا احمدی", nid: nid1, phone: "09121112233", share: "۲ میلیون تومان"})
	card := shop.Sees("coop.card.title", coop(shopFa, "ID", recordNo(idShop))...)
	contains(t, shop, card, msg("coop.card.elsewhere.applied", coop(carpetFa)...))
	if n := strings.Count(card.Text, text.NationalID(nid1)); n != 1 {
		t.Fatalf("the card shows the national ID %d times:\n%s", n, card.Text)
	}

	// The first cooperative's admin, opening the request again, reads it (in Persian).
	carpet.Press("coop.pending.menu")
	carpet.Press("coop.pending.open", "ID", recordNo(idCarpet), "Name", text.Isolate("زهرا احمدی"))
	again := carpet.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(idCarpet))...)
	contains(t, carpet, again, msg("coop.card.elsewhere.applied", coop(shopFa)...))
	carpet.Press("coop.card.approve")
	e.decided(idCarpet)

	// Another account with the same ID applies to a third cooperative, which has no
	// admin: the office's card says it is a member of one and has applied to the other.
	v := e.h.User(1212).Speaks(coopbot.Azeri)
	v.Onboard("مارالان")
	idTech := e.apply(v, application{coopFa: techFa, name: "Zəhra Əhmədi", nid: nid1, phone: "09141234567", share: "۵ میلیون تومان", office: true})
	office := e.staff.Sees("coop.card.title", coop(techFa, "ID", recordNo(idTech))...)
	contains(t, e.staff, office, msg("coop.card.elsewhere.member", coop(carpetFa)...), msg("coop.card.elsewhere.applied", coop(shopFa)...))
	if strings.Index(office.Text, e.staff.Text("coop.card.elsewhere.member", coop(carpetFa)...)) >
		strings.Index(office.Text, e.staff.Text("coop.card.elsewhere.applied", coop(shopFa)...)) {
		t.Fatalf("memberships are not said first:\n%s", office.Text)
	}

	// A request of someone else (another ID) warns of nothing.
	w := e.h.User(1213)
	w.Onboard("ائل‌گلی")
	idOther := e.apply(w, application{coopFa: shopFa, name: "علی نوروزی", nid: nid2, phone: "09121112233", share: "۲ میلیون تومان"})
	plain := shop.Sees("coop.card.title", coop(shopFa, "ID", recordNo(idOther))...)
	if strings.Contains(plain.Text, "⚠️") {
		t.Fatalf("another person's card warns:\n%s", plain.Text)
	}
}

// backdate makes a request look sent days ago.
func (e *joinEnv) backdate(id int64, days int) {
	e.t.Helper()
	if _, err := e.h.DB.Pool.Exec(context.Background(), `UPDATE join_requests SET created_at = now() - make_interval(days => $2, mins => 5) WHERE id = $1`, id, days); err != nil {
		e.t.Fatal(err)
	}
}

func TestOverdueJoinRequests(t *testing.T) {
	t.Parallel()
	const azStaffID = 9230
	e := newJoinEnv(t, chattest.Options{Admins: chattest.Staff(azStaffID)})
	admin := e.admin(9231, coopbot.Persian, carpetFa)
	azStaff := e.h.User(azStaffID).Speaks(coopbot.Azeri)
	azStaff.Onboard("ولیعصر")

	u1 := e.h.User(1231)
	u1.Onboard("سرخاب")
	fresh := e.apply(u1, application{coopFa: carpetFa, name: "مریم رحیمی", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	u2 := e.h.User(1232).Speaks(coopbot.Azeri)
	u2.Onboard("سرخاب")
	late := e.apply(u2, application{coopFa: carpetFa, name: "آیدین قاسمی", nid: nid2, phone: "09141234567", share: "۵۰۰ هزار تومان"})
	u3 := e.h.User(1233)
	u3.Onboard("حکم‌آباد")
	later := e.apply(u3, application{coopFa: breadFa, name: "یوسف نظری", nid: nid3, phone: "09121112233", share: "۳ میلیون تومان", office: true})

	// Nothing is overdue yet.
	e.staff.Press("coop.overdue.menu")
	e.staff.Sees("coop.overdue.none")
	e.staff.Send("/menu")
	e.staff.Sees("menu.title")

	// Past the reminder (three days by default): four and six days old.
	e.backdate(late, 4)
	e.backdate(later, 6)

	// The cooperative's admin sees the overdue one marked, with its days, and first.
	admin.Press("coop.pending.menu")
	list := admin.Sees("coop.pending.title", "Count", "۲")
	contains(t, admin, list, msg("coop.pending.overdue", "Count", "۱"),
		msg("coop.pending.item_overdue", "ID", recordNo(late), "Name", text.Isolate("آیدین قاسمی"), "Coop", carpetFa, "Days", "۴"))
	lateAt := strings.Index(list.Text, admin.Text("coop.pending.item_overdue", "ID", recordNo(late), "Name", text.Isolate("آیدین قاسمی"), "Coop", carpetFa, "Days", "۴"))
	freshAt := strings.Index(list.Text, admin.Text("coop.pending.item", "ID", recordNo(fresh), "Name", text.Isolate("مریم رحیمی"), "Coop", carpetFa, "Date", whenText(e.request(fresh).CreatedAt)))
	if freshAt < 0 || lateAt > freshAt {
		t.Fatalf("the overdue request is not listed first:\n%s", list.Text)
	}
	labels := strings.Join(admin.Buttons(), "|")
	if !strings.Contains(labels, admin.Text("coop.pending.open_overdue", "ID", recordNo(late), "Name", text.Isolate("آیدین قاسمی"))) ||
		!strings.Contains(labels, admin.Text("coop.pending.open", "ID", recordNo(fresh), "Name", text.Isolate("مریم رحیمی"))) {
		t.Fatalf("buttons %q", labels)
	}
	admin.Send("/menu")
	admin.Sees("menu.title")
	// An admin is not offered the office's list across cooperatives.
	if strings.Contains(strings.Join(admin.Buttons(), "|"), admin.Text("coop.overdue.menu")) {
		t.Fatal("a cooperative admin is offered the overdue list of every cooperative")
	}

	// Staff see the overdue requests of every cooperative, longest waiting first, with
	// the cooperative, the applicant's real name and the days; not the fresh one.
	e.staff.Send("/menu")
	e.staff.Sees("menu.title")
	e.staff.Press("coop.overdue.menu")
	over := e.staff.Sees("coop.overdue.title", "Count", "۲")
	bread := e.staff.Text("coop.overdue.item", "ID", recordNo(later), "Name", text.Isolate("یوسف نظری"), "Coop", breadFa, "Days", "۶")
	carpetLine := e.staff.Text("coop.overdue.item", "ID", recordNo(late), "Name", text.Isolate("آیدین قاسمی"), "Coop", carpetFa, "Days", "۴")
	if i, j := strings.Index(over.Text, bread), strings.Index(over.Text, carpetLine); i < 0 || j < 0 || i > j {
		t.Fatalf("overdue list:\n%s", over.Text)
	}
	if strings.Contains(over.Text, "مریم رحیمی") {
		t.Fatalf("a fresh request is listed as overdue:\n%s", over.Text)
	}
	// Its button opens the card, ready to decide.
	e.staff.Press("coop.pending.open_overdue", "ID", recordNo(later), "Name", text.Isolate("یوسف نظری"))
	card := e.staff.Sees("coop.card.title", coop(breadFa, "ID", recordNo(later))...)
	contains(t, e.staff, card, msg("coop.card.nid", "NationalID", text.NationalID(nid3)))
	e.staff.Press("coop.card.approve")
	e.decided(later)

	// Azeri-speaking staff read the same list in Azeri; the decided one has left it.
	azStaff.Press("coop.overdue.menu")
	az := azStaff.Sees("coop.overdue.title", "Count", "۱")
	contains(t, azStaff, az, msg("coop.overdue.item", "ID", recordNo(late), "Name", text.Isolate("آیدین قاسمی"), "Coop", carpetAz, "Days", "۴"))
	azStaff.Press("coop.pending.open_overdue", "ID", recordNo(late), "Name", text.Isolate("آیدین قاسمی"))
	azStaff.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(late))...)

	// A resident is not offered the list, and a forged press of it is refused and recorded.
	if strings.Contains(strings.Join(u1.Buttons(), "|"), u1.Text("coop.overdue.menu")) {
		t.Fatal("a resident is offered the overdue list")
	}
	ms := u1.E.Messages()
	menu := ms[len(ms)-1]
	data, _, ok := strings.Cut(menu.Inline[0][0].Data, ":join")
	if !ok {
		t.Fatalf("menu buttons %v", menu.Inline)
	}
	u1.E.PressData(menu.ID, data+":coop_overdue")
	u1.Sees("menu.unknown")
	e.h.Idle()
	if n := e.sql(`SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'menu_coop_overdue' AND NOT allowed`, e.residentID(u1)); n != 1 {
		t.Fatalf("%d refusals recorded, want 1", n)
	}
}
