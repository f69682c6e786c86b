package flows

import (
	"context"
	"fmt"
	"strconv"

	"coopbot"
	"coopbot/text"
)

// Notices renders the notices the stores queue (coopbot.Notice) when they are sent, from
// the records as they stand then. cmd passes it to the store's job runner.
type Notices struct {
	store Store
}

// NewNotices returns the renderer of every notice kind.
func NewNotices(s Store) *Notices { return &Notices{store: s} }

// noticeRenderers render each kind of notice for the resident it goes to.
var noticeRenderers = map[coopbot.NoticeKind]func(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error){
	coopbot.NoticeJoinCard:        renderJoinCard,
	coopbot.NoticeJoinReminder:    renderJoinReminder,
	coopbot.NoticeNeedNew:         renderNeedNew,
	coopbot.NoticeNeedStatus:      renderNeedStatus,
	coopbot.NoticeJoinDecision:    renderJoinDecision,
	coopbot.NoticeBroadcastReport: renderBroadcastReport,
	coopbot.NoticeNeedEscalation:  renderNeedEscalation,
	coopbot.NoticeQuestionNew:     renderQuestionNew,
	coopbot.NoticeQuestionAnswer:  renderQuestionAnswer,
	coopbot.NoticeOfficeMessage:   renderOfficeMessage,
	coopbot.NoticeManagerGranted: func(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
		all, err := s.Neighborhoods(ctx)
		if err != nil {
			return coopbot.Reply{}, err
		}
		for _, nb := range all {
			if nb.ID == n.ID {
				return coopbot.Text(coopbot.M("roles.notice.manager", "Neighborhood", text.Isolate(nb.Name(to.Lang)))), nil
			}
		}
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("neighborhood %d is gone", n.ID)}
	},
	coopbot.NoticeRoleRevoked: func(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
		if n.ID == 0 {
			return coopbot.Text(coopbot.M("roles.notice.revoked")), nil
		}
		coops, err := s.JoinCooperatives(ctx)
		if err != nil {
			return coopbot.Reply{}, err
		}
		for _, co := range coops {
			if co.ID == n.ID {
				return coopbot.Text(coopbot.M("roles.notice.admin_revoked", "Coop", text.Isolate(co.Name(to.Lang)))), nil
			}
		}
		return coopbot.Text(coopbot.M("roles.notice.revoked")), nil
	},

	coopbot.NoticeTrainingCancelled:     trainingNotice("training.notice.cancelled", false),
	coopbot.NoticeTrainingChanged:       trainingNotice("training.notice.changed", true),
	coopbot.NoticeTrainingPromoted:      trainingNotice("training.notice.promoted", true),
	coopbot.NoticeTrainingReminderDay:   trainingNotice("training.reminder.day", true),
	coopbot.NoticeTrainingReminderHours: trainingNotice("training.reminder.hours", true),
}

// Render renders n for the resident to. A kind without a renderer, or with numbers
// missing, is a bug of the code that queued it.
func (ns *Notices) Render(ctx context.Context, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	render, ok := noticeRenderers[n.Kind]
	if !ok {
		return coopbot.Reply{}, fmt.Errorf("no renderer for notice kind %q", n.Kind)
	}
	return render(ctx, ns.store, to, n)
}

// noticeNumbers returns the first k numbers n carries, or an error naming its kind.
func noticeNumbers(n coopbot.Notice, k int) ([]int64, error) {
	if len(n.N) < k {
		return nil, fmt.Errorf("notice %s carries %d numbers, wants %d", n.Kind, len(n.N), k)
	}
	return n.N[:k], nil
}

// renderJoinCard shows a pending request to an admin; nothing once it was decided or
// withdrawn.
func renderJoinCard(ctx context.Context, s Store, _ *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	r, err := s.JoinRequest(ctx, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	if r.Status != coopbot.JoinPending {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("join request %d is %s", r.ID, r.Status)}
	}
	return joinCard(r), nil
}

// renderJoinReminder: N are the pending count and the age in days they are older than.
func renderJoinReminder(ctx context.Context, s Store, _ *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	num, err := noticeNumbers(n, 2)
	if err != nil {
		return coopbot.Reply{}, err
	}
	coops, err := s.JoinCooperatives(ctx)
	if err != nil {
		return coopbot.Reply{}, err
	}
	for _, co := range coops {
		if co.ID == n.ID {
			return joinReminder(co, int(num[0]), int(num[1])), nil
		}
	}
	return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("cooperative %d is closed", n.ID)}
}

// EscalationStore is what the reminders of untouched urgent reports need.
type EscalationStore interface {
	// EscalatedNeed returns report id as a reminder shows it (not_found when gone).
	EscalatedNeed(ctx context.Context, id int64) (coopbot.EscalatedNeed, error)
}

// renderNeedEscalation reminds staff of an urgent report still at "received", with a
// button that opens it in the needs inbox; nothing once someone moved it. N are the
// level and the hours it had waited.
func renderNeedEscalation(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	num, err := noticeNumbers(n, 2)
	if err != nil {
		return coopbot.Reply{}, err
	}
	r, err := s.EscalatedNeed(ctx, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	if r.Status != coopbot.NeedReceived {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("need report %d is %s", r.ID, r.Status)}
	}
	all, err := s.Neighborhoods(ctx)
	if err != nil {
		return coopbot.Reply{}, err
	}
	nbh := ""
	for _, nb := range all {
		if nb.ID == r.NeighborhoodID {
			nbh = nb.Name(to.Lang)
		}
	}
	id := "needs.escalate.managers"
	if num[0] == 2 {
		id = "needs.escalate.staff"
	}
	return coopbot.Reply{
		Text: []coopbot.Msg{coopbot.M(id, "Code", text.FaDigits(r.Code), "Neighborhood", text.Isolate(nbh),
			"Category", coopbot.M("need.cat."+r.Category), "Hours", text.Number(num[1])).WithCount(int(num[1]))},
		Buttons: [][]coopbot.Button{{{Label: coopbot.M("needs.escalate.open"), Data: "a:" + needAction + ":" + strconv.FormatInt(r.ID, 10)}}},
	}, nil
}

// renderJoinDecision tells the applicant how their request was decided, from the request
// as it stands.
func renderJoinDecision(ctx context.Context, s Store, _ *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	r, err := s.JoinRequest(ctx, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	reply, ok := decisionNotice(r)
	if !ok {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("join request %d is %s, not decided", r.ID, r.Status)}
	}
	return reply, nil
}
