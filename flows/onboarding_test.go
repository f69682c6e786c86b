package flows_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

func TestOnboardingPersian(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1001)

	u.Send("/start")
	u.Sees("onboarding.welcome")
	u.Press("lang.fa.name")
	u.Sees("onboarding.neighborhood.prompt")

	// A neighborhood typed with Arabic letters and no ZWNJ is still found.
	u.Send("ايل گلي")
	u.Sees("onboarding.phone.prompt")
	if kb := u.Keyboard(); len(kb) == 0 || kb[0] != u.Text("onboarding.phone.share") {
		t.Fatalf("phone step keyboard = %q, want the share-contact button first", kb)
	}

	// Someone else's contact is not the resident's phone.
	u.E.ShareContact("09121112233", 999)
	u.Sees("onboarding.phone.not_own")
	u.E.ShareContact("+98 912 111 2233", 1001)
	u.Sees("onboarding.done_phone")
	u.Sees("menu.title")

	p, err := h.DB.Profile(context.Background(), coopbot.UserRef{Platform: coopbot.Telegram, UserID: 1001})
	if err != nil {
		t.Fatal(err)
	}
	if p.Lang != coopbot.Persian || p.Phone != "+989121112233" || p.Neighborhood == 0 {
		t.Fatalf("stored profile = %+v", p)
	}
}

func TestOnboardingAzeri(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1002).Speaks(coopbot.Azeri)

	u.Send("salam")
	u.Sees("onboarding.welcome")
	u.Press("lang.az.name")
	u.Sees("onboarding.neighborhood.prompt")

	// Page through the list and pick from the second page.
	u.Press("common.next")
	u.Sees("common.page", "Page", "۲", "Pages", "۳")
	u.Press("common.prev")
	u.Sees("common.page", "Page", "۱", "Pages", "۳")
	u.PressLabel("ائل‌گؤلو")
	u.Sees("onboarding.phone.prompt")
	u.Send(u.Text("onboarding.phone.skip"))
	u.Sees("onboarding.done")
	u.Sees("menu.title")

	// The language is remembered in Postgres: after the conversation is gone, the bot still
	// speaks Azeri.
	p, err := h.DB.Profile(context.Background(), coopbot.UserRef{Platform: coopbot.Telegram, UserID: 1002})
	if err != nil || p.Lang != coopbot.Azeri {
		t.Fatalf("profile = %+v, %v", p, err)
	}
}

func TestOnboardingWrongAnswersBackAndCancel(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1003)

	u.Send("/start")
	u.Sees("onboarding.welcome")
	u.Send("English please")
	u.Sees("onboarding.lang.invalid")
	u.E.SendSticker()
	u.Sees("onboarding.lang.invalid")
	u.Send("فارسی") // the typed label presses the button
	u.Sees("onboarding.neighborhood.prompt")

	u.Send("محله‌ای که نیست")
	u.Sees("onboarding.neighborhood.not_found", "Typed", text.Isolate("محله‌ای که نیست")) // echoed isolated: it may mix directions
	u.Press("common.back")
	u.Sees("onboarding.welcome")
	u.Press("lang.fa.name")
	u.Sees("onboarding.neighborhood.prompt")
	u.Send("سرخاب")
	u.Sees("onboarding.phone.prompt")
	u.Send("09121234567")
	u.Sees("onboarding.phone.use_button")
	u.Send(u.Text("onboarding.phone.skip"))
	u.Sees("menu.title")

	// /cancel in the middle of a flow returns to the menu; nothing changes.
	u.Press("menu.language")
	u.Sees("language.prompt")
	u.Send("/cancel")
	u.Sees("conv.cancelled")
	u.Sees("menu.title")

	// Changing the language at any time.
	u.Send("/lang")
	u.Sees("language.prompt")
	u.Press("lang.az.name")
	u.Speaks(coopbot.Azeri)
	u.Sees("language.changed")
	u.Sees("menu.title")
}

func TestStaleButtonGetsCurrentQuestion(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1004)
	u.Send("/start")
	first := u.Sees("onboarding.welcome")
	u.Press("lang.fa.name")
	u.Sees("onboarding.neighborhood.prompt")

	// Pressing the language button of the first message again: the bot says it is old and
	// asks the current question; nothing changes.
	if err := u.E.PressOn(first.ID, u.Text("lang.az.name")); err != nil {
		t.Fatal(err)
	}
	u.Sees("onboarding.neighborhood.prompt")
	if toasts := u.E.Toasts(); len(toasts) == 0 || toasts[len(toasts)-1] != u.Text("conv.stale") {
		t.Fatalf("toasts = %q, want the stale-button note", toasts)
	}
	// Forged data is treated the same way.
	u.E.PressData(first.ID, "c:999:lang:az")
	u.Sees("onboarding.neighborhood.prompt")
	u.E.PressData(first.ID, "garbage")
	u.Sees("onboarding.neighborhood.prompt")
}

func TestExpiredStateRestartsPolitely(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1005)
	u.Onboard("ولیعصر")
	u.Press("menu.language")
	u.Sees("language.prompt")

	// The conversation expires (or Redis loses it): the next answer gets an apology and
	// the menu, in the resident's language.
	h.Idle()
	ctx := context.Background()
	keys, err := h.Redis.Redis().Keys(ctx, h.Redis.Prefix()+"conv:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("conversation keys = %v, %v", keys, err)
	}
	h.Redis.Redis().Del(ctx, keys[0])
	u.Press("lang.az.name")
	u.Sees("conv.reset")
	u.Sees("menu.title")

	// A state written by an older version of the bot is reset the same way.
	h.Idle()
	h.Redis.Redis().HSet(ctx, keys[0], "state", `{"v":0,"f":"gone","s":"x"}`)
	u.Send("سلام")
	u.Sees("conv.reset")
	u.Sees("menu.title")
}

func TestDuplicateUpdateIsHandledOnce(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1006)

	// Delivered twice at once: one reply.
	u.Send("/start")
	u.E.Redeliver()
	u.Sees("onboarding.welcome")
	h.Idle()
	if n := len(u.E.Messages()); n != 1 {
		t.Fatalf("bot sent %d messages for one update delivered twice, want 1", n)
	}

	// Delivered again after it was handled: one transition, one reply.
	u.Press("lang.fa.name")
	u.Sees("onboarding.neighborhood.prompt")
	h.Idle()
	u.E.Redeliver()
	h.Idle()
	if n := len(u.E.Messages()); n != 2 {
		t.Fatalf("bot sent %d messages, want 2: a late duplicate must not be answered", n)
	}
	u.Send("سرخاب") // still at the neighborhood step: the duplicate changed nothing
	u.Sees("onboarding.phone.prompt")
}

func TestBurstFromOneChatIsHandledInOrder(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1007)
	// Several texts within a few milliseconds: each is applied in arrival order, so the
	// whole onboarding completes and no answer is lost.
	u.Send("/start")
	u.Send("فارسی")
	u.Send("سرخاب")
	u.Send(u.Text("onboarding.phone.skip"))
	u.Sees("onboarding.welcome")
	u.Sees("onboarding.neighborhood.prompt")
	u.Sees("onboarding.phone.prompt")
	u.Sees("onboarding.done")
	u.Sees("menu.title")

	// Different chats run concurrently.
	var wg sync.WaitGroup
	for i := int64(0); i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := h.User(2000 + i)
			v.Onboard("نوبر")
		}()
	}
	wg.Wait()
}

// A typed part of a name that fits one neighborhood only is taken, and the resident is told
// which one, so a wrong guess is seen and undone with Back.
func TestTypedPartOfANeighborhoodSaysWhichWasTaken(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1005)
	u.Send("/start")
	u.Press("lang.fa.name")
	u.Sees("onboarding.neighborhood.prompt")
	u.Send("ولی")
	u.Sees("onboarding.neighborhood.chosen", "Name", "ولیعصر")
	u.Sees("onboarding.phone.prompt")
	u.Send(u.Text("common.back")) // Back is on the reply keyboard
	u.Sees("onboarding.neighborhood.prompt")
	u.Send("ولیعصر") // the whole name: taken without a note
	u.Sees("onboarding.phone.prompt")
	notes := 0
	for _, m := range u.E.Messages() {
		if strings.Contains(m.Text, u.Text("onboarding.neighborhood.chosen", "Name", "ولیعصر")) {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("%d notes of the neighborhood taken, want 1 (for the part typed, none for the whole name)", notes)
	}
}

// What people call the languages, typed at the first question, chooses them.
func TestTypedLanguageNamesChooseTheLanguage(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	for i, c := range []struct {
		typed string
		lang  coopbot.Lang
	}{{"ترکی", coopbot.Azeri}, {"Türkçe", coopbot.Azeri}, {"آذری", coopbot.Azeri}, {"Farsi", coopbot.Persian}, {"فارسی", coopbot.Persian}} {
		u := h.User(int64(1010 + i)).Speaks(c.lang)
		u.Send("/start")
		u.Sees("onboarding.welcome")
		u.Send(c.typed)
		u.Sees("onboarding.neighborhood.prompt") // in the language chosen
	}
}

// Neighborhoods are listed in the reader's alphabet: چرنداب (چ) comes before ولیعصر (و),
// which code-point order would put first.
func TestNeighborhoodsAreInAlphabeticalOrder(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	u := h.User(1020)
	u.Send("/start")
	u.Press("lang.fa.name")
	var names []string
	for page := 0; page < 3; page++ {
		u.Sees("common.page", "Page", text.FaDigits(strconv.Itoa(page+1)), "Pages", "۳")
		for _, b := range u.Buttons() {
			if b != u.Text("common.next") && b != u.Text("common.prev") && b != u.Text("common.back") {
				names = append(names, b)
			}
		}
		if page < 2 {
			u.Press("common.next")
		}
	}
	if !slices.IsSortedFunc(names, func(a, b string) int { return text.Compare(text.LangFa, a, b) }) {
		t.Fatalf("neighborhoods not in Persian alphabetical order: %q", names)
	}
	if i, j := slices.Index(names, "چرنداب"), slices.Index(names, "ولیعصر"); i < 0 || j < 0 || i > j {
		t.Fatalf("چرنداب at %d, ولیعصر at %d: %q", i, j, names)
	}
}
