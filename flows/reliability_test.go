package flows_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// toNeighborhoodStep starts onboarding and stops at the neighborhood question, which
// echoes a name it does not know.
func toNeighborhoodStep(u *chattest.User) {
	u.Send("/start")
	u.Sees("onboarding.welcome")
	u.Press("lang.fa.name")
	u.Sees("onboarding.neighborhood.prompt")
}

// checkSent asserts that every message the bot sent the user is 1–4096 UTF-16 code units
// of plain text (no parse mode, so nothing typed can be read as markup).
func checkSent(t *testing.T, u *chattest.User) {
	t.Helper()
	for _, m := range u.E.Messages() {
		if n := len(utf16.Encode([]rune(m.Text))); n < 1 || n > 4096 {
			t.Fatalf("a message of %d UTF-16 units was sent: %.80q", n, m.Text)
		}
		if m.ParseMode != "" {
			t.Fatalf("a message was sent with parse mode %q: %.80q", m.ParseMode, m.Text)
		}
	}
}

// Row "<b>, </a>, &, links in names and texts": a typed text the bot repeats is shown
// exactly as typed, never read as markup (Telegram would refuse the unbalanced ones).
func TestEchoedMarkupAndLinksAreShownLiterally(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1101)
	toNeighborhoodStep(u)
	for _, typed := range []string{
		"<b>محلهٔ من</b>",
		"</a>",
		"کوچه & باغ &amp; &lt;",
		`<a href="https://example.com/?a=1&b=2">پیوند</a>`,
		"https://t.me/+secret?start=<x>",
		"*پررنگ* _کج_ `کد` [x](tg://user?id=1)",
	} {
		u.Send(typed)
		m := u.Sees("onboarding.neighborhood.not_found", "Typed", text.Isolate(text.Clean(typed)))
		if !strings.Contains(m.Text, typed) {
			t.Fatalf("%q is not shown literally in %q", typed, m.Text)
		}
	}
	h.Idle()
	checkSent(t, u)
}

// Row "10,000-character text; text that grows past 4096 after templating": a text longer
// than any messenger sends in one message gets a clear answer and the same question; a
// text just short of the limit, repeated inside a longer message, is split into messages
// that each fit.
func TestVeryLongTextsGetAClearAnswerAndFit(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1102)
	toNeighborhoodStep(u)

	u.Send(strings.Repeat("خیابان بی‌نام ", 715)) // 10,010 characters
	if m := u.Sees("input.too_long"); !strings.Contains(m.Text, u.Text("onboarding.neighborhood.prompt")) {
		t.Fatalf("the hint came without the question: %q", m.Text)
	}

	// 4,000 characters (a messenger allows 4,096) come back inside the "not found"
	// template: more than one message can hold.
	typed := strings.Repeat("کوچه", 1000)
	before := len(u.E.Messages())
	u.Send(typed)
	h.Idle()
	after := u.E.Messages()[before:]
	if len(after) < 2 {
		t.Fatalf("%d messages for a text longer than one message holds, want it split", len(after))
	}
	var all strings.Builder
	for _, m := range after {
		all.WriteString(m.Text)
	}
	if got := strings.Count(all.String(), "کوچه"); got != 1000 {
		t.Fatalf("the split text repeats the typed name %d times of 1000", got)
	}
	if last := after[len(after)-1]; len(last.Inline) == 0 {
		t.Fatal("the question's buttons did not come with the last piece")
	}
	checkSent(t, u)

	// The question still works.
	u.Send("سرخاب")
	u.Sees("onboarding.phone.prompt")
}

// Row "U+202E, emoji, newlines, NUL in names": such text is handled as text. Typed, it is
// cleaned before it is matched; as a first name it is stored cleaned; nothing breaks.
func TestDirectionMarksEmojiNewlinesAndNULAreText(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1103)
	name := "\u202eزهرا\x00 👩‍🌾\nاحمدی\u200f <b>"
	u.E.SetFirstName(name)
	toNeighborhoodStep(u)

	odd := "\u202e\x00🏡\nناکجا\r\nآباد\u2066"
	u.Send(odd)
	u.Sees("onboarding.neighborhood.not_found", "Typed", text.Isolate(text.Clean(odd)))
	u.Send("\u202eسرخاب\x00\n")
	u.Sees("onboarding.phone.prompt")
	u.Send(u.Text("onboarding.phone.skip"))
	u.Sees("menu.title")
	h.Idle()
	checkSent(t, u)

	var stored string
	if err := h.DB.Pool.QueryRow(context.Background(), `SELECT name FROM residents WHERE user_id = 1103`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := text.Clean(name); stored != want || strings.ContainsAny(stored, "\x00\u202e\n") || !strings.Contains(stored, "👩‍🌾") {
		t.Fatalf("stored name %q, want %q (cleaned, emoji kept)", stored, want)
	}
}

// Row "sticker, photo, voice, location, edited message where text was asked": a polite
// re-prompt (the same question with a hint), and the conversation goes on.
func TestNonTextWhereTextWasAskedGetsTheQuestionAgain(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1104)
	toNeighborhoodStep(u)
	u.Send("ناکجاآباد")
	u.Sees("onboarding.neighborhood.not_found", "Typed", text.Isolate("ناکجاآباد"))

	u.E.SendSticker()
	u.Sees("onboarding.neighborhood.invalid")
	u.E.ShareLocation(38.08, 46.29)
	u.Sees("onboarding.neighborhood.invalid")
	// Editing an earlier answer is not a new answer: the current question again.
	u.E.EditLast("سرخاب")
	u.Sees("onboarding.neighborhood.invalid")
	u.Send("سرخاب")
	u.Sees("onboarding.phone.prompt")

	// Where a button is expected, the same.
	u.E.SendSticker()
	u.Sees("onboarding.phone.use_button")
	u.E.ShareLocation(38.08, 46.29)
	u.Sees("onboarding.phone.use_button")
	u.Send(u.Text("onboarding.phone.skip"))
	u.Sees("menu.title")
	u.E.ShareLocation(38.08, 46.29)
	u.Sees("menu.unknown")
	u.E.EditLast("/start")
	u.Sees("menu.unknown")
	h.Idle()
	checkSent(t, u)
}

// menuEntries returns the labels and values of the main menu's buttons in m.
func menuEntries(m emulator.Message) (labels, values []string, prefix string) {
	for _, row := range m.Inline {
		for _, b := range row {
			parts := strings.SplitN(b.Data, ":", 3)
			if len(parts) != 3 {
				continue
			}
			prefix = parts[0] + ":" + parts[1] + ":"
			labels = append(labels, b.Text)
			values = append(values, parts[2])
		}
	}
	return labels, values, prefix
}

// Row "a staff command from a resident": the menu shows a resident only what they may
// use; typing the label of a staff entry, a /command, or pressing forged data with the
// current question number opens nothing (the forged press is recorded); staff whose role
// was taken away after the menu was shown are refused on the server and recorded.
func TestStaffEntriesAreDeniedToResidents(t *testing.T) {
	t.Parallel()
	const staffID, residentID = 1106, 1105
	h := chattest.New(t, chattest.Options{Admins: []coopbot.UserRef{{Platform: coopbot.Telegram, UserID: staffID}}})
	s := h.User(staffID)
	s.Onboard("سرخاب")
	r := h.User(residentID)
	r.Onboard("سرخاب")
	h.Idle()
	staffLabels, staffValues, _ := menuEntries(s.E.Messages()[len(s.E.Messages())-1])
	menu := r.E.Messages()[len(r.E.Messages())-1]
	labels, values, prefix := menuEntries(menu)
	var hidden []int // indexes of staff entries
	for i, v := range staffValues {
		if !slices.Contains(values, v) {
			hidden = append(hidden, i)
			if slices.Contains(labels, staffLabels[i]) {
				t.Fatalf("resident menu shows the staff entry %q", staffLabels[i])
			}
		}
	}
	for _, want := range []string{r.Text("broadcast.menu"), r.Text("needs.menu.inbox"), r.Text("needs.menu.summary")} {
		if !slices.Contains(staffLabels, want) || slices.Contains(labels, want) {
			t.Fatalf("staff menu %q, resident menu %q: want %q for staff only", staffLabels, labels, want)
		}
	}

	before := len(r.E.Messages())
	for _, i := range hidden {
		r.Send(staffLabels[i]) // typed: read as text at the menu
		r.Sees("menu.unknown")
		r.E.PressData(menu.ID, prefix+staffValues[i]) // forged, with the current number
		r.Sees("menu.unknown")
	}
	r.Send("/broadcast")
	r.Sees("conv.unknown_command")
	h.Idle()
	// One answer per attempt, each the menu again: nothing else was opened.
	replies := r.E.Messages()[before:]
	if len(replies) != 2*len(hidden)+2 {
		t.Fatalf("%d replies to %d attempts:\n%s", len(replies), 2*len(hidden)+1, r.E.Dump())
	}
	for _, m := range replies[:2*len(hidden)] {
		if !strings.Contains(m.Text, r.Text("menu.unknown")) || !strings.Contains(m.Text, r.Text("menu.title")) {
			t.Fatalf("an attempt got %q, want the menu again", m.Text)
		}
	}
	if !strings.Contains(replies[len(replies)-1].Text, r.Text("menu.title")) {
		t.Fatalf("the unknown command got %q after its note, want the menu", replies[len(replies)-1].Text)
	}
	ctx := context.Background()
	var recorded int
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log a JOIN residents r ON r.id = a.actor_id
		WHERE r.user_id = $1 AND NOT a.allowed`, residentID).Scan(&recorded); err != nil || recorded != len(hidden) {
		t.Fatalf("denied attempts recorded: %d, %v; want %d (the forged presses)", recorded, err, len(hidden))
	}

	// Staff lose their role while their menu is open: the press is refused on the server.
	if _, err := h.DB.Pool.Exec(ctx, `DELETE FROM staff WHERE resident_id = (SELECT id FROM residents WHERE user_id = $1)`, staffID); err != nil {
		t.Fatal(err)
	}
	s.Press("broadcast.menu")
	s.Sees("broadcast.denied")
	s.Sees("menu.title")
	if slices.Contains(s.Buttons(), s.Text("needs.menu.inbox")) {
		t.Fatalf("the menu after the refusal still offers staff entries: %q", s.Buttons())
	}
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log a JOIN residents r ON r.id = a.actor_id
		WHERE r.user_id = $1 AND a.action = 'broadcast_open' AND NOT a.allowed`, staffID).Scan(&recorded); err != nil || recorded != 1 {
		t.Fatalf("the refused broadcast was recorded %d times, %v; want 1", recorded, err)
	}
}

// A question with buttons after a reply-keyboard answer cannot carry the keyboard's
// removal: the short note that carries it is deleted at once, so no filler stays in the
// chat and the keyboard is gone.
func TestReplyKeyboardIsRemovedWithoutAFillerMessage(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1130)
	u.Onboard("سرخاب")
	u.Press("join.menu")
	u.Sees("join.coop.prompt")
	u.Send("تعاونی فرش‌بافی بانوان سرخاب")
	u.Sees("join.name.prompt")
	u.Send("مینا عباسی")
	u.Sees("join.nid.prompt")
	u.Send("0012345679")
	u.Sees("join.phone.prompt")
	if len(u.Keyboard()) == 0 {
		t.Fatal("the phone question shows no reply keyboard")
	}
	u.Send("09121112233")
	u.Sees("join.share.prompt", "Coop", "تعاونی فرش‌بافی بانوان سرخاب", "CoopAz", "سورخاب خانیملار خالچا توخوما تعاونیسی", "Min", "۵٬۰۰۰٬۰۰۰")
	h.Idle()
	if kb := u.Keyboard(); len(kb) != 0 {
		t.Fatalf("the reply keyboard stayed: %q", kb)
	}
	for _, m := range u.E.Messages() {
		if m.Text == u.Text("conv.keyboard_closed") {
			t.Fatalf("a filler message stayed in the chat:\n%s", u.E.Dump())
		}
	}
}
