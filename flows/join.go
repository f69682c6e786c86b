package flows

import (
	"context"
	"slices"
	"strings"

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
	// card for every admin of the cooperative, or, while it has none, for the office's
	// staff (the route says which). Errors: conflict "join.duplicate" when a
	// request of the resident to that cooperative is pending, conflict
	// "join.already_member" when one was approved, conflict "join.nid.taken" when the
	// national ID has an open request or a membership there from another account
	// (checked in the same transaction, and audited), invalid "join.coop.closed" or
	// "join.share.below_min" when the cooperative closed or raised its minimum share.
	SubmitJoinRequest(ctx context.Context, r *coopbot.JoinRequest) (int64, coopbot.JoinRoute, error)
	// JoinRequests lists a resident's requests, newest first, without personal data.
	JoinRequests(ctx context.Context, residentID int64) ([]coopbot.JoinRequest, error)
	// WithdrawJoinRequest withdraws the resident's own pending request. When it was
	// decided meanwhile the error is a conflict and the request is returned as it stands.
	WithdrawJoinRequest(ctx context.Context, residentID, id int64) (*coopbot.JoinRequest, error)
}

// Flows of a resident's membership requests.
const (
	FlowJoin     = "join"
	flowJoinMine = "join_mine"
)

// join is a resident's application to a cooperative. National ID and phone are kept
// sealed until submitted.
type join struct {
	Coop   int64    `json:"coop,omitempty"`
	Others bool     `json:"others,omitempty"` // listing the cooperatives of other neighborhoods
	Name   string   `json:"name,omitempty"`
	NID    string   `json:"nid,omitempty"`
	Phone  string   `json:"phone,omitempty"`
	Share  int64    `json:"share,omitempty"`
	Skills []string `json:"skills,omitempty"` // keys of joinSkills
	Own    string   `json:"own,omitempty"`    // the resident's own words on their work
}

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

// flow is the application: a form from the cooperative to the consents, a review with an
// edit button for every answer, then submit.
func (j *joinFlow) flow() flowDef {
	form := Form[join]{
		Fields: []Field[join]{
			{Step: j.coopList().Step(), Edit: "join.review.edit_coop", Review: j.reviewCoop},
			{Step: TextStep[join]{
				Name:   "name",
				Prompt: func(*Conv, *join) coopbot.Msg { return coopbot.M("join.name.prompt") },
				Parse:  parsed(text.ParseName),
				Set:    func(a *join, s string) { a.Name = s },
			}.Step(), Edit: "join.review.edit_name", Review: func(ctx context.Context, c *Conv, a *join) ([]coopbot.Msg, error) {
				return []coopbot.Msg{coopbot.M("join.review.name", "Name", text.Isolate(a.Name))}, nil
			}},
			{Step: TextStep[join]{
				Name:   "nid",
				Prompt: func(*Conv, *join) coopbot.Msg { return coopbot.M("join.nid.prompt") },
				Parse:  parsed(text.ParseNationalID),
				Set:    func(a *join, s string) { a.NID = j.d.Store.SealJoinAnswer(s) },
			}.Step(), Edit: "join.review.edit_nid", Review: func(ctx context.Context, c *Conv, a *join) ([]coopbot.Msg, error) {
				nid, err := j.d.Store.OpenJoinAnswer(a.NID)
				return []coopbot.Msg{coopbot.M("join.review.nid", "NationalID", text.NationalID(nid))}, err
			}},
			{Step: j.phoneStep(), Edit: "join.review.edit_phone", Review: func(ctx context.Context, c *Conv, a *join) ([]coopbot.Msg, error) {
				phone, err := j.d.Store.OpenJoinAnswer(a.Phone)
				return []coopbot.Msg{coopbot.M("join.review.phone", "Phone", text.Phone(phone))}, err
			}},
			{Step: j.shareStep(), Edit: "join.review.edit_share", Review: func(ctx context.Context, c *Conv, a *join) ([]coopbot.Msg, error) {
				return []coopbot.Msg{coopbot.M("join.review.share", "Share", text.Number(a.Share))}, nil
			}},
			{Step: j.skillsStep(), Edit: "join.review.edit_skills", Review: func(ctx context.Context, c *Conv, a *join) ([]coopbot.Msg, error) {
				return append([]coopbot.Msg{coopbot.M("join.review.skills")}, skillMsgs(a.Skills, a.Own)...), nil
			}},
			{Step: consentStep("consent_data", "join.consent.data", "join.consent.data.required")},
			{Step: consentStep("consent_rules", "join.consent.rules", "join.consent.rules.required")},
		},
		Title:       "join.review.title",
		Confirm:     "join.review.confirm",
		SubmitLabel: "join.review.submit",
		Submit:      j.submit,
		Invalid:     "join.review.use_buttons",
	}
	return &Flow[join]{Name: FlowJoin, Steps: form.Steps()}
}

// parsed adapts a text/ parser to TextStep.Parse: a reason other than OK is the message.
func parsed(parse func(string) (string, text.Reason)) func(string) (string, string) {
	return func(s string) (string, string) {
		v, reason := parse(s)
		if reason != text.OK {
			return "", string(reason)
		}
		return v, ""
	}
}

// coop returns the chosen cooperative, nil when it is no longer open.
func (j *joinFlow) coop(ctx context.Context, a *join) (*coopbot.Cooperative, error) {
	all, err := j.d.Store.JoinCooperatives(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(co coopbot.Cooperative) bool { return co.ID == a.Coop })
	if i < 0 {
		return nil, nil
	}
	return &all[i], nil
}

func (j *joinFlow) reviewCoop(ctx context.Context, c *Conv, a *join) ([]coopbot.Msg, error) {
	co, err := j.coop(ctx, a)
	if err != nil || co == nil {
		return nil, err
	}
	return []coopbot.Msg{coopbot.M("join.review.coop", "Coop", co.Name(c.Lang()))}, nil
}

// coopItem is a cooperative as the list shows it.
type coopItem struct {
	coopbot.Cooperative
	Neighborhood coopbot.Neighborhood
}

// coopList lists the cooperatives of the resident's neighborhood first; the others are a
// button away. Each shows its activity, member count and minimum share; names can be typed.
func (j *joinFlow) coopList() List[join, coopItem] {
	// shown returns the cooperatives of the list being shown (those matching the typed
	// name, when one was typed), and how many there are in and out of the resident's
	// neighborhood.
	shown := func(ctx context.Context, c *Conv, a *join) (list []coopbot.Cooperative, own, others int, err error) {
		all, err := j.d.Store.JoinCooperatives(ctx)
		if err != nil {
			return nil, 0, 0, err
		}
		all = slices.Clone(all)
		text.SortFunc(text.Lang(c.Lang()), all, func(co coopbot.Cooperative) string { return co.Name(c.Lang()) })
		mine, rest := splitOwn(all, c.Profile.Neighborhood)
		switch {
		case c.Query() != "":
			list, _ = matchCooperatives(all, c.Query())
		case len(mine) == 0 || a.Others && len(rest) > 0:
			list = rest
		default:
			list = mine
		}
		return list, len(mine), len(rest), nil
	}
	find := func(ctx context.Context, id int64) (coopItem, bool, error) {
		all, err := j.d.Store.JoinCooperatives(ctx)
		if err != nil {
			return coopItem{}, false, err
		}
		i := slices.IndexFunc(all, func(co coopbot.Cooperative) bool { return co.ID == id })
		if i < 0 {
			return coopItem{}, false, nil
		}
		items, err := j.coopItems(ctx, all[i:i+1])
		return items[0], err == nil, err
	}
	return List[join, coopItem]{
		Name:    "coop",
		PerPage: cooperativesPerPage,
		Items: func(ctx context.Context, c *Conv, a *join, page, per int) ([]coopItem, int, error) {
			list, _, _, err := shown(ctx, c, a)
			if err != nil {
				return nil, 0, err
			}
			items, err := j.coopItems(ctx, pageItems(list, page, per))
			return items, len(list), err
		},
		Title: func(ctx context.Context, c *Conv, a *join, total int) ([]coopbot.Msg, error) {
			_, own, others, err := shown(ctx, c, a)
			switch {
			case err != nil:
				return nil, err
			case own+others == 0:
				return []coopbot.Msg{coopbot.M("join.coop.none")}, nil
			case c.Query() != "":
				return nil, nil // the hint says several match
			case own == 0:
				return []coopbot.Msg{coopbot.M("join.coop.none_here")}, nil
			case a.Others && others > 0:
				return []coopbot.Msg{coopbot.M("join.coop.prompt_others")}, nil
			}
			return []coopbot.Msg{coopbot.M("join.coop.prompt")}, nil
		},
		Show: func(c *Conv, a *join, co coopItem) ([]coopbot.Msg, coopbot.Msg) {
			lang := c.Lang()
			return []coopbot.Msg{coopbot.M("join.coop.item",
				"Name", co.Name(lang), "Activity", co.Activity(lang), "Neighborhood", co.Neighborhood.Name(lang),
				"Members", text.Number(int64(co.Members)), "Min", text.Number(co.MinShare)).WithCount(co.Members)}, coopbot.Raw(co.Name(lang))
		},
		ID:   func(co coopItem) int64 { return co.ID },
		Find: func(ctx context.Context, c *Conv, a *join, id int64) (coopItem, bool, error) { return find(ctx, id) },
		Pick: func(ctx context.Context, c *Conv, a *join, co coopItem) (Next, error) {
			return j.choose(ctx, c, a, co.Cooperative)
		},
		Match: func(ctx context.Context, c *Conv, a *join, typed string) ([]coopItem, bool, error) {
			all, err := j.d.Store.JoinCooperatives(ctx)
			if err != nil {
				return nil, false, err
			}
			found, exact := matchCooperatives(all, typed)
			items, err := j.coopItems(ctx, found)
			return items, exact, err
		},
		Unmatched: "join.coop.not_found",
		Loose:     "join.coop.chosen",
		Several:   "join.coop.several",
		More: func(ctx context.Context, c *Conv, a *join) ([]coopbot.Button, error) {
			_, own, others, err := shown(ctx, c, a)
			switch {
			case err != nil:
				return nil, err
			case c.Query() != "":
				return []coopbot.Button{{Label: coopbot.M("join.coop.show_own"), Data: "own"}}, nil
			case own > 0 && a.Others:
				return []coopbot.Button{{Label: coopbot.M("join.coop.show_own"), Data: "own"}}, nil
			case own > 0 && others > 0:
				return []coopbot.Button{{Label: coopbot.M("join.coop.show_others"), Data: "all"}}, nil
			}
			return nil, nil
		},
		Other: func(ctx context.Context, c *Conv, a *join, in Input) (Next, bool, error) {
			if in.Choice != "all" && in.Choice != "own" {
				return Next{}, false, nil
			}
			a.Others = in.Choice == "all"
			c.Filter("")
			return Again(), true, nil
		},
		Gone:    "join.coop.gone",
		Invalid: "join.coop.invalid",
	}
}

// coopItems adds each cooperative's neighborhood.
func (j *joinFlow) coopItems(ctx context.Context, list []coopbot.Cooperative) ([]coopItem, error) {
	nbhs, err := j.d.Store.Neighborhoods(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]coopItem, len(list))
	for i, co := range list {
		out[i].Cooperative = co
		if k := slices.IndexFunc(nbhs, func(n coopbot.Neighborhood) bool { return n.ID == co.NeighborhoodID }); k >= 0 {
			out[i].Neighborhood = nbhs[k]
		}
	}
	return out, nil
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

// matchCooperatives finds cooperatives by a typed name, in either language, loosely; exact
// when a whole name matched.
func matchCooperatives(all []coopbot.Cooperative, typed string) (found []coopbot.Cooperative, exact bool) {
	key := text.Key(typed)
	if key == "" {
		return nil, false
	}
	var partial []coopbot.Cooperative
	for _, co := range all {
		fa, az := labelKey(co.NameFa), labelKey(co.NameAz)
		switch {
		case fa == key || az == key:
			found = append(found, co)
		case strings.Contains(fa, key) || strings.Contains(az, key):
			partial = append(partial, co)
		}
	}
	if len(found) > 0 {
		return found, true
	}
	return partial, false
}

// choose takes a cooperative, unless the resident already has an open request to it or is
// a member: then they are shown that request.
func (j *joinFlow) choose(ctx context.Context, c *Conv, a *join, co coopbot.Cooperative) (Next, error) {
	a.Others = false
	open, err := j.d.Store.ActiveJoinRequest(ctx, c.Profile.ResidentID, co.ID)
	if err != nil {
		return Next{}, err
	}
	if open != nil {
		note := "join.duplicate"
		if open.Status == coopbot.JoinApproved {
			note = "join.already_member"
		}
		if c.Reviewing() {
			// Changing the cooperative from the review: keep the answers.
			return RetryMsg(coopMsg(note, co)), nil
		}
		return Start(flowJoinMine, mine{Request: open.ID, Note: note}), nil
	}
	a.Coop = co.ID
	if c.Reviewing() && a.Share < co.MinShare {
		// The pledge no longer reaches this cooperative's minimum: ask it again.
		return Goto("share").Say(coopbot.Text(coopMsg("join.share.again", co, "Min", text.Number(co.MinShare)))), nil
	}
	return Forward(), nil
}

// phoneStep takes the mobile number: the one shared at onboarding with one tap, a shared
// contact of the resident's own, or a typed number.
func (j *joinFlow) phoneStep() Step[join] {
	return Step[join]{
		Name: "phone",
		Ask: func(ctx context.Context, c *Conv, a *join) (coopbot.Reply, error) {
			share := []coopbot.Button{{Label: coopbot.M("join.phone.share"), Contact: true}}
			if p := c.Profile.Phone; p != "" {
				return coopbot.Reply{
					Text: []coopbot.Msg{coopbot.M("join.phone.prompt_known", "Phone", text.Phone(p))},
					Keys: [][]coopbot.Button{{{Label: coopbot.M("join.phone.use_mine", "Phone", text.Phone(p)), Data: "mine"}}, share},
				}, nil
			}
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("join.phone.prompt")}, Keys: [][]coopbot.Button{share}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *join, in Input) (Next, error) {
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
			a.Phone = j.d.Store.SealJoinAnswer(phone)
			return Forward(), nil
		},
	}
}

// shareStep takes the pledged share: at least the cooperative's minimum, in rials or tomans.
func (j *joinFlow) shareStep() Step[join] {
	return Step[join]{
		Name: "share",
		Ask: func(ctx context.Context, c *Conv, a *join) (coopbot.Reply, error) {
			co, err := j.coop(ctx, a)
			if err != nil {
				return coopbot.Reply{}, err
			}
			if co == nil {
				return coopbot.Text(coopbot.M("join.coop.closed")), nil
			}
			return coopbot.Text(coopMsg("join.share.prompt", *co, "Min", text.Number(co.MinShare))), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *join, in Input) (Next, error) {
			if in.Kind != KindText {
				return Retry("join.text_expected"), nil
			}
			v, reason := text.ParseMoney(in.Text)
			if reason != text.OK {
				return Retry(string(reason)), nil
			}
			co, err := j.coop(ctx, a)
			if err != nil {
				return Next{}, err
			}
			if co == nil {
				return Goto("coop").Say(coopbot.Text(coopbot.M("join.coop.closed"))), nil
			}
			if v < co.MinShare {
				return Retry("join.share.below_min", "Min", text.Number(co.MinShare), "Amount", text.Number(v)), nil
			}
			a.Share = v
			return Forward(), nil
		},
	}
}

// skillsStep offers occupations as toggles and takes the resident's own words as well.
func (j *joinFlow) skillsStep() Step[join] {
	return Step[join]{
		Name: "skills",
		Ask: func(ctx context.Context, c *Conv, a *join) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("join.skills.prompt"))
			if picked := skillMsgs(a.Skills, a.Own); len(picked) > 0 {
				r.Text = append(r.Text, coopbot.Raw(""), coopbot.M("join.skills.chosen"))
				r.Text = append(r.Text, picked...)
			}
			var row []coopbot.Button
			for i, s := range joinSkills {
				label := coopbot.M(s.msg)
				if slices.Contains(a.Skills, s.key) {
					label = coopbot.M("common.ticked", "Label", label)
				}
				row = append(row, coopbot.Button{Label: label, Data: Data("s", int64(i))})
			}
			r.Buttons = append(grid(2, row), []coopbot.Button{{Label: coopbot.M("join.skills.done"), Data: "done"}})
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *join, in Input) (Next, error) {
			if i, ok := in.PickIndex("s", len(joinSkills)); ok {
				key := joinSkills[i].key
				if k := slices.Index(a.Skills, key); k >= 0 {
					a.Skills = slices.Delete(a.Skills, k, k+1)
				} else {
					a.Skills = append(a.Skills, key)
				}
				return Again(), nil
			}
			switch {
			case in.Choice == "done":
				if len(a.Skills) == 0 && a.Own == "" {
					return Retry("join.skills.none"), nil
				}
				return Forward(), nil
			case in.Kind == KindText && in.Text != "" && in.Choice == "":
				if runeCount(in.Text) > maxSkillsText {
					return Retry("join.skills.too_long", "Max", text.Number(maxSkillsText)), nil
				}
				a.Own = in.Text
				return Again(), nil
			}
			return Retry("join.skills.invalid"), nil
		},
	}
}

// consentStep asks for one consent; without it the request cannot be sent.
func consentStep(name, prompt, required string) Step[join] {
	return Step[join]{
		Name: name,
		Ask: func(ctx context.Context, c *Conv, a *join) (coopbot.Reply, error) {
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M(prompt)}, Buttons: [][]coopbot.Button{
				{{Label: coopbot.M("join.consent.yes"), Data: "yes"}},
				{{Label: coopbot.M("join.consent.no"), Data: "no"}},
			}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *join, in Input) (Next, error) {
			switch in.Choice {
			case "yes":
				return Forward(), nil
			case "no":
				return Retry(required), nil
			}
			return Retry("join.consent.use_buttons"), nil
		},
	}
}

func (j *joinFlow) submit(ctx context.Context, c *Conv, a *join) (Next, error) {
	co, err := j.coop(ctx, a)
	if err != nil {
		return Next{}, err
	}
	if co == nil {
		return Goto("coop").Say(coopbot.Text(coopbot.M("join.coop.closed"))), nil
	}
	nid, err := j.d.Store.OpenJoinAnswer(a.NID)
	if err != nil {
		return Next{}, err
	}
	phone, err := j.d.Store.OpenJoinAnswer(a.Phone)
	if err != nil {
		return Next{}, err
	}
	req := &coopbot.JoinRequest{
		CooperativeID: co.ID, ResidentID: c.Profile.ResidentID, FullName: a.Name,
		NationalID: nid, Phone: phone, Share: a.Share, Skills: a.Skills, SkillsOther: a.Own,
	}
	id, route, err := j.d.Store.SubmitJoinRequest(ctx, req)
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
		return Start(flowJoinMine, mine{Request: open.ID, Note: coopbot.ErrorMsgID(err)}), nil
	case "join.nid.taken":
		// The national ID is someone else's there (or mistyped): asked again, and the
		// request stays unsent.
		return Goto("nid").Say(coopbot.Text(coopMsg("join.nid.taken", *co))), nil
	case "join.share.below_min":
		return Goto("share").Say(coopbot.Text(coopMsg("join.share.again", *co, "Min", text.Number(co.MinShare)))), nil
	case "join.coop.closed":
		return Goto("coop").Say(coopbot.Text(coopbot.M("join.coop.closed"))), nil
	}
	if err != nil {
		return Next{}, err
	}
	if route == coopbot.JoinToOffice {
		// Nobody at the cooperative decides yet: say who has it.
		return Done(coopbot.Text(coopMsg("join.submitted_office", *co, "ID", recordNo(id)))), nil
	}
	return Done(coopbot.Text(coopMsg("join.submitted", *co, "ID", recordNo(id)))), nil
}
