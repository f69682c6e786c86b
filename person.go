package coopbot

import "time"

// Person is a resident as the office lists them: by the name it knows them by (their
// latest membership request's full name, else the messenger's), never with their phone
// or national ID.
type Person struct {
	ResidentID int64
	Name       string
	Platform   Platform
}

// StaffMember is a person with a staff role. Source says who gave it: "config" (the
// ADMINS setting, changed only there) or "app" (granted in the chat, revocable there).
type StaffMember struct {
	Person
	Role           Role
	NeighborhoodID int64 // a neighborhood manager's neighborhood
	Source         string
}

// Revocable reports whether the role can be taken away in the chat (a role from ADMINS
// goes when ADMINS no longer names the person).
func (m StaffMember) Revocable() bool { return m.Source != "config" }

// Invite is an unused invite code of a cooperative: only who made it and when it ends
// are known (the code itself is stored as a keyed hash).
type Invite struct {
	ID        int64
	CoopID    int64
	CreatedBy string // the name of the staff member who made it
	CreatedAt time.Time
	ExpiresAt time.Time
}
