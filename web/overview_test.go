package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// The overview shows a manager their neighborhood's upcoming trainings with how full
// each is (a table and a bar each), and the last twelve weeks' sign-ups, need reports,
// membership requests and training sign-ups; another neighborhood's training is not
// there, and a cancelled one is not either.
func TestOverviewTrainingsAndTrends(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	own, other := h.Neighborhood("سرخاب"), h.Neighborhood("مارالان")
	m := h.User(7801)
	m.Onboard("سرخاب")
	m.Manager(own)
	carpet := h.Training(own, "قالی‌بافی برای بانوان", 4, 5)
	var residents []*chattest.User
	for i := range 3 {
		r := h.User(7810 + int64(i))
		r.Onboard("سرخاب")
		residents = append(residents, r)
		h.SignUp(carpet.ID, r.ResidentID())
	}
	residents[0].ReportNeed("برای خرید مواد غذایی کمک لازم داریم")
	h.Training(other, "نان‌پزی خانگی", 10, 6)
	gone := h.Training(own, "خیاطی مقدماتی", 10, 7)
	if _, err := h.DB.CancelTraining(t.Context(), m.ResidentID(), gone.ID); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, h)
	page := b.signIn(m.ConsoleLink())
	i := strings.Index(page, `id="trainings"`)
	j := strings.Index(page, `id="trends"`)
	if i < 0 || j < i {
		t.Fatalf("overview without its trainings and trends:\n%s", page)
	}
	trainings, trends := page[i:j], page[j:]
	if !strings.Contains(trainings, "قالی‌بافی برای بانوان") || !strings.Contains(trainings, "۳/۴") || !strings.Contains(trainings, "۷۵٪") ||
		!strings.Contains(trainings, `<svg class="chart"`) {
		t.Fatalf("the carpet training should be 3 of 4, 75%%, with its bar:\n%s", trainings)
	}
	if strings.Contains(trainings, "نان‌پزی") || strings.Contains(trainings, "خیاطی") {
		t.Fatalf("another neighborhood's or a cancelled training on the manager's overview:\n%s", trainings)
	}
	// This week's row: four residents signed up (the manager too), one report, three
	// training sign-ups; the row of twelve weeks ago is empty.
	week := thisWeek()
	row := "<tr><td>" + text.Date(week) + `</td><td class="n">۴</td><td class="n">۱</td><td class="n">۰</td><td class="n">۳</td></tr>`
	if !strings.Contains(trends, row) {
		t.Fatalf("this week's row %q missing:\n%s", row, trends)
	}
	if n := strings.Count(trends, "<tr><td>"); n != 12 {
		t.Errorf("%d weeks in the trends, want 12", n)
	}
	if n := strings.Count(trends, `<svg class="chart columns"`); n != 3 {
		t.Errorf("%d column charts, want 3 (no requests to join: that series shows its empty note)", n)
	}
	if !strings.Contains(trends, b.text(coopbot.Persian, "console.chart.empty")) {
		t.Errorf("the empty series has no note")
	}

	// The manager has sent nothing yet: the panel of recent broadcasts says so.
	if !strings.Contains(page, `id="recent-broadcasts"`) || !strings.Contains(page, b.text(coopbot.Persian, "console.broadcasts.none")) {
		t.Errorf("the manager's overview lacks the empty panel of recent broadcasts")
	}

	// A cooperative admin without a staff role sees neither.
	coop := h.Cooperative(own, "تعاونی سفالگری سرخاب")
	a := h.User(7820)
	a.Onboard("سرخاب")
	a.CoopAdmin(coop)
	ab := newBrowser(t, h)
	if page := ab.signIn(a.ConsoleLink()); strings.Contains(page, `id="trainings"`) || strings.Contains(page, `id="trends"`) || strings.Contains(page, `id="recent-broadcasts"`) {
		t.Fatalf("a cooperative admin's overview shows staff figures")
	}
	if code, _ := ab.get("/"); code != http.StatusOK {
		t.Fatalf("cooperative admin's overview: %d", code)
	}
}

// thisWeek is the Saturday that began this week in Tehran.
func thisWeek() time.Time {
	now := time.Now().In(text.Tehran)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, text.Tehran)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 1) % 7))
}
