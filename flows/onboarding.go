package flows

import (
	"context"
	"slices"
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

// onboarding is a newcomer's first conversation: language, neighborhood, an optional
// phone number by the share-contact button, then the main menu.
type onboarding struct {
	Neighborhood int64 `json:"n,omitempty"`
}

func onboardingFeature(d Deps) feature {
	return feature{flows: []flowDef{&Flow[onboarding]{Name: FlowOnboarding, Steps: []Step[onboarding]{
		{
			Name: "lang",
			Ask: func(ctx context.Context, c *Conv, a *onboarding) (coopbot.Reply, error) {
				// The reader's language is not known yet: greet in both.
				return coopbot.Reply{Text: []coopbot.Msg{
					{ID: "onboarding.welcome", Lang: coopbot.Persian},
					{ID: "onboarding.welcome", Lang: coopbot.Azeri},
				}, Buttons: langButtons}, nil
			},
			Answer: func(ctx context.Context, c *Conv, a *onboarding, in Input) (Next, error) {
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
				return Forward(), nil
			},
		},
		neighborhoodList(d, "neighborhood", func(ctx context.Context, c *Conv, a *onboarding, n coopbot.Neighborhood) (Next, error) {
			a.Neighborhood = n.ID
			return Forward(), nil
		}).Step(),
		{
			Name: "phone",
			Ask: func(ctx context.Context, c *Conv, a *onboarding) (coopbot.Reply, error) {
				return coopbot.Reply{
					Text: []coopbot.Msg{coopbot.M("onboarding.phone.prompt")},
					Keys: [][]coopbot.Button{
						{{Label: coopbot.M("onboarding.phone.share"), Contact: true}},
						{{Label: coopbot.M("onboarding.phone.skip"), Data: "skip"}},
					},
				}, nil
			},
			Answer: func(ctx context.Context, c *Conv, a *onboarding, in Input) (Next, error) {
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
					NeighborhoodID: a.Neighborhood, Name: text.Clean(c.Update.FirstName), Phone: phone,
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
	}}}}
}

// neighborhoodsPerPage keeps the list within one phone screen.
const neighborhoodsPerPage = 8

// neighborhoodList asks for a neighborhood from a paged list, two to a row; a typed name
// is matched loosely (letter variants, digits, ZWNJ, space), and a loose match says which
// neighborhood it took (Back changes it).
func neighborhoodList[A any](d Deps, name string, chosen func(ctx context.Context, c *Conv, a *A, n coopbot.Neighborhood) (Next, error)) List[A, coopbot.Neighborhood] {
	load := func(ctx context.Context, c *Conv) ([]coopbot.Neighborhood, error) {
		all, err := d.Store.Neighborhoods(ctx)
		if err != nil {
			return nil, err
		}
		if c.Query() != "" {
			all, _ = matchNeighborhoods(all, c.Query())
		}
		// In the reader's alphabet (code points put چ after ی, and گ پ ژ out of place).
		all = slices.Clone(all)
		text.SortFunc(text.Lang(c.Lang()), all, func(n coopbot.Neighborhood) string { return n.Name(c.Lang()) })
		return all, nil
	}
	return List[A, coopbot.Neighborhood]{
		Name:    name,
		PerPage: neighborhoodsPerPage,
		Columns: 2,
		Items: func(ctx context.Context, c *Conv, a *A, page, per int) ([]coopbot.Neighborhood, int, error) {
			list, err := load(ctx, c)
			if err != nil {
				return nil, 0, err
			}
			return pageItems(list, page, per), len(list), nil
		},
		Title: func(ctx context.Context, c *Conv, a *A, total int) ([]coopbot.Msg, error) {
			return []coopbot.Msg{coopbot.M("onboarding.neighborhood.prompt")}, nil
		},
		Show: func(c *Conv, a *A, n coopbot.Neighborhood) ([]coopbot.Msg, coopbot.Msg) {
			return nil, coopbot.Raw(n.Name(c.Lang()))
		},
		ID: func(n coopbot.Neighborhood) int64 { return n.ID },
		Find: func(ctx context.Context, c *Conv, a *A, id int64) (coopbot.Neighborhood, bool, error) {
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return coopbot.Neighborhood{}, false, err
			}
			i := slices.IndexFunc(all, func(n coopbot.Neighborhood) bool { return n.ID == id })
			if i < 0 {
				return coopbot.Neighborhood{}, false, nil
			}
			return all[i], true, nil
		},
		Pick: chosen,
		Match: func(ctx context.Context, c *Conv, a *A, typed string) ([]coopbot.Neighborhood, bool, error) {
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return nil, false, err
			}
			found, exact := matchNeighborhoods(all, typed)
			return found, exact, nil
		},
		Unmatched: "onboarding.neighborhood.not_found",
		Loose:     "onboarding.neighborhood.chosen",
		Several:   "onboarding.neighborhood.several",
		More: func(ctx context.Context, c *Conv, a *A) ([]coopbot.Button, error) {
			if c.Query() == "" {
				return nil, nil
			}
			return []coopbot.Button{{Label: coopbot.M("onboarding.neighborhood.all"), Data: "all"}}, nil
		},
		Other: func(ctx context.Context, c *Conv, a *A, in Input) (Next, bool, error) {
			if in.Choice != "all" {
				return Next{}, false, nil
			}
			c.Filter("")
			return Again(), true, nil
		},
		Gone:    "onboarding.neighborhood.unknown",
		Invalid: "onboarding.neighborhood.invalid",
	}
}

// pageItems is the part of list on page (of per items); empty when out of range.
func pageItems[T any](list []T, page, per int) []T {
	if page < 0 || per <= 0 || page >= (len(list)+per-1)/per {
		return nil // also a page so large that page*per would overflow
	}
	start := page * per
	return list[start:min(len(list), start+per)]
}

// matchNeighborhoods returns the neighborhoods whose name, in either language, equals the
// typed text under the match key (exact); failing that, those whose name contains it.
func matchNeighborhoods(all []coopbot.Neighborhood, typed string) (found []coopbot.Neighborhood, exact bool) {
	key := text.Key(typed)
	if key == "" {
		return nil, false
	}
	var partial []coopbot.Neighborhood
	for _, n := range all {
		fa, az := labelKey(n.NameFa), labelKey(n.NameAz)
		switch {
		case fa == key || az == key:
			found = append(found, n)
		case strings.Contains(fa, key) || strings.Contains(az, key):
			partial = append(partial, n)
		}
	}
	if len(found) > 0 {
		return found, true
	}
	return partial, false
}
