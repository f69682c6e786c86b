package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// Office staff (reading Persian) write to an enrollee from a training's list of
// enrollees; the enrollee (reading Azeri) gets the words in Azeri, naming the training.
// A press forged for another training's enrollee is refused and audited, and the store
// refuses a manager of another neighborhood and a resident.
func TestTrainingMessageToEnrollee(t *testing.T) {
	t.Parallel()
	h := trHarness(t, 6701)
	ctx := context.Background()
	tr := trNew(t, h, "سرخاب", "گلدوزی آذربایجانی", 5, 4)
	other := trNew(t, h, "سرخاب", "خیاطی مقدماتی", 5, 6)
	az := h.User(6702).Speaks(coopbot.Azeri)
	az.Onboard("سرخاب")
	elsewhere := h.User(6703)
	elsewhere.Onboard("سرخاب")
	if _, err := h.DB.SignUp(ctx, tr.ID, trResidentID(t, h, az)); err != nil {
		t.Fatal(err)
	}
	foreign, err := h.DB.SignUp(ctx, other.ID, trResidentID(t, h, elsewhere))
	if err != nil {
		t.Fatal(err)
	}

	s := h.User(6701)
	s.Onboard("سرخاب")
	s.Press("trainings.menu")
	s.Sees("trainings.list.title")
	pressTraining(t, s, tr.TitleFa)
	s.Press("trainings.manage.enrollees")
	s.Sees("trainings.enrollees.confirmed", "Count", "۱")
	s.Press("office.message.button")
	s.Sees("trainings.message.pick", trData(tr, coopbot.Persian)...)
	s.PressLabel(az.E.FirstName())
	s.Sees("trainings.message.prompt", "Name", text.Isolate(az.E.FirstName()), "Max", "۱٬۰۰۰")
	s.Send("ب")
	s.Sees("input.too_short", "Min", "۲")
	const words = "کلاس پنجشنبه در سالن طبقهٔ دوم برگزار می‌شود؛ لطفاً نخ و سوزن بیاورید."
	s.Send(words)
	s.Sees("office.message.sent")
	s.Sees("trainings.enrollees.title", trData(tr, coopbot.Persian)...)

	note := az.Sees("office.notify.enrollment", trData(tr, coopbot.Azeri)...)
	contains(t, az, note, msg("office.notify.text", "Text", text.Isolate(words)), msg("office.notify.footer"))
	if strings.Contains(note.Text, tr.TitleFa+"»") {
		t.Fatalf("the Azeri enrollee is shown the Persian title:\n%s", note.Text)
	}
	if trCount(elsewhere, words) != 0 {
		t.Fatal("the enrollee of another training got the message")
	}

	// The same screen, with a press forged for the other training's enrollee.
	s.Press("office.message.button")
	pick := s.Sees("trainings.message.pick", trData(tr, coopbot.Persian)...)
	data := pick.Inline[0][0].Data
	s.E.PressData(pick.ID, data[:strings.LastIndex(data, ":")+1]+fmt.Sprint(foreign.ID))
	s.Sees("trainings.denied")
	var n int
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'training_message' AND NOT allowed`,
		trResidentID(t, h, s)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("forged press audited %d times, %v", n, err)
	}
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'resident_message' AND allowed AND subject LIKE 'enrollment:%'`,
		trResidentID(t, h, s)).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the message audited %d times, %v", n, err)
	}
	if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM office_messages WHERE about_kind = 'enrollment'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("office messages about enrolments: %d, %v", n, err)
	}

	// The store checks again: a manager of another neighborhood and a resident may not.
	m := h.User(6704)
	m.Onboard("ائل‌گلی")
	if _, err := h.DB.Pool.Exec(ctx, `INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`,
		trResidentID(t, h, m), trNbhID(t, h, "ائل‌گلی")); err != nil {
		t.Fatal(err)
	}
	for _, who := range []*chattest.User{m, elsewhere} {
		if _, err := h.DB.MessageResident(ctx, trResidentID(t, h, who), coopbot.AboutEnrollment, foreign.ID, "سلام"); coopbot.ErrorCode(err) != coopbot.EForbidden {
			t.Fatalf("%d writing to an enrollee: %v, want forbidden", who.ID, err)
		}
		if err := h.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'resident_message' AND NOT allowed`,
			trResidentID(t, h, who)).Scan(&n); err != nil || n != 1 {
			t.Fatalf("refusal of %d audited %d times, %v", who.ID, n, err)
		}
	}
}
