package flows

// The cards and notices of membership requests: what admins read of a request, the card
// edited into its decision, the applicant's notice of it and the reminder of pending ones.

import (
	"coopbot"
	"coopbot/text"
)

// cardText is what admins read of a request: every answer, personal data included.
func cardText(r *coopbot.JoinRequest) []coopbot.Msg {
	out := []coopbot.Msg{
		coopMsg("coop.card.title", r.Cooperative, "ID", recordNo(r.ID)),
		coopbot.M("coop.card.name", "Name", text.Isolate(r.FullName)),
		coopbot.M("coop.card.nid", "NationalID", text.NationalID(r.NationalID)),
		coopbot.M("coop.card.phone", "Phone", text.Phone(r.Phone)),
		coopbot.M("coop.card.share", "Share", text.Number(r.Share)),
		coopbot.M("coop.card.skills"),
	}
	out = append(out, skillMsgs(r.Skills, "")...)
	if r.SkillsOther != "" {
		out = append(out, coopbot.M("coop.card.skills_own", "Text", text.Isolate(r.SkillsOther)))
	}
	out = append(out, coopbot.M("coop.card.date", "Date", whenText(r.CreatedAt)))
	if len(r.Elsewhere) > 0 {
		out = append(out, coopbot.Raw(""))
		out = append(out, elsewhereMsgs(r.Elsewhere)...)
	}
	return out
}

// elsewhereMsgs say where else a request's national ID has applied or is a member,
// naming the cooperatives and never the ID.
func elsewhereMsgs(list []coopbot.JoinElsewhere) []coopbot.Msg {
	var out []coopbot.Msg
	for _, e := range list {
		id := "coop.card.elsewhere.applied"
		switch {
		case e.Same && e.Member:
			id = "coop.card.elsewhere.same_member"
		case e.Same:
			id = "coop.card.elsewhere.same_applied"
		case e.Member:
			id = "coop.card.elsewhere.member"
		}
		out = append(out, coopMsg(id, e.Cooperative))
	}
	return out
}

// joinCard is the card a new request sends to every admin of its cooperative, in the
// admin's language, with Approve and Reject.
func joinCard(r *coopbot.JoinRequest) coopbot.Reply {
	return coopbot.Reply{Text: cardText(r), Buttons: [][]coopbot.Button{{
		{Label: coopbot.M("coop.card.approve"), Data: "a:" + actionDecide + ":" + Data(verdictApprove, r.ID)},
		{Label: coopbot.M("coop.card.reject"), Data: "a:" + actionDecide + ":" + Data(verdictReject, r.ID)},
	}, {joinMessageButton(r.ID)}}}
}

// decidedLines say who decided a request and when (or that the resident withdrew it).
func decidedLines(r *coopbot.JoinRequest) []coopbot.Msg {
	switch r.Status {
	case coopbot.JoinApproved:
		return []coopbot.Msg{coopbot.M("coop.card.approved", "Name", text.Isolate(r.DeciderName), "Date", whenText(r.DecidedAt))}
	case coopbot.JoinRejected:
		return append([]coopbot.Msg{coopbot.M("coop.card.rejected", "Name", text.Isolate(r.DeciderName), "Date", whenText(r.DecidedAt))},
			reasonMsgs(r.ReasonCode, r.ReasonText)...)
	case coopbot.JoinWithdrawn:
		return []coopbot.Msg{coopbot.M("coop.card.withdrawn", "Date", whenText(r.DecidedAt))}
	}
	return nil
}

// decidedCard is the card edited in place once the request is decided: no more buttons.
func decidedCard(r *coopbot.JoinRequest) coopbot.Reply {
	lines := append(cardText(r), coopbot.Raw(""))
	return coopbot.Reply{Text: append(lines, decidedLines(r)...), Edit: true}
}

// decisionNotice is what the applicant reads of their request's decision, in their own
// language; ok is false while it is not decided (or was withdrawn).
func decisionNotice(r *coopbot.JoinRequest) (reply coopbot.Reply, ok bool) {
	switch r.Status {
	case coopbot.JoinApproved:
		return coopbot.Text(coopMsg("join.notify.approved", r.Cooperative, "ID", recordNo(r.ID))), true
	case coopbot.JoinRejected:
		return coopbot.Text(append([]coopbot.Msg{coopMsg("join.notify.rejected", r.Cooperative, "ID", recordNo(r.ID))},
			reasonMsgs(r.ReasonCode, r.ReasonText)...)...), true
	}
	return coopbot.Reply{}, false
}

// reasonMsgs are the paragraphs that give a rejection's reason.
func reasonMsgs(code coopbot.RejectReason, own string) []coopbot.Msg {
	out := []coopbot.Msg{coopbot.M("join.reason.title")}
	if code.Listed() {
		out = append(out, reasonMsg(code))
	}
	if own != "" {
		out = append(out, coopbot.M("join.reason.own", "Text", text.Isolate(own)))
	}
	return out
}

// reasonMsg names a reason of the short list.
func reasonMsg(code coopbot.RejectReason) coopbot.Msg {
	return coopbot.M("coop.reason." + string(code))
}

// joinReminder tells a cooperative's admins that n requests have waited more than days
// days, with a button to the pending list.
func joinReminder(co coopbot.Cooperative, n, days int) coopbot.Reply {
	return coopbot.Reply{
		Text:    []coopbot.Msg{coopMsg("coop.remind", co, "Count", text.Number(int64(n)), "Days", text.Number(int64(days))).WithCount(n)},
		Buttons: [][]coopbot.Button{{{Label: coopbot.M("coop.remind.open"), Data: "a:" + actionPending}}},
	}
}

func toast(id string) coopbot.Reply {
	m := coopbot.M(id)
	return coopbot.Reply{Toast: &m}
}
