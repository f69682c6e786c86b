package flows_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"coopbot"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// hasButton reports whether the newest message offers a button with message id's label.
func hasButton(u *chattest.User, id string, kv ...any) bool {
	return slices.Contains(u.Buttons(), u.Text(id, kv...))
}

// Staff appoint a neighborhood manager from the chat; the new manager (an Azeri speaker)
// is told, has the staff entries at their next update, and loses them at the update after
// staff take the role back.
func TestStaffAppointAndRemoveANeighborhoodManager(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(2101)})
	staff := h.User(2101)
	staff.Onboard("سرخاب")
	m := h.User(2102).Speaks(coopbot.Azeri)
	m.Onboard("مارالان")
	if hasButton(m, "roles.menu") {
		t.Fatal("a resident sees people and roles")
	}
	nbAz := ""
	list, _ := h.DB.Neighborhoods(context.Background())
	for _, n := range list {
		if n.NameFa == "مارالان" {
			nbAz = n.NameAz
		}
	}

	staff.Press("roles.menu")
	staff.Sees("roles.home")
	staff.Press("roles.home.managers")
	staff.Sees("onboarding.neighborhood.prompt")
	staff.Send("مارالان")
	staff.Sees("roles.managers.none", "Neighborhood", text.Isolate("مارالان"))
	staff.Press("roles.managers.appoint")
	staff.Sees("roles.appoint.title", "Neighborhood", text.Isolate("مارالان"))
	name := m.E.FirstName()
	staff.PressLabel(name)
	staff.Sees("roles.appoint.confirm", "Name", text.Isolate(name))
	staff.Press("roles.appoint.yes")
	staff.Sees("roles.appoint.done", "Name", text.Isolate(name))
	staff.Sees("roles.managers.title", "Neighborhood", text.Isolate("مارالان"))

	m.Sees("roles.notice.manager", "Neighborhood", text.Isolate(nbAz))
	m.Send("/menu")
	m.Sees("menu.title")
	if !hasButton(m, "roles.menu") {
		t.Fatalf("the new manager's menu lacks the staff entries: %q", m.Buttons())
	}
	// A manager looks after their neighborhood's cooperatives, not the office's staff.
	m.Press("roles.menu")
	m.Sees("roles.home")
	if hasButton(m, "roles.home.managers") || hasButton(m, "roles.home.staff") {
		t.Fatalf("a manager is offered office-wide entries: %q", m.Buttons())
	}

	staff.PressLabel(staff.Text("roles.revoke.button", "Name", text.Shorten(name, 40)))
	staff.Sees("roles.revoke.confirm", "Name", text.Isolate(name))
	staff.Press("roles.revoke.yes")
	staff.Sees("roles.revoke.done", "Name", text.Isolate(name))
	m.Sees("roles.notice.revoked")
	// Mid-flow, the next press finds the role gone.
	m.Press("roles.home.coops")
	m.Sees("roles.denied")
	m.Sees("menu.title")
	if hasButton(m, "roles.menu") {
		t.Fatalf("the removed manager still sees people and roles: %q", m.Buttons())
	}
	var grants, revokes int
	h.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE action = 'manager_grant'), count(*) FILTER (WHERE action = 'staff_revoke') FROM audit_log WHERE allowed`).Scan(&grants, &revokes)
	if grants != 1 || revokes != 1 {
		t.Fatalf("audited %d grants and %d revocations, want one each", grants, revokes)
	}
}

// Staff see a cooperative's admins and unused invite codes and take them back; a revoked
// code sent later is not valid, and the removed admin no longer sees pending requests.
func TestStaffRevokeACooperativeAdminAndAnInvite(t *testing.T) {
	t.Parallel()
	e := newJoinEnv(t)
	admin := e.admin(2111, coopbot.Persian, techFa)
	code := e.invite(techFa) // a second code, left unused
	e.staff.Press("roles.menu")
	e.staff.Sees("roles.home")
	e.staff.Press("roles.home.coops")
	e.staff.Sees("roles.coop.prompt")
	e.staff.PressLabel(techFa)
	e.staff.Sees("roles.admins.title")
	e.staff.Press("roles.invites.button")
	e.staff.Sees("roles.invites.title")
	var revoke string
	for _, b := range e.staff.Buttons() {
		if strings.HasPrefix(b, "❌") {
			revoke = b
		}
	}
	if revoke == "" {
		t.Fatalf("no invite to revoke: %q", e.staff.Buttons())
	}
	e.staff.PressLabel(revoke)
	e.staff.Sees("roles.invites.confirm")
	e.staff.Press("roles.invites.yes")
	e.staff.Sees("roles.invites.done")
	e.staff.Sees("roles.invites.none")

	v := e.h.User(2112)
	v.Onboard("مارالان")
	v.Send(code)
	v.Sees("admin.invite.invalid")

	e.staff.Press("common.back")
	e.staff.Sees("roles.admins.title")
	e.staff.PressLabel(e.staff.Text("roles.revoke.button", "Name", text.Shorten(admin.E.FirstName(), 40)))
	e.staff.Sees("roles.revoke_admin.confirm", "Name", text.Isolate(admin.E.FirstName()))
	e.staff.Press("roles.revoke.yes")
	e.staff.Sees("roles.revoke.done", "Name", text.Isolate(admin.E.FirstName()))
	admin.Sees("roles.notice.admin_revoked", "Coop", text.Isolate(techFa))
	admin.Send("/menu")
	admin.Sees("menu.title")
	if hasButton(admin, "coop.pending.menu") {
		t.Fatalf("the removed admin still sees pending requests: %q", admin.Buttons())
	}
}

// Forged presses: an id of someone not on the list shown, and a resident without a role
// opening the flow by forged menu data, are refused; nothing changes.
func TestRolesRefuseForgedPresses(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(2121)})
	r := h.User(2122)
	r.Onboard("سرخاب")
	menu := r.E.Messages()[len(r.E.Messages())-1]
	seq := strings.SplitN(menu.Inline[0][0].Data, ":", 3)[1]
	r.E.PressData(menu.ID, "c:"+seq+":roles")
	r.Sees("menu.unknown")
	staff := h.User(2121)
	staff.Onboard("سرخاب")
	staff.Press("roles.menu")
	staff.Sees("roles.home")
	staff.Press("roles.home.managers")
	staff.Sees("onboarding.neighborhood.prompt")
	staff.Send("سرخاب")
	staff.Sees("roles.managers.none", "Neighborhood", text.Isolate("سرخاب"))
	last := staff.E.Messages()[len(staff.E.Messages())-1]
	for _, forged := range []string{"i:999999", "i:-3", "i:abc", "p:-1", "p:99999999999999999999"} {
		data := strings.SplitN(last.Inline[0][0].Data, ":", 3)
		staff.E.PressData(last.ID, data[0]+":"+data[1]+":"+forged)
	}
	staff.Send("/menu")
	staff.Sees("menu.title")
	var n int
	h.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM staff WHERE role = 'neighborhood_manager'`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d managers after forged presses", n)
	}
}
