package flows

import (
	"context"
	"strconv"
	"strings"

	"coopbot"
	"coopbot/text"
)

// ResidentStore keeps residents and the neighborhoods they live in.
type ResidentStore interface {
	Profiles
	Neighborhoods(ctx context.Context) ([]coopbot.Neighborhood, error)
	// SaveResident creates or updates the resident (platform, user id) and returns its id.
	SaveResident(ctx context.Context, r *coopbot.Resident) (int64, error)
	SetLanguage(ctx context.Context, residentID int64, l coopbot.Lang) error
	// Staff returns the resident's staff role, nil when none: every staff action checks it.
	Staff(ctx context.Context, residentID int64) (*coopbot.Staff, error)
	// Audit records a staff or admin action, or a denied attempt.
	Audit(ctx context.Context, actorID int64, action, subject string, allowed bool, detail map[string]any) error
}

// neighborhoodsPerPage keeps the list within one phone screen.
const neighborhoodsPerPage = 8

// Onboarding: language → neighborhood → optional phone (shared contact) → main menu.
func onboardingFeature(d Deps) feature {
	f := &legacyFlow{Name: FlowOnboarding, First: "lang", Steps: map[string]legacyStep{
		"lang": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				// The reader's language is not known yet: greet in both.
				return coopbot.Reply{Text: []coopbot.Msg{
					{ID: "onboarding.welcome", Lang: coopbot.Persian},
					{ID: "onboarding.welcome", Lang: coopbot.Azeri},
				}, Buttons: langButtons}, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				l, ok := langChoice(in)
				if !ok {
					return Retry("onboarding.lang.invalid"), nil
				}
				c.Profile.Lang = l
				if c.Profile.ResidentID != 0 {
					if err := d.Store.SetLanguage(ctx, c.Profile.ResidentID, l); err != nil {
						return Next{}, err
					}
				}
				return Goto("neighborhood"), nil
			},
		},
		"neighborhood": neighborhoodStep(d, func(ctx context.Context, c *Conv, n coopbot.Neighborhood) (Next, error) {
			c.SetInt("neighborhood", n.ID)
			return Goto("phone"), nil
		}),
		"phone": {
			Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
				return coopbot.Reply{
					Text: []coopbot.Msg{coopbot.M("onboarding.phone.prompt")},
					Keys: [][]coopbot.Button{
						{{Label: coopbot.M("onboarding.phone.share"), Contact: true}},
						{{Label: coopbot.M("onboarding.phone.skip"), Data: "skip"}},
					},
				}, nil
			},
			Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
				phone := ""
				switch {
				case in.Choice == "skip":
				case in.Kind == KindContact && in.Contact != nil:
					if in.Contact.UserID != c.UserID {
						return Retry("onboarding.phone.not_own"), nil
					}
					p, reason := text.ParseMobile(in.Contact.Phone)
					if reason != text.OK {
						return Retry(string(reason)), nil
					}
					phone = p
				default:
					return Retry("onboarding.phone.use_button"), nil
				}
				r := &coopbot.Resident{
					Platform: c.Platform, UserID: c.UserID, ChatID: c.ChatID, Lang: c.Lang(),
					NeighborhoodID: c.GetInt("neighborhood"), Name: text.Clean(c.Update.FirstName), Phone: phone,
				}
				if phone == "" {
					r.Phone = c.Profile.Phone // a returning resident keeps a phone given before
				}
				id, err := d.Store.SaveResident(ctx, r)
				if err != nil {
					return Next{}, err
				}
				c.Profile.ResidentID, c.Profile.Neighborhood, c.Profile.Phone = id, r.NeighborhoodID, r.Phone
				say := "onboarding.done"
				if phone != "" {
					say = "onboarding.done_phone"
				}
				return Done(coopbot.Text(coopbot.M(say))), nil
			},
		},
	}}
	return feature{flows: []flowDef{f}}
}

// neighborhoodStep asks for a neighborhood from a paged list; a typed name is matched
// loosely (letter variants, digits, ZWNJ, space). chosen is called with the choice.
func neighborhoodStep(d Deps, chosen func(ctx context.Context, c *Conv, n coopbot.Neighborhood) (Next, error)) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return coopbot.Reply{}, err
			}
			list := all
			if q := c.Get("nq"); q != "" {
				list = matchNeighborhoods(all, q)
			}
			page := int(c.GetInt("np"))
			pages := (len(list) + neighborhoodsPerPage - 1) / neighborhoodsPerPage
			if page >= pages {
				page = 0
			}
			r := coopbot.Text(coopbot.M("onboarding.neighborhood.prompt"))
			end := min(len(list), (page+1)*neighborhoodsPerPage)
			for i := page * neighborhoodsPerPage; i < end; i += 2 {
				row := []coopbot.Button{{Label: coopbot.Raw(list[i].Name(c.Lang())), Data: "n:" + strconv.FormatInt(list[i].ID, 10)}}
				if i+1 < end {
					row = append(row, coopbot.Button{Label: coopbot.Raw(list[i+1].Name(c.Lang())), Data: "n:" + strconv.FormatInt(list[i+1].ID, 10)})
				}
				r.Buttons = append(r.Buttons, row)
			}
			pager(&r, page, pages)
			if c.Get("nq") != "" {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("onboarding.neighborhood.all"), Data: "all"}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return Next{}, err
			}
			switch {
			case strings.HasPrefix(in.Choice, "n:"):
				id, _ := strconv.ParseInt(in.Choice[2:], 10, 64)
				for _, n := range all {
					if n.ID == id {
						c.Set("nq", "")
						c.Set("np", "")
						return chosen(ctx, c, n)
					}
				}
				return Retry("onboarding.neighborhood.unknown"), nil
			case strings.HasPrefix(in.Choice, "p:"):
				c.Set("np", in.Choice[2:])
				return Again(), nil
			case in.Choice == "all":
				c.Set("nq", "")
				c.Set("np", "")
				return Again(), nil
			case in.Kind == KindText && in.Text != "":
				found := matchNeighborhoods(all, in.Text)
				switch len(found) {
				case 0:
					return Retry("onboarding.neighborhood.not_found", "Typed", in.Text), nil
				case 1:
					c.Set("nq", "")
					c.Set("np", "")
					return chosen(ctx, c, found[0])
				}
				c.Set("nq", in.Text)
				c.Set("np", "")
				return Retry("onboarding.neighborhood.several"), nil
			}
			return Retry("onboarding.neighborhood.invalid"), nil
		},
	}
}

// matchNeighborhoods returns the neighborhoods whose name, in either language, equals the
// typed text under the match key; failing that, those whose name contains it.
func matchNeighborhoods(all []coopbot.Neighborhood, typed string) []coopbot.Neighborhood {
	key := text.Key(typed)
	if key == "" {
		return nil
	}
	var exact, partial []coopbot.Neighborhood
	for _, n := range all {
		fa, az := labelKey(n.NameFa), labelKey(n.NameAz)
		switch {
		case fa == key || az == key:
			exact = append(exact, n)
		case strings.Contains(fa, key) || strings.Contains(az, key):
			partial = append(partial, n)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return partial
}
