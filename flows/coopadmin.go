package flows

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coopbot"
	"coopbot/text"
)

// CoopAdminStore keeps cooperative admins, their invite codes and their decisions on
// membership requests. Every method that acts checks on the server who acts.
type CoopAdminStore interface {
	// JoinRequest loads one request with its personal data opened, and Elsewhere: the
	// other cooperatives where its national ID has applied or is a member. Callers show
	// it only to people CanDecideJoin allows.
	JoinRequest(ctx context.Context, id int64) (*coopbot.JoinRequest, error)
	// CanDecideJoin reports whether a person may decide on a cooperative's requests: one
	// of its admins, or staff whose scope covers its neighborhood.
	CanDecideJoin(ctx context.Context, actorID, coopID int64) (bool, error)
	// DecideJoinRequest decides a pending request. It checks authorization again in its
	// transaction (forbidden, and audited, when denied; also for the applicant). The first decision wins: won
	// reports whether this one did, and the request is returned as it stands, with its
	// personal data. The resident's notice is queued in the deciding transaction. A
	// decision JoinDecision.Check refuses is invalid.
	DecideJoinRequest(ctx context.Context, d coopbot.JoinDecision) (r *coopbot.JoinRequest, won bool, err error)
	// PendingJoinRequests lists the pending requests a person may decide, oldest first,
	// without personal data; Overdue marks those past the time their deciders are
	// reminded of them.
	PendingJoinRequests(ctx context.Context, actorID int64) ([]coopbot.JoinRequest, error)
	// CreateCoopInvite makes a one-time code that turns whoever sends it into an admin
	// of the cooperative. Only staff whose scope covers the cooperative may (forbidden,
	// audited, otherwise).
	CreateCoopInvite(ctx context.Context, actorID, coopID int64) (code coopbot.InviteCode, expires time.Time, err error)
	// RedeemCoopInvite makes the resident an admin of the invite's cooperative and uses
	// the code up (audited). not_found when the code is unknown, used or expired;
	// already when the resident was an admin of it before.
	RedeemCoopInvite(ctx context.Context, residentID int64, code coopbot.InviteCode) (co *coopbot.Cooperative, already bool, err error)
}

// Flows of cooperative admins and staff.
const (
	flowCoopPending = "coop_pending"
	flowCoopOverdue = "coop_overdue"
	flowCoopReject  = "coop_reject"
	flowCoopInvite  = "admin_invite"
)

// Actions (buttons outside conversations): a decision on a card, and a reminder's button
// that opens the pending list.
const (
	actionDecide  = "jr"
	actionPending = "jp"
)

type coopAdmin struct{ d Deps }

// coopPending is the list of requests waiting for a decision (its page is the kit's).
type coopPending struct{}

// coopReject is a rejection waiting for its reason.
type coopReject struct {
	Request int64 `json:"r"`
	Card    int   `json:"c,omitempty"` // the card Reject was pressed on: edited into the decision
}

// coopInvite is the staff's choice of the cooperative an invite code is for.
type coopInvite struct{}

func coopAdminFeature(d Deps) feature {
	a := &coopAdmin{d: d}
	return feature{
		flows: []flowDef{a.pending(), a.overdue(), a.reject(), a.invite()},
		actions: map[string]Action{
			actionDecide:  a.decide,
			actionPending: func(ctx context.Context, c *Conv, args string) (Next, error) { return Start(flowCoopPending, nil), nil },
		},
		menu: []MenuItem{
			{Label: "coop.pending.menu", Value: "coop_pending",
				Visible: func(p *coopbot.Profile) bool { return p.CoopAdmin || staffOnly(p) },
				Open: func(ctx context.Context, c *Conv) (Next, error) {
					return Start(flowCoopPending, nil), nil
				}},
			{Label: "coop.overdue.menu", Value: "coop_overdue", Visible: staffOnly,
				Open: func(ctx context.Context, c *Conv) (Next, error) {
					return Start(flowCoopOverdue, nil), nil
				}},
			{Label: "admin.invite.menu", Value: "admin_invite", Visible: staffOnly,
				Open: func(ctx context.Context, c *Conv) (Next, error) {
					return Start(flowCoopInvite, nil), nil
				}},
		},
		menuText: []func(ctx context.Context, c *Conv, typed string) (Next, bool, error){a.redeem},
	}
}

// deciderGate admits cooperative admins and staff, as they stand in the system of record
// now: someone whose role was taken away meanwhile is refused at their next answer.
func (a *coopAdmin) deciderGate(ctx context.Context, c *Conv) (*coopbot.Msg, error) {
	p, err := a.d.Store.Profile(ctx, c.Ref())
	if err != nil {
		return nil, err
	}
	if !p.CoopAdmin && !staffOnly(&p) {
		m := coopbot.M("admin.denied")
		return &m, nil
	}
	return nil, nil
}

// staffGate admits staff and neighborhood managers.
func (a *coopAdmin) staffGate(ctx context.Context, c *Conv) (*coopbot.Msg, error) {
	s, err := a.d.Store.Staff(ctx, c.Profile.ResidentID)
	if err != nil {
		return nil, err
	}
	if s == nil {
		m := coopbot.M("admin.denied")
		return &m, nil
	}
	c.Staff = s
	return nil, nil
}

// denied records a refused attempt and tells the person so.
func (a *coopAdmin) denied(ctx context.Context, c *Conv, action string, reqID int64, detail map[string]any) (Next, error) {
	if err := a.d.Store.Audit(ctx, c.Profile.ResidentID, action, "join_request:"+strconv.FormatInt(reqID, 10), false, detail); err != nil {
		return Next{}, err
	}
	return Stay(toast("admin.denied"), coopbot.Text(coopbot.M("admin.denied"))), nil
}

// load finds a request and checks that this person may decide on it. A nil request
// with a nil error means the answer is in next.
func (a *coopAdmin) load(ctx context.Context, c *Conv, id int64, action string, detail map[string]any) (*coopbot.JoinRequest, Next, error) {
	r, err := a.d.Store.JoinRequest(ctx, id)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		// Forged data naming no request: refused like any other attempt.
		next, err := a.denied(ctx, c, action, id, detail)
		return nil, next, err
	}
	if err != nil {
		return nil, Next{}, err
	}
	return a.allowed(ctx, c, r, action, detail)
}

// allowed checks that this person may decide on r (nobody decides on their own request).
func (a *coopAdmin) allowed(ctx context.Context, c *Conv, r *coopbot.JoinRequest, action string, detail map[string]any) (*coopbot.JoinRequest, Next, error) {
	ok, err := a.d.Store.CanDecideJoin(ctx, c.Profile.ResidentID, r.CooperativeID)
	if err != nil {
		return nil, Next{}, err
	}
	if !ok || r.ResidentID == c.Profile.ResidentID {
		next, err := a.denied(ctx, c, action, r.ID, detail)
		return nil, next, err
	}
	return r, Next{}, nil
}

// Verdicts on a card's buttons: Data(verdictApprove, id), Data(verdictReject, id).
const (
	verdictApprove = "ok"
	verdictReject  = "no"
)

// cardVerdict reads a card's button data. Cards sent before the data was built with Data
// carry "<id>:ok|no"; they wait in admins' chats, so they are read too.
func cardVerdict(args string) (id int64, verdict string, ok bool) {
	if n, v, found := strings.Cut(args, ":"); found && (v == verdictApprove || v == verdictReject) {
		args = v + ":" + n
	}
	in := Input{Choice: args}
	for _, v := range []string{verdictApprove, verdictReject} {
		if id, ok := in.Pick(v); ok {
			return id, v, true
		}
	}
	return 0, "", false
}

// decide handles Approve and Reject on a card. Approve decides at once; Reject first asks
// for the reason. Whoever presses is checked, whatever the data.
func (a *coopAdmin) decide(ctx context.Context, c *Conv, args string) (Next, error) {
	id, verdict, ok := cardVerdict(args)
	if !ok {
		return a.denied(ctx, c, "join_decide", id, map[string]any{"data": args})
	}
	r, next, err := a.load(ctx, c, id, "join_decide", map[string]any{"verdict": verdict})
	if r == nil {
		return next, err
	}
	if r.Status != coopbot.JoinPending {
		return a.decided(ctx, c, r, toast("coop.toast.already"))
	}
	if verdict == verdictReject {
		return Start(flowCoopReject, coopReject{Request: id, Card: c.Update.MessageID}), nil
	}
	after, won, err := a.d.Store.DecideJoinRequest(ctx, coopbot.JoinDecision{
		RequestID: id, ActorID: c.Profile.ResidentID, Approve: true,
	})
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return Stay(toast("admin.denied"), coopbot.Text(coopbot.M("admin.denied"))), nil
	}
	if err != nil {
		return Next{}, err
	}
	if !won {
		return a.decided(ctx, c, after, toast("coop.toast.already"))
	}
	return a.decided(ctx, c, after, toast("coop.toast.approved"))
}

// decided answers a press on the card of r, which is decided now: the card edited into
// the decision, then the next request of r's cooperative.
func (a *coopAdmin) decided(ctx context.Context, c *Conv, r *coopbot.JoinRequest, note coopbot.Reply) (Next, error) {
	next, err := a.nextPending(ctx, c, r)
	if err != nil {
		return Next{}, err
	}
	return Stay(note, decidedCard(r), next), nil
}

// nextPending offers the oldest request of decided's cooperative still waiting for this
// person's decision (its card, with how many wait), or says that none does.
func (a *coopAdmin) nextPending(ctx context.Context, c *Conv, decided *coopbot.JoinRequest) (coopbot.Reply, error) {
	all, err := a.d.Store.PendingJoinRequests(ctx, c.Profile.ResidentID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	var waiting []coopbot.JoinRequest
	for _, q := range all {
		if q.CooperativeID == decided.CooperativeID && q.ID != decided.ID {
			waiting = append(waiting, q)
		}
	}
	if len(waiting) == 0 {
		return coopbot.Text(coopMsg("coop.next.none", decided.Cooperative)), nil
	}
	r, err := a.d.Store.JoinRequest(ctx, waiting[0].ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	card := joinCard(r)
	n := len(waiting)
	card.Text = append([]coopbot.Msg{coopMsg("coop.next", r.Cooperative, "Count", text.Number(int64(n))).WithCount(n), coopbot.Raw("")}, card.Text...)
	return card, nil
}

// reject asks an admin why a request is rejected (a short list, or their own words) and
// then decides.
func (a *coopAdmin) reject() flowDef {
	return &Flow[coopReject]{Name: flowCoopReject, Gate: a.deciderGate, Steps: []Step[coopReject]{{
		Name: "reason",
		Ask: func(ctx context.Context, c *Conv, rj *coopReject) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("coop.reject.prompt", "ID", recordNo(rj.Request)))
			for i, code := range coopbot.RejectReasons {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: reasonMsg(code), Data: Data("r", int64(i))}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, rj *coopReject, in Input) (Next, error) {
			if i, ok := in.PickIndex("r", len(coopbot.RejectReasons)); ok {
				return a.rejectWith(ctx, c, rj, coopbot.RejectReasons[i], "")
			}
			if in.Kind != KindText || in.Text == "" || in.Choice != "" {
				return Retry("coop.reject.invalid"), nil
			}
			own := text.CleanMultiline(in.Raw)
			if utf8.RuneCountInString(own) > coopbot.MaxReasonText {
				return Retry("coop.reject.too_long", "Max", text.Number(coopbot.MaxReasonText)), nil
			}
			return a.rejectWith(ctx, c, rj, coopbot.RejectOther, own)
		},
	}}}
}

// rejectWith decides the rejection, edits the card it was started from into the decision
// (also when another decision came first) and offers the next request.
func (a *coopAdmin) rejectWith(ctx context.Context, c *Conv, rj *coopReject, code coopbot.RejectReason, own string) (Next, error) {
	id := rj.Request
	r, next, err := a.load(ctx, c, id, "join_decide", map[string]any{"verdict": verdictReject})
	if r == nil {
		if err != nil {
			return next, err
		}
		return Done(coopbot.Text(coopbot.M("admin.denied"))), nil
	}
	after, won, err := a.d.Store.DecideJoinRequest(ctx, coopbot.JoinDecision{
		RequestID: id, ActorID: c.Profile.ResidentID, ReasonCode: code, ReasonText: own,
	})
	if coopbot.ErrorCode(err) == coopbot.EForbidden {
		return Done(coopbot.Text(coopbot.M("admin.denied"))), nil
	}
	if err != nil {
		return Next{}, err
	}
	var say []coopbot.Reply
	if rj.Card != 0 {
		card := decidedCard(after)
		card.EditMessage = rj.Card
		say = append(say, card)
	}
	if won {
		say = append(say, coopbot.Text(append([]coopbot.Msg{coopbot.M("coop.reject.done", "ID", recordNo(id), "Name", text.Isolate(after.FullName))},
			reasonMsgs(code, own)...)...))
	} else {
		say = append(say, coopbot.Text(append([]coopbot.Msg{coopbot.M("coop.decided.already", "ID", recordNo(id))}, decidedLines(after)...)...))
	}
	offer, err := a.nextPending(ctx, c, after)
	if err != nil {
		return Next{}, err
	}
	return Done(append(say, offer)...), nil
}

const pendingPerPage = 8

// pendingFirst are the requests waiting for this person's decision, the overdue ones
// first, each part oldest first.
func (a *coopAdmin) pendingFirst(ctx context.Context, c *Conv) ([]coopbot.JoinRequest, error) {
	all, err := a.d.Store.PendingJoinRequests(ctx, c.Profile.ResidentID)
	if err != nil {
		return nil, err
	}
	all = slices.Clone(all)
	slices.SortStableFunc(all, func(p, q coopbot.JoinRequest) int {
		switch {
		case p.Overdue == q.Overdue:
			return 0
		case p.Overdue:
			return -1
		}
		return 1
	})
	return all, nil
}

// overdueCount is how many of list are overdue.
func overdueCount(list []coopbot.JoinRequest) int {
	n := 0
	for _, q := range list {
		if q.Overdue {
			n++
		}
	}
	return n
}

// openLabel is a pending request's button: marked when it is overdue.
func openLabel(q coopbot.JoinRequest) coopbot.Msg {
	if q.Overdue {
		return coopbot.M("coop.pending.open_overdue", "ID", recordNo(q.ID), "Name", text.Isolate(q.FullName))
	}
	return coopbot.M("coop.pending.open", "ID", recordNo(q.ID), "Name", text.Isolate(q.FullName))
}

// findRequest looks up a request picked from a list. Any request may be asked for: the
// card shows where it stands now (decided meanwhile, or not this person's to see).
func (a *coopAdmin) findRequest(ctx context.Context, c *Conv, id int64) (coopbot.JoinRequest, bool, error) {
	r, err := a.d.Store.JoinRequest(ctx, id)
	switch {
	case coopbot.ErrorCode(err) == coopbot.ENotFound:
		// Forged data naming no request: refused and recorded.
		return coopbot.JoinRequest{}, false, a.d.Store.Audit(ctx, c.Profile.ResidentID, "join_view", "join_request:"+strconv.FormatInt(id, 10), false, nil)
	case err != nil:
		return coopbot.JoinRequest{}, false, err
	}
	return *r, true, nil
}

// openCard shows a request picked from a list: its card to decide on, or where it stands
// when it was decided meanwhile.
func (a *coopAdmin) openCard(ctx context.Context, c *Conv, q coopbot.JoinRequest) (Next, error) {
	r, next, err := a.allowed(ctx, c, &q, "join_view", nil)
	if r == nil {
		return next, err
	}
	if r.Status != coopbot.JoinPending {
		card := decidedCard(r)
		card.Edit = false
		return Stay(card), nil
	}
	return Stay(joinCard(r)), nil
}

// pending lists the requests waiting for this person's decision, the overdue ones first
// and marked; each opens its card.
func (a *coopAdmin) pending() flowDef {
	list := List[coopPending, coopbot.JoinRequest]{
		Name:    "list",
		PerPage: pendingPerPage,
		Items: func(ctx context.Context, c *Conv, _ *coopPending, page, per int) ([]coopbot.JoinRequest, int, error) {
			all, err := a.pendingFirst(ctx, c)
			return pageItems(all, page, per), len(all), err
		},
		Title: func(ctx context.Context, c *Conv, _ *coopPending, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return nil, nil
			}
			out := []coopbot.Msg{coopbot.M("coop.pending.title", "Count", text.Number(int64(total))).WithCount(total)}
			all, err := a.pendingFirst(ctx, c)
			if err != nil {
				return nil, err
			}
			if n := overdueCount(all); n > 0 {
				out = append(out, coopbot.M("coop.pending.overdue", "Count", text.Number(int64(n))).WithCount(n))
			}
			return out, nil
		},
		Show: func(c *Conv, _ *coopPending, q coopbot.JoinRequest) ([]coopbot.Msg, coopbot.Msg) {
			if q.Overdue {
				days := q.DaysWaiting(a.d.Now())
				return []coopbot.Msg{coopbot.M("coop.pending.item_overdue", "ID", recordNo(q.ID), "Name", text.Isolate(q.FullName),
					"Coop", q.Cooperative.Name(c.Lang()), "Days", text.Number(int64(days))).WithCount(days)}, openLabel(q)
			}
			return []coopbot.Msg{coopbot.M("coop.pending.item", "ID", recordNo(q.ID), "Name", text.Isolate(q.FullName),
				"Coop", q.Cooperative.Name(c.Lang()), "Date", whenText(q.CreatedAt))}, openLabel(q)
		},
		ID: func(q coopbot.JoinRequest) int64 { return q.ID },
		Find: func(ctx context.Context, c *Conv, _ *coopPending, id int64) (coopbot.JoinRequest, bool, error) {
			return a.findRequest(ctx, c, id)
		},
		Pick: func(ctx context.Context, c *Conv, _ *coopPending, q coopbot.JoinRequest) (Next, error) {
			return a.openCard(ctx, c, q)
		},
		// A cooperative's admins take all its requests away as a spreadsheet; staff do so
		// from the cooperative's screen of people and roles.
		More: func(ctx context.Context, c *Conv, _ *coopPending) ([]coopbot.Button, error) {
			coops, err := a.d.Store.AdminCooperatives(ctx, c.Profile.ResidentID)
			var out []coopbot.Button
			for _, co := range coops {
				out = append(out, joinExportButton(co, len(coops) > 1))
			}
			return out, err
		},
		Empty:   coopbot.M("coop.pending.none"),
		Gone:    "admin.denied",
		Invalid: "coop.pending.use_buttons",
	}
	return &Flow[coopPending]{Name: flowCoopPending, Gate: a.deciderGate, Steps: []Step[coopPending]{list.Step()}}
}

// coopOverdue is the staff's list of overdue requests (its page is the kit's).
type coopOverdue struct{}

// overdue lists, for staff, the requests of every cooperative in their scope that waited
// past their reminder: cooperative, applicant, days waiting, longest first; each opens
// its card.
func (a *coopAdmin) overdue() flowDef {
	items := func(ctx context.Context, c *Conv) ([]coopbot.JoinRequest, error) {
		all, err := a.d.Store.PendingJoinRequests(ctx, c.Profile.ResidentID)
		if err != nil {
			return nil, err
		}
		var out []coopbot.JoinRequest
		for _, q := range all {
			if q.Overdue {
				out = append(out, q)
			}
		}
		return out, nil
	}
	list := List[coopOverdue, coopbot.JoinRequest]{
		Name:    "list",
		PerPage: pendingPerPage,
		Items: func(ctx context.Context, c *Conv, _ *coopOverdue, page, per int) ([]coopbot.JoinRequest, int, error) {
			all, err := items(ctx, c)
			return pageItems(all, page, per), len(all), err
		},
		Title: func(ctx context.Context, c *Conv, _ *coopOverdue, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return nil, nil
			}
			return []coopbot.Msg{coopbot.M("coop.overdue.title", "Count", text.Number(int64(total))).WithCount(total)}, nil
		},
		Show: func(c *Conv, _ *coopOverdue, q coopbot.JoinRequest) ([]coopbot.Msg, coopbot.Msg) {
			days := q.DaysWaiting(a.d.Now())
			return []coopbot.Msg{coopbot.M("coop.overdue.item", "ID", recordNo(q.ID), "Name", text.Isolate(q.FullName),
				"Coop", q.Cooperative.Name(c.Lang()), "Days", text.Number(int64(days))).WithCount(days)}, openLabel(q)
		},
		ID: func(q coopbot.JoinRequest) int64 { return q.ID },
		Find: func(ctx context.Context, c *Conv, _ *coopOverdue, id int64) (coopbot.JoinRequest, bool, error) {
			return a.findRequest(ctx, c, id)
		},
		Pick: func(ctx context.Context, c *Conv, _ *coopOverdue, q coopbot.JoinRequest) (Next, error) {
			return a.openCard(ctx, c, q)
		},
		Empty:   coopbot.M("coop.overdue.none"),
		Gone:    "admin.denied",
		Invalid: "coop.pending.use_buttons",
	}
	return &Flow[coopOverdue]{Name: flowCoopOverdue, Gate: a.staffGate, Steps: []Step[coopOverdue]{list.Step()}}
}

// invite lets staff make a one-time admin invite code for a cooperative.
func (a *coopAdmin) invite() flowDef {
	sorted := func(ctx context.Context, c *Conv) ([]coopbot.Cooperative, error) {
		all, err := a.d.Store.JoinCooperatives(ctx)
		if err != nil {
			return nil, err
		}
		all = slices.Clone(all)
		text.SortFunc(text.Lang(c.Lang()), all, func(co coopbot.Cooperative) string { return co.Name(c.Lang()) })
		return all, nil
	}
	list := List[coopInvite, coopbot.Cooperative]{
		Name:    "coop",
		PerPage: pendingPerPage,
		Items: func(ctx context.Context, c *Conv, _ *coopInvite, page, per int) ([]coopbot.Cooperative, int, error) {
			all, err := sorted(ctx, c)
			return pageItems(all, page, per), len(all), err
		},
		Title: func(ctx context.Context, c *Conv, _ *coopInvite, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return nil, nil
			}
			return []coopbot.Msg{coopbot.M("admin.invite.prompt")}, nil
		},
		Show: func(c *Conv, _ *coopInvite, co coopbot.Cooperative) ([]coopbot.Msg, coopbot.Msg) {
			return nil, coopbot.Raw(co.Name(c.Lang()))
		},
		ID: func(co coopbot.Cooperative) int64 { return co.ID },
		Find: func(ctx context.Context, c *Conv, _ *coopInvite, id int64) (coopbot.Cooperative, bool, error) {
			all, err := a.d.Store.JoinCooperatives(ctx)
			if err != nil {
				return coopbot.Cooperative{}, false, err
			}
			i := slices.IndexFunc(all, func(co coopbot.Cooperative) bool { return co.ID == id })
			if i < 0 {
				return coopbot.Cooperative{}, false, nil
			}
			return all[i], true, nil
		},
		Pick: func(ctx context.Context, c *Conv, _ *coopInvite, co coopbot.Cooperative) (Next, error) {
			code, expires, err := a.d.Store.CreateCoopInvite(ctx, c.Profile.ResidentID, co.ID)
			if coopbot.ErrorCode(err) == coopbot.EForbidden {
				return Done(coopbot.Text(coopbot.M("admin.denied"))), nil
			}
			if err != nil {
				return Next{}, err
			}
			return Done(
				coopbot.Text(coopMsg("admin.invite.created", co, "Date", whenText(expires))),
				coopbot.Text(coopbot.Raw(code.Show())),
			), nil
		},
		Empty:   coopbot.M("join.coop.none"),
		Gone:    "join.coop.gone",
		Invalid: "admin.invite.use_buttons",
	}
	return &Flow[coopInvite]{Name: flowCoopInvite, Gate: a.staffGate, Steps: []Step[coopInvite]{list.Step()}}
}

// redeem turns an invite code typed at the main menu into admin rights; a code that is
// not valid (unknown, used, expired, mistyped) is said to be so, with the menu again.
func (a *coopAdmin) redeem(ctx context.Context, c *Conv, typed string) (Next, bool, error) {
	code, ok := coopbot.ParseInviteCode(typed)
	if !ok {
		if coopbot.LooksLikeInviteCode(typed) {
			// A mistyped code: say it is not a valid one, rather than "not understood".
			return Retry("admin.invite.invalid"), true, nil
		}
		return Next{}, false, nil
	}
	co, already, err := a.d.Store.RedeemCoopInvite(ctx, c.Profile.ResidentID, code)
	switch {
	case coopbot.ErrorCode(err) == coopbot.ENotFound:
		return Retry("admin.invite.invalid"), true, nil
	case err != nil:
		return Next{}, true, err
	case already:
		return Done(coopbot.Text(coopMsg("admin.invite.already", *co))), true, nil
	}
	c.Profile.CoopAdmin = true
	return Done(coopbot.Text(coopMsg("admin.invite.redeemed", *co))), true, nil
}
