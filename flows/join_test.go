package flows_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// The demo cooperatives the tests apply to (seeded), Persian name → Azeri name.
const (
	carpetFa = "تعاونی فرش‌بافی بانوان سرخاب"
	carpetAz = "سورخاب خانیملار خالچا توخوما تعاونیسی"
	shopFa   = "تعاونی مصرف محله ائل‌گلی"
	shopAz   = "ائل‌گؤلو محله‌سی ایستهلاک تعاونیسی"
	techFa   = "تعاونی خدمات فنی جوانان مارالان"
	techAz   = "مارالان گنج‌لری فنی خدمتلر تعاونیسی"
	breadFa  = "تعاونی نان و شیرینی محلی حکم‌آباد"
	breadAz  = "حؤکم‌آباد یئرلی چؤرک و شیرنی تعاونیسی"
)

var coopAz = map[string]string{carpetFa: carpetAz, shopFa: shopAz, techFa: techAz, breadFa: breadAz}

// coop is the template data naming a seeded cooperative in both languages.
func coop(fa string, more ...any) []any {
	return append([]any{"Coop", fa, "CoopAz", coopAz[fa]}, more...)
}

// Valid national IDs (check digit right) and one with a wrong check digit.
const (
	nid1       = "0012345679"
	nid2       = "1376543214"
	nidBadSum  = "0012345678"
	staffID    = 9001
	mobile     = "+989121112233"
	mobileText = "۰۹۱۴ ۱۲۳ ۴۵۶۷"
	mobile2    = "+989141234567"
)

type joinEnv struct {
	t     *testing.T
	h     *chattest.Harness
	staff *chattest.User
	codes int // invite codes staff received so far
}

// newJoinEnv starts a bot with one staff member (Persian, onboarded).
func newJoinEnv(t *testing.T, opts ...chattest.Options) *joinEnv {
	t.Helper()
	o := chattest.Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Admins = append(o.Admins, chattest.Staff(staffID)...)
	h := chattest.New(t, o)
	e := &joinEnv{t: t, h: h, staff: h.User(staffID)}
	e.staff.Onboard("ولیعصر")
	return e
}

var inviteCodeRe = regexp.MustCompile(`^[` + coopbot.InviteAlphabet + `]{4}-[` + coopbot.InviteAlphabet + `]{4}$`)

// invite has staff make an admin invite code for a cooperative through the menu.
func (e *joinEnv) invite(coopFa string) string {
	e.t.Helper()
	s := e.staff
	s.Press("admin.invite.menu")
	s.Sees("admin.invite.prompt")
	s.PressLabel(coopFa)
	seesUpTo(s, "admin.invite.created", coop(coopFa, "Date", anyDate)...)
	var code string
	ctx, cancel := context.WithTimeout(context.Background(), chattest.Wait)
	defer cancel()
	err := s.E.Wait(ctx, func(ms []emulator.Message) bool {
		n := 0
		for _, m := range ms {
			if inviteCodeRe.MatchString(m.Text) {
				code, n = m.Text, n+1
			}
		}
		return n > e.codes
	})
	e.codes++
	if err != nil {
		e.t.Fatalf("no invite code message: %v", err)
	}
	s.Sees("menu.title")
	return code
}

// admin onboards a person and makes them an admin of a cooperative by an invite code.
func (e *joinEnv) admin(id int64, lang coopbot.Lang, coopFa string) *chattest.User {
	e.t.Helper()
	a := e.h.User(id).Speaks(lang)
	a.Onboard("نوبر")
	code := e.invite(coopFa)
	a.Send(code)
	a.Sees("admin.invite.redeemed", coop(coopFa)...)
	a.Sees("menu.title")
	return a
}

// anyDate stands for a value not known in advance: seesUpTo matches the text before it.
const anyDate = "\x00any\x00"

// seesUpTo waits for a message that starts like id rendered with kv, up to anyDate.
func seesUpTo(u *chattest.User, id string, kv ...any) emulator.Message {
	s := u.Text(id, kv...)
	if i := strings.Index(s, anyDate); i >= 0 {
		s = s[:i]
	}
	return u.SeesText(s)
}

// toasted waits for the user's newest button answer to be this message.
func (e *joinEnv) toasted(u *chattest.User, id string) {
	e.t.Helper()
	want := u.Text(id)
	e.eventually(func() bool {
		ts := u.E.Toasts()
		return len(ts) > 0 && ts[len(ts)-1] == want
	})
}

// application are the answers a resident gives.
type application struct {
	coopFa, name, nid, phone, share string
	office                          bool // the cooperative has no admin: the office gets the request
}

// apply takes a resident (onboarded, at the main menu) through the whole form with valid
// answers, submits, and returns the request id.
func (e *joinEnv) apply(u *chattest.User, a application) int64 {
	e.t.Helper()
	e.fill(u, a)
	before := e.newestRequest(u)
	u.Press("join.review.submit")
	id := e.lastRequest(u, before)
	sent := "join.submitted"
	if a.office {
		sent = "join.submitted_office"
	}
	u.Sees(sent, coop(a.coopFa, "ID", recordNo(id))...)
	u.Sees("menu.title")
	return id
}

// fill takes a resident (onboarded, at the main menu) through the whole form with valid
// answers, up to the review.
func (e *joinEnv) fill(u *chattest.User, a application) {
	e.t.Helper()
	u.Press("join.menu")
	u.Sees("join.coop.prompt")
	u.Send(a.coopFa) // a typed name is matched too
	u.Sees("join.name.prompt")
	u.Send(a.name)
	u.Sees("join.nid.prompt")
	u.Send(a.nid)
	u.Sees("join.phone.prompt")
	u.Send(a.phone)
	seesUpTo(u, "join.share.prompt", coop(a.coopFa, "Min", anyDate)...)
	u.Send(a.share)
	u.Sees("join.skills.prompt")
	u.Press("join.skill.cooking")
	u.Sees("join.skills.chosen")
	u.Press("join.skills.done")
	u.Sees("join.consent.data")
	u.Press("join.consent.yes")
	u.Sees("join.consent.rules")
	u.Press("join.consent.yes")
	u.Sees("join.review.title")
}

func (e *joinEnv) residentID(u *chattest.User) int64 {
	e.t.Helper()
	p, err := e.h.DB.Profile(context.Background(), coopbot.UserRef{Platform: coopbot.Telegram, UserID: u.ID})
	if err != nil || p.ResidentID == 0 {
		e.t.Fatalf("resident %d: %+v, %v", u.ID, p, err)
	}
	return p.ResidentID
}

// lastRequest waits for a request of the resident newer than after and returns its id.
func (e *joinEnv) lastRequest(u *chattest.User, after int64) int64 {
	e.t.Helper()
	var id int64
	e.eventually(func() bool {
		id = e.newestRequest(u)
		return id > after
	})
	return id
}

func (e *joinEnv) newestRequest(u *chattest.User) int64 {
	e.t.Helper()
	var id int64
	err := e.h.DB.Pool.QueryRow(context.Background(), `
		SELECT COALESCE(max(j.id), 0) FROM join_requests j JOIN residents r ON r.id = j.resident_id
		WHERE r.user_id = $1`, u.ID).Scan(&id)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *joinEnv) request(id int64) *coopbot.JoinRequest {
	e.t.Helper()
	r, err := e.h.DB.JoinRequest(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// decided waits until a request is no longer pending and returns it.
func (e *joinEnv) decided(id int64) *coopbot.JoinRequest {
	e.t.Helper()
	var r *coopbot.JoinRequest
	e.eventually(func() bool {
		r = e.request(id)
		return r.Status != coopbot.JoinPending
	})
	return r
}

func (e *joinEnv) eventually(cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(chattest.Wait)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *joinEnv) sql(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.h.DB.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// count is how many of the user's messages contain the message id rendered with kv.
func count(u *chattest.User, id string, kv ...any) int {
	want := u.Text(id, kv...)
	n := 0
	for _, m := range u.E.Messages() {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// contains fails unless the message holds each of the rendered messages.
func contains(t *testing.T, u *chattest.User, m emulator.Message, msgs ...[]any) {
	t.Helper()
	for _, mm := range msgs {
		want := u.Text(mm[0].(string), mm[1:]...)
		if !strings.Contains(m.Text, want) {
			t.Errorf("message lacks %q:\n%s", want, m.Text)
		}
	}
}

// msg is shorthand for a message ID with template data.
func msg(id string, kv ...any) []any { return append([]any{id}, kv...) }

func TestJoinHappyPathPersian(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	admin := e.admin(9002, coopbot.Azeri, carpetFa) // the admin reads Azeri
	if kb := admin.Buttons(); !strings.Contains(strings.Join(kb, "|"), admin.Text("coop.pending.menu")) {
		t.Fatalf("admin menu %q lacks the pending requests item", kb)
	}

	// A resident of Sorkhab who shared their phone at onboarding.
	u := e.h.User(1001)
	u.Send("/start")
	u.Press("lang.fa.name")
	u.Send("سرخاب")
	u.Sees("onboarding.phone.prompt")
	u.E.ShareContact("09121112233", 1001)
	u.Sees("menu.title")
	if kb := u.Buttons(); strings.Contains(strings.Join(kb, "|"), u.Text("coop.pending.menu")) {
		t.Fatalf("resident menu %q shows the admins' item", kb)
	}

	u.Press("join.menu")
	list := u.Sees("join.coop.prompt")
	contains(t, u, list, msg("join.coop.item", "Name", carpetFa, "Activity", "بافت و فروش فرش دستباف", "Neighborhood", "سرخاب",
		"Members", "۳۴", "Min", "۵٬۰۰۰٬۰۰۰"))
	if strings.Contains(list.Text, shopFa) {
		t.Fatalf("own neighborhood's list shows another neighborhood's cooperative:\n%s", list.Text)
	}
	// The others are a button away.
	u.Press("join.coop.show_others")
	others := u.Sees("join.coop.prompt_others")
	contains(t, u, others, msg("join.coop.item", "Name", shopFa, "Activity", "خرید جمعی کالاهای اساسی برای خانوارها", "Neighborhood", "ائل‌گلی",
		"Members", "۱۱۲", "Min", "۲٬۰۰۰٬۰۰۰"))
	u.Press("join.coop.show_own")
	u.Sees("join.coop.prompt")
	u.PressLabel(carpetFa)

	u.Sees("join.name.prompt")
	u.Send("زهرا  احمدی")
	u.Sees("join.nid.prompt")
	u.Send("۰۰۱-۲۳۴۵۶۷-۹")
	u.Sees("join.phone.prompt_known", "Phone", text.Phone(mobile))
	if kb := u.Keyboard(); len(kb) < 2 || kb[0] != u.Text("join.phone.use_mine", "Phone", text.Phone(mobile)) || kb[1] != u.Text("join.phone.share") {
		t.Fatalf("phone keyboard = %q", kb)
	}
	u.Send(u.Text("join.phone.use_mine", "Phone", text.Phone(mobile)))
	u.Sees("join.share.prompt", coop(carpetFa, "Min", "۵٬۰۰۰٬۰۰۰")...)
	u.Send("۶ میلیون تومان")
	u.Sees("join.skills.prompt")
	u.Press("join.skill.carpet")
	u.Sees("join.skills.chosen")
	u.Send("رنگرزی سنتی پشم")
	u.Sees("join.skills.own", "Text", text.Isolate("رنگرزی سنتی پشم"))
	u.Press("join.skills.done")
	u.Sees("join.consent.data")
	u.Press("join.consent.yes")
	u.Sees("join.consent.rules")
	u.Press("join.consent.yes")
	review := u.Sees("join.review.title")
	contains(t, u, review,
		msg("join.review.coop", "Coop", carpetFa),
		msg("join.review.name", "Name", text.Isolate("زهرا احمدی")),
		msg("join.review.nid", "NationalID", text.NationalID(nid1)),
		msg("join.review.phone", "Phone", text.Phone(mobile)),
		msg("join.review.share", "Share", "۶۰٬۰۰۰٬۰۰۰"),
		msg("join.skill.carpet"))
	u.Press("join.review.submit")
	id := e.lastRequest(u, 0)
	u.Sees("join.submitted", coop(carpetFa, "ID", recordNo(id))...)
	u.Sees("menu.title")

	// The admin, in another chat, gets the card in Azeri with every answer.
	r := e.request(id)
	card := admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id))...)
	contains(t, admin, card,
		msg("coop.card.name", "Name", text.Isolate("زهرا احمدی")),
		msg("coop.card.nid", "NationalID", text.NationalID(nid1)),
		msg("coop.card.phone", "Phone", text.Phone(mobile)),
		msg("coop.card.share", "Share", "۶۰٬۰۰۰٬۰۰۰"),
		msg("join.skill.carpet"),
		msg("coop.card.skills_own", "Text", text.Isolate("رنگرزی سنتی پشم")),
		msg("coop.card.date", "Date", whenText(r.CreatedAt)))
	// The applicant's own words are labelled as theirs, not as the admin's.
	if strings.Contains(card.Text, admin.Text("join.skills.own", "Text", text.Isolate("رنگرزی سنتی پشم"))) {
		t.Fatalf("the card speaks to the admin as if they were the applicant:\n%s", card.Text)
	}
	admin.Press("coop.card.approve")
	r = e.decided(id)
	admin.Sees("coop.card.approved", "Name", text.Isolate("User 9002"), "Date", whenText(r.DecidedAt))
	e.toasted(admin, "coop.toast.approved")

	// The resident reads the decision in Persian, and finds it under "my requests".
	u.Sees("join.notify.approved", coop(carpetFa, "ID", recordNo(id))...)
	u.Press("join.mine.menu")
	mine := u.Sees("join.mine.title", "Count", "۱")
	contains(t, u, mine, msg("join.mine.detail", "ID", recordNo(id), "Coop", carpetFa, "Date", whenText(r.CreatedAt)),
		msg("join.status.approved"))
	if n := e.sql(`SELECT members FROM cooperatives WHERE name_fa = $1`, carpetFa); n != 35 {
		t.Fatalf("members = %d, want 35", n)
	}
	// Applying again to a cooperative one is a member of says so.
	u.Send("/menu")
	u.Sees("menu.title")
	u.Press("join.menu")
	u.Sees("join.coop.prompt")
	u.PressLabel(carpetFa)
	member := u.Sees("join.already_member", coop(carpetFa)...)
	contains(t, u, member, msg("join.status.approved"))
}

func TestJoinHappyPathAzeri(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	admin := e.admin(9003, coopbot.Persian, shopFa) // the admin reads Persian

	u := e.h.User(1002).Speaks(coopbot.Azeri)
	u.Onboard("ائل‌گلی") // no phone shared
	u.Press("join.menu")
	list := u.Sees("join.coop.prompt")
	contains(t, u, list, msg("join.coop.item", "Name", shopAz, "Activity", "عاییله‌لر اوچون اساس مال‌لارین بیرگه آلینماسی",
		"Neighborhood", "ائل‌گؤلو", "Members", "۱۱۲", "Min", "۲٬۰۰۰٬۰۰۰"))
	u.PressLabel(shopAz)
	u.Sees("join.name.prompt")
	u.Send("Aydın Rəhimi") // a Latin Azeri name
	u.Sees("join.nid.prompt")
	u.Send(nid2)
	u.Sees("join.phone.prompt")
	if kb := u.Keyboard(); len(kb) == 0 || kb[0] != u.Text("join.phone.share") {
		t.Fatalf("phone keyboard = %q", kb)
	}
	u.Send(mobileText)
	u.Sees("join.share.prompt", coop(shopFa, "Min", "۲٬۰۰۰٬۰۰۰")...)
	u.Send("۳۰۰ مین تومن")
	u.Sees("join.skills.prompt")
	u.Press("join.skill.sales")
	u.Sees("join.skills.chosen")
	u.Press("join.skill.driving")
	u.Sees("join.skills.chosen")
	u.Press("join.skills.done")
	u.Sees("join.consent.data")
	u.Press("join.consent.yes")
	u.Sees("join.consent.rules")
	u.Press("join.consent.yes")
	review := u.Sees("join.review.title")
	contains(t, u, review,
		msg("join.review.coop", "Coop", shopAz),
		msg("join.review.name", "Name", text.Isolate("Aydın Rəhimi")),
		msg("join.review.phone", "Phone", text.Phone(mobile2)),
		msg("join.review.share", "Share", "۳٬۰۰۰٬۰۰۰"),
		msg("join.skill.sales"), msg("join.skill.driving"))
	u.Press("join.review.submit")
	id := e.lastRequest(u, 0)
	u.Sees("join.submitted", coop(shopFa, "ID", recordNo(id))...)

	// The admin rejects in Persian, with a reason from the list.
	card := admin.Sees("coop.card.title", coop(shopFa, "ID", recordNo(id))...)
	contains(t, admin, card, msg("coop.card.phone", "Phone", text.Phone(mobile2)), msg("join.skill.sales"), msg("join.skill.driving"))
	admin.Press("coop.card.reject")
	admin.Sees("coop.reject.prompt", "ID", recordNo(id))
	admin.Press("coop.reason.capacity")
	admin.Sees("coop.reject.done", "ID", recordNo(id), "Name", text.Isolate("Aydın Rəhimi"))
	admin.Sees("menu.title")

	// The resident reads it in Azeri, reason included.
	notice := u.Sees("join.notify.rejected", coop(shopFa, "ID", recordNo(id))...)
	contains(t, u, notice, msg("join.reason.title"), msg("coop.reason.capacity"))
	u.Press("join.mine.menu")
	u.Sees("join.mine.title", "Count", "۱")
	u.Press("join.mine.open", "ID", recordNo(id), "Coop", shopAz)
	detail := u.Sees("join.mine.detail", "ID", recordNo(id), "Coop", shopAz, "Date", whenText(e.request(id).CreatedAt))
	contains(t, u, detail, msg("join.status.rejected"), msg("coop.reason.capacity"))
	if strings.Contains(strings.Join(u.Buttons(), "|"), u.Text("join.mine.withdraw")) {
		t.Fatal("a decided request offers withdrawal")
	}
	if n := e.sql(`SELECT members FROM cooperatives WHERE name_fa = $1`, shopFa); n != 112 {
		t.Fatalf("members after a rejection = %d, want 112", n)
	}
}

func TestJoinValidation(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	u := e.h.User(1003)
	u.Onboard("سرخاب")
	u.Press("join.menu")
	u.Sees("join.coop.prompt")

	// Cooperative: unknown, ambiguous, not text.
	u.Send("تعاونی ماهیگیری")
	u.Sees("join.coop.not_found", "Typed", text.Isolate("تعاونی ماهیگیری"))
	u.Send("تعاونی")
	u.Sees("join.coop.several")
	u.E.SendSticker()
	u.Sees("join.coop.invalid")
	u.Send("صنایع دستی ششگلان") // part of a name, in another neighborhood
	u.Sees("join.name.prompt")
	u.Press("common.back")
	u.Sees("join.coop.prompt")
	u.Send(carpetAz) // the Azeri name works for a Persian reader too
	u.Sees("join.name.prompt")

	// Name.
	for _, c := range []struct{ in, reason string }{
		{"علی۱۲", "input.name.digits"},
		{"ع", "input.name.too_short"},
		{"😀 خندان", "input.name.invalid"},
		{strings.Repeat("بلند ", 20), "input.name.too_long"},
	} {
		u.Send(c.in)
		contains(t, u, u.Sees(c.reason), msg("join.name.prompt"))
	}
	u.E.SendSticker()
	u.Sees("join.text_expected")
	u.Send("مریم رضایی")

	// National ID.
	u.Sees("join.nid.prompt")
	for _, c := range []struct{ in, reason string }{
		{"۱۲۳", "input.nationalid.length"},
		{"1111111111", "input.nationalid.repeated"},
		{nidBadSum, "input.nationalid.checksum"},
		{"0001234567", "input.nationalid.prefix"},
		{"کد ملی ندارم", "input.nationalid.format"},
	} {
		u.Send(c.in)
		contains(t, u, u.Sees(c.reason), msg("join.nid.prompt"))
	}
	u.Send(nid1)

	// Mobile.
	u.Sees("join.phone.prompt")
	u.E.ShareContact("09121112233", 4242)
	u.Sees("join.phone.not_own")
	for _, c := range []struct{ in, reason string }{
		{"04133334444", "input.mobile.landline"},
		{"+44 7700 900123", "input.mobile.foreign"},
		{"شماره ندارم", "input.mobile.invalid"},
	} {
		u.Send(c.in)
		contains(t, u, u.Sees(c.reason), msg("join.phone.prompt"))
	}
	u.E.ShareLocation(38.07, 46.29)
	u.Sees("join.phone.invalid")
	u.E.ShareContact("+98 912 111 2233", 1003)

	// Share.
	u.Sees("join.share.prompt", coop(carpetFa, "Min", "۵٬۰۰۰٬۰۰۰")...)
	for _, c := range []struct {
		in, reason string
		kv         []any
	}{
		{"زیاد", "input.money.invalid", nil},
		{"-۵۰۰۰۰۰۰", "input.money.negative", nil},
		{"۰", "input.money.zero", nil},
		{"۱۰۰ هزار تومان", "join.share.below_min", []any{"Min", "۵٬۰۰۰٬۰۰۰", "Amount", "۱٬۰۰۰٬۰۰۰"}},
	} {
		u.Send(c.in)
		contains(t, u, u.Sees(c.reason, c.kv...), msg("join.share.prompt", coop(carpetFa, "Min", "۵٬۰۰۰٬۰۰۰")...))
	}
	u.Send("5000000")

	// Occupation.
	u.Sees("join.skills.prompt")
	u.Press("join.skills.done")
	u.Sees("join.skills.none")
	u.Send(strings.Repeat("کار ", 60))
	u.Sees("join.skills.too_long", "Max", "۲۰۰")
	u.E.SendSticker()
	u.Sees("join.skills.invalid")
	u.Press("join.skill.tailoring")
	u.Sees("join.skills.chosen")
	u.PressLabel("✅ " + u.Text("join.skill.tailoring")) // pressed again: unchosen
	u.Sees("join.skills.prompt")
	u.Press("join.skills.done")
	u.Sees("join.skills.none")
	u.Send("آرایشگری")
	u.Sees("join.skills.own", "Text", text.Isolate("آرایشگری"))
	u.Press("join.skills.done")

	// Consents.
	u.Sees("join.consent.data")
	u.Press("join.consent.no")
	u.Sees("join.consent.data.required")
	u.Send("شاید")
	u.Sees("join.consent.use_buttons")
	u.Press("join.consent.yes")
	u.Sees("join.consent.rules")
	u.Press("join.consent.no")
	u.Sees("join.consent.rules.required")
	u.Send(u.Text("join.consent.yes")) // the typed label
	u.Sees("join.review.title")
	u.Send("بفرست")
	u.Sees("join.review.use_buttons")

	// Cancel leaves nothing behind.
	u.Press("common.cancel")
	u.Sees("conv.cancelled")
	if n := e.sql(`SELECT count(*) FROM join_requests`); n != 0 {
		t.Fatalf("%d requests after cancel", n)
	}
}

func TestJoinEditFromReview(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	u := e.h.User(1004)
	u.Onboard("سرخاب")
	u.Press("join.menu")
	u.PressLabel(carpetFa)
	u.Sees("join.name.prompt")
	u.Send("حسن کریمی")
	u.Send(nid1)
	u.Sees("join.phone.prompt")
	u.Send("09121112233")
	u.Sees("join.share.prompt", coop(carpetFa, "Min", "۵٬۰۰۰٬۰۰۰")...)
	u.Send("۵ میلیون ریال")
	u.Sees("join.skills.prompt")
	u.Press("join.skill.building")
	u.Sees("join.skills.chosen")
	u.Press("join.skills.done")
	u.Press("join.consent.yes")
	u.Sees("join.consent.rules")
	u.Press("join.consent.yes")
	u.Sees("join.review.title")

	edit := func(button string, prompt []any, answer func(), want ...[]any) {
		t.Helper()
		u.Press(button)
		u.Sees(prompt[0].(string), prompt[1:]...)
		answer()
		review := u.Sees("join.review.title")
		contains(t, u, review, want...)
	}
	edit("join.review.edit_name", msg("join.name.prompt"), func() { u.Send("حسین کریمی") },
		msg("join.review.name", "Name", text.Isolate("حسین کریمی")), msg("join.review.nid", "NationalID", text.NationalID(nid1)))
	edit("join.review.edit_nid", msg("join.nid.prompt"), func() {
		u.Send(nidBadSum)
		u.Sees("input.nationalid.checksum")
		u.Send(nid2)
	}, msg("join.review.nid", "NationalID", text.NationalID(nid2)))
	edit("join.review.edit_phone", msg("join.phone.prompt"), func() { u.Send("9141234567") },
		msg("join.review.phone", "Phone", text.Phone(mobile2)))
	edit("join.review.edit_share", msg("join.share.prompt", coop(carpetFa, "Min", "۵٬۰۰۰٬۰۰۰")...), func() { u.Send("۸۰۰ هزار تومان") },
		msg("join.review.share", "Share", "۸٬۰۰۰٬۰۰۰"))
	edit("join.review.edit_skills", msg("join.skills.prompt"), func() {
		u.PressLabel("✅ " + u.Text("join.skill.building")) // unchosen
		u.Sees("join.skills.prompt")
		u.Press("join.skill.office")
		u.Sees("join.skills.chosen")
		u.Press("join.skills.done")
	}, msg("join.skill.office"))
	if strings.Contains(u.E.Messages()[len(u.E.Messages())-1].Text, u.Text("join.skill.building")) {
		t.Fatal("an unchosen skill is still on the review")
	}
	// Another cooperative: the pledge reaches its minimum, back to the review.
	u.Press("join.review.edit_coop")
	u.Sees("join.coop.prompt")
	u.Press("join.coop.show_others")
	u.Sees("join.coop.prompt_others")
	u.PressLabel(shopFa)
	review := u.Sees("join.review.title")
	contains(t, u, review, msg("join.review.coop", "Coop", shopFa), msg("join.review.share", "Share", "۸٬۰۰۰٬۰۰۰"))
	edit("join.review.edit_share", msg("join.share.prompt", coop(shopFa, "Min", "۲٬۰۰۰٬۰۰۰")...), func() { u.Send("۲۵۰ هزار تومان") },
		msg("join.review.share", "Share", "۲٬۵۰۰٬۰۰۰"))
	// One whose minimum the pledge does not reach: the share is asked again.
	u.Press("join.review.edit_coop")
	u.Sees("join.coop.prompt")
	u.Press("join.coop.show_others")
	u.Sees("join.coop.prompt_others")
	u.PressLabel(techFa)
	u.Sees("join.share.again", coop(techFa, "Min", "۴٬۰۰۰٬۰۰۰")...)
	u.Send("۳۰۰ هزار تومان")
	u.Sees("join.share.below_min", "Min", "۴٬۰۰۰٬۰۰۰", "Amount", "۳٬۰۰۰٬۰۰۰")
	u.Send("۴۰۰ هزار تومان")
	review = u.Sees("join.review.title")
	contains(t, u, review, msg("join.review.coop", "Coop", techFa), msg("join.review.share", "Share", "۴٬۰۰۰٬۰۰۰"))
	// Back from the review goes to the last question, not out of the flow.
	u.Press("common.back")
	u.Sees("join.share.prompt", coop(techFa, "Min", "۴٬۰۰۰٬۰۰۰")...)
	u.Send("۴۰۰ هزار تومان")
	u.Sees("join.review.title")
	u.Press("join.review.submit")
	id := e.lastRequest(u, 0)
	// The technical services cooperative has no admin yet: the office has the request.
	u.Sees("join.submitted_office", coop(techFa, "ID", recordNo(id))...)

	r := e.request(id)
	if r.FullName != "حسین کریمی" || r.NationalID != nid2 || r.Phone != mobile2 || r.Share != 4_000_000 ||
		r.Cooperative.NameFa != techFa || strings.Join(r.Skills, ",") != "office" || r.Status != coopbot.JoinPending {
		t.Fatalf("stored request = %+v", r)
	}
}

func TestJoinDuplicateAndWithdraw(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	admin := e.admin(9004, coopbot.Persian, carpetFa)
	u := e.h.User(1005)
	u.Onboard("سرخاب")
	id := e.apply(u, application{coopFa: carpetFa, name: "لیلا نوری", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id))...)

	// A second request to the same cooperative: told so, and shown the open one.
	u.Press("join.menu")
	u.Sees("join.coop.prompt")
	u.PressLabel(carpetFa)
	open := u.Sees("join.duplicate", coop(carpetFa)...)
	contains(t, u, open, msg("join.mine.detail", "ID", recordNo(id), "Coop", carpetFa, "Date", whenText(e.request(id).CreatedAt)),
		msg("join.status.pending"))

	// Withdraw it: asked to confirm; "no" keeps it.
	u.Press("join.mine.withdraw")
	u.Sees("join.withdraw.confirm", "ID", recordNo(id))
	u.Press("join.withdraw.no")
	u.Sees("join.mine.detail", "ID", recordNo(id), "Coop", carpetFa, "Date", whenText(e.request(id).CreatedAt))
	u.Press("join.mine.withdraw")
	u.Sees("join.withdraw.confirm", "ID", recordNo(id))
	u.Press("join.withdraw.yes")
	u.Sees("join.withdrawn", coop(carpetFa, "ID", recordNo(id))...)
	u.Sees("menu.title")
	if r := e.request(id); r.Status != coopbot.JoinWithdrawn {
		t.Fatalf("status = %s", r.Status)
	}

	// The admin pressing the old card learns it was withdrawn; nothing is decided.
	admin.Press("coop.card.approve")
	admin.Sees("coop.card.withdrawn", "Date", whenText(e.request(id).DecidedAt))
	if r := e.request(id); r.Status != coopbot.JoinWithdrawn {
		t.Fatalf("status after a late approve = %s", r.Status)
	}

	// Now a new request is possible; both show under "my requests", newest first.
	id2 := e.apply(u, application{coopFa: carpetFa, name: "لیلا نوری", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	u.Press("join.mine.menu")
	list := u.Sees("join.mine.title", "Count", "۲")
	i1 := strings.Index(list.Text, u.Text("join.mine.detail", "ID", recordNo(id2), "Coop", carpetFa, "Date", whenText(e.request(id2).CreatedAt)))
	i2 := strings.Index(list.Text, u.Text("join.mine.detail", "ID", recordNo(id), "Coop", carpetFa, "Date", whenText(e.request(id).CreatedAt)))
	if i1 < 0 || i2 < 0 || i1 > i2 {
		t.Fatalf("list of requests:\n%s", list.Text)
	}
	contains(t, u, list, msg("join.status.pending"), msg("join.status.withdrawn"))

	// Withdrawing after the admin decided: too late.
	u.Press("join.mine.open", "ID", recordNo(id2), "Coop", carpetFa)
	u.Sees("join.status.pending")
	admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id2))...)
	admin.Press("coop.card.approve")
	e.decided(id2)
	u.Press("join.mine.withdraw")
	u.Sees("join.withdraw.confirm", "ID", recordNo(id2))
	u.Press("join.withdraw.yes")
	u.Sees("join.withdraw.too_late", "ID", recordNo(id2))
	if r := e.request(id2); r.Status != coopbot.JoinApproved {
		t.Fatalf("status = %s", r.Status)
	}
}

func TestJoinConcurrentDecisions(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	a := e.admin(9005, coopbot.Persian, carpetFa)
	b := e.admin(9006, coopbot.Azeri, carpetFa)
	u := e.h.User(1006)
	u.Onboard("سرخاب")
	id := e.apply(u, application{coopFa: carpetFa, name: "رضا قاسمی", nid: nid2, phone: "09141234567", share: "۶۰۰ هزار تومان"})
	a.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id))...)
	b.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id))...)

	// B starts rejecting; then A approves and B gives the reason at the same moment.
	b.Press("coop.card.reject")
	b.Sees("coop.reject.prompt", "ID", recordNo(id))
	approve, reason := a.Text("coop.card.approve"), b.Text("coop.reason.incomplete")
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, p := range []struct {
		u     *chattest.User
		label string
	}{{a, approve}, {b, reason}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := p.u.E.Press(p.label); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()

	r := e.decided(id)
	switch r.Status {
	case coopbot.JoinApproved:
		a.Sees("coop.card.approved", "Name", text.Isolate("User 9005"), "Date", whenText(r.DecidedAt))
		late := b.Sees("coop.decided.already", "ID", recordNo(id))
		contains(t, b, late, msg("coop.card.approved", "Name", text.Isolate("User 9005"), "Date", whenText(r.DecidedAt)))
		u.Sees("join.notify.approved", coop(carpetFa, "ID", recordNo(id))...)
	case coopbot.JoinRejected:
		b.Sees("coop.reject.done", "ID", recordNo(id), "Name", text.Isolate("رضا قاسمی"))
		a.Sees("coop.card.rejected", "Name", text.Isolate("User 9006"), "Date", whenText(r.DecidedAt))
		u.Sees("join.notify.rejected", coop(carpetFa, "ID", recordNo(id))...)
	default:
		t.Fatalf("status = %s", r.Status)
	}
	e.h.Idle()
	u.Quiet(700 * time.Millisecond) // one notice, not two
	if n := count(u, "join.notify.approved", coop(carpetFa, "ID", recordNo(id))...) + count(u, "join.notify.rejected", coop(carpetFa, "ID", recordNo(id))...); n != 1 {
		t.Fatalf("resident got %d decisions", n)
	}
	if n := e.sql(`SELECT count(*) FROM audit_log WHERE action = 'join_decide' AND allowed`); n != 1 {
		t.Fatalf("%d decisions audited, want 1", n)
	}

	// A later press by the winner, or a replay of the same data, changes nothing.
	card := a.E.Messages()
	var cardID int
	for _, m := range card {
		if strings.Contains(m.Text, a.Text("coop.card.title", coop(carpetFa, "ID", recordNo(id))...)) {
			cardID = m.ID
		}
	}
	a.E.PressData(cardID, fmt.Sprintf("a:jr:%d:no", id))
	e.toasted(a, "coop.toast.already")
	e.h.Idle()
	if r2 := e.request(id); r2.Status != r.Status || !r2.DecidedAt.Equal(r.DecidedAt) {
		t.Fatalf("replayed press changed the decision: %+v", r2)
	}
}

func TestJoinAuthorization(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	adminA := e.admin(9007, coopbot.Persian, carpetFa)
	adminB := e.admin(9008, coopbot.Persian, shopFa)
	u := e.h.User(1007)
	u.Onboard("ائل‌گلی")
	idB := e.apply(u, application{coopFa: shopFa, name: "سارا جعفری", nid: nid1, phone: "09121112233", share: "۲۰۰ هزار تومان"})
	adminB.Sees("coop.card.title", coop(shopFa, "ID", recordNo(idB))...)
	residentID := e.residentID(u)
	adminAID := e.residentID(adminA)

	// The resident presses data copied from an admin's button.
	last := u.E.Messages()[len(u.E.Messages())-1]
	u.E.PressData(last.ID, fmt.Sprintf("a:jr:%d:ok", idB))
	u.Sees("admin.denied")
	u.E.PressData(last.ID, fmt.Sprintf("a:jr:%d:no", idB))
	u.Sees("admin.denied")

	// An admin of another cooperative, approving or starting a rejection.
	lastA := adminA.E.Messages()[len(adminA.E.Messages())-1]
	adminA.E.PressData(lastA.ID, fmt.Sprintf("a:jr:%d:ok", idB))
	adminA.Sees("admin.denied")
	adminA.E.PressData(lastA.ID, fmt.Sprintf("a:jr:%d:no", idB))
	adminA.Sees("admin.denied")
	// Garbage and requests that do not exist.
	adminA.E.PressData(lastA.ID, "a:jr:zzz:ok")
	adminA.Sees("admin.denied")
	adminA.E.PressData(lastA.ID, "a:jr:999999:ok")
	adminA.Sees("admin.denied")
	e.h.Idle()

	if r := e.request(idB); r.Status != coopbot.JoinPending {
		t.Fatalf("status = %s after denied attempts", r.Status)
	}
	if n := e.sql(`SELECT count(*) FROM audit_log WHERE action = 'join_decide' AND NOT allowed AND actor_id = $1`, residentID); n != 2 {
		t.Fatalf("resident's denied attempts audited: %d, want 2", n)
	}
	if n := e.sql(`SELECT count(*) FROM audit_log WHERE action = 'join_decide' AND NOT allowed AND actor_id = $1`, adminAID); n != 4 {
		t.Fatalf("other admin's denied attempts audited: %d, want 4", n)
	}
	// The other admin's pending list does not show B's request; B's does.
	adminA.Press("coop.pending.menu")
	adminA.Sees("coop.pending.none")
	adminB.Press("coop.pending.menu")
	adminB.Sees("coop.pending.title", "Count", "۱")
	adminB.Press("coop.pending.open", "ID", recordNo(idB), "Name", text.Isolate("سارا جعفری"))
	adminB.Sees("coop.card.title", coop(shopFa, "ID", recordNo(idB))...)
	adminB.Press("coop.card.approve")
	e.decided(idB)
	// Staff may decide too (their scope covers every cooperative); the card says who did.
	e.staff.Press("coop.pending.menu")
	e.staff.Sees("coop.pending.none")
	if n := e.sql(`SELECT count(*) FROM join_requests WHERE status = 'approved' AND decided_by = $1`, e.residentID(adminB)); n != 1 {
		t.Fatalf("approved by B: %d", n)
	}
}

func TestJoinAdminsNotifiedOnceAfterRestart(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t, chattest.Options{NoJobs: true})
	a := e.admin(9009, coopbot.Persian, carpetFa)
	b := e.admin(9010, coopbot.Azeri, carpetFa)
	u := e.h.User(1008)
	u.Onboard("سرخاب")
	id := e.apply(u, application{coopFa: carpetFa, name: "نرگس صادقی", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	a.Quiet(300 * time.Millisecond) // nobody works the jobs: the cards wait in Postgres

	e.h.StartJobs() // the process is back
	title := coop(carpetFa, "ID", recordNo(id))
	a.Sees("coop.card.title", title...)
	b.Sees("coop.card.title", title...)
	e.eventually(func() bool {
		return e.sql(`SELECT count(*) FROM river_job WHERE kind = 'join_card' AND state = 'completed'`) == 2
	})
	a.Quiet(600 * time.Millisecond)
	if na, nb := count(a, "coop.card.title", title...), count(b, "coop.card.title", title...); na != 1 || nb != 1 {
		t.Fatalf("cards: %d and %d, want one each", na, nb)
	}
	// No personal data waits in the job table.
	if n := e.sql(`SELECT count(*) FROM river_job WHERE args::text LIKE '%' || $1 || '%' OR args::text LIKE '%9121112233%'`, nid1); n != 0 {
		t.Fatalf("%d jobs hold the national ID or phone", n)
	}
}

func TestJoinBlockedAdminIsNotRetried(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	a := e.admin(9011, coopbot.Persian, carpetFa)
	b := e.admin(9012, coopbot.Persian, carpetFa)
	// b's id is read before the card goes out: reading a profile (as residentID does)
	// clears the unreachable mark, as a resident's own update does.
	bID := e.residentID(b)
	e.h.API.Block(b.ID)
	u := e.h.User(1009)
	u.Onboard("سرخاب")
	id := e.apply(u, application{coopFa: carpetFa, name: "مینا عباسی", nid: nid1, phone: "09121112233", share: "۵۰۰ هزار تومان"})
	a.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id))...)
	e.eventually(func() bool {
		return e.sql(`SELECT count(*) FROM residents WHERE id = $1 AND unreachable_at IS NOT NULL`, bID) == 1
	})
	e.eventually(func() bool {
		return e.sql(`SELECT count(*) FROM river_job WHERE kind = 'join_card' AND state = 'completed'`) == 2
	})
	if n := e.sql(`SELECT count(*) FROM river_job WHERE kind = 'join_card' AND attempt > 1`); n != 0 {
		t.Fatalf("%d card jobs retried", n)
	}
}

func TestJoinPendingReminder(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	a := e.admin(9013, coopbot.Azeri, carpetFa)
	u := e.h.User(1010)
	u.Onboard("سرخاب")
	id := e.apply(u, application{coopFa: carpetFa, name: "کاوه مرادی", nid: nid2, phone: "09141234567", share: "۵۰۰ هزار تومان"})
	a.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id))...)
	ctx := context.Background()

	now := time.Now().In(text.Tehran)
	morning := time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, text.Tehran)
	if n, err := e.h.DB.RemindPendingJoins(ctx, morning); err != nil || n != 0 {
		t.Fatalf("fresh request reminded: %d, %v", n, err)
	}
	// Four days old (the default threshold is three).
	if _, err := e.h.DB.Pool.Exec(ctx, `UPDATE join_requests SET created_at = $2 WHERE id = $1`, id, morning.Add(-4*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := e.h.DB.RemindPendingJoins(ctx, morning.Add(-3*time.Hour)); err != nil || n != 0 {
		t.Fatalf("reminded at 7:00: %d, %v", n, err)
	}
	if n, err := e.h.DB.RemindPendingJoins(ctx, morning); err != nil || n != 1 {
		t.Fatalf("reminded %d cooperatives, %v; want 1", n, err)
	}
	a.Sees("coop.remind", coop(carpetFa, "Count", "۱", "Days", "۳")...)
	// Once a day.
	if n, err := e.h.DB.RemindPendingJoins(ctx, morning.Add(5*time.Hour)); err != nil || n != 0 {
		t.Fatalf("reminded again the same day: %d, %v", n, err)
	}
	if n, err := e.h.DB.RemindPendingJoins(ctx, morning.Add(24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("next day: %d, %v", n, err)
	}
	a.Sees("coop.remind", coop(carpetFa, "Count", "۱", "Days", "۳")...)

	// The reminder's button opens the pending list, where the request is marked overdue.
	a.Press("coop.remind.open")
	a.Sees("coop.pending.title", "Count", "۱")
	a.Press("coop.pending.open_overdue", "ID", recordNo(id), "Name", text.Isolate("کاوه مرادی"))
	a.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(id))...)

	// Rejected with a reason in the admin's own words.
	a.Press("coop.card.reject")
	a.Sees("coop.reject.prompt", "ID", recordNo(id))
	a.Send(strings.Repeat("خیلی ", 70))
	a.Sees("coop.reject.too_long", "Max", "۳۰۰")
	a.E.SendSticker()
	a.Sees("coop.reject.invalid")
	a.Send("سهم <b>نقدی</b> لازم است")
	a.Sees("coop.reject.done", "ID", recordNo(id), "Name", text.Isolate("کاوه مرادی"))
	notice := u.Sees("join.notify.rejected", coop(carpetFa, "ID", recordNo(id))...)
	contains(t, u, notice, msg("join.reason.own", "Text", text.Isolate("سهم <b>نقدی</b> لازم است")))
	if r := e.request(id); r.ReasonCode != "other" || r.ReasonText != "سهم <b>نقدی</b> لازم است" {
		t.Fatalf("stored reason %q %q", r.ReasonCode, r.ReasonText)
	}
	a.Press("coop.pending.menu")
	a.Sees("coop.pending.none")
}

func TestCoopAdminInvite(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	u := e.h.User(1011)
	u.Onboard("سرخاب")
	if kb := strings.Join(u.Buttons(), "|"); strings.Contains(kb, u.Text("admin.invite.menu")) {
		t.Fatalf("a resident sees the invite item: %s", kb)
	}
	// Codes that do not exist, typed at the main menu.
	u.Send("abcd-efgh")
	again := u.Sees("admin.invite.invalid")
	contains(t, u, again, msg("menu.title"))

	code := e.invite(techFa)
	// Typed lower case with Persian digits, without the dash: still the code.
	typed := strings.ToLower(text.FaDigits(strings.ReplaceAll(code, "-", "")))
	u.Send(typed)
	u.Sees("admin.invite.redeemed", coop(techFa)...)
	menu := u.Sees("menu.title")
	if !strings.Contains(strings.Join(u.Buttons(), "|"), u.Text("coop.pending.menu")) {
		t.Fatalf("new admin's menu lacks the pending item:\n%s %q", menu.Text, u.Buttons())
	}
	// One-time: the same code does nothing for someone else.
	v := e.h.User(1012)
	v.Onboard("مارالان")
	v.Send(code)
	v.Sees("admin.invite.invalid")
	// Expired codes are refused.
	code2 := e.invite(techFa)
	if _, err := e.h.DB.Pool.Exec(context.Background(), `UPDATE coop_invites SET expires_at = now() - interval '1 minute' WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	v.Send(code2)
	v.Sees("admin.invite.invalid")

	// Everything is audited; the code itself is not stored.
	if n := e.sql(`SELECT count(*) FROM audit_log WHERE action = 'coop_invite_create' AND allowed`); n != 2 {
		t.Fatalf("invites created audited: %d", n)
	}
	if n := e.sql(`SELECT count(*) FROM audit_log WHERE action = 'coop_invite_redeem' AND allowed AND actor_id = $1`, e.residentID(u)); n != 1 {
		t.Fatalf("redemption audited: %d", n)
	}
	if n := e.sql(`SELECT count(*) FROM audit_log WHERE action = 'coop_invite_redeem' AND NOT allowed`); n != 3 {
		t.Fatalf("refused codes audited: %d, want 3", n)
	}
	if n := e.sql(`SELECT count(*) FROM coop_invites WHERE position(convert_to($1, 'UTF8') in code_hash) > 0`, strings.ReplaceAll(code, "-", "")); n != 0 {
		t.Fatal("the code is stored in plain text")
	}

	// While a cooperative has no admin, its requests go to staff.
	w := e.h.User(1013)
	w.Onboard("حکم‌آباد")
	w.Press("join.menu")
	w.Sees("join.coop.prompt")
	w.PressLabel(breadFa)
	w.Sees("join.name.prompt")
	w.Send("یوسف نظری")
	w.Send(nid1)
	w.Sees("join.phone.prompt")
	w.Send("09121112233")
	w.Sees("join.share.prompt", coop(breadFa, "Min", "۲٬۵۰۰٬۰۰۰")...)
	w.Send("۳ میلیون تومان")
	w.Sees("join.skills.prompt")
	w.Press("join.skill.cooking")
	w.Sees("join.skills.chosen")
	w.Press("join.skills.done")
	w.Press("join.consent.yes")
	w.Sees("join.consent.rules")
	w.Press("join.consent.yes")
	w.Sees("join.review.title")
	w.Press("join.review.submit")
	id := e.lastRequest(w, 0)
	e.staff.Sees("coop.card.title", coop(breadFa, "ID", recordNo(id))...)
}
