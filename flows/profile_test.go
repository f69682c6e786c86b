package flows_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// The neighborhoods of these tests by Persian name, with their Azeri names.
var prNbhAz = map[string]string{"سرخاب": "سورخاب", "ائل‌گلی": "ائل‌گؤلو"}

// prNbh is a neighborhood's name as u reads it.
func prNbh(u *chattest.User, fa string) string {
	if u.Lang == coopbot.Azeri {
		return prNbhAz[fa]
	}
	return fa
}

// prTitle is a training's title as u reads it.
func prTitle(u *chattest.User, tr *coopbot.Training) string { return tr.Title(u.Lang) }

// prCoop is a cooperative's name as u reads it.
func prCoop(u *chattest.User, fa string) string {
	if u.Lang == coopbot.Azeri {
		return coopAz[fa]
	}
	return fa
}

// prOffered opens the training catalogue and the cooperative list and returns the
// catalogue's text and the cooperatives offered, back at the main menu.
func prOffered(u *chattest.User) (catalogue string, coops []string) {
	u.Press("training.menu")
	catalogue = u.Sees("training.list.title").Text
	u.Press("common.cancel")
	u.Sees("menu.title")
	u.Press("join.menu")
	u.Sees("join.coop.prompt")
	coops = u.Buttons()
	u.Press("common.cancel")
	u.Sees("menu.title")
	return catalogue, coops
}

// prBefore fails unless a comes before b in s.
func prBefore(t *testing.T, s, a, b string) {
	t.Helper()
	i, j := strings.Index(s, a), strings.Index(s, b)
	if i < 0 || j < 0 || i > j {
		t.Fatalf("%q does not come before %q in:\n%s", a, b, s)
	}
}

// A resident moves from Sorkhab to Eil-goli: first told what that changes and what it does
// not, then the list, then a confirmation naming both; afterwards the trainings and the
// cooperatives of Eil-goli are the ones offered first.
func TestProfileChangeNeighborhood(t *testing.T) {
	t.Parallel()
	for name, lang := range map[string]coopbot.Lang{"persian": coopbot.Persian, "azeri": coopbot.Azeri} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := chattest.New(t)
			sorkhab := &coopbot.Training{TitleFa: "آشنایی با تشکیل تعاونی محلی", TitleAz: "محله تعاونیسی قورماغا گیریش"} // seeded, in 3 days
			baking := trNew(t, h, "ائل‌گلی", "نان‌پزی سنتی", 10, 10)
			u := h.User(4101).Speaks(lang)
			u.Onboard("سرخاب")

			catalogue, coops := prOffered(u)
			prBefore(t, catalogue, prTitle(u, sorkhab), prTitle(u, baking))
			if !slices.Contains(coops, prCoop(u, carpetFa)) || slices.Contains(coops, prCoop(u, shopFa)) {
				t.Fatalf("cooperatives offered in Sorkhab: %q", coops)
			}

			u.Press("profile.menu")
			u.Sees("profile.neighborhood", "Name", prNbh(u, "سرخاب"))
			u.Press("profile.change_neighborhood")
			u.Sees("profile.neighborhood.about", "Name", prNbh(u, "سرخاب"))
			u.Press("profile.neighborhood.choose")
			u.Sees("onboarding.neighborhood.prompt")
			u.Send(prNbh(u, "سرخاب"))
			u.Sees("profile.neighborhood.same", "Name", prNbh(u, "سرخاب"))
			u.Send("ائل گلی") // typed, without the ZWNJ
			u.Sees("profile.neighborhood.confirm", "From", prNbh(u, "سرخاب"), "To", prNbh(u, "ائل‌گلی"))

			// Back to the list, and "no" keeps everything as it was.
			u.Press("common.back")
			u.Sees("onboarding.neighborhood.prompt")
			u.Send(prNbh(u, "ائل‌گلی"))
			u.Sees("profile.neighborhood.confirm", "From", prNbh(u, "سرخاب"), "To", prNbh(u, "ائل‌گلی"))
			u.Press("profile.neighborhood.no")
			u.Sees("profile.neighborhood.kept")
			u.Sees("menu.title")
			if p := prProfile(t, h, u); p.Neighborhood != trNbhID(t, h, "سرخاب") {
				t.Fatalf("neighborhood after 'no' = %d", p.Neighborhood)
			}

			u.Press("profile.menu")
			u.Press("profile.change_neighborhood")
			u.Press("profile.neighborhood.choose")
			u.Send(prNbh(u, "ائل‌گلی"))
			u.Sees("profile.neighborhood.confirm", "From", prNbh(u, "سرخاب"), "To", prNbh(u, "ائل‌گلی"))
			u.Press("profile.neighborhood.yes")
			u.Sees("profile.neighborhood.changed", "Name", prNbh(u, "ائل‌گلی"))
			u.Sees("menu.title")
			if p := prProfile(t, h, u); p.Neighborhood != trNbhID(t, h, "ائل‌گلی") {
				t.Fatalf("stored neighborhood = %d", p.Neighborhood)
			}

			catalogue, coops = prOffered(u)
			prBefore(t, catalogue, prTitle(u, baking), prTitle(u, sorkhab))
			if !slices.Contains(coops, prCoop(u, shopFa)) || slices.Contains(coops, prCoop(u, carpetFa)) {
				t.Fatalf("cooperatives offered in Eil-goli: %q", coops)
			}
			u.Press("profile.menu")
			u.Sees("profile.neighborhood", "Name", prNbh(u, "ائل‌گلی"))
		})
	}
}

// prProfile is what the store holds of a chat user.
func prProfile(t *testing.T, h *chattest.Harness, u *chattest.User) coopbot.Profile {
	t.Helper()
	p, err := h.DB.Profile(context.Background(), coopbot.UserRef{Platform: coopbot.Telegram, UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The phone is given by the share-contact button only, the person's own contact only;
// it can be removed after a confirmation. The profile shows it with its middle hidden.
func TestProfilePhoneChangeAndRemoval(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(4201).Speaks(coopbot.Azeri)
	u.Onboard("سرخاب")

	u.Press("profile.menu")
	u.Sees("profile.phone", "Phone", coopbot.M("profile.none"))
	if slices.Contains(u.Buttons(), u.Text("profile.remove_phone")) {
		t.Fatalf("no phone on file, yet offered to remove it: %q", u.Buttons())
	}
	u.Press("profile.change_phone")
	u.Sees("profile.phone.prompt", "Phone", coopbot.M("profile.none"))
	if kb := u.Keyboard(); len(kb) == 0 || kb[0] != u.Text("onboarding.phone.share") {
		t.Fatalf("keyboard = %q, want the share-contact button", kb)
	}
	u.Send("09141234567")
	u.Sees("profile.phone.use_button")
	u.E.ShareContact("09121112233", 999)
	u.Sees("onboarding.phone.not_own")
	u.E.ShareContact("+1 415 555 0123", u.ID)
	u.Sees(string(text.MobileForeign))
	u.E.ShareContact("989141234567", u.ID)
	masked := text.MaskedPhone("+989141234567")
	u.Sees("profile.phone.changed", "Phone", masked)
	u.Sees("menu.title")
	if len(u.Keyboard()) != 0 {
		t.Fatalf("share-contact keyboard left open: %q", u.Keyboard())
	}
	if p := prProfile(t, h, u); p.Phone != "+989141234567" {
		t.Fatalf("stored phone = %q", p.Phone)
	}

	u.Press("profile.menu")
	u.Sees("profile.phone", "Phone", masked)
	u.Press("profile.remove_phone")
	u.Sees("profile.phone.remove_confirm", "Phone", masked)
	u.Press("profile.phone.remove_no")
	u.Sees("profile.phone.kept")
	if p := prProfile(t, h, u); p.Phone != "+989141234567" {
		t.Fatalf("phone after 'no' = %q", p.Phone)
	}
	u.Press("profile.menu")
	u.Press("profile.remove_phone")
	u.Sees("profile.phone.remove_confirm", "Phone", masked)
	u.Press("profile.phone.remove_yes")
	u.Sees("profile.phone.removed")
	u.Sees("menu.title")
	if n := countRows(t, h, `SELECT count(*) FROM residents WHERE user_id = $1 AND phone_enc IS NULL AND phone_hash IS NULL`, u.ID); n != 1 {
		t.Fatal("the phone is still stored")
	}
	u.Press("profile.menu")
	u.Sees("profile.phone", "Phone", coopbot.M("profile.none"))
}

// prApply has a resident (at the main menu, with no phone on file) apply to a cooperative,
// with their occupation in their own words, and returns the request id.
func prApply(e *joinEnv, u *chattest.User, coopFa, name, nid, phone, own string) int64 {
	e.t.Helper()
	u.Press("join.menu")
	u.Sees("join.coop.prompt")
	u.Send(coopFa)
	u.Sees("join.name.prompt")
	u.Send(name)
	u.Sees("join.nid.prompt")
	u.Send(nid)
	u.Sees("join.phone.prompt")
	u.Send(phone)
	seesUpTo(u, "join.share.prompt", coop(coopFa, "Min", anyDate)...)
	u.Send("۶ میلیون تومان")
	u.Sees("join.skills.prompt")
	u.Send(own)
	u.Sees("join.skills.chosen")
	u.Press("join.skills.done")
	u.Sees("join.consent.data")
	u.Press("join.consent.yes")
	u.Sees("join.consent.rules")
	u.Press("join.consent.yes")
	u.Sees("join.review.title")
	before := e.newestRequest(u)
	u.Press("join.review.submit")
	id := e.lastRequest(u, before)
	// A cooperative with no admin yet: the office's staff have the request.
	sent := "join.submitted_office"
	if e.sql(`SELECT count(*) FROM cooperative_admins a JOIN cooperatives c ON c.id = a.cooperative_id WHERE c.name_fa = $1`, coopFa) > 0 {
		sent = "join.submitted"
	}
	u.Sees(sent, coop(coopFa, "ID", recordNo(id))...)
	u.Sees("menu.title")
	return id
}

// prSignUp signs a resident up for a training from the catalogue and waits for the answer
// (confirmation, or the wait-list).
func prSignUp(t *testing.T, u *chattest.User, tr *coopbot.Training, waitlist bool) {
	t.Helper()
	u.Press("training.menu")
	u.Sees("training.list.title")
	pressTraining(t, u, tr.Title(u.Lang))
	if waitlist {
		u.Press("training.signup.waitlist_button")
		u.Sees("training.signup.waitlisted", append(trData(tr, u.Lang), "Position", "۱")...)
	} else {
		u.Press("training.signup.button")
		u.Sees("training.signup.confirmed", trData(tr, u.Lang)...)
	}
	u.Sees("menu.title")
}

// prReport reports a need with a typed address and returns its tracking code.
func prReport(t *testing.T, u *chattest.User, cat, description, address string) string {
	t.Helper()
	u.Press("need.menu.report")
	u.Sees("need.category.prompt")
	u.Press(cat)
	u.Sees("need.household.prompt")
	u.PressLabel("۴")
	u.Sees("need.description.prompt", "Max", "۵۰۰")
	u.Send(description)
	u.Sees("need.urgency.prompt")
	u.Press("need.urgency.soon")
	u.Sees("need.location.prompt")
	u.Send(address)
	u.Sees("need.consent.prompt")
	u.Press("need.consent.yes")
	u.Sees("need.review.title")
	u.Press("need.review.submit")
	return needSubmitted(t, u)
}

// "What the office holds about me" names the resident's own requests, enrolments and
// reports, with their statuses, and nobody else's.
func TestProfileDataSummaryShowsOnlyOwnRecords(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	h := e.h
	sewing := trNew(t, h, "سرخاب", "خیاطی مقدماتی", 5, 4)
	pottery := trNew(t, h, "ششگلان", "سفالگری", 5, 6)

	a := h.User(4301).Speaks(coopbot.Azeri)
	a.Onboard("سرخاب")
	b := h.User(4302)
	b.Onboard("ششگلان")
	reqA := prApply(e, a, carpetFa, "Aynur Rzayeva", nid1, mobileText, "خالچا توخویورام")
	prApply(e, b, techFa, "رضا کریمی", nid2, "09121112233", "برق‌کار ساختمان")
	prSignUp(t, a, sewing, false)
	prSignUp(t, b, pottery, false)
	codeA := prReport(t, a, "need.cat.food", "اوشاقلار اوچون یئمک لازیمدیر", "سورخاب، گلستان کوچه‌سی")
	codeB := prReport(t, b, "need.cat.health", "داروی پدرم تمام شده", "ششگلان، کوچهٔ باغ")

	a.Press("profile.menu")
	a.Press("profile.data")
	ra := e.request(reqA)
	sum := a.Sees("profile.data.title")
	contains(t, a, sum,
		msg("profile.data.residency", "Date", text.Date(time.Now()), "Neighborhood", "سورخاب", "Lang", coopbot.M("lang.az.name")),
		msg("profile.data.phone", "Phone", coopbot.M("profile.none")),
		msg("profile.data.requests", "Count", "۱"),
		msg("profile.data.request", "ID", recordNo(reqA), "Coop", carpetAz, "Status", coopbot.M("join.status.pending"), "Date", text.Date(ra.CreatedAt)),
		msg("profile.data.requests_hold"),
		msg("profile.data.enrolments", "Count", "۱"),
		msg("profile.data.enrolment", "Title", text.Isolate(sewing.TitleAz), "Date", text.Date(sewing.StartsAt), "Status", coopbot.M("profile.data.enrol.confirmed")),
		msg("profile.data.reports", "Count", "۱"),
		msg("profile.data.report", "Code", text.FaDigits(codeA), "Category", coopbot.M("need.catshort.food"), "Status", coopbot.M("need.status.received"), "Date", text.Date(time.Now())),
		msg("profile.data.reports_hold"),
		msg("profile.data.footer"),
	)
	for _, other := range []string{techAz, pottery.TitleAz, text.FaDigits(codeB), "رضا"} {
		if strings.Contains(sum.Text, other) {
			t.Errorf("the summary of one resident names another's record %q:\n%s", other, sum.Text)
		}
	}
	if strings.Contains(sum.Text, text.NationalID(nid1)) || strings.Contains(sum.Text, "اوشاقلار") {
		t.Errorf("the summary spells out what it should only name:\n%s", sum.Text)
	}

	// The second resident, who has nothing but their residency, in Persian.
	c := h.User(4303)
	c.Onboard("ششگلان")
	c.Press("profile.menu")
	c.Press("profile.data")
	sum = c.Sees("profile.data.title")
	contains(t, c, sum, msg("profile.data.requests_none"), msg("profile.data.enrolments_none"), msg("profile.data.reports_none"))
}

// What a resident typed or gave, to be searched for after their data is erased.
const (
	prName    = "زهرا احمدی‌نژاد"
	prOwn     = "بافندهٔ فرش ابریشم"
	prNeed    = "برای خرید داروی مادرم پول نداریم"
	prAddress = "سرخاب، کوچهٔ شهید باقری، پلاک ۱۷"
	prPhone   = "+989141234567"
)

// Deleting one's data: explained first, confirmed by its own button, done once even when
// the update comes again. Afterwards nothing personal of the resident is left in any table
// or in Redis, the counts stay, the wait-list moved up, the admin's card shows the request
// withdrawn, and the person who writes again is a newcomer.
func TestProfileEraseMyData(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	h := e.h
	ctx := context.Background()
	admin := e.admin(4402, coopbot.Azeri, carpetFa)
	tr := trNew(t, h, "سرخاب", "خیاطی مقدماتی", 1, 4)

	u := h.User(4401)
	u.Onboard("سرخاب")
	req := prApply(e, u, carpetFa, prName, nid1, mobileText, prOwn)
	admin.Sees("coop.card.title", coop(carpetFa, "ID", recordNo(req))...)
	u.Press("profile.menu")
	u.Press("profile.change_phone")
	u.E.ShareContact(prPhone, u.ID)
	u.Sees("profile.phone.changed", "Phone", text.MaskedPhone(prPhone))
	prSignUp(t, u, tr, false)
	waiting := h.User(4403).Speaks(coopbot.Azeri)
	waiting.Onboard("سرخاب")
	prSignUp(t, waiting, tr, true)
	prReport(t, u, "need.cat.health", prNeed, prAddress)
	h.Idle()
	residentID := trResidentID(t, h, u)
	ref := "telegram:4401"
	personal := []string{prName, prOwn, prNeed, prAddress, nid1, strings.TrimPrefix(prPhone, "+98"), ref}
	if found := prFind(t, h, personal); len(found) != len(personal) {
		t.Fatalf("before the erasure only %v were found: the search would prove nothing", found)
	}
	counts := prCounts(t, h)

	// What is deleted, explained; "no" deletes nothing.
	u.Press("profile.menu")
	u.Press("profile.data")
	u.Sees("profile.data.title")
	u.Press("profile.erase")
	explain := u.Sees("profile.erase.explain")
	contains(t, u, explain, msg("profile.erase.final"))
	if strings.Contains(explain.Text, u.Text("profile.erase.roles")) {
		t.Fatal("a resident without roles is told their roles end")
	}
	u.Press("profile.erase.no")
	u.Sees("profile.erase.kept")
	u.Sees("menu.title")
	if p := prProfile(t, h, u); p.ResidentID != residentID {
		t.Fatalf("'no' changed the profile: %+v", p)
	}

	// Yes: the reply fails, so the same update is handled again; the erasure is not.
	u.Press("profile.menu")
	u.Press("profile.erase")
	u.Sees("profile.erase.explain")
	failed := failReplies(h, u.ID, emulator.APIError{Code: 502})
	u.Press("profile.erase.yes")
	done := u.Sees("profile.erase.done")
	contains(t, u, done, msg("profile.erase.withdrawn", "Count", "۱"), msg("profile.erase.cancelled", "Count", "۱"), msg("profile.erase.again"))
	h.Idle()
	if failed() == 0 {
		t.Fatal("no reply failed: the update was not handled twice")
	}
	u.E.Redeliver() // and once more, after it was handled
	h.Idle()
	u.Quiet(300 * time.Millisecond)
	if n := countRows(t, h, `SELECT count(*) FROM audit_log WHERE action = 'resident_erase' AND subject = $1`, fmt.Sprint("resident:", residentID)); n != 1 {
		t.Fatalf("%d erasures audited, want 1", n)
	}
	if n := countRows(t, h, `SELECT count(*) FROM audit_log WHERE action = 'resident_erase' AND detail::text LIKE '%' || $1 || '%'`, "4401"); n != 0 {
		t.Fatal("the audit of the erasure names the person")
	}

	// The wait-list moved up, once; the admin's card shows the request withdrawn.
	trSeesAny(t, waiting, "training.notice.promoted", trData(tr, waiting.Lang)...)
	if n := trCount(waiting, waiting.Text("training.notice.promoted", trData(tr, waiting.Lang)...)); n != 1 {
		t.Fatalf("promoted %d times", n)
	}
	admin.Press("coop.card.approve")
	admin.Sees("coop.card.withdrawn", "Date", whenText(e.request(req).DecidedAt))

	// Nothing personal is left in any column of any table, sealed or not.
	for v, where := range prFind(t, h, personal) {
		t.Errorf("%q is still in %s", v, where)
	}
	for _, q := range []string{
		`SELECT count(*) FROM residents WHERE id = $1 AND name = '' AND phone_enc IS NULL AND phone_hash IS NULL AND user_id = 0 AND chat_id = 0 AND erased_at IS NOT NULL`,
		`SELECT count(*) FROM join_requests WHERE resident_id = $1 AND full_name = '' AND length(national_id_enc) = 0 AND length(national_id_hash) = 0
			AND length(phone_enc) = 0 AND length(phone_hash) = 0 AND skills_other = '' AND reason_text = '' AND status = 'withdrawn'`,
		`SELECT count(*) FROM need_reports WHERE resident_id = $1 AND length(description_enc) = 0 AND address_enc IS NULL AND location_enc IS NULL`,
		`SELECT count(*) FROM training_enrollments WHERE resident_id = $1 AND status = 'cancelled'`,
	} {
		if n := countRows(t, h, q, residentID); n != 1 {
			t.Errorf("%d rows, want 1: %s", n, q)
		}
	}
	if n := countRows(t, h, `SELECT count(*) FROM effects WHERE user_ref = $1`, ref); n != 0 {
		t.Errorf("%d effects still name the person", n)
	}
	if n := countRows(t, h, `SELECT count(*) FROM river_job WHERE kind = 'notify' AND (args->>'resident_id')::bigint = $1`, residentID); n != 0 {
		t.Errorf("%d notices to the erased resident left", n)
	}
	// Redis: the conversation's state is gone, and it is no longer counted active.
	key := h.Redis.Prefix() + "conv:telegram:4401:4401"
	if _, err := h.Redis.Redis().HGet(ctx, key, "state").Result(); !errors.Is(err, goredis.Nil) {
		t.Errorf("conversation state still in Redis: %v", err)
	}
	if _, err := h.Redis.Redis().ZScore(ctx, h.Redis.Prefix()+"active", "telegram:4401:4401").Result(); !errors.Is(err, goredis.Nil) {
		t.Errorf("conversation still counted active: %v", err)
	}
	// The counts stay.
	if after := prCounts(t, h); !slices.Equal(after, counts) {
		t.Errorf("counts changed:\nbefore %v\nafter  %v", counts, after)
	}

	// Writing again: a newcomer, with nothing of before.
	u.Send("سلام")
	u.Sees("onboarding.welcome")
	u.Press("lang.fa.name")
	u.Sees("onboarding.neighborhood.prompt")
	u.Send("سرخاب")
	u.Sees("onboarding.phone.prompt")
	u.Send(u.Text("onboarding.phone.skip"))
	u.Sees("menu.title")
	if p := prProfile(t, h, u); p.ResidentID == residentID || p.ResidentID == 0 || p.Phone != "" {
		t.Fatalf("profile after writing again: %+v (erased resident %d)", p, residentID)
	}
	u.Press("profile.menu")
	u.Press("profile.data")
	sum := u.Sees("profile.data.title")
	contains(t, u, sum, msg("profile.data.requests_none"), msg("profile.data.enrolments_none"), msg("profile.data.reports_none"))
}

// prCounts are the counts an erasure must keep: residents per neighborhood, requests per
// cooperative and status, enrolments per training, need reports per neighborhood.
func prCounts(t *testing.T, h *chattest.Harness) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT 'residents ' || COALESCE(neighborhood_id, 0) || ': ' || count(*) FROM residents GROUP BY neighborhood_id ORDER BY 1`,
		`SELECT 'requests ' || cooperative_id || ': ' || count(*) FROM join_requests GROUP BY cooperative_id ORDER BY 1`,
		`SELECT 'enrolments ' || training_id || ': ' || count(*) FROM training_enrollments GROUP BY training_id ORDER BY 1`,
		`SELECT 'seats ' || id || ': ' || seats_taken FROM trainings ORDER BY 1`,
		`SELECT 'reports ' || neighborhood_id || ': ' || count(*) FROM need_reports GROUP BY neighborhood_id ORDER BY 1`,
		`SELECT 'members ' || id || ': ' || members FROM cooperatives ORDER BY 1`,
	} {
		rows, err := h.DB.Pool.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		rows.Close()
	}
	return out
}

// prFind searches every row of every table for the values, as JSON and, for every bytea
// value that opens under the data key, in its plain text; it returns where each value
// was found. Values of digits only are searched for with digits in any script and
// formatting folded.
func prFind(t *testing.T, h *chattest.Harness, values []string) map[string]string {
	t.Helper()
	ctx := context.Background()
	found := map[string]string{}
	search := func(where, s string) {
		for _, v := range values {
			d := prDigits(v)
			if strings.Contains(s, v) || strings.Trim(d, "0123456789") == "" && strings.Contains(prDigits(s), d) {
				found[v] = where
			}
		}
	}
	rows, err := h.DB.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		rows, err := h.DB.Pool.Query(ctx, `SELECT to_jsonb(t)::text FROM "`+table+`" t`)
		if err != nil {
			t.Fatal(err)
		}
		dump, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		search("table "+table, strings.Join(dump, "\n"))
		rows, err = h.DB.Pool.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1 AND data_type = 'bytea'`, table)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range cols {
			rows, err := h.DB.Pool.Query(ctx, fmt.Sprintf(`SELECT %q FROM %q WHERE length(%q) > 0`, col, table, col))
			if err != nil {
				t.Fatal(err)
			}
			vals, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if plain, err := h.DB.OpenJoinAnswer(base64.RawStdEncoding.EncodeToString(v)); err == nil {
					search(table+"."+col+" (sealed)", plain)
				}
			}
		}
	}
	return found
}

// prDigits folds what may stand between the digits of a number as people and the bot write
// it (Persian and Arabic-Indic digits, spaces, dashes, direction marks, ZWNJ).
func prDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '۰' && r <= '۹':
			return '0' + r - '۰'
		case r >= '٠' && r <= '٩':
			return '0' + r - '٠'
		case r == ' ', r == '-', r == '\u00a0', r == '\u202f', r == '\u200c', r == '\u200e', r == '\u200f',
			r >= '\u2066' && r <= '\u2069', r >= '\u202a' && r <= '\u202e':
			return -1
		}
		return r
	}, s)
}

// countRows runs a counting query.
func countRows(t *testing.T, h *chattest.Harness, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// failReplies makes every message the bot sends to (or edits in) chat fail with fault,
// from the first such call for the next second (an edit that fails falls back to a new
// message, which fails too), then lets everything through. It returns how many calls
// failed so far.
func failReplies(h *chattest.Harness, chat int64, fault emulator.APIError) func() int {
	var first atomic.Int64
	var failed atomic.Int32
	h.API.SetHook(func(method string, chatID int64) *emulator.APIError {
		if chatID != chat || (method != "sendMessage" && method != "editMessageText") {
			return nil
		}
		now := time.Now().UnixNano()
		first.CompareAndSwap(0, now)
		if now-first.Load() > int64(time.Second) {
			return nil
		}
		failed.Add(1)
		f := fault
		return &f
	})
	return func() int { return int(failed.Load()) }
}
