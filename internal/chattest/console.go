package chattest

import (
	"regexp"

	"coopbot"
	"coopbot/emulator"
	"coopbot/text"
)

// The web console's side of the harness: the sign-in link a person gets from the bot,
// and the people and records the console's tests start from.

// consoleLinkRE finds the sign-in link in the bot's message.
var consoleLinkRE = regexp.MustCompile(`https?://[^\s/]+/login\?t=[A-Za-z0-9_%-]+`)

// ConsoleLink presses the menu's "web console" entry and returns the sign-in link the bot
// sends.
func (u *User) ConsoleLink() string {
	u.h.T.Helper()
	u.Press("console.menu")
	m := u.SeesLike("console.link")
	link := consoleLinkRE.FindString(m.Text)
	if link == "" {
		u.h.T.Fatalf("user %d: no sign-in link in %q", u.ID, m.Text)
	}
	return link
}

// Neighborhood returns the id of the neighborhood with this Persian name.
func (h *Harness) Neighborhood(fa string) int64 {
	h.T.Helper()
	return h.neighborhood(fa)
}

// Cooperative opens a cooperative in a neighborhood and returns its id.
func (h *Harness) Cooperative(nbh int64, fa string) int64 {
	h.T.Helper()
	return h.cooperative(nbh, fa)
}

// Manager makes u the manager of a neighborhood and shows them their menu.
func (u *User) Manager(nbh int64) { u.h.T.Helper(); u.manager(nbh) }

// CoopAdmin makes u an admin of a cooperative and shows them their menu.
func (u *User) CoopAdmin(coop int64) { u.h.T.Helper(); u.coopAdmin(coop) }

// ReportNeed reports an urgent food need with this description and returns the report's
// id.
func (u *User) ReportNeed(description string) int64 {
	u.h.T.Helper()
	u.reportNeed(description)
	u.Press("need.review.submit")
	u.SeesLike("need.submitted")
	return int64(u.h.count(`SELECT max(id) FROM need_reports WHERE resident_id = $1`, u.ResidentID()))
}

// consoleLinkSent: a cooperative admin asks for a sign-in link.
func consoleLinkSent(h *Harness, base int64) *Step {
	nbh := h.neighborhood("ولیعصر")
	a := h.onboarded(base+1, "ولیعصر")
	a.coopAdmin(h.cooperative(nbh, "تعاونی پیوند میز کار"))
	return &Step{
		Actor: a,
		Take:  func() { a.Press("console.menu") },
		Reply: func() {
			a.Sees("console.link", "Minutes", text.Number(int64(coopbot.ConsoleLinkTTL.Minutes())))
		},
		Effects: func() map[string]int {
			return map[string]int{
				"link":    h.count(`SELECT count(*) FROM console_links WHERE resident_id = $1`, a.ResidentID()),
				"audited": h.audited(a.ResidentID(), "console_link"),
			}
		},
	}
}

// ReportNeedWithFiles reports a health need (household of three), sending each attachment (a photo or a
// document the resident's messenger uploads) at the attachments question; it returns
// the report's id.
func (u *User) ReportNeedWithFiles(description string, attach ...func(*emulator.User)) int64 {
	u.h.T.Helper()
	u.Press("need.menu.report")
	u.Fill("need.review.title", map[string]func(){
		"need.category.prompt":    func() { u.Press("need.cat.health") },
		"need.household.prompt":   func() { u.PressLabel(text.FaDigits("3")) },
		"need.description.prompt": func() { u.Send(description) },
		"need.urgency.prompt":     func() { u.Press("need.urgency.urgent") },
		"need.location.prompt":    func() { u.Send(u.Text("need.location.skip")) },
		"need.attach.prompt": func() {
			if len(attach) == 0 {
				u.Press("need.attach.skip")
				return
			}
			for _, a := range attach {
				a(u.E)
				u.SeesLike("need.attach.count")
			}
			u.Press("need.attach.done")
		},
		"need.consent.prompt": func() { u.Press("need.consent.yes") },
	})
	u.Press("need.review.submit")
	u.SeesLike("need.submitted")
	return int64(u.h.count(`SELECT max(id) FROM need_reports WHERE resident_id = $1`, u.ResidentID()))
}

// Training publishes a training of the office in a neighborhood, days from now at 10:00.
func (h *Harness) Training(nbh int64, title string, capacity, days int) *coopbot.Training {
	h.T.Helper()
	return h.training(nbh, title, capacity, days)
}

// SignUp enrols a resident in a training in the store.
func (h *Harness) SignUp(training, resident int64) { h.T.Helper(); h.signUp(training, resident) }
