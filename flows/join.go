package flows

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coopbot"
	"coopbot/text"
)

// JoinStore keeps membership requests: what a resident needs to apply to a cooperative and
// to follow their requests.
type JoinStore interface {
	// JoinCooperatives lists the active cooperatives with their member counts.
	JoinCooperatives(ctx context.Context) ([]coopbot.Cooperative, error)
	// SealJoinAnswer seals personal data (national ID, phone) kept in the conversation
	// state until the request is submitted, so that Redis never holds it in plain text.
	SealJoinAnswer(plain string) string
	// OpenJoinAnswer reverses SealJoinAnswer.
	OpenJoinAnswer(sealed string) (string, error)
	// ActiveJoinRequest returns the resident's pending request to a cooperative, or else
	// their approved one; nil when there is neither.
	ActiveJoinRequest(ctx context.Context, residentID, coopID int64) (*coopbot.JoinRequest, error)
	// SubmitJoinRequest stores a pending request and, in the same transaction, queues a
	// card for every admin of the cooperative. Errors: conflict "join.duplicate" when a
	// request of the resident to that cooperative is pending, conflict
	// "join.already_member" when one was approved, invalid "join.coop.closed" or
	// "join.share.below_min" when the cooperative closed or raised its minimum share.
	SubmitJoinRequest(ctx context.Context, r *coopbot.JoinRequest) (int64, error)
	// JoinRequests lists a resident's requests, newest first, without personal data.
	JoinRequests(ctx context.Context, residentID int64) ([]coopbot.JoinRequest, error)
	// WithdrawJoinRequest withdraws the resident's own pending request. When it was
	// decided meanwhile the error is a conflict and the request is returned as it stands.
	WithdrawJoinRequest(ctx context.Context, residentID, id int64) (*coopbot.JoinRequest, error)
}

// FlowJoin is the resident's application to a cooperative.
const FlowJoin = "join"

const flowJoinMine = "join_mine"

// Steps of the application, in order; the review screen can send the resident back to
// any of the editable ones.
const (
	joinStepCoop     = "coop"
	joinStepName     = "name"
	joinStepNID      = "nid"
	joinStepPhone    = "phone"
	joinStepShare    = "share"
	joinStepSkills   = "skills"
	joinStepConsentD = "consent_data"
	joinStepConsentR = "consent_rules"
	joinStepReview   = "review"
)

// Answers of the application. National ID and phone are kept sealed.
const (
	joinCoop     = "co"
	joinView     = "cv" // "" own neighborhood, "all" the others
	joinPage     = "cp"
	joinName     = "name"
	joinNID      = "nid"
	joinPhone    = "phone"
	joinShare    = "share"
	joinSkillSet = "sk"  // comma-separated keys of joinSkills
	joinSkillTxt = "sko" // the resident's own words
	joinReviewed = "rv"  // the review was shown: every later answer leads back to it
)

// cooperativesPerPage keeps the list with its descriptions within one phone screen.
const cooperativesPerPage = 5

// maxSkillsText bounds the free-text occupation.
const maxSkillsText = 200

// joinSkills are the occupations and skills offered as buttons.
var joinSkills = []struct{ key, msg string }{
	{"tailoring", "join.skill.tailoring"},
	{"carpet", "join.skill.carpet"},
	{"handicraft", "join.skill.handicraft"},
	{"cooking", "join.skill.cooking"},
	{"building", "join.skill.building"},
	{"driving", "join.skill.driving"},
	{"sales", "join.skill.sales"},
	{"farming", "join.skill.farming"},
	{"office", "join.skill.office"},
	{"homemaker", "join.skill.homemaker"},
}

// SkillMsgs returns one paragraph per skill of a request (localized labels), then the
// resident's own words.
func SkillMsgs(skills []string, other string) []coopbot.Msg {
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

// CoopKV is the template data naming a cooperative in both languages: Persian texts use
// Coop, Azeri texts CoopAz. Messages rendered later (notifications) thus read right in
// whatever language the recipient has then.
func CoopKV(co coopbot.Cooperative) []any {
	return []any{"Coop", co.Name(coopbot.Persian), "CoopAz", co.Name(coopbot.Azeri)}
}

// coopMsg is a message naming a cooperative, with more template data.
func coopMsg(id string, co coopbot.Cooperative, kv ...any) coopbot.Msg {
	return coopbot.M(id, append(CoopKV(co), kv...)...)
}

// When formats a moment as Jalali date and time.
func When(t time.Time) string { return text.Date(t) + " " + text.Clock(t) }

// ID formats a record number for display.
func ID(id int64) string { return text.FaDigits(strconv.FormatInt(id, 10)) }

// ReasonMsgs are the paragraphs that give a rejection's reason.
func ReasonMsgs(code, own string) []coopbot.Msg {
	out := []coopbot.Msg{coopbot.M("join.reason.title")}
	for _, r := range rejectReasons {
		if r.key == code {
			out = append(out, coopbot.M(r.msg))
		}
	}
	if own != "" {
		out = append(out, coopbot.M("join.reason.own", "Text", text.Isolate(own)))
	}
	return out
}

// joinStatusMsgs are the paragraphs saying where a request stands, for its resident.
func joinStatusMsgs(r coopbot.JoinRequest) []coopbot.Msg {
	out := []coopbot.Msg{coopbot.M(joinStatusMsg[r.Status])}
	if r.Status != coopbot.JoinPending && !r.DecidedAt.IsZero() {
		out = append(out, coopbot.M("join.mine.decided_at", "Date", When(r.DecidedAt)))
	}
	if r.Status == coopbot.JoinRejected {
		out = append(out, ReasonMsgs(r.ReasonCode, r.ReasonText)...)
	}
	return out
}

func joinFeature(d Deps) feature {
	j := &joinFlow{d: d}
	return feature{
		flows: []flowDef{j.flow(), j.mine()},
		menu: []MenuItem{
			{Label: "join.menu", Value: "join", Open: func(ctx context.Context, c *Conv) (Next, error) {
				return Start(FlowJoin, nil), nil
			}},
			{Label: "join.mine.menu", Value: "join_mine", Open: func(ctx context.Context, c *Conv) (Next, error) {
				return Start(flowJoinMine, nil), nil
			}},
		},
	}
}

type joinFlow struct{ d Deps }

// editing reports whether the resident came from the review (by an edit button or Back).
func editing(c *Conv) bool { return c.Get(joinReviewed) == "1" }

// advance goes to the next question, or back to the review when an answer was changed
// from there.
func advance(c *Conv, next string) Next {
	if editing(c) {
		return Goto(joinStepReview)
	}
	return Goto(next)
}

// textOnly answers a sticker, photo or button where typed text was expected.
func textOnly(in Input) (Next, bool) {
	if in.Kind != KindText {
		return Retry("join.text_expected"), false
	}
	return Next{}, true
}

func (j *joinFlow) coop(ctx context.Context, c *Conv) (*coopbot.Cooperative, error) {
	all, err := j.d.Store.JoinCooperatives(ctx)
	if err != nil {
		return nil, err
	}
	id := c.GetInt(joinCoop)
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, nil
}

func (j *joinFlow) flow() *legacyFlow {
	return &legacyFlow{Name: FlowJoin, First: joinStepCoop, Steps: map[string]legacyStep{
		joinStepCoop: j.coopStep(),
		joinStepName: {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				return coopbot.Text(coopbot.M("join.name.prompt")), nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				if n, ok := textOnly(in); !ok {
					return n, nil
				}
				name, reason := text.ParseName(in.Text)
				if reason != text.OK {
					return Retry(string(reason)), nil
				}
				c.Set(joinName, name)
				return advance(c, joinStepNID), nil
			},
		},
		joinStepNID: {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				return coopbot.Text(coopbot.M("join.nid.prompt")), nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				if n, ok := textOnly(in); !ok {
					return n, nil
				}
				id, reason := text.ParseNationalID(in.Text)
				if reason != text.OK {
					return Retry(string(reason)), nil
				}
				c.Set(joinNID, j.d.Store.SealJoinAnswer(id))
				return advance(c, joinStepPhone), nil
			},
		},
		joinStepPhone: j.phoneStep(),
		joinStepShare: {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				co, err := j.coop(ctx, c)
				if err != nil || co == nil {
					return coopbot.Reply{}, fmt.Errorf("cooperative %d: %w", c.GetInt(joinCoop), err)
				}
				return coopbot.Text(coopMsg("join.share.prompt", *co, "Min", text.Number(co.MinShare))), nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				if n, ok := textOnly(in); !ok {
					return n, nil
				}
				v, reason := text.ParseMoney(in.Text)
				if reason != text.OK {
					return Retry(string(reason)), nil
				}
				co, err := j.coop(ctx, c)
				if err != nil {
					return Next{}, err
				}
				if co == nil {
					return Goto(joinStepCoop).Say(coopbot.Text(coopbot.M("join.coop.closed"))), nil
				}
				if v < co.MinShare {
					return Retry("join.share.below_min", "Min", text.Number(co.MinShare), "Amount", text.Number(v)), nil
				}
				c.SetInt(joinShare, v)
				return advance(c, joinStepSkills), nil
			},
		},
		joinStepSkills:   j.skillsStep(),
		joinStepConsentD: consentStep("join.consent.data", "join.consent.data.required", joinStepConsentR),
		joinStepConsentR: consentStep("join.consent.rules", "join.consent.rules.required", joinStepReview),
		joinStepReview:   j.reviewStep(),
	}}
}

// coopStep lists the cooperatives of the resident's neighborhood first; the others are a
// button away. Each shows its activity, member count and minimum share.
func (j *joinFlow) coopStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			all, err := j.d.Store.JoinCooperatives(ctx)
			if err != nil {
				return coopbot.Reply{}, err
			}
			if len(all) == 0 {
				return coopbot.Text(coopbot.M("join.coop.none")), nil
			}
			nbhs, err := j.d.Store.Neighborhoods(ctx)
			if err != nil {
				return coopbot.Reply{}, err
			}
			lang := c.Lang()
			own, others := splitOwn(all, c.Profile.Neighborhood)
			var r coopbot.Reply
			list := own
			switch {
			case len(own) == 0:
				r.Text = append(r.Text, coopbot.M("join.coop.none_here"))
				list = others
			case c.Get(joinView) == "all" && len(others) > 0:
				r.Text = append(r.Text, coopbot.M("join.coop.prompt_others"))
				list = others
			default:
				r.Text = append(r.Text, coopbot.M("join.coop.prompt"))
			}
			page, pages := pageOf(int(c.GetInt(joinPage)), len(list), cooperativesPerPage)
			end := min(len(list), (page+1)*cooperativesPerPage)
			for _, co := range list[page*cooperativesPerPage : end] {
				nbh := ""
				for _, n := range nbhs {
					if n.ID == co.NeighborhoodID {
						nbh = n.Name(lang)
					}
				}
				r.Text = append(r.Text, coopbot.Raw(""), coopbot.M("join.coop.item",
					"Name", co.Name(lang), "Activity", co.Activity(lang), "Neighborhood", nbh,
					"Members", text.Number(int64(co.Members)), "Min", text.Number(co.MinShare)).WithCount(co.Members))
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.Raw(co.Name(lang)), Data: "co:" + strconv.FormatInt(co.ID, 10)}})
			}
			if pages > 1 {
				r.Text = append(r.Text, coopbot.Raw(""))
			}
			pager(&r, page, pages)
			switch {
			case len(own) > 0 && c.Get(joinView) == "all":
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("join.coop.show_own"), Data: "own"}})
			case len(own) > 0 && len(others) > 0:
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("join.coop.show_others"), Data: "all"}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			all, err := j.d.Store.JoinCooperatives(ctx)
			if err != nil {
				return Next{}, err
			}
			switch {
			case strings.HasPrefix(in.Choice, "co:"):
				id, _ := strconv.ParseInt(in.Choice[3:], 10, 64)
				for _, co := range all {
					if co.ID == id {
						return j.choose(ctx, c, co)
					}
				}
				return Retry("join.coop.gone"), nil
			case strings.HasPrefix(in.Choice, "p:"):
				c.Set(joinPage, in.Choice[2:])
				return Again(), nil
			case in.Choice == "all" || in.Choice == "own":
				c.Set(joinView, strings.TrimPrefix(in.Choice, "own"))
				c.Set(joinPage, "")
				return Again(), nil
			case in.Kind == KindText && in.Text != "":
				found := matchCooperatives(all, in.Text)
				switch len(found) {
				case 0:
					return Retry("join.coop.not_found", "Typed", text.Isolate(in.Text)), nil
				case 1:
					return j.choose(ctx, c, found[0])
				}
				return Retry("join.coop.several"), nil
			}
			return Retry("join.coop.invalid"), nil
		},
	}
}

func splitOwn(all []coopbot.Cooperative, nbh int64) (own, others []coopbot.Cooperative) {
	for _, co := range all {
		if nbh != 0 && co.NeighborhoodID == nbh {
			own = append(own, co)
		} else {
			others = append(others, co)
		}
	}
	return own, others
}

// matchCooperatives finds cooperatives by a typed name, in either language, loosely.
func matchCooperatives(all []coopbot.Cooperative, typed string) []coopbot.Cooperative {
	key := text.Key(typed)
	if key == "" {
		return nil
	}
	var exact, partial []coopbot.Cooperative
	for _, co := range all {
		fa, az := labelKey(co.NameFa), labelKey(co.NameAz)
		switch {
		case fa == key || az == key:
			exact = append(exact, co)
		case strings.Contains(fa, key) || strings.Contains(az, key):
			partial = append(partial, co)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return partial
}

// choose takes a cooperative, unless the resident already has an open request to it or is
// a member: then they are shown that request.
func (j *joinFlow) choose(ctx context.Context, c *Conv, co coopbot.Cooperative) (Next, error) {
	c.Set(joinView, "")
	c.Set(joinPage, "")
	open, err := j.d.Store.ActiveJoinRequest(ctx, c.Profile.ResidentID, co.ID)
	if err != nil {
		return Next{}, err
	}
	if open != nil {
		note := "join.duplicate"
		if open.Status == coopbot.JoinApproved {
			note = "join.already_member"
		}
		if editing(c) {
			// Changing the cooperative from the review: keep the answers.
			return RetryMsg(coopMsg(note, co)), nil
		}
		return Start(flowJoinMine, map[string]string{mineReq: strconv.FormatInt(open.ID, 10), mineNote: note}), nil
	}
	c.SetInt(joinCoop, co.ID)
	if editing(c) && c.GetInt(joinShare) < co.MinShare {
		// The pledge no longer reaches this cooperative's minimum: ask it again.
		return Goto(joinStepShare).Say(coopbot.Text(coopMsg("join.share.again", co, "Min", text.Number(co.MinShare)))), nil
	}
	return advance(c, joinStepName), nil
}

// phoneStep takes the mobile number: the one shared at onboarding with one tap, a shared
// contact of the resident's own, or a typed number.
func (j *joinFlow) phoneStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			share := []coopbot.Button{{Label: coopbot.M("join.phone.share"), Contact: true}}
			if p := c.Profile.Phone; p != "" {
				return coopbot.Reply{
					Text: []coopbot.Msg{coopbot.M("join.phone.prompt_known", "Phone", text.Phone(p))},
					Keys: [][]coopbot.Button{{{Label: coopbot.M("join.phone.use_mine", "Phone", text.Phone(p)), Data: "mine"}}, share},
				}, nil
			}
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("join.phone.prompt")}, Keys: [][]coopbot.Button{share}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			var phone string
			switch {
			case in.Choice == "mine" && c.Profile.Phone != "":
				phone = c.Profile.Phone
			case in.Kind == KindContact && in.Contact != nil:
				if in.Contact.UserID != c.UserID {
					return Retry("join.phone.not_own"), nil
				}
				p, reason := text.ParseMobile(in.Contact.Phone)
				if reason != text.OK {
					return Retry(string(reason)), nil
				}
				phone = p
			case in.Kind == KindText:
				p, reason := text.ParseMobile(in.Text)
				if reason != text.OK {
					return Retry(string(reason)), nil
				}
				phone = p
			default:
				return Retry("join.phone.invalid"), nil
			}
			c.Set(joinPhone, j.d.Store.SealJoinAnswer(phone))
			return advance(c, joinStepShare), nil
		},
	}
}

func (c *Conv) skillSet() []string {
	if s := c.Get(joinSkillSet); s != "" {
		return strings.Split(s, ",")
	}
	return nil
}

// skillsStep offers occupations as toggles and takes the resident's own words as well.
func (j *joinFlow) skillsStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			chosen := c.skillSet()
			r := coopbot.Text(coopbot.M("join.skills.prompt"))
			if picked := SkillMsgs(chosen, c.Get(joinSkillTxt)); len(picked) > 0 {
				r.Text = append(r.Text, coopbot.Raw(""), coopbot.M("join.skills.chosen"))
				r.Text = append(r.Text, picked...)
			}
			var row []coopbot.Button
			for _, s := range joinSkills {
				label := coopbot.M(s.msg)
				if slices.Contains(chosen, s.key) {
					l, err := j.d.Labels.Text(c.Lang(), s.msg, nil, nil)
					if err != nil {
						return r, err
					}
					label = coopbot.Raw("✅ " + l)
				}
				row = append(row, coopbot.Button{Label: label, Data: "s:" + s.key})
			}
			r.Buttons = append(r.Buttons, grid(2, row)...)
			r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("join.skills.done"), Data: "done"}})
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch {
			case strings.HasPrefix(in.Choice, "s:"):
				key := in.Choice[2:]
				if !slices.ContainsFunc(joinSkills, func(s struct{ key, msg string }) bool { return s.key == key }) {
					return Retry("join.skills.invalid"), nil
				}
				chosen := c.skillSet()
				if i := slices.Index(chosen, key); i >= 0 {
					chosen = slices.Delete(chosen, i, i+1)
				} else {
					chosen = append(chosen, key)
				}
				c.Set(joinSkillSet, strings.Join(chosen, ","))
				return Again(), nil
			case in.Choice == "done":
				if len(c.skillSet()) == 0 && c.Get(joinSkillTxt) == "" {
					return Retry("join.skills.none"), nil
				}
				return advance(c, joinStepConsentD), nil
			case in.Kind == KindText && in.Text != "":
				if utf8.RuneCountInString(in.Text) > maxSkillsText {
					return Retry("join.skills.too_long", "Max", text.Number(maxSkillsText)), nil
				}
				c.Set(joinSkillTxt, in.Text)
				return Again(), nil
			}
			return Retry("join.skills.invalid"), nil
		},
	}
}

// consentStep asks for one consent; without it the request cannot be sent.
func consentStep(prompt, required, next string) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M(prompt)}, Buttons: [][]coopbot.Button{
				{{Label: coopbot.M("join.consent.yes"), Data: "yes"}},
				{{Label: coopbot.M("join.consent.no"), Data: "no"}},
			}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch in.Choice {
			case "yes":
				return advance(c, next), nil
			case "no":
				return Retry(required), nil
			}
			return Retry("join.consent.use_buttons"), nil
		},
	}
}

// reviewEdits are the review screen's edit buttons: every answer can be changed.
var reviewEdits = []struct{ label, step string }{
	{"join.review.edit_coop", joinStepCoop},
	{"join.review.edit_name", joinStepName},
	{"join.review.edit_nid", joinStepNID},
	{"join.review.edit_phone", joinStepPhone},
	{"join.review.edit_share", joinStepShare},
	{"join.review.edit_skills", joinStepSkills},
}

func (j *joinFlow) reviewStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			c.Set(joinReviewed, "1")
			co, err := j.coop(ctx, c)
			if err != nil {
				return coopbot.Reply{}, err
			}
			nid, err := j.d.Store.OpenJoinAnswer(c.Get(joinNID))
			if err != nil {
				return coopbot.Reply{}, err
			}
			phone, err := j.d.Store.OpenJoinAnswer(c.Get(joinPhone))
			if err != nil {
				return coopbot.Reply{}, err
			}
			name := ""
			if co != nil {
				name = co.Name(c.Lang())
			}
			r := coopbot.Text(
				coopbot.M("join.review.title"),
				coopbot.Raw(""),
				coopbot.M("join.review.coop", "Coop", name),
				coopbot.M("join.review.name", "Name", text.Isolate(c.Get(joinName))),
				coopbot.M("join.review.nid", "NationalID", text.NationalID(nid)),
				coopbot.M("join.review.phone", "Phone", text.Phone(phone)),
				coopbot.M("join.review.share", "Share", text.Number(c.GetInt(joinShare))),
				coopbot.M("join.review.skills"),
			)
			r.Text = append(r.Text, SkillMsgs(c.skillSet(), c.Get(joinSkillTxt))...)
			r.Text = append(r.Text, coopbot.Raw(""), coopbot.M("join.review.confirm"))
			var edits []coopbot.Button
			for _, e := range reviewEdits {
				edits = append(edits, coopbot.Button{Label: coopbot.M(e.label), Data: "e:" + e.step})
			}
			r.Buttons = append(r.Buttons, grid(2, edits)...)
			r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("join.review.submit"), Data: "submit"}})
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if step, ok := strings.CutPrefix(in.Choice, "e:"); ok {
				for _, e := range reviewEdits {
					if e.step == step {
						return Goto(step), nil
					}
				}
			}
			if in.Choice == "submit" {
				return j.submit(ctx, c)
			}
			return Retry("join.review.use_buttons"), nil
		},
	}
}

func (j *joinFlow) submit(ctx context.Context, c *Conv) (Next, error) {
	co, err := j.coop(ctx, c)
	if err != nil {
		return Next{}, err
	}
	if co == nil {
		return Goto(joinStepCoop).Say(coopbot.Text(coopbot.M("join.coop.closed"))), nil
	}
	nid, err := j.d.Store.OpenJoinAnswer(c.Get(joinNID))
	if err != nil {
		return Next{}, err
	}
	phone, err := j.d.Store.OpenJoinAnswer(c.Get(joinPhone))
	if err != nil {
		return Next{}, err
	}
	req := &coopbot.JoinRequest{
		CooperativeID: co.ID, ResidentID: c.Profile.ResidentID, FullName: c.Get(joinName),
		NationalID: nid, Phone: phone, Share: c.GetInt(joinShare),
		Skills: c.skillSet(), SkillsOther: c.Get(joinSkillTxt),
	}
	id, err := j.d.Store.SubmitJoinRequest(ctx, req)
	switch coopbot.ErrorMsgID(err) {
	case "":
	case "join.duplicate", "join.already_member":
		open, err2 := j.d.Store.ActiveJoinRequest(ctx, c.Profile.ResidentID, co.ID)
		if err2 != nil {
			return Next{}, err2
		}
		if open == nil {
			return Next{}, err
		}
		return Start(flowJoinMine, map[string]string{mineReq: strconv.FormatInt(open.ID, 10), mineNote: coopbot.ErrorMsgID(err)}), nil
	case "join.share.below_min":
		return Goto(joinStepShare).Say(coopbot.Text(coopMsg("join.share.again", *co, "Min", text.Number(co.MinShare)))), nil
	case "join.coop.closed":
		return Goto(joinStepCoop).Say(coopbot.Text(coopbot.M("join.coop.closed"))), nil
	}
	if err != nil {
		return Next{}, err
	}
	return Done(coopbot.Text(coopMsg("join.submitted", *co, "ID", ID(id)))), nil
}

// Answers of "my requests".
const (
	mineReq  = "req"
	mineNote = "note"
	minePage = "mp"
)

const requestsPerPage = 6

// mine lists the resident's requests with status and date; a pending one can be
// withdrawn.
func (j *joinFlow) mine() *legacyFlow {
	return &legacyFlow{Name: flowJoinMine, First: "list", Steps: map[string]legacyStep{
		"list": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				all, err := j.d.Store.JoinRequests(ctx, c.Profile.ResidentID)
				if err != nil {
					return coopbot.Reply{}, err
				}
				lang := c.Lang()
				if id := c.GetInt(mineReq); id != 0 {
					for _, r := range all {
						if r.ID != id {
							continue
						}
						var out coopbot.Reply
						if note := c.Get(mineNote); note != "" {
							out.Text = append(out.Text, coopMsg(note, r.Cooperative), coopbot.Raw(""))
						}
						out.Text = append(out.Text, coopbot.M("join.mine.detail", "ID", ID(r.ID), "Coop", r.Cooperative.Name(lang), "Date", When(r.CreatedAt)))
						out.Text = append(out.Text, joinStatusMsgs(r)...)
						if r.Status == coopbot.JoinPending {
							out.Buttons = append(out.Buttons, []coopbot.Button{{Label: coopbot.M("join.mine.withdraw"), Data: "wd"}})
						}
						out.Buttons = append(out.Buttons, []coopbot.Button{{Label: coopbot.M("join.mine.all"), Data: "all"}})
						return out, nil
					}
				}
				if len(all) == 0 {
					return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("join.mine.empty")},
						Buttons: [][]coopbot.Button{{{Label: coopbot.M("join.menu"), Data: "join"}}}}, nil
				}
				out := coopbot.Text(coopbot.M("join.mine.title", "Count", text.Number(int64(len(all)))).WithCount(len(all)))
				page, pages := pageOf(int(c.GetInt(minePage)), len(all), requestsPerPage)
				for _, r := range all[page*requestsPerPage : min(len(all), (page+1)*requestsPerPage)] {
					out.Text = append(out.Text, coopbot.Raw(""), coopbot.M("join.mine.detail", "ID", ID(r.ID), "Coop", r.Cooperative.Name(lang), "Date", When(r.CreatedAt)))
					out.Text = append(out.Text, joinStatusMsgs(r)...)
					out.Buttons = append(out.Buttons, []coopbot.Button{{
						Label: coopbot.M("join.mine.open", "ID", ID(r.ID), "Coop", r.Cooperative.Name(lang)),
						Data:  "r:" + strconv.FormatInt(r.ID, 10),
					}})
				}
				if pages > 1 {
					out.Text = append(out.Text, coopbot.Raw(""))
				}
				pager(&out, page, pages)
				return out, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				c.Set(mineNote, "")
				switch {
				case strings.HasPrefix(in.Choice, "r:"):
					c.Set(mineReq, in.Choice[2:])
					return Again(), nil
				case strings.HasPrefix(in.Choice, "p:"):
					c.Set(minePage, in.Choice[2:])
					return Again(), nil
				case in.Choice == "all":
					c.Set(mineReq, "")
					return Again(), nil
				case in.Choice == "wd" && c.GetInt(mineReq) != 0:
					return Goto("withdraw"), nil
				case in.Choice == "join":
					return Start(FlowJoin, nil), nil
				}
				return Retry("join.mine.use_buttons"), nil
			},
		},
		"withdraw": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				return coopbot.Reply{
					Text: []coopbot.Msg{coopbot.M("join.withdraw.confirm", "ID", ID(c.GetInt(mineReq)))},
					Buttons: [][]coopbot.Button{
						{{Label: coopbot.M("join.withdraw.yes"), Data: "yes"}},
						{{Label: coopbot.M("join.withdraw.no"), Data: "no"}},
					},
				}, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				switch in.Choice {
				case "no":
					return Goto("list"), nil
				case "yes":
					r, err := j.d.Store.WithdrawJoinRequest(ctx, c.Profile.ResidentID, c.GetInt(mineReq))
					switch coopbot.ErrorCode(err) {
					case "":
						return Done(coopbot.Text(coopMsg("join.withdrawn", r.Cooperative, "ID", ID(r.ID)))), nil
					case coopbot.EConflict:
						return Done(coopbot.Text(coopbot.M("join.withdraw.too_late", "ID", ID(r.ID)), coopbot.M(joinStatusMsg[r.Status]))), nil
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
