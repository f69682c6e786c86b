package flows_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// anPhotos returns the photos the bot sent to u, with their captions.
func anPhotos(u *chattest.User) []emulator.Message {
	var out []emulator.Message
	for _, m := range u.E.Messages() {
		if m.Photo != nil {
			out = append(out, m)
		}
	}
	return out
}

// anWaitPhoto waits until u has a photo whose caption contains caption and returns it.
func anWaitPhoto(t *testing.T, u *chattest.User, caption string) emulator.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chattest.Wait)
	defer cancel()
	var found emulator.Message
	err := u.E.Wait(ctx, func(ms []emulator.Message) bool {
		for _, m := range ms {
			if m.Photo != nil && strings.Contains(m.Photo.Caption, caption) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("user %d never got a photo captioned %q:\n%s", u.ID, caption, u.E.Dump())
	}
	return found
}

// anButtons are the labels of a message's inline buttons.
func anButtons(m emulator.Message) []string {
	var out []string
	for _, row := range m.Inline {
		for _, b := range row {
			out = append(out, b.Text)
		}
	}
	return out
}

// anEnrolled counts a resident's active enrolments in a training.
func anEnrolled(t *testing.T, h *chattest.Harness, training, resident int64) int {
	t.Helper()
	var n int
	err := h.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM training_enrollments
		WHERE training_id = $1 AND resident_id = $2 AND status <> 'cancelled'`, training, resident).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Staff send an announcement with a photo and a button that signs residents up for a
// training of the neighborhood: the preview shows the photo with each text as its
// caption and names the button; each resident of the neighborhood gets the photo once
// (one sendPhoto each), captioned in their language, with the button in their language;
// pressing it opens the training with its sign-up, which signs them up. Once the
// training is cancelled the same button says so.
func TestBroadcastPhotoWithSignUpButton(t *testing.T) {
	t.Parallel()
	h := bcHarness(t, 1000)
	staff := h.User(1)
	staff.Onboard("ولیعصر")
	fa := h.User(1201)
	fa.Onboard("سرخاب")
	az := h.User(1202).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	other := h.User(1203)
	other.Onboard("نوبر")
	tr := trNew(t, h, "سرخاب", "قالی‌بافی مقدماتی", 10, 8)
	trNew(t, h, "نوبر", "سفالگری", 10, 8) // another neighborhood's: not offered

	staff.Press("broadcast.menu")
	staff.Sees("broadcast.audience.prompt")
	staff.Press("broadcast.audience.neighborhoods")
	staff.Sees("broadcast.neighborhoods.prompt")
	staff.Send("سرخاب")
	bcTicked(t, staff, "سرخاب")
	staff.Press("broadcast.neighborhoods.continue")
	staff.Sees("broadcast.mode.prompt")
	staff.Press("broadcast.mode.both")
	staff.Sees("broadcast.text.prompt_fa")
	staff.Send(bcTextFa)
	staff.Sees("broadcast.text.prompt_az")
	staff.Send(bcTextAz)
	staff.Sees("broadcast.file.prompt", "Max", "۱٬۰۲۴")
	staff.Send("عکس") // text where a file was asked
	staff.Sees("broadcast.file.invalid")
	poster := []byte("\xff\xd8\xff\xe0 poster of the carpet workshop")
	staff.E.SendPhoto(poster, "")
	staff.Sees("broadcast.button.prompt")
	staff.Press("broadcast.button.training")
	staff.Sees("broadcast.button.training_prompt")
	if labels := staff.Buttons(); strings.Contains(strings.Join(labels, "|"), "سفالگری") {
		t.Fatalf("a training of another neighborhood offered: %q", labels)
	}
	staff.PressContaining("قالی‌بافی مقدماتی")
	bcNoWhen(t, staff)
	review := staff.Sees("broadcast.preview.title")
	for _, want := range []string{
		staff.Text("broadcast.preview.photo"),
		staff.Text("broadcast.preview.button_training", "Name", tr.TitleFa, "Date", text.Date(tr.StartsAt)),
	} {
		if !strings.Contains(review.Text, want) {
			t.Fatalf("preview lacks %q:\n%s", want, review.Text)
		}
	}
	if got := len(anPhotos(staff)); got != 2 {
		t.Fatalf("preview showed %d photos, want the Persian and the Azeri one", got)
	}
	anWaitPhoto(t, staff, "قالی‌بافی")
	anWaitPhoto(t, staff, "خالچا توخوما")
	before := h.API.Calls("sendPhoto")
	staff.Press("broadcast.confirm")
	bcMessage(t, staff, review.ID, staff.Text("broadcast.progress.done", "ID", "۱"))
	h.Idle()

	faGot := anWaitPhoto(t, fa, "قالی‌بافی")
	azGot := anWaitPhoto(t, az, "خالچا توخوما")
	for _, c := range []struct {
		u    *chattest.User
		m    emulator.Message
		want string
	}{{fa, faGot, bcTextFa}, {az, azGot, bcTextAz}} {
		if c.m.Photo.Caption != c.want || !bytes.Equal(c.m.Photo.Data, poster) {
			t.Errorf("user %d got caption %q (%d bytes), want %q with the poster", c.u.ID, c.m.Photo.Caption, len(c.m.Photo.Data), c.want)
		}
		if b := anButtons(c.m); len(b) != 1 || b[0] != c.u.Text("broadcast.button.signup") {
			t.Errorf("user %d got buttons %q, want the sign-up in their language", c.u.ID, b)
		}
	}
	time.Sleep(300 * time.Millisecond) // nothing more comes
	if n := h.API.Calls("sendPhoto") - before; n != 2 {
		t.Errorf("%d sendPhoto calls for two recipients", n)
	}
	if n := len(anPhotos(fa)) + len(anPhotos(az)); n != 2 {
		t.Errorf("recipients hold %d photos, want one each", n)
	}
	if n := len(anPhotos(other)); n != 0 {
		t.Errorf("a resident of another neighborhood got %d photos", n)
	}

	// The Azeri resident presses the button: the training opens with its sign-up.
	az.PressLabel(az.Text("broadcast.button.signup"))
	az.Sees("training.detail", append(trData(tr, coopbot.Azeri), "Description", tr.DescriptionAz, "Neighborhood", "سورخاب")...)
	az.Press("training.signup.button")
	az.Sees("training.signup.confirmed", trData(tr, coopbot.Azeri)...)
	if n := anEnrolled(t, h, tr.ID, trResidentID(t, h, az)); n != 1 {
		t.Fatalf("%d enrolments after the press", n)
	}
	// Back from the training leads to the catalogue.
	fa.PressLabel(fa.Text("broadcast.button.signup"))
	fa.SeesText(tr.DescriptionFa)
	fa.Press("common.back")
	fa.Sees("training.list.title")

	// Cancelled since: the button says so, and nobody is signed up.
	if _, err := h.DB.CancelTraining(context.Background(), trResidentID(t, h, staff), tr.ID); err != nil {
		t.Fatal(err)
	}
	fa.PressLabel(fa.Text("broadcast.button.signup"))
	fa.Sees("broadcast.button.training_closed")
	if n := anEnrolled(t, h, tr.ID, trResidentID(t, h, fa)); n != 0 {
		t.Fatalf("%d enrolments of a cancelled training", n)
	}
}

// bcNoWhen answers the start question: at once.
func bcNoWhen(t *testing.T, u *chattest.User) {
	t.Helper()
	u.Sees("broadcast.when.prompt")
	u.Press("broadcast.when.now")
}

// An announcement's button may open a cooperative's membership form: the resident
// (Azeri here) presses it and is at the form with the cooperative chosen and described;
// once the cooperative closes, the press says so. A text longer than a caption cannot
// take a photo.
func TestBroadcastButtonOpensJoinForm(t *testing.T) {
	t.Parallel()
	h := bcHarness(t, 1000)
	staff := h.User(1)
	staff.Onboard("ولیعصر")
	az := h.User(1301).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	nbh := trNbhID(t, h, "سرخاب")
	var coop int64
	err := h.DB.Pool.QueryRow(context.Background(), `INSERT INTO cooperatives (neighborhood_id, name_fa, name_az, activity_fa, activity_az, min_share)
		VALUES ($1, 'تعاونی فرش دستباف سرخاب', 'سورخاب ال توخوماسی خالچا تعاونیسی', 'بافت فرش', 'خالچا توخوماق', 1000000) RETURNING id`, nbh).Scan(&coop)
	if err != nil {
		t.Fatal(err)
	}

	staff.Press("broadcast.menu")
	staff.Sees("broadcast.audience.prompt")
	staff.Press("broadcast.audience.lang")
	staff.Sees("broadcast.lang.prompt")
	staff.Press("lang.az.name")
	staff.Sees("broadcast.text.prompt_az")
	long := strings.Repeat("خالچا ", 200) // 1,200 characters: a message, not a caption
	staff.Send(long)
	staff.Sees("broadcast.file.prompt", "Max", "۱٬۰۲۴")
	staff.E.SendPhoto([]byte("\xff\xd8\xff\xe0 photo"), "")
	staff.Sees("broadcast.file.text_too_long", "Max", "۱٬۰۲۴")
	staff.Press("common.back")
	staff.Sees("broadcast.text.prompt_az")
	staff.Send("سورخابدا تزه خالچا تعاونیسی عضو قبول ائدیر")
	staff.Sees("broadcast.file.prompt", "Max", "۱٬۰۲۴")
	staff.Press("broadcast.file.none")
	staff.Sees("broadcast.button.prompt")
	staff.Press("broadcast.button.cooperative")
	staff.Sees("broadcast.button.coop_prompt")
	staff.PressLabel("تعاونی فرش دستباف سرخاب")
	bcNoWhen(t, staff)
	review := staff.Sees("broadcast.preview.title")
	if want := staff.Text("broadcast.preview.button_coop", "Name", "تعاونی فرش دستباف سرخاب"); !strings.Contains(review.Text, want) {
		t.Fatalf("preview lacks %q:\n%s", want, review.Text)
	}
	staff.Press("broadcast.confirm")
	got := az.SeesText("سورخابدا تزه خالچا تعاونیسی عضو قبول ائدیر")
	if b := anButtons(got); len(b) != 1 || b[0] != az.Text("broadcast.button.join") {
		t.Fatalf("resident got buttons %q", b)
	}
	az.PressLabel(az.Text("broadcast.button.join"))
	az.Sees("join.coop.item", "Name", "سورخاب ال توخوماسی خالچا تعاونیسی", "Activity", "خالچا توخوماق", "Neighborhood", "سورخاب",
		"Members", "۰", "Min", "۱٬۰۰۰٬۰۰۰")
	az.Sees("join.name.prompt")
	az.Press("common.back") // Back: the list of cooperatives
	az.Sees("join.coop.prompt")

	h.Idle()
	if _, err := h.DB.Pool.Exec(context.Background(), `UPDATE cooperatives SET status = 'closed' WHERE id = $1`, coop); err != nil {
		t.Fatal(err)
	}
	az.PressLabel(az.Text("broadcast.button.join"))
	az.Sees("broadcast.button.coop_closed")
}

// After publishing a training, staff are offered its announcement in one press: the
// broadcast wizard opens at its preview with the neighborhood as audience, the
// training's announcement in both languages and the sign-up button; confirmed, the
// neighborhood's residents get it and sign up from it. A manager of another
// neighborhood cannot announce it.
func TestPublishedTrainingOffersItsAnnouncement(t *testing.T) {
	t.Parallel()
	h := bcHarness(t, 1000)
	staff := h.User(1)
	staff.Onboard("ولیعصر")
	az := h.User(1401).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	fa := h.User(1402)
	fa.Onboard("سرخاب")
	other := h.User(1403)
	other.Onboard("نوبر")

	day := text.JalaliOf(time.Now().AddDate(0, 0, 9))
	trFillForm(t, staff, trDraft{title: "گلیم‌بافی", neighborhood: "سرخاب", day: day, clock: "۱۰:۰۰"})
	staff.Sees("trainings.form.audience")
	staff.Press("trainings.form.skip")
	staff.Sees("trainings.review.title")
	staff.Press("trainings.review.publish")
	staff.SeesLike("trainings.new.published")
	tr := trByTitle(t, h, "گلیم‌بافی")

	// A manager of another neighborhood pressing the same button (forged) is refused.
	mgr := h.User(1404)
	mgr.Onboard("نوبر")
	if _, err := h.DB.Pool.Exec(context.Background(), `INSERT INTO staff (resident_id, role, neighborhood_id, source) VALUES ($1, 'neighborhood_manager', $2, 'app')`,
		trResidentID(t, h, mgr), trNbhID(t, h, "نوبر")); err != nil {
		t.Fatal(err)
	}
	mgr.Send("/menu")
	menu := mgr.Sees("menu.title")
	mgr.E.PressData(menu.ID, "a:bca:"+strconv.FormatInt(tr.ID, 10))
	mgr.Sees("broadcast.denied")

	staff.Press("trainings.new.announce")
	announce := func(l coopbot.Lang) string {
		m := coopbot.M("broadcast.announce.text", append(trData(tr, l), "Description", tr.Description(l))...)
		s, err := h.Cat.Text(l, m.ID, m.Data, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	staff.SeesText(announce(coopbot.Persian))
	staff.SeesText(announce(coopbot.Azeri))
	review := staff.Sees("broadcast.preview.title")
	for _, want := range []string{
		"سرخاب",
		staff.Text("broadcast.preview.button_training", "Name", tr.TitleFa, "Date", text.Date(tr.StartsAt)),
		staff.Text("broadcast.preview.now"),
	} {
		if !strings.Contains(review.Text, want) {
			t.Fatalf("preview lacks %q:\n%q", want, review.Text)
		}
	}
	staff.Press("broadcast.confirm")
	azGot := az.SeesText(announce(coopbot.Azeri))
	fa.SeesText(announce(coopbot.Persian))
	if b := anButtons(azGot); len(b) != 1 || b[0] != az.Text("broadcast.button.signup") {
		t.Fatalf("resident got buttons %q", b)
	}
	az.PressLabel(az.Text("broadcast.button.signup"))
	az.Press("training.signup.button")
	az.Sees("training.signup.confirmed", trData(tr, coopbot.Azeri)...)
	h.Idle()
	if n := trCount(other, tr.TitleFa); n != 0 {
		t.Errorf("a resident of another neighborhood got the announcement %d times", n)
	}
	if n := anEnrolled(t, h, tr.ID, trResidentID(t, h, az)); n != 1 {
		t.Errorf("%d enrolments after the press", n)
	}
}
