package flows

// What the web console shows of membership requests, built by the same code as the chat:
// the admin's card, the lines saying who decided, the notice of a decision that came
// second and the request export. The console renders these messages; it words nothing
// of its own about a request.

import (
	"time"

	"coopbot"
	"coopbot/text"
)

// JoinCardText is what a decider reads of a request, as the chat's card shows it: every
// answer with the national ID and mobile number, where else the national ID applied
// (never the ID itself), and, once decided, who decided and when.
func JoinCardText(r *coopbot.JoinRequest) []coopbot.Msg {
	if r.Status == coopbot.JoinPending {
		return cardText(r)
	}
	return decidedCard(r).Text
}

// JoinDecidedAlready is what a decider reads when another decision came first: the
// chat's "already decided" with who decided, when, and why.
func JoinDecidedAlready(r *coopbot.JoinRequest) []coopbot.Msg {
	return append([]coopbot.Msg{coopbot.M("coop.decided.already", "ID", recordNo(r.ID))}, decidedLines(r)...)
}

// JoinDecidedNow is what a decider reads after their decision won, as the chat says it.
func JoinDecidedNow(r *coopbot.JoinRequest) []coopbot.Msg {
	if r.Status == coopbot.JoinApproved {
		return []coopbot.Msg{coopbot.M("coop.toast.approved")}
	}
	return append([]coopbot.Msg{coopbot.M("coop.reject.done", "ID", recordNo(r.ID), "Name", text.Isolate(r.FullName))}, reasonMsgs(r.ReasonCode, r.ReasonText)...)
}

// JoinReason names a reason of the short list offered to deciders.
func JoinReason(code coopbot.RejectReason) coopbot.Msg { return reasonMsg(code) }

// JoinTable is the chat's request export of a cooperative, its file named for the
// Jalali day of now.
func JoinTable(co coopbot.Cooperative, list []coopbot.JoinRequest, now time.Time) *coopbot.Table {
	return joinTable(co, list, today(Deps{Now: func() time.Time { return now }}))
}
