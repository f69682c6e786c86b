package flows

import (
	"context"
	"fmt"
	"strconv"

	"coopbot"
	"coopbot/text"
)

// Writing to a resident from a record's card: "✉️ message the resident" on a need report's
// card in the staff's inbox and on a membership request's card (and from a training's
// enrollees, trainingmsg.go). The words go to the
// resident as a notice, with what it is about, in their language; the store checks who
// writes (staff covering the report's neighborhood; the cooperative's admins or staff
// covering it for a request) and audits it.

// OfficeMessageStore keeps the office's messages to residents.
type OfficeMessageStore interface {
	// MessageResident writes body to the resident behind a need report or a membership
	// request, audits it and queues coopbot.NoticeOfficeMessage, in one transaction.
	// It returns the message's id; forbidden (audited) when the author may not write about
	// that record.
	MessageResident(ctx context.Context, authorID int64, about coopbot.OfficeAbout, aboutID int64, body string) (int64, error)
	// OfficeMessage returns a message to a resident (not_found when it is not theirs).
	OfficeMessage(ctx context.Context, residentID, id int64) (*coopbot.OfficeMessage, error)
}

// flowJoinMessage is a message to the applicant of a membership request.
const flowJoinMessage = "join_message"

// actionJoinMessage is the join card's "message the applicant": "a:jm:<request id>".
const actionJoinMessage = "jm"

// joinMessage is the request whose applicant is written to.
type joinMessage struct {
	Request int64 `json:"r"`
}

// officeMessageRules bound what is written to a resident.
var officeMessageRules = needText{min: 2, max: coopbot.OfficeMessageMax, multiline: true,
	notText: "office.message.invalid", short: "office.message.invalid", long: "office.message.too_long"}

// officeMessageSent answers a message the store took or refused; sent is where to go.
func officeMessageSent(err error, sent func() Next) (Next, error) {
	switch coopbot.ErrorCode(err) {
	case "":
		return sent().Say(coopbot.Text(coopbot.M("office.message.sent"))), nil
	case coopbot.EForbidden:
		return Done(coopbot.Text(coopbot.M("admin.denied"))), nil
	}
	return Next{}, err
}

// needMessageStep is the need inbox's "message the resident": the words, then back to the
// card.
func needMessageStep(d Deps) Step[needInbox] {
	return Step[needInbox]{
		Name: "message",
		Ask: func(ctx context.Context, c *Conv, a *needInbox) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("office.message.prompt_need", "Max", text.Number(coopbot.OfficeMessageMax))), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needInbox, in Input) (Next, error) {
			s, retry, ok := officeMessageRules.read(in)
			if !ok {
				return retry, nil
			}
			_, err := d.Store.MessageResident(ctx, c.Profile.ResidentID, coopbot.AboutNeed, a.Report, s)
			return officeMessageSent(err, func() Next { return Goto("card") })
		},
	}
}

func officeMessageFeature(d Deps) feature {
	a := &coopAdmin{d: d}
	f := &Flow[joinMessage]{Name: flowJoinMessage, Gate: a.deciderGate, Steps: []Step[joinMessage]{{
		Name: "text",
		Ask: func(ctx context.Context, c *Conv, m *joinMessage) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("office.message.prompt_join", "ID", recordNo(m.Request), "Max", text.Number(coopbot.OfficeMessageMax))), nil
		},
		Answer: func(ctx context.Context, c *Conv, m *joinMessage, in Input) (Next, error) {
			s, retry, ok := officeMessageRules.read(in)
			if !ok {
				return retry, nil
			}
			_, err := d.Store.MessageResident(ctx, c.Profile.ResidentID, coopbot.AboutJoinRequest, m.Request, s)
			return officeMessageSent(err, func() Next { return Done() })
		},
	}}}
	return feature{
		flows: []flowDef{f},
		actions: map[string]Action{actionJoinMessage: func(ctx context.Context, c *Conv, args string) (Next, error) {
			id, ok := Input{Choice: actionJoinMessage + ":" + args}.Pick(actionJoinMessage)
			if !ok {
				return a.denied(ctx, c, "join_message", 0, map[string]any{"data": args})
			}
			r, next, err := a.load(ctx, c, id, "join_message", nil)
			if r == nil {
				return next, err
			}
			return Start(flowJoinMessage, joinMessage{Request: r.ID}), nil
		}},
	}
}

// joinMessageButton is the join card's button to write to the applicant.
func joinMessageButton(id int64) coopbot.Button {
	return coopbot.Button{Label: coopbot.M("office.message.button"), Data: "a:" + actionJoinMessage + ":" + strconv.FormatInt(id, 10)}
}

// renderOfficeMessage delivers an office message, saying what it is about.
func renderOfficeMessage(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	m, err := s.OfficeMessage(ctx, to.ID, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	if m.Body == "" {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("office message %d was erased", m.ID)}
	}
	var about coopbot.Msg
	switch m.About {
	case coopbot.AboutNeed:
		r, err := s.MyNeedReportByID(ctx, to.ID, m.AboutID)
		if err != nil {
			return coopbot.Reply{}, err
		}
		about = coopbot.M("office.notify.need", "Code", text.FaDigits(r.Code))
	case coopbot.AboutJoinRequest:
		r, err := s.JoinRequest(ctx, m.AboutID)
		if err != nil {
			return coopbot.Reply{}, err
		}
		about = coopMsg("office.notify.join", r.Cooperative, "ID", recordNo(r.ID))
	case coopbot.AboutEnrollment:
		t, err := s.Training(ctx, m.TrainingID)
		if err != nil {
			return coopbot.Reply{}, err
		}
		about = coopbot.M("office.notify.enrollment", trainingDataIn(to.Lang, t)...)
	default:
		return coopbot.Reply{}, fmt.Errorf("office message %d is about %q", m.ID, m.About)
	}
	return coopbot.Text(about, coopbot.M("office.notify.text", "Text", needEcho(m.Body)), coopbot.M("office.notify.footer")), nil
}
