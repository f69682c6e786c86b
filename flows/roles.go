package flows

import (
	"context"
	"slices"

	"coopbot"
	"coopbot/text"
)

// RolesStore keeps who does what: neighborhood managers, cooperative admins and their
// invite codes, office staff. Every method checks on the server who acts (forbidden
// "roles.denied", audited, otherwise) and audits every change.
type RolesStore interface {
	// StaffMembers lists everyone with a staff role (office-wide staff only).
	StaffMembers(ctx context.Context, actorID int64) ([]coopbot.StaffMember, error)
	// NeighborhoodResidents lists a neighborhood's residents by name, filtered by a part
	// of the name, a page at a time, with the total (office-wide staff only).
	NeighborhoodResidents(ctx context.Context, actorID, nbh int64, query string, offset, limit int) ([]coopbot.Person, int, error)
	// GrantManager makes a resident a neighborhood's manager; conflict
	// "roles.already_staff" for office-wide staff.
	GrantManager(ctx context.Context, actorID, residentID, nbh int64) error
	// RevokeStaff takes away a role given in the chat; conflict "roles.from_config" for
	// a role from ADMINS, "roles.not_yourself" for one's own.
	RevokeStaff(ctx context.Context, actorID, residentID int64) error
	// CoopAdmins lists a cooperative's admins; RevokeCoopAdmin removes one.
	CoopAdmins(ctx context.Context, actorID, coopID int64) ([]coopbot.Person, error)
	RevokeCoopAdmin(ctx context.Context, actorID, coopID, residentID int64) error
	// CoopInvites lists a cooperative's invite codes still usable; RevokeCoopInvite ends one.
	CoopInvites(ctx context.Context, actorID, coopID int64) ([]coopbot.Invite, error)
	RevokeCoopInvite(ctx context.Context, actorID, inviteID int64) error
}

// FlowRoles is the office's "people and roles".
const FlowRoles = "roles"

// roles are the answers of the people-and-roles flow: the neighborhood or cooperative
// being looked at, and the person or invite an action is about.
type roles struct {
	Nbh    int64  `json:"n,omitempty"`
	Coop   int64  `json:"c,omitempty"`
	Person int64  `json:"p,omitempty"`
	Name   string `json:"pn,omitempty"` // the person's name, for the confirmation
	Invite int64  `json:"i,omitempty"`
}

const rolesPerPage = 8

// staffGate admits staff and neighborhood managers, as the store says at every update
// (whatever the conversation remembers), and fills c.Staff.
func staffGate(d Deps) Gate {
	return func(ctx context.Context, c *Conv) (*coopbot.Msg, error) {
		s, err := d.Store.Staff(ctx, c.Profile.ResidentID)
		if err != nil {
			return nil, err
		}
		if s == nil {
			m := coopbot.M("roles.denied")
			return &m, nil
		}
		c.Staff = s
		return nil, nil
	}
}

// refused turns a store's refusal into what the person reads: forbidden ends the flow,
// a conflict or a vanished record goes back to step with the reason.
func refused(err error, step string) (Next, bool) {
	switch coopbot.ErrorCode(err) {
	case coopbot.EForbidden:
		return Done(coopbot.Text(coopbot.M("roles.denied"))), true
	case coopbot.EConflict, coopbot.ENotFound:
		return Goto(step).Say(coopbot.Text(coopbot.M(coopbot.ErrorMsgID(err)))), true
	}
	return Next{}, false
}

// confirmStep asks to confirm an action with an unmistakable yes button; do acts.
func confirmStep(name, yes string, ask func(c *Conv, a *roles) coopbot.Msg, do func(ctx context.Context, c *Conv, a *roles) (Next, error)) Step[roles] {
	return Step[roles]{
		Name: name,
		Ask: func(ctx context.Context, c *Conv, a *roles) (coopbot.Reply, error) {
			return coopbot.Reply{Text: []coopbot.Msg{ask(c, a)}, Buttons: [][]coopbot.Button{
				{{Label: coopbot.M(yes), Data: "yes"}},
				{{Label: coopbot.M("common.back"), Data: ChoiceBack}},
			}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *roles, in Input) (Next, error) {
			if in.Choice != "yes" {
				return Retry("roles.confirm.invalid"), nil
			}
			return do(ctx, c, a)
		},
	}
}

func rolesFeature(d Deps) feature {
	s := d.Store
	office := func(c *Conv) bool { return c.Staff != nil && c.Staff.Role == coopbot.RoleStaff }
	nbhName := func(ctx context.Context, id int64, l coopbot.Lang) (string, error) {
		all, err := s.Neighborhoods(ctx)
		if err != nil {
			return "", err
		}
		if i := slices.IndexFunc(all, func(n coopbot.Neighborhood) bool { return n.ID == id }); i >= 0 {
			return all[i].Name(l), nil
		}
		return "", nil
	}
	// The cooperatives the person may look after: all for office staff, their
	// neighborhood's for a manager.
	coops := func(ctx context.Context, c *Conv) ([]coopbot.Cooperative, error) {
		all, err := s.JoinCooperatives(ctx)
		if err != nil {
			return nil, err
		}
		out := slices.DeleteFunc(slices.Clone(all), func(co coopbot.Cooperative) bool { return !c.Staff.CanSee(co.NeighborhoodID) })
		text.SortFunc(text.Lang(c.Lang()), out, func(co coopbot.Cooperative) string { return co.Name(c.Lang()) })
		return out, nil
	}
	managers := func(ctx context.Context, c *Conv, a *roles) ([]coopbot.StaffMember, error) {
		all, err := s.StaffMembers(ctx, c.Profile.ResidentID)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(all, func(m coopbot.StaffMember) bool {
			return m.Role != coopbot.RoleNeighborhoodManager || m.NeighborhoodID != a.Nbh
		}), nil
	}
	person := func(p coopbot.Person) coopbot.Msg { return coopbot.Raw(text.Shorten(p.Name, 40)) }

	home := Step[roles]{
		Name: "home",
		Ask: func(ctx context.Context, c *Conv, a *roles) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("roles.home"))
			if office(c) {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("roles.home.managers"), Data: "managers"}})
			}
			r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("roles.home.coops"), Data: "coops"}})
			if office(c) {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("roles.home.staff"), Data: "staff"}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *roles, in Input) (Next, error) {
			switch {
			case in.Choice == "coops":
				return Goto("coop"), nil
			case in.Choice == "managers" && office(c):
				return Goto("nbh"), nil
			case in.Choice == "staff" && office(c):
				return Goto("staff"), nil
			}
			return Retry("roles.home.invalid"), nil
		},
	}

	nbh := neighborhoodList(d, "nbh", func(ctx context.Context, c *Conv, a *roles, n coopbot.Neighborhood) (Next, error) {
		a.Nbh = n.ID
		return Goto("managers"), nil
	})

	managerList := List[roles, coopbot.StaffMember]{
		Name:    "managers",
		PerPage: rolesPerPage,
		Items: func(ctx context.Context, c *Conv, a *roles, page, per int) ([]coopbot.StaffMember, int, error) {
			list, err := managers(ctx, c, a)
			return pageItems(list, page, per), len(list), err
		},
		Title: func(ctx context.Context, c *Conv, a *roles, total int) ([]coopbot.Msg, error) {
			name, err := nbhName(ctx, a.Nbh, c.Lang())
			if err != nil {
				return nil, err
			}
			if total == 0 {
				return []coopbot.Msg{coopbot.M("roles.managers.none", "Neighborhood", text.Isolate(name))}, nil
			}
			return []coopbot.Msg{coopbot.M("roles.managers.title", "Neighborhood", text.Isolate(name))}, nil
		},
		Show: func(c *Conv, a *roles, m coopbot.StaffMember) ([]coopbot.Msg, coopbot.Msg) {
			return nil, coopbot.M("roles.revoke.button", "Name", text.Shorten(m.Name, 40))
		},
		ID: func(m coopbot.StaffMember) int64 { return m.ResidentID },
		Find: func(ctx context.Context, c *Conv, a *roles, id int64) (coopbot.StaffMember, bool, error) {
			list, err := managers(ctx, c, a)
			i := slices.IndexFunc(list, func(m coopbot.StaffMember) bool { return m.ResidentID == id })
			if err != nil || i < 0 {
				return coopbot.StaffMember{}, false, err
			}
			return list[i], true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *roles, m coopbot.StaffMember) (Next, error) {
			a.Person, a.Name = m.ResidentID, m.Name
			return Goto("revoke_manager"), nil
		},
		More: func(ctx context.Context, c *Conv, a *roles) ([]coopbot.Button, error) {
			return []coopbot.Button{{Label: coopbot.M("roles.managers.appoint"), Data: "appoint"}}, nil
		},
		Other: func(ctx context.Context, c *Conv, a *roles, in Input) (Next, bool, error) {
			if in.Choice == "appoint" {
				return Goto("appoint"), true, nil
			}
			return Next{}, false, nil
		},
		Gone:    "roles.gone",
		Invalid: "roles.pick.invalid",
	}

	residents := List[roles, coopbot.Person]{
		Name:    "appoint",
		PerPage: rolesPerPage,
		Items: func(ctx context.Context, c *Conv, a *roles, page, per int) ([]coopbot.Person, int, error) {
			return s.NeighborhoodResidents(ctx, c.Profile.ResidentID, a.Nbh, c.Query(), page*per, per)
		},
		Title: func(ctx context.Context, c *Conv, a *roles, total int) ([]coopbot.Msg, error) {
			name, err := nbhName(ctx, a.Nbh, c.Lang())
			if err != nil {
				return nil, err
			}
			if total == 0 {
				return []coopbot.Msg{coopbot.M("roles.appoint.none", "Neighborhood", text.Isolate(name))}, nil
			}
			return []coopbot.Msg{coopbot.M("roles.appoint.title", "Neighborhood", text.Isolate(name))}, nil
		},
		Show: func(c *Conv, a *roles, p coopbot.Person) ([]coopbot.Msg, coopbot.Msg) { return nil, person(p) },
		ID:   func(p coopbot.Person) int64 { return p.ResidentID },
		Pick: func(ctx context.Context, c *Conv, a *roles, p coopbot.Person) (Next, error) {
			a.Person, a.Name = p.ResidentID, p.Name
			return Goto("appoint_ok"), nil
		},
		// A typed part of a name narrows the list to the residents it fits.
		Match: func(ctx context.Context, c *Conv, a *roles, typed string) ([]coopbot.Person, bool, error) {
			found, _, err := s.NeighborhoodResidents(ctx, c.Profile.ResidentID, a.Nbh, typed, 0, rolesPerPage+1)
			return found, false, err
		},
		Unmatched: "roles.appoint.not_found",
		Loose:     "roles.appoint.chosen",
		Gone:      "roles.gone",
		Invalid:   "roles.pick.invalid",
	}

	appointOK := confirmStep("appoint_ok", "roles.appoint.yes", func(c *Conv, a *roles) coopbot.Msg {
		return coopbot.M("roles.appoint.confirm", "Name", text.Isolate(a.Name))
	}, func(ctx context.Context, c *Conv, a *roles) (Next, error) {
		err := s.GrantManager(ctx, c.Profile.ResidentID, a.Person, a.Nbh)
		if next, ok := refused(err, "managers"); ok {
			return next, nil
		}
		if err != nil {
			return Next{}, err
		}
		return Goto("managers").Say(coopbot.Text(coopbot.M("roles.appoint.done", "Name", text.Isolate(a.Name)))), nil
	})

	revokeManager := confirmStep("revoke_manager", "roles.revoke.yes", func(c *Conv, a *roles) coopbot.Msg {
		return coopbot.M("roles.revoke.confirm", "Name", text.Isolate(a.Name))
	}, func(ctx context.Context, c *Conv, a *roles) (Next, error) {
		err := s.RevokeStaff(ctx, c.Profile.ResidentID, a.Person)
		if next, ok := refused(err, "managers"); ok {
			return next, nil
		}
		if err != nil {
			return Next{}, err
		}
		return Goto("managers").Say(coopbot.Text(coopbot.M("roles.revoke.done", "Name", text.Isolate(a.Name)))), nil
	})

	coopList := List[roles, coopbot.Cooperative]{
		Name:    "coop",
		PerPage: rolesPerPage,
		Items: func(ctx context.Context, c *Conv, a *roles, page, per int) ([]coopbot.Cooperative, int, error) {
			list, err := coops(ctx, c)
			return pageItems(list, page, per), len(list), err
		},
		Title: func(ctx context.Context, c *Conv, a *roles, total int) ([]coopbot.Msg, error) {
			return []coopbot.Msg{coopbot.M("roles.coop.prompt")}, nil
		},
		Show: func(c *Conv, a *roles, co coopbot.Cooperative) ([]coopbot.Msg, coopbot.Msg) {
			return nil, coopbot.Raw(text.Shorten(co.Name(c.Lang()), 40))
		},
		ID: func(co coopbot.Cooperative) int64 { return co.ID },
		Find: func(ctx context.Context, c *Conv, a *roles, id int64) (coopbot.Cooperative, bool, error) {
			list, err := coops(ctx, c)
			i := slices.IndexFunc(list, func(co coopbot.Cooperative) bool { return co.ID == id })
			if err != nil || i < 0 {
				return coopbot.Cooperative{}, false, err
			}
			return list[i], true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *roles, co coopbot.Cooperative) (Next, error) {
			a.Coop = co.ID
			return Goto("admins"), nil
		},
		Empty:   coopbot.M("roles.coop.none"),
		Gone:    "roles.coop_gone",
		Invalid: "roles.pick.invalid",
	}

	admins := List[roles, coopbot.Person]{
		Name:    "admins",
		PerPage: rolesPerPage,
		Items: func(ctx context.Context, c *Conv, a *roles, page, per int) ([]coopbot.Person, int, error) {
			list, err := s.CoopAdmins(ctx, c.Profile.ResidentID, a.Coop)
			return pageItems(list, page, per), len(list), err
		},
		Title: func(ctx context.Context, c *Conv, a *roles, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return []coopbot.Msg{coopbot.M("roles.admins.none")}, nil
			}
			return []coopbot.Msg{coopbot.M("roles.admins.title")}, nil
		},
		Show: func(c *Conv, a *roles, p coopbot.Person) ([]coopbot.Msg, coopbot.Msg) {
			return nil, coopbot.M("roles.revoke.button", "Name", text.Shorten(p.Name, 40))
		},
		ID: func(p coopbot.Person) int64 { return p.ResidentID },
		Find: func(ctx context.Context, c *Conv, a *roles, id int64) (coopbot.Person, bool, error) {
			list, err := s.CoopAdmins(ctx, c.Profile.ResidentID, a.Coop)
			i := slices.IndexFunc(list, func(p coopbot.Person) bool { return p.ResidentID == id })
			if err != nil || i < 0 {
				return coopbot.Person{}, false, err
			}
			return list[i], true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *roles, p coopbot.Person) (Next, error) {
			a.Person, a.Name = p.ResidentID, p.Name
			return Goto("revoke_admin"), nil
		},
		More: func(ctx context.Context, c *Conv, a *roles) ([]coopbot.Button, error) {
			return []coopbot.Button{{Label: coopbot.M("roles.invites.button"), Data: "invites"},
				joinExportButton(coopbot.Cooperative{ID: a.Coop}, false)}, nil
		},
		Other: func(ctx context.Context, c *Conv, a *roles, in Input) (Next, bool, error) {
			if in.Choice == "invites" {
				return Goto("invites"), true, nil
			}
			return Next{}, false, nil
		},
		Gone:    "roles.gone",
		Invalid: "roles.pick.invalid",
	}

	revokeAdmin := confirmStep("revoke_admin", "roles.revoke.yes", func(c *Conv, a *roles) coopbot.Msg {
		return coopbot.M("roles.revoke_admin.confirm", "Name", text.Isolate(a.Name))
	}, func(ctx context.Context, c *Conv, a *roles) (Next, error) {
		err := s.RevokeCoopAdmin(ctx, c.Profile.ResidentID, a.Coop, a.Person)
		if next, ok := refused(err, "admins"); ok {
			return next, nil
		}
		if err != nil {
			return Next{}, err
		}
		return Goto("admins").Say(coopbot.Text(coopbot.M("roles.revoke.done", "Name", text.Isolate(a.Name)))), nil
	})

	invites := List[roles, coopbot.Invite]{
		Name:    "invites",
		PerPage: rolesPerPage,
		Items: func(ctx context.Context, c *Conv, a *roles, page, per int) ([]coopbot.Invite, int, error) {
			list, err := s.CoopInvites(ctx, c.Profile.ResidentID, a.Coop)
			return pageItems(list, page, per), len(list), err
		},
		Title: func(ctx context.Context, c *Conv, a *roles, total int) ([]coopbot.Msg, error) {
			if total == 0 {
				return []coopbot.Msg{coopbot.M("roles.invites.none")}, nil
			}
			return []coopbot.Msg{coopbot.M("roles.invites.title")}, nil
		},
		Show: func(c *Conv, a *roles, v coopbot.Invite) ([]coopbot.Msg, coopbot.Msg) {
			return []coopbot.Msg{coopbot.M("roles.invites.item", "Name", text.Isolate(v.CreatedBy), "Made", whenText(v.CreatedAt), "Ends", whenText(v.ExpiresAt))},
				coopbot.M("roles.invites.revoke", "Made", whenText(v.CreatedAt))
		},
		ID: func(v coopbot.Invite) int64 { return v.ID },
		Find: func(ctx context.Context, c *Conv, a *roles, id int64) (coopbot.Invite, bool, error) {
			list, err := s.CoopInvites(ctx, c.Profile.ResidentID, a.Coop)
			i := slices.IndexFunc(list, func(v coopbot.Invite) bool { return v.ID == id })
			if err != nil || i < 0 {
				return coopbot.Invite{}, false, err
			}
			return list[i], true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *roles, v coopbot.Invite) (Next, error) {
			a.Invite = v.ID
			return Goto("revoke_invite"), nil
		},
		Gone:    "roles.gone",
		Invalid: "roles.pick.invalid",
	}

	revokeInvite := confirmStep("revoke_invite", "roles.invites.yes", func(c *Conv, a *roles) coopbot.Msg {
		return coopbot.M("roles.invites.confirm")
	}, func(ctx context.Context, c *Conv, a *roles) (Next, error) {
		err := s.RevokeCoopInvite(ctx, c.Profile.ResidentID, a.Invite)
		if next, ok := refused(err, "invites"); ok {
			return next, nil
		}
		if err != nil {
			return Next{}, err
		}
		return Goto("invites").Say(coopbot.Text(coopbot.M("roles.invites.done"))), nil
	})

	staff := Step[roles]{
		Name: "staff",
		Ask: func(ctx context.Context, c *Conv, a *roles) (coopbot.Reply, error) {
			all, err := s.StaffMembers(ctx, c.Profile.ResidentID)
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("roles.staff.title").WithCount(len(all)))
			for _, m := range all {
				line := coopbot.M("roles.staff.office", "Name", text.Isolate(m.Name))
				if m.Role == coopbot.RoleNeighborhoodManager {
					name, err := nbhName(ctx, m.NeighborhoodID, c.Lang())
					if err != nil {
						return coopbot.Reply{}, err
					}
					line = coopbot.M("roles.staff.manager", "Name", text.Isolate(m.Name), "Neighborhood", text.Isolate(name))
				}
				if !m.Revocable() {
					line = coopbot.M("roles.staff.config", "Line", line)
				}
				r.Text = append(r.Text, line)
			}
			r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("common.back"), Data: ChoiceBack}}}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *roles, in Input) (Next, error) {
			return Retry("roles.staff.invalid"), nil
		},
	}

	return feature{
		flows: []flowDef{&Flow[roles]{Name: FlowRoles, Gate: staffGate(d), Steps: []Step[roles]{
			home, nbh.Step(), managerList.Step(), residents.Step(), appointOK, revokeManager,
			coopList.Step(), admins.Step(), revokeAdmin, invites.Step(), revokeInvite, staff,
		}}},
		menu: []MenuItem{{Label: "roles.menu", Value: "roles", Visible: staffOnly,
			Open: func(ctx context.Context, c *Conv) (Next, error) { return Start(FlowRoles, nil), nil }}},
	}
}
