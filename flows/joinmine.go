package flows

// "My requests": a resident's membership requests, where each stands, and withdrawing one
// still pending; and the wording of requests shared with the admins' cards.

import (
	"context"
	"slices"
	"strconv"
	"time"

	"coopbot"
	"coopbot/text"
)

// mine is "my requests": the resident's requests, or one of them with what can be done.
type mine struct {
	Request int64  `json:"req,omitempty"`  // the request shown, 0 for the list
	Note    string `json:"note,omitempty"` // a message ID said above it (why it is shown)
}

const requestsPerPage = 6

// mine lists the resident's requests with status and date; a pending one can be withdrawn.
func (j *joinFlow) mine() flowDef {
	return &Flow[mine]{Name: flowJoinMine, Steps: []Step[mine]{
		{
			Name: "list",
			Ask: func(ctx context.Context, c *Conv, a *mine) (coopbot.Reply, error) {
				all, err := j.d.Store.JoinRequests(ctx, c.Profile.ResidentID)
				if err != nil {
					return coopbot.Reply{}, err
				}
				lang := c.Lang()
				if i := slices.IndexFunc(all, func(r coopbot.JoinRequest) bool { return r.ID == a.Request }); i >= 0 {
					r := all[i]
					var out coopbot.Reply
					if a.Note != "" {
						out.Text = append(out.Text, coopMsg(a.Note, r.Cooperative), coopbot.Raw(""))
					}
					out.Text = append(out.Text, coopbot.M("join.mine.detail", "ID", recordNo(r.ID), "Coop", r.Cooperative.Name(lang), "Date", whenText(r.CreatedAt)))
					out.Text = append(out.Text, joinStatusMsgs(r)...)
					if r.Status == coopbot.JoinPending {
						out.Buttons = append(out.Buttons, []coopbot.Button{{Label: coopbot.M("join.mine.withdraw"), Data: "wd"}})
					}
					out.Buttons = append(out.Buttons, []coopbot.Button{{Label: coopbot.M("join.mine.all"), Data: "all"}})
					return out, nil
				}
				if len(all) == 0 {
					return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("join.mine.empty")},
						Buttons: [][]coopbot.Button{{{Label: coopbot.M("join.menu"), Data: "join"}}}}, nil
				}
				out := coopbot.Text(coopbot.M("join.mine.title", "Count", text.Number(int64(len(all)))).WithCount(len(all)))
				page, pages := pageCount(c.Page(), len(all), requestsPerPage)
				for _, r := range pageItems(all, page, requestsPerPage) {
					out.Text = append(out.Text, coopbot.Raw(""), coopbot.M("join.mine.detail", "ID", recordNo(r.ID), "Coop", r.Cooperative.Name(lang), "Date", whenText(r.CreatedAt)))
					out.Text = append(out.Text, joinStatusMsgs(r)...)
					out.Buttons = append(out.Buttons, []coopbot.Button{{
						Label: coopbot.M("join.mine.open", "ID", recordNo(r.ID), "Coop", r.Cooperative.Name(lang)),
						Data:  Data("r", r.ID),
					}})
				}
				if pages > 1 {
					out.Text = append(out.Text, coopbot.Raw(""))
				}
				pager(&out, page, pages)
				return out, nil
			},
			Answer: func(ctx context.Context, c *Conv, a *mine, in Input) (Next, error) {
				a.Note = ""
				if id, ok := in.Pick("r"); ok {
					a.Request = id
					return Again(), nil
				}
				switch {
				case turnPage(c, in):
					return Again(), nil
				case in.Choice == "all":
					a.Request = 0
					return Again(), nil
				case in.Choice == "wd" && a.Request != 0:
					return Goto("withdraw"), nil
				case in.Choice == "join":
					return Start(FlowJoin, nil), nil
				}
				return Retry("join.mine.use_buttons"), nil
			},
		},
		{
			Name: "withdraw",
			Ask: func(ctx context.Context, c *Conv, a *mine) (coopbot.Reply, error) {
				return coopbot.Reply{
					Text: []coopbot.Msg{coopbot.M("join.withdraw.confirm", "ID", recordNo(a.Request))},
					Buttons: [][]coopbot.Button{
						{{Label: coopbot.M("join.withdraw.yes"), Data: "yes"}},
						{{Label: coopbot.M("join.withdraw.no"), Data: "no"}},
					},
				}, nil
			},
			Answer: func(ctx context.Context, c *Conv, a *mine, in Input) (Next, error) {
				switch in.Choice {
				case "no":
					return Goto("list"), nil
				case "yes":
					r, err := j.d.Store.WithdrawJoinRequest(ctx, c.Profile.ResidentID, a.Request)
					switch coopbot.ErrorCode(err) {
					case "":
						return Done(coopbot.Text(coopMsg("join.withdrawn", r.Cooperative, "ID", recordNo(r.ID)))), nil
					case coopbot.EConflict:
						return Done(coopbot.Text(coopbot.M("join.withdraw.too_late", "ID", recordNo(r.ID)), coopbot.M(joinStatusMsg[r.Status]))), nil
					case coopbot.ENotFound:
						return Done(coopbot.Text(coopbot.M("join.withdraw.not_found"))), nil
					}
					return Next{}, err
				}
				return Retry("join.withdraw.use_buttons"), nil
			},
		},
	}}
}

// skillMsgs returns one paragraph per skill of a request (localized labels), then the
// resident's own words.
func skillMsgs(skills []string, other string) []coopbot.Msg {
	var out []coopbot.Msg
	for _, s := range joinSkills {
		if slices.Contains(skills, s.key) {
			out = append(out, coopbot.M(s.msg))
		}
	}
	if other != "" {
		out = append(out, coopbot.M("join.skills.own", "Text", text.Isolate(other)))
	}
	return out
}

// joinStatusMsg is the localized status line of each state.
var joinStatusMsg = map[coopbot.JoinStatus]string{
	coopbot.JoinPending:   "join.status.pending",
	coopbot.JoinApproved:  "join.status.approved",
	coopbot.JoinRejected:  "join.status.rejected",
	coopbot.JoinWithdrawn: "join.status.withdrawn",
}

// coopKV is the template data naming a cooperative in both languages: Persian texts use
// Coop, Azeri texts CoopAz. Messages rendered later (notifications) thus read right in
// whatever language the recipient has then.
func coopKV(co coopbot.Cooperative) []any {
	return []any{"Coop", co.Name(coopbot.Persian), "CoopAz", co.Name(coopbot.Azeri)}
}

// coopMsg is a message naming a cooperative, with more template data.
func coopMsg(id string, co coopbot.Cooperative, kv ...any) coopbot.Msg {
	return coopbot.M(id, append(coopKV(co), kv...)...)
}

// whenText formats a moment as Jalali date and time.
func whenText(t time.Time) string { return text.Date(t) + " " + text.Clock(t) }

// recordNo formats a record number for display.
func recordNo(id int64) string { return text.FaDigits(strconv.FormatInt(id, 10)) }

// joinStatusMsgs are the paragraphs saying where a request stands, for its resident.
func joinStatusMsgs(r coopbot.JoinRequest) []coopbot.Msg {
	out := []coopbot.Msg{coopbot.M(joinStatusMsg[r.Status])}
	if r.Status != coopbot.JoinPending && !r.DecidedAt.IsZero() {
		out = append(out, coopbot.M("join.mine.decided_at", "Date", whenText(r.DecidedAt)))
	}
	if r.Status == coopbot.JoinRejected {
		out = append(out, reasonMsgs(r.ReasonCode, r.ReasonText)...)
	}
	return out
}
