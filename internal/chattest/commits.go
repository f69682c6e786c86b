package chattest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/text"
)

// A Commit is a conversation step that commits something to Postgres: a join request
// submitted, withdrawn or decided, an invite made or redeemed, a need reported or moved,
// a training published, edited or cancelled, a sign-up, a cancelled seat, attendance, a
// broadcast sent or cancelled, a role granted or taken back, a web console sign-in link
// sent, a question to the office asked, answered or closed, a message written to a
// resident from a need or join card. Tests make the reply to the update
// that takes the step fail (flows), or kill the process before the reply (cmd/coopbot),
// and check that the step is committed once and its reply still comes.
//
// Each Commit keeps to its own users (ids from the base it is given), neighborhood and
// cooperative, so that all of them can share one deployment: cards, alerts and
// broadcasts of one never reach the people of another.
type Commit struct {
	Name string
	// Admins are the users (offsets from the base) named in ADMINS (Options.Admins).
	Admins []int64
	// Prepare onboards the people the step needs and takes the conversation to the
	// question the step answers.
	Prepare func(h *Harness, base int64) *Step
}

// Step is a Commit made ready to take.
type Step struct {
	Actor *User // who takes the step and is owed the reply
	// Take sends the update that commits (a press or a text).
	Take func()
	// Reply waits until the actor has the reply the step owes them.
	Reply func()
	// Effects counts what the step commits, each thing by name, as Postgres holds it now;
	// Shown (nil: nothing) counts what chats show of it. Want is what they must be once
	// the step is taken (nil: 1 each).
	Effects func() map[string]int
	Shown   func() map[string]int
	Want    map[string]int
}

// Check reports what of the step's effects is not as wanted, "" when all is.
func (s *Step) Check() string {
	got := s.Effects()
	if s.Shown != nil {
		for name, n := range s.Shown() {
			got[name] = n
		}
	}
	var wrong []string
	for name, n := range got {
		want := 1
		if w, ok := s.Want[name]; ok {
			want = w
		}
		if n != want {
			wrong = append(wrong, fmt.Sprintf("%s: %d, want %d", name, n, want))
		}
	}
	return strings.Join(wrong, "; ")
}

// Committed reports whether the step's effects are in Postgres (at least one of each).
func (s *Step) Committed() bool {
	for _, n := range s.Effects() {
		if n == 0 {
			return false
		}
	}
	return true
}

// Commits lists every committing step.
func Commits() []Commit {
	return []Commit{
		{Name: "join request submitted", Prepare: joinSubmitted},
		{Name: "join request refused: the national ID is another account's", Prepare: joinNIDTaken},
		{Name: "join request withdrawn", Prepare: joinWithdrawn},
		{Name: "join request approved", Prepare: joinApproved},
		{Name: "join request rejected", Prepare: joinRejected},
		{Name: "invite created", Prepare: inviteCreated},
		{Name: "invite redeemed", Prepare: inviteRedeemed},
		{Name: "need reported", Prepare: needReported},
		{Name: "need status changed", Prepare: needMoved},
		{Name: "need taken from its alert", Prepare: needTakenFromAlert},
		{Name: "training published", Prepare: trainingPublished},
		{Name: "training edited", Prepare: trainingEdited},
		{Name: "training cancelled", Prepare: trainingCancelled},
		{Name: "signed up for a training", Prepare: signedUp},
		{Name: "enrolment cancelled", Prepare: enrolmentCancelled},
		{Name: "attendance marked", Prepare: attendanceMarked},
		{Name: "broadcast sent", Prepare: broadcastSent},
		{Name: "broadcast with a photo and a button sent", Admins: []int64{1}, Prepare: broadcastWithPhotoSent},
		{Name: "broadcast cancelled", Prepare: broadcastCancelled},
		{Name: "staff role granted", Admins: []int64{1}, Prepare: staffGranted},
		{Name: "question asked", Prepare: questionAsked},
		{Name: "question answered", Prepare: questionAnswered},
		{Name: "question closed", Prepare: questionClosed},
		{Name: "resident written to from a need card", Prepare: needResidentWritten},
		{Name: "applicant written to from a join card", Prepare: applicantWritten},
		{Name: "enrollee written to from a training's enrollees", Prepare: enrolleeWritten},
		{Name: "neighborhood changed", Prepare: neighborhoodChanged},
		{Name: "manager appointed", Admins: []int64{1}, Prepare: managerAppointed},
		{Name: "manager removed", Admins: []int64{1}, Prepare: managerRemoved},
		{Name: "console link sent", Prepare: consoleLinkSent},
		{Name: "join requests exported", Prepare: joinExported},
		{Name: "broadcast recipients exported", Admins: []int64{1}, Prepare: broadcastExported},
	}
}

// ---- what the steps share ----

// count runs a counting query.
func (h *Harness) count(sql string, args ...any) int {
	h.T.Helper()
	var n int
	if err := h.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		h.T.Fatalf("%s: %v", sql, err)
	}
	return n
}

// exec runs a statement of a test's setup.
func (h *Harness) exec(sql string, args ...any) {
	h.T.Helper()
	if _, err := h.DB.Pool.Exec(context.Background(), sql, args...); err != nil {
		h.T.Fatalf("%s: %v", sql, err)
	}
}

// notices counts the notices of a kind queued for a resident.
func (h *Harness) notices(resident int64, kind coopbot.NoticeKind) int {
	h.T.Helper()
	return h.count(`SELECT count(*) FROM river_job WHERE kind = 'notify' AND (args->>'resident_id')::bigint = $1
		AND args->'notice'->>'kind' = $2`, resident, string(kind))
}

// audited counts the allowed actions of this kind by a resident.
func (h *Harness) audited(actor int64, action string) int {
	h.T.Helper()
	return h.count(`SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = $2 AND allowed`, actor, action)
}

// neighborhood returns the id of the neighborhood with this Persian name.
func (h *Harness) neighborhood(fa string) int64 {
	h.T.Helper()
	return int64(h.count(`SELECT id FROM neighborhoods WHERE name_fa = $1`, fa))
}

// cooperative opens a cooperative in a neighborhood and returns its id.
func (h *Harness) cooperative(nbh int64, fa string) int64 {
	h.T.Helper()
	var id int64
	err := h.DB.Pool.QueryRow(context.Background(), `INSERT INTO cooperatives (neighborhood_id, name_fa, name_az, activity_fa, activity_az, min_share)
		VALUES ($1, $2, $2 || ' تعاونیسی', 'تولید و فروش محلی', 'یئرلی تولید و ساتیش', 1000000) RETURNING id`, nbh, fa).Scan(&id)
	if err != nil {
		h.T.Fatal(err)
	}
	return id
}

// onboarded is a Persian-speaking resident of a neighborhood, at the main menu.
func (h *Harness) onboarded(id int64, nbh string) *User {
	h.T.Helper()
	u := h.User(id)
	u.Onboard(nbh)
	return u
}

// manager makes u the manager of a neighborhood (an office decision, not ADMINS) and
// shows them the menu with their new entries.
func (u *User) manager(nbh int64) {
	u.h.T.Helper()
	u.h.exec(`INSERT INTO staff (resident_id, role, neighborhood_id, source) VALUES ($1, 'neighborhood_manager', $2, 'app')`, u.ResidentID(), nbh)
	u.Send("/menu")
	u.Sees("menu.title")
}

// coopAdmin makes u an admin of a cooperative.
func (u *User) coopAdmin(coop int64) {
	u.h.T.Helper()
	u.h.exec(`INSERT INTO cooperative_admins (cooperative_id, resident_id) VALUES ($1, $2)`, coop, u.ResidentID())
	u.Send("/menu")
	u.Sees("menu.title")
}

// SeesLike waits for a new message that is message id with any template values.
func (u *User) SeesLike(id string) emulator.Message {
	u.h.T.Helper()
	return u.SeesText(u.question(id))
}

// PressContaining presses the button of the newest message whose label contains part.
func (u *User) PressContaining(part string) {
	u.h.T.Helper()
	if !u.h.Holding {
		u.h.Idle()
	}
	ctx := u.ctx()
	var label string
	err := u.E.Wait(ctx, func(ms []emulator.Message) bool {
		for i := len(ms) - 1; i >= 0; i-- {
			for _, row := range ms[i].Inline {
				for _, b := range row {
					if strings.Contains(b.Text, part) {
						label = b.Text
						return true
					}
				}
			}
		}
		return false
	})
	if err != nil {
		u.h.T.Fatalf("user %d: no button with %q: %v\n%s", u.ID, part, err, u.E.Dump())
	}
	u.PressLabel(label)
}

// pending submits a join request of a resident in the store, as the join flow does.
func (h *Harness) pending(resident, coop int64) int64 {
	h.T.Helper()
	id, _, err := h.DB.SubmitJoinRequest(context.Background(), &coopbot.JoinRequest{
		CooperativeID: coop, ResidentID: resident, FullName: "مریم رضایی", NationalID: "0012345679",
		Phone: "+989141234567", Share: 2_000_000, Skills: []string{"cooking"},
	})
	if err != nil {
		h.T.Fatal(err)
	}
	return id
}

// training publishes a training in a neighborhood in the store, days from today at
// 10:00, and returns it.
func (h *Harness) training(nbh int64, title string, capacity, days int) *coopbot.Training {
	h.T.Helper()
	t := &coopbot.Training{
		NeighborhoodID: nbh, TitleFa: title, TitleAz: title + " (تۆرکجه)",
		DescriptionFa: "شرح " + title, DescriptionAz: title + " حاقیندا",
		VenueName: "سرای محله", VenueAddress: "کوچهٔ گلستان",
		StartsAt: text.JalaliOf(time.Now().AddDate(0, 0, days)).At(10, 0),
		Duration: 90 * time.Minute, Capacity: capacity,
	}
	if _, err := h.DB.CreateTraining(context.Background(), t); err != nil {
		h.T.Fatal(err)
	}
	return t
}

// signUp enrols a resident in the store.
func (h *Harness) signUp(training, resident int64) {
	h.T.Helper()
	if _, err := h.DB.SignUp(context.Background(), training, resident); err != nil {
		h.T.Fatal(err)
	}
}

// staffTraining opens a training from staff's list (a neighborhood manager's, which
// lists their neighborhood's only).
func (u *User) staffTraining(title string) {
	u.h.T.Helper()
	u.Press("trainings.menu")
	u.SeesLike("trainings.list.title")
	u.PressContaining(title)
	u.SeesLike("trainings.manage.seats")
}

// reportNeed has a resident report a need through the conversation.
func (u *User) reportNeed(description string) {
	u.h.T.Helper()
	u.Press("need.menu.report")
	u.Fill("need.review.title", map[string]func(){
		"need.category.prompt":    func() { u.Press("need.cat.food") },
		"need.household.prompt":   func() { u.PressLabel(text.FaDigits("4")) },
		"need.description.prompt": func() { u.Send(description) },
		"need.urgency.prompt":     func() { u.Press("need.urgency.urgent") },
		"need.location.prompt":    func() { u.Send(u.Text("need.location.skip")) },
		"need.attach.prompt":      func() { u.Press("need.attach.skip") },
		"need.consent.prompt":     func() { u.Press("need.consent.yes") },
	})
}

// broadcast takes a neighborhood manager through the broadcast wizard to its preview,
// to their neighborhood; later schedules it two days ahead.
func (u *User) broadcast(nbh, message string, later bool) {
	u.h.T.Helper()
	day := time.Now().Add(48 * time.Hour)
	u.Press("broadcast.menu")
	u.Fill("broadcast.preview.title", map[string]func(){
		"broadcast.audience.prompt": func() { u.Press("broadcast.audience.own", "Name", nbh) },
		"broadcast.mode.prompt":     func() { u.Press("broadcast.mode.one") },
		"broadcast.text.prompt_one": func() { u.Send(message) },
		"broadcast.file.prompt":     func() { u.Press("broadcast.file.none") },
		"broadcast.button.prompt":   func() { u.Press("broadcast.button.none") },
		"broadcast.when.prompt": func() {
			if later {
				u.Press("broadcast.when.later")
			} else {
				u.Press("broadcast.when.now")
			}
		},
		"broadcast.date.prompt":  func() { u.Send(text.JalaliOf(day).String()) },
		"broadcast.clock.prompt": func() { u.Send("۱۰:۳۰") },
	})
}

// received counts a user's messages that contain s.
func received(u *User, s string) int {
	n := 0
	for _, m := range u.E.Messages() {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// ---- the steps ----

// files counts the files a user got whose name ends with ext.
func files(u *User, ext string) int {
	n := 0
	for _, m := range u.E.Messages() {
		if m.Document != nil && strings.HasSuffix(m.Document.FileName, ext) {
			n++
		}
	}
	return n
}

func joinExported(h *Harness, base int64) *Step {
	admin, _, _, _ := decider(h, base, "منظریه", "تعاونی گلیم‌بافی منظریه")
	admin.Press("coop.pending.menu")
	admin.SeesLike("coop.pending.title")
	var before int
	return &Step{
		Actor: admin,
		Take:  func() { before = len(admin.E.Messages()); admin.Press("coop.export.button") },
		Reply: func() { admin.Export(before) },
		Effects: func() map[string]int {
			return map[string]int{"audited": h.audited(admin.ResidentID(), "join_export")}
		},
	}
}

// broadcastExported: office staff press the export button on the final report of a
// broadcast to the one enrollee of a training (an audience nobody else's is part of).
func broadcastExported(h *Harness, base int64) *Step {
	nbh := h.neighborhood("قراملک")
	s := h.onboarded(base+1, "قراملک")
	r := h.onboarded(base+2, "قراملک")
	t := h.training(nbh, "کارگاه گلیم‌بافی قراملک", 10, 5)
	h.signUp(t.ID, r.ResidentID())
	if _, _, err := h.DB.CreateBroadcast(context.Background(), coopbot.NewBroadcast{
		CreatedBy: s.ResidentID(), Audience: coopbot.Audience{Kind: coopbot.AudienceTraining, IDs: []int64{t.ID}},
		TextFa: "کارگاه فردا برگزار می‌شود", StartAt: time.Now(),
		Progress: coopbot.ProgressMessage{Platform: h.platform, ChatID: s.ID, Lang: coopbot.Persian},
	}); err != nil {
		h.T.Fatal(err)
	}
	r.SeesText("کارگاه فردا برگزار می‌شود")
	report := s.SeesLike("broadcast.report.title")
	var before int
	return &Step{
		Actor: s,
		Take: func() {
			before = len(s.E.Messages())
			if err := s.E.PressOn(report.ID, s.Text("broadcast.export.button")); err != nil {
				h.T.Fatal(err)
			}
		},
		Reply: func() { s.Export(before) },
		Effects: func() map[string]int {
			return map[string]int{"audited": h.audited(s.ResidentID(), "broadcast_export")}
		},
	}
}

func joinSubmitted(h *Harness, base int64) *Step {
	nbh := h.neighborhood("ولیعصر")
	const name = "تعاونی پوشاک ولیعصر"
	coop := h.cooperative(nbh, name)
	admin := h.onboarded(base+2, "ولیعصر")
	admin.coopAdmin(coop)
	r := h.onboarded(base+1, "ولیعصر")
	r.Press("join.menu")
	r.Fill("join.review.title", map[string]func(){
		"join.coop.prompt":  func() { r.Send(name) },
		"join.name.prompt":  func() { r.Send("مریم رضایی") },
		"join.nid.prompt":   func() { r.Send("0012345679") },
		"join.phone.prompt": func() { r.Send("۰۹۱۴ ۱۲۳ ۴۵۶۷") },
		"join.share.prompt": func() { r.Send("۲۰۰۰۰۰۰") },
		"join.skills.prompt": func() {
			r.Press("join.skill.cooking")
			r.SeesLike("join.skills.chosen")
			r.Press("join.skills.done")
		},
		"join.consent.data":  func() { r.Press("join.consent.yes") },
		"join.consent.rules": func() { r.Press("join.consent.yes") },
	})
	resident := r.ResidentID()
	return &Step{
		Actor: r,
		Take:  func() { r.Press("join.review.submit") },
		Reply: func() { r.Sees("join.submitted", "Coop", name, "ID", Any) },
		Effects: func() map[string]int {
			return map[string]int{
				"request": h.count(`SELECT count(*) FROM join_requests WHERE resident_id = $1`, resident),
				"card to the cooperative's admin": h.count(`SELECT count(*) FROM river_job WHERE kind = 'join_card'
					AND (args->>'request_id')::bigint IN (SELECT id FROM join_requests WHERE resident_id = $1)`, resident),
			}
		},
	}
}

// joinNIDTaken: a resident submits a national ID that another account's request to the
// cooperative holds. The request is refused; the refusal is audited once.
func joinNIDTaken(h *Harness, base int64) *Step {
	nbh := h.neighborhood("چرنداب")
	const name = "تعاونی سبزی چرنداب"
	coop := h.cooperative(nbh, name)
	admin := h.onboarded(base+2, "چرنداب")
	admin.coopAdmin(coop)
	holder := h.onboarded(base+3, "چرنداب")
	h.pending(holder.ResidentID(), coop) // national ID 0012345679
	r := h.onboarded(base+1, "چرنداب")
	r.Press("join.menu")
	r.Fill("join.review.title", map[string]func(){
		"join.coop.prompt":  func() { r.Send(name) },
		"join.name.prompt":  func() { r.Send("مریم رضایی") },
		"join.nid.prompt":   func() { r.Send("0012345679") },
		"join.phone.prompt": func() { r.Send("۰۹۱۲ ۱۱۱ ۲۲۳۳") },
		"join.share.prompt": func() { r.Send("۲۰۰۰۰۰۰") },
		"join.skills.prompt": func() {
			r.Press("join.skill.cooking")
			r.SeesLike("join.skills.chosen")
			r.Press("join.skills.done")
		},
		"join.consent.data":  func() { r.Press("join.consent.yes") },
		"join.consent.rules": func() { r.Press("join.consent.yes") },
	})
	resident := r.ResidentID()
	return &Step{
		Actor: r,
		Take:  func() { r.Press("join.review.submit") },
		Reply: func() {
			r.Sees("join.nid.taken", "Coop", name)
			r.Sees("join.nid.prompt")
		},
		Effects: func() map[string]int {
			return map[string]int{
				"refusal audited": h.count(`SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'join_nid_taken' AND NOT allowed`, resident),
			}
		},
		Shown: func() map[string]int {
			return map[string]int{"request stored": h.count(`SELECT count(*) FROM join_requests WHERE resident_id = $1`, resident)}
		},
		Want: map[string]int{"request stored": 0},
	}
}

func joinWithdrawn(h *Harness, base int64) *Step {
	nbh := h.neighborhood("آبرسان")
	const name = "تعاونی گلیم‌بافی آبرسان"
	coop := h.cooperative(nbh, name)
	admin := h.onboarded(base+2, "آبرسان")
	admin.coopAdmin(coop)
	r := h.onboarded(base+1, "آبرسان")
	req := h.pending(r.ResidentID(), coop)
	r.Press("join.mine.menu")
	r.PressContaining(name)
	r.Press("join.mine.withdraw")
	r.SeesLike("join.withdraw.confirm")
	return &Step{
		Actor: r,
		Take:  func() { r.Press("join.withdraw.yes") },
		Reply: func() { r.Sees("join.withdrawn", "Coop", name, "ID", Any) },
		Effects: func() map[string]int {
			return map[string]int{"withdrawn": h.count(`SELECT count(*) FROM join_requests WHERE id = $1 AND status = 'withdrawn'`, req)}
		},
	}
}

// decider is an admin of a new cooperative with a request of another resident waiting:
// its card is in the admin's chat.
func decider(h *Harness, base int64, nbhFa, coopFa string) (admin *User, applicant, coop, req int64) {
	nbh := h.neighborhood(nbhFa)
	coop = h.cooperative(nbh, coopFa)
	admin = h.onboarded(base+2, nbhFa)
	admin.coopAdmin(coop)
	applicant = h.onboarded(base+1, nbhFa).ResidentID()
	req = h.pending(applicant, coop)
	admin.SeesLike("coop.card.title")
	return admin, applicant, coop, req
}

func joinApproved(h *Harness, base int64) *Step {
	admin, applicant, coop, _ := decider(h, base, "دوه‌چی", "تعاونی نان محلی دوه‌چی")
	members := h.count(`SELECT members FROM cooperatives WHERE id = $1`, coop)
	return &Step{
		Actor: admin,
		Take:  func() { admin.Press("coop.card.approve") },
		Reply: func() { admin.Sees("coop.card.approved", "Name", Any, "Date", Any) },
		Effects: func() map[string]int {
			return map[string]int{
				"member counted":      h.count(`SELECT members FROM cooperatives WHERE id = $1`, coop) - members,
				"applicant told":      h.notices(applicant, coopbot.NoticeJoinDecision),
				"decision audited":    h.audited(admin.ResidentID(), "join_decide"),
				"request not pending": h.count(`SELECT count(*) FROM join_requests WHERE resident_id = $1 AND status = 'approved'`, applicant),
			}
		},
	}
}

func joinRejected(h *Harness, base int64) *Step {
	admin, applicant, _, req := decider(h, base, "امیرخیز", "تعاونی خیاطی امیرخیز")
	admin.Press("coop.card.reject")
	admin.SeesLike("coop.reject.prompt")
	return &Step{
		Actor: admin,
		Take:  func() { admin.Press("coop.reason.incomplete") },
		Reply: func() { admin.SeesLike("coop.reject.done") },
		Effects: func() map[string]int {
			return map[string]int{
				"rejected":         h.count(`SELECT count(*) FROM join_requests WHERE id = $1 AND status = 'rejected'`, req),
				"applicant told":   h.notices(applicant, coopbot.NoticeJoinDecision),
				"decision audited": h.audited(admin.ResidentID(), "join_decide"),
			}
		},
	}
}

var inviteCode = regexp.MustCompile(`^[` + coopbot.InviteAlphabet + `]{4}-[` + coopbot.InviteAlphabet + `]{4}$`)

func inviteCreated(h *Harness, base int64) *Step {
	nbh := h.neighborhood("خیابان")
	// First in the list in any order the list may take.
	const name = "تعاونی آبزیان خیابان"
	coop := h.cooperative(nbh, name)
	m := h.onboarded(base+1, "خیابان")
	m.manager(nbh)
	m.Press("admin.invite.menu")
	m.SeesLike("admin.invite.prompt")
	codes := func() map[string]bool {
		seen := map[string]bool{}
		for _, msg := range m.E.Messages() {
			if inviteCode.MatchString(msg.Text) {
				seen[msg.Text] = true
			}
		}
		return seen
	}
	return &Step{
		Actor: m,
		Take:  func() { m.PressLabel(name) },
		Reply: func() {
			m.Sees("admin.invite.created", "Coop", name, "Date", Any)
			ctx, cancel := context.WithTimeout(context.Background(), Wait)
			defer cancel()
			if err := m.E.Wait(ctx, func([]emulator.Message) bool { return len(codes()) > 0 }); err != nil {
				h.T.Fatalf("no invite code shown: %v", err)
			}
		},
		Effects: func() map[string]int {
			return map[string]int{
				"invite":         h.count(`SELECT count(*) FROM coop_invites WHERE cooperative_id = $1`, coop),
				"invite audited": h.audited(m.ResidentID(), "coop_invite_create"),
			}
		},
		// Shown again, the code is the one stored, not a second one.
		Shown: func() map[string]int { return map[string]int{"codes shown": len(codes())} },
	}
}

func inviteRedeemed(h *Harness, base int64) *Step {
	nbh := h.neighborhood("نوبر")
	const name = "تعاونی سبزی‌کاری نوبر"
	coop := h.cooperative(nbh, name)
	m := h.onboarded(base+2, "نوبر")
	m.manager(nbh)
	code, _, err := h.DB.CreateCoopInvite(context.Background(), m.ResidentID(), coop)
	if err != nil {
		h.T.Fatal(err)
	}
	r := h.onboarded(base+1, "نوبر")
	return &Step{
		Actor: r,
		Take:  func() { r.Send(coopbot.InviteCode(code).Show()) },
		Reply: func() { r.Sees("admin.invite.redeemed", "Coop", name) },
		Effects: func() map[string]int {
			return map[string]int{
				"admin":          h.count(`SELECT count(*) FROM cooperative_admins WHERE cooperative_id = $1 AND resident_id = $2`, coop, r.ResidentID()),
				"code used":      h.count(`SELECT count(*) FROM coop_invites WHERE cooperative_id = $1 AND used_by = $2`, coop, r.ResidentID()),
				"redeem audited": h.audited(r.ResidentID(), "coop_invite_redeem"),
			}
		},
	}
}

func needReported(h *Harness, base int64) *Step {
	nbh := h.neighborhood("قراملک")
	m := h.onboarded(base+2, "قراملک")
	m.manager(nbh)
	r := h.onboarded(base+1, "قراملک")
	r.reportNeed("سه ماه است کار ندارم و اجاره عقب افتاده")
	// With a photo (the lease), added from the review.
	r.Press("need.review.edit_attachments")
	r.SeesLike("need.attach.prompt")
	r.E.SendPhoto([]byte("\xff\xd8\xff\xe0 lease"), "")
	r.SeesLike("need.attach.count")
	r.Press("need.attach.done")
	r.SeesLike("need.review.title")
	return &Step{
		Actor: r,
		Take:  func() { r.Press("need.review.submit") },
		Reply: func() { r.SeesLike("need.submitted") },
		Effects: func() map[string]int {
			return map[string]int{
				"report": h.count(`SELECT count(*) FROM need_reports WHERE resident_id = $1`, r.ResidentID()),
				"attachment": h.count(`SELECT count(*) FROM need_attachments a JOIN need_reports n ON n.id = a.report_id
					WHERE n.resident_id = $1`, r.ResidentID()),
				"manager alerted": h.notices(m.ResidentID(), coopbot.NoticeNeedNew),
			}
		},
	}
}

func needMoved(h *Harness, base int64) *Step {
	nbh := h.neighborhood("لیل‌آباد")
	m := h.onboarded(base+2, "لیل‌آباد")
	m.manager(nbh)
	r := h.onboarded(base+1, "لیل‌آباد")
	r.reportNeed("سقف خانه چکه می‌کند")
	r.Press("need.review.submit")
	r.SeesLike("need.submitted")
	report := int64(h.count(`SELECT id FROM need_reports WHERE resident_id = $1`, r.ResidentID()))
	m.Press("needs.menu.inbox")
	m.Press("needs.set.resolved")
	m.SeesLike("needs.note.prompt")
	return &Step{
		Actor: m,
		Take:  func() { m.Press("needs.note.none") },
		Reply: func() { m.Sees("needs.card.changed", "Code", Any, "Status", m.Text("need.status.resolved")) },
		Effects: func() map[string]int {
			return map[string]int{
				"status changed": h.count(`SELECT count(*) FROM need_events WHERE report_id = $1 AND actor_id = $2`, report, m.ResidentID()),
				"resident told":  h.notices(r.ResidentID(), coopbot.NoticeNeedStatus),
				"resolved":       h.count(`SELECT count(*) FROM need_reports WHERE id = $1 AND status = 'resolved'`, report),
			}
		},
	}
}

func needTakenFromAlert(h *Harness, base int64) *Step {
	nbh := h.neighborhood("باغمیشه")
	m := h.onboarded(base+2, "باغمیشه")
	m.manager(nbh)
	r := h.onboarded(base+1, "باغمیشه")
	r.reportNeed("برای دارو و درمان پدرم کمک لازم دارم")
	r.Press("need.review.submit")
	r.SeesLike("need.submitted")
	report := int64(h.count(`SELECT id FROM need_reports WHERE resident_id = $1`, r.ResidentID()))
	m.SeesLike("needs.alert.new")
	return &Step{
		Actor: m,
		Take:  func() { m.Press("needs.alert.review") },
		Reply: func() { m.Sees("needs.card.changed", "Code", Any, "Status", m.Text("need.status.reviewing")) },
		Effects: func() map[string]int {
			return map[string]int{
				"status changed": h.count(`SELECT count(*) FROM need_events WHERE report_id = $1 AND actor_id = $2`, report, m.ResidentID()),
				"resident told":  h.notices(r.ResidentID(), coopbot.NoticeNeedStatus),
				"reviewing":      h.count(`SELECT count(*) FROM need_reports WHERE id = $1 AND status = 'reviewing'`, report),
			}
		},
	}
}

func trainingPublished(h *Harness, base int64) *Step {
	nbh := h.neighborhood("منظریه")
	m := h.onboarded(base+1, "منظریه")
	m.manager(nbh)
	const title = "نان‌پزی سنتی برای بانوان"
	m.Press("trainings.menu")
	m.Press("trainings.new.button")
	day := text.JalaliOf(time.Now().AddDate(0, 0, 10))
	m.Fill("trainings.review.title", map[string]func(){
		"trainings.form.title_fa": func() { m.Send(title) },
		"trainings.form.title_az": func() { m.Send("سنتی چؤرک پیشیرمه") },
		"trainings.form.desc_fa":  func() { m.Send("نان لواش و تافتون با تنور خانگی") },
		"trainings.form.desc_az":  func() { m.Send("ائو تندیرینده لاواش و تافتون") },
		"trainings.form.venue":    func() { m.Send("سرای محلهٔ منظریه") },
		"trainings.form.address":  func() { m.Send("منظریه، کوچهٔ بهار") },
		"trainings.form.date":     func() { m.Send(text.FaDigits(day.String())) },
		"trainings.form.time":     func() { m.Send("۱۶:۳۰") },
		"trainings.form.duration": func() { m.Send("۹۰") },
		"trainings.form.capacity": func() { m.Send("۲۰") },
		"trainings.form.audience": func() { m.Press("trainings.form.skip") },
	})
	return &Step{
		Actor: m,
		Take:  func() { m.Press("trainings.review.publish") },
		Reply: func() { m.Sees("trainings.new.published", "Title", title, "Day", Any, "Time", "۱۶:۳۰") },
		Effects: func() map[string]int {
			return map[string]int{
				"training": h.count(`SELECT count(*) FROM trainings WHERE title_fa = $1`, title),
				"audited":  h.audited(m.ResidentID(), "training_create"),
			}
		},
	}
}

func trainingEdited(h *Harness, base int64) *Step {
	nbh := h.neighborhood("شنب غازان")
	tr := h.training(nbh, "گلدوزی سنتی", 10, 6)
	r := h.onboarded(base+2, "شنب غازان")
	h.signUp(tr.ID, r.ResidentID())
	m := h.onboarded(base+1, "شنب غازان")
	m.manager(nbh)
	m.staffTraining(tr.TitleFa)
	m.Press("trainings.manage.edit")
	m.SeesLike("trainings.review.title")
	m.Press("trainings.field.time")
	m.SeesLike("trainings.form.current")
	m.Send("18")
	m.SeesLike("trainings.review.title")
	return &Step{
		Actor: m,
		Take:  func() { m.Press("trainings.review.save") },
		Reply: func() { m.Sees("trainings.edit.saved", "Count", "۱") },
		Effects: func() map[string]int {
			return map[string]int{
				"revision":      h.count(`SELECT rev FROM trainings WHERE id = $1`, tr.ID) - tr.Rev,
				"enrollee told": h.notices(r.ResidentID(), coopbot.NoticeTrainingChanged),
				"edit audited":  h.audited(m.ResidentID(), "training_edit"),
			}
		},
	}
}

func trainingCancelled(h *Harness, base int64) *Step {
	nbh := h.neighborhood("راسته‌کوچه")
	tr := h.training(nbh, "نان محلی", 10, 7)
	r := h.onboarded(base+2, "راسته‌کوچه")
	h.signUp(tr.ID, r.ResidentID())
	m := h.onboarded(base+1, "راسته‌کوچه")
	m.manager(nbh)
	m.staffTraining(tr.TitleFa)
	m.Press("trainings.manage.cancel")
	m.SeesLike("trainings.cancel.confirm")
	return &Step{
		Actor: m,
		Take:  func() { m.Press("trainings.cancel.yes") },
		Reply: func() { m.SeesLike("trainings.cancel.done") },
		Effects: func() map[string]int {
			return map[string]int{
				"cancelled":     h.count(`SELECT count(*) FROM trainings WHERE id = $1 AND cancelled_at IS NOT NULL`, tr.ID),
				"enrollee told": h.notices(r.ResidentID(), coopbot.NoticeTrainingCancelled),
				"audited":       h.audited(m.ResidentID(), "training_cancel"),
			}
		},
	}
}

// catalogueTraining opens a training from the residents' catalogue by typing its title.
func (u *User) catalogueTraining(title string) {
	u.h.T.Helper()
	u.Press("training.menu")
	u.SeesLike("training.list.title")
	u.Send(title)
}

func signedUp(h *Harness, base int64) *Step {
	nbh := h.neighborhood("زعفرانیه")
	tr := h.training(nbh, "تعمیر دوچرخه", 10, 5)
	r := h.onboarded(base+1, "زعفرانیه")
	r.catalogueTraining(tr.TitleFa)
	r.SeesLike("training.seats.left")
	return &Step{
		Actor: r,
		Take:  func() { r.Press("training.signup.button") },
		Reply: func() {
			r.Sees("training.signup.confirmed", "Title", tr.TitleFa, "Day", Any, "Time", Any, "Venue", Any, "Address", Any, "Minutes", Any)
		},
		Effects: func() map[string]int {
			return map[string]int{
				"enrolment": h.count(`SELECT count(*) FROM training_enrollments WHERE training_id = $1 AND resident_id = $2`, tr.ID, r.ResidentID()),
				"seat":      h.count(`SELECT seats_taken FROM trainings WHERE id = $1`, tr.ID),
				"reminders": h.count(`SELECT count(*) FROM river_job WHERE kind = 'notify' AND args->>'check' = 'training_reminder'
					AND (args->>'resident_id')::bigint = $1`, r.ResidentID()),
			}
		},
		Want: map[string]int{"reminders": 2}, // the day before and two hours before
	}
}

func enrolmentCancelled(h *Harness, base int64) *Step {
	nbh := h.neighborhood("ائل‌گلی")
	tr := h.training(nbh, "کیف‌دوزی چرمی", 1, 5)
	r := h.onboarded(base+1, "ائل‌گلی")
	next := h.onboarded(base+2, "ائل‌گلی")
	h.signUp(tr.ID, r.ResidentID())
	h.signUp(tr.ID, next.ResidentID()) // wait-listed
	r.Press("training.menu")
	r.SeesLike("training.list.title")
	r.Press("training.mine.button")
	r.PressContaining(tr.TitleFa)
	r.SeesLike("training.detail.confirmed")
	r.Press("training.cancel.button")
	r.SeesLike("training.cancel.confirm")
	return &Step{
		Actor: r,
		Take:  func() { r.Press("training.cancel.yes") },
		Reply: func() { r.Sees("training.cancel.done", "Title", tr.TitleFa) },
		Effects: func() map[string]int {
			return map[string]int{
				"cancelled": h.count(`SELECT count(*) FROM training_enrollments WHERE training_id = $1 AND resident_id = $2 AND status = 'cancelled'`,
					tr.ID, r.ResidentID()),
				"next one moved up": h.notices(next.ResidentID(), coopbot.NoticeTrainingPromoted),
				"seats":             h.count(`SELECT seats_taken FROM trainings WHERE id = $1`, tr.ID),
			}
		},
	}
}

func attendanceMarked(h *Harness, base int64) *Step {
	nbh := h.neighborhood("ششگلان")
	tr := h.training(nbh, "سفال و لعاب", 10, 2)
	r := h.onboarded(base+2, "ششگلان")
	h.signUp(tr.ID, r.ResidentID())
	h.exec(`UPDATE trainings SET starts_at = now() - interval '1 minute' WHERE id = $1`, tr.ID)
	m := h.onboarded(base+1, "ششگلان")
	m.manager(nbh)
	m.staffTraining(tr.TitleFa)
	m.Press("trainings.manage.attendance")
	m.Sees("trainings.attendance.summary", "Present", "۰", "Absent", "۰", "Unmarked", "۱")
	name := r.E.FirstName()
	return &Step{
		Actor: m,
		Take:  func() { m.PressContaining(name) },
		Reply: func() { m.Sees("trainings.attendance.summary", "Present", "۱", "Absent", "۰", "Unmarked", "۰") },
		Effects: func() map[string]int {
			return map[string]int{
				"present": h.count(`SELECT count(*) FROM training_enrollments WHERE training_id = $1 AND attended`, tr.ID),
				"audited": h.audited(m.ResidentID(), "training_attendance"),
			}
		},
	}
}

func broadcastSent(h *Harness, base int64) *Step {
	const message = "جلسهٔ اهالی مارالان پنجشنبه ساعت ۱۸ در مسجد محله"
	nbh := h.neighborhood("مارالان")
	residents := []*User{h.onboarded(base+2, "مارالان"), h.onboarded(base+3, "مارالان")}
	// The manager lives elsewhere: the faults made for their replies would otherwise also
	// hit their own copy of the broadcast and hold the residents' copies up behind it.
	m := h.onboarded(base+1, "سرخاب")
	m.manager(nbh)
	m.broadcast("مارالان", message, false)
	return &Step{
		Actor: m,
		Take:  func() { m.Press("broadcast.confirm") },
		// The residents' copies are counted by Shown, which the tests wait for: with every
		// step answered 429 the bot's sending pauses often, and they may come late.
		Reply: func() { m.Sees("menu.title") },
		Effects: func() map[string]int {
			return map[string]int{
				"broadcast":  h.count(`SELECT count(*) FROM broadcasts WHERE created_by = $1`, m.ResidentID()),
				"deliveries": h.count(`SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.created_by = $1`, m.ResidentID()),
				"audited":    h.audited(m.ResidentID(), "broadcast_create"),
			}
		},
		Shown: func() map[string]int {
			return map[string]int{"first resident got": received(residents[0], message), "second resident got": received(residents[1], message)}
		},
		Want: map[string]int{"deliveries": 2}, // the two residents
	}
}

// photos counts the photos a user got whose caption contains s.
func photos(u *User, s string) int {
	n := 0
	for _, m := range u.E.Messages() {
		if m.Photo != nil && strings.Contains(m.Photo.Caption, s) {
			n++
		}
	}
	return n
}

// broadcastWithPhotoSent: staff send the members of a cooperative of its own a photo
// with a button that opens a training's sign-up (names typed at both lists, which the
// other steps' cooperatives and trainings share).
func broadcastWithPhotoSent(h *Harness, base int64) *Step {
	const message = "کارگاه نمدمالی برای اعضای تعاونی؛ پوستر را ببینید و ثبت‌نام کنید"
	const coopName = "تعاونی نمدمالان باغمیشه"
	nbh := h.neighborhood("باغمیشه")
	coop := h.cooperative(nbh, coopName)
	tr := h.training(nbh, "نمدمالی سنتی", 10, 6)
	h.onboarded(base+4, "باغمیشه").coopAdmin(coop) // join cards go to them, no one else
	members := []*User{h.onboarded(base+2, "باغمیشه"), h.onboarded(base+3, "باغمیشه")}
	for i, r := range members {
		id, _, err := h.DB.SubmitJoinRequest(context.Background(), &coopbot.JoinRequest{
			CooperativeID: coop, ResidentID: r.ResidentID(), FullName: "عضو تعاونی", NationalID: []string{"0012345679", "0023456787"}[i],
			Phone: "+989141234567", Share: 2_000_000, Skills: []string{"handicraft"},
		})
		if err != nil {
			h.T.Fatal(err)
		}
		h.exec(`UPDATE join_requests SET status = 'approved', decided_at = now() WHERE id = $1`, id)
	}
	s := h.User(base + 1)
	s.Onboard("باغمیشه")
	s.Press("broadcast.menu")
	s.Fill("broadcast.preview.title", map[string]func(){
		"broadcast.audience.prompt":        func() { s.Press("broadcast.audience.cooperative") },
		"broadcast.cooperative.prompt":     func() { s.Send(coopName) },
		"broadcast.mode.prompt":            func() { s.Press("broadcast.mode.one") },
		"broadcast.text.prompt_one":        func() { s.Send(message) },
		"broadcast.file.prompt":            func() { s.E.SendPhoto([]byte("\xff\xd8\xff\xe0 felt poster"), "") },
		"broadcast.button.prompt":          func() { s.Press("broadcast.button.training") },
		"broadcast.button.training_prompt": func() { s.Send(tr.TitleFa) },
		"broadcast.when.prompt":            func() { s.Press("broadcast.when.now") },
	})
	return &Step{
		Actor: s,
		Take:  func() { s.Press("broadcast.confirm") },
		Reply: func() {
			s.Sees("menu.title")
			for _, r := range members {
				r.E.Wait(r.ctx(), func([]emulator.Message) bool { return photos(r, message) > 0 })
			}
		},
		Effects: func() map[string]int {
			return map[string]int{
				"broadcast": h.count(`SELECT count(*) FROM broadcasts WHERE created_by = $1 AND file IS NOT NULL
					AND button = jsonb_build_object('kind', 'training', 'id', $2::bigint)`, s.ResidentID(), tr.ID),
				"deliveries": h.count(`SELECT count(*) FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id WHERE b.created_by = $1`, s.ResidentID()),
				"audited":    h.audited(s.ResidentID(), "broadcast_create"),
			}
		},
		Shown: func() map[string]int {
			return map[string]int{"first member's photos": photos(members[0], message),
				"second member's photos": photos(members[1], message), "staff's (the preview)": photos(s, message)}
		},
		Want: map[string]int{"deliveries": 2},
	}
}

func broadcastCancelled(h *Harness, base int64) *Step {
	nbh := h.neighborhood("حکم‌آباد")
	h.onboarded(base+2, "حکم‌آباد")
	m := h.onboarded(base+1, "حکم‌آباد")
	m.manager(nbh)
	m.broadcast("حکم‌آباد", "بازارچهٔ محلی جمعه برپا می‌شود", true)
	m.Press("broadcast.confirm")
	m.SeesLike("broadcast.progress.scheduled")
	return &Step{
		Actor: m,
		Take:  func() { m.Press("broadcast.cancel") },
		Reply: func() { m.Sees("broadcast.progress.cancelled", "ID", Any) },
		Effects: func() map[string]int {
			return map[string]int{
				"cancelled": h.count(`SELECT count(*) FROM broadcasts WHERE created_by = $1 AND status = 'cancelled'`, m.ResidentID()),
				"audited":   h.audited(m.ResidentID(), "broadcast_cancel"),
			}
		},
	}
}

func staffGranted(h *Harness, base int64) *Step {
	s := h.User(base + 1)
	s.Send("/start")
	s.Sees("onboarding.welcome")
	s.Press("lang.fa.name")
	s.Sees("onboarding.neighborhood.prompt")
	s.Send("سرخاب")
	s.Sees("onboarding.phone.prompt")
	return &Step{
		Actor: s,
		Take:  func() { s.Send(s.Text("onboarding.phone.skip")) },
		Reply: func() { s.Sees("menu.title") },
		Effects: func() map[string]int {
			ref := fmt.Sprintf("telegram:%d", s.ID)
			return map[string]int{
				"staff": h.count(`SELECT count(*) FROM staff st JOIN residents r ON r.id = st.resident_id
					WHERE r.platform = 'telegram' AND r.user_id = $1 AND st.source = 'config'`, s.ID),
				"grant audited": h.count(`SELECT count(*) FROM audit_log WHERE action = 'staff_grant' AND detail->>'ref' = $1`, ref),
			}
		},
	}
}

// rolesManagers takes staff member s to the managers of neighborhood nbh.
func (s *User) rolesManagers(nbh string) {
	s.Press("roles.menu")
	s.SeesLike("roles.home")
	s.Press("roles.home.managers")
	s.SeesLike("onboarding.neighborhood.prompt")
	s.Send(nbh)
}

func managerAppointed(h *Harness, base int64) *Step {
	nbh := h.neighborhood("دوه‌چی")
	s := h.onboarded(base+1, "سرخاب")
	m := h.onboarded(base+2, "دوه‌چی")
	s.rolesManagers("دوه‌چی")
	s.SeesLike("roles.managers.none")
	s.Press("roles.managers.appoint")
	s.SeesLike("roles.appoint.title")
	s.PressLabel(m.E.FirstName())
	s.SeesLike("roles.appoint.confirm")
	return &Step{
		Actor: s,
		Take:  func() { s.Press("roles.appoint.yes") },
		Reply: func() { s.SeesLike("roles.appoint.done") },
		Effects: func() map[string]int {
			return map[string]int{
				"manager": h.count(`SELECT count(*) FROM staff WHERE resident_id = $1 AND role = 'neighborhood_manager' AND neighborhood_id = $2`, m.ResidentID(), nbh),
				"told":    h.notices(m.ResidentID(), coopbot.NoticeManagerGranted),
				"audited": h.audited(s.ResidentID(), "manager_grant"),
			}
		},
	}
}

func managerRemoved(h *Harness, base int64) *Step {
	nbh := h.neighborhood("امیرخیز")
	s := h.onboarded(base+1, "سرخاب")
	m := h.onboarded(base+2, "امیرخیز")
	m.manager(nbh)
	s.rolesManagers("امیرخیز")
	s.SeesLike("roles.managers.title")
	s.PressLabel(s.Text("roles.revoke.button", "Name", text.Shorten(m.E.FirstName(), 40)))
	s.SeesLike("roles.revoke.confirm")
	return &Step{
		Actor: s,
		Take:  func() { s.Press("roles.revoke.yes") },
		Reply: func() { s.SeesLike("roles.revoke.done") },
		Effects: func() map[string]int {
			return map[string]int{
				"removed": 1 - h.count(`SELECT count(*) FROM staff WHERE resident_id = $1`, m.ResidentID()),
				"told":    h.notices(m.ResidentID(), coopbot.NoticeRoleRevoked),
				"audited": h.audited(s.ResidentID(), "staff_revoke"),
			}
		},
	}
}

func neighborhoodChanged(h *Harness, base int64) *Step {
	to := h.neighborhood("ستارخان")
	r := h.onboarded(base+1, "چرنداب")
	r.Press("profile.menu")
	r.SeesLike("profile.neighborhood")
	r.Press("profile.change_neighborhood")
	r.Press("profile.neighborhood.choose")
	r.SeesLike("onboarding.neighborhood.prompt")
	r.Send("ستارخان")
	r.SeesLike("profile.neighborhood.confirm")
	return &Step{
		Actor: r,
		Take:  func() { r.Press("profile.neighborhood.yes") },
		Reply: func() { r.SeesLike("profile.neighborhood.changed") },
		Effects: func() map[string]int {
			return map[string]int{
				"moved": h.count(`SELECT count(*) FROM residents WHERE id = $1 AND neighborhood_id = $2`, r.ResidentID(), to),
			}
		},
	}
}
