package coopbot

import (
	"slices"
	"time"
)

// The office's web console: staff, neighborhood managers and cooperative admins sign in
// through a one-time link the bot sends them; the link opens a session of one browser.
// What a page shows and what an action may do is decided by the same stores and rules as
// the chat's (the staff role and scope, NeedStatus.CanMoveTo, …), read afresh on every
// request.

// Lifetimes of the console's sign-in link and of a session it opens.
const (
	ConsoleLinkTTL    = 10 * time.Minute
	ConsoleSessionTTL = 8 * time.Hour
)

// ConsoleLink is a one-time sign-in link's secret (only its keyed hash is stored) and
// when it stops working.
type ConsoleLink struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ConsoleSession is a signed-in browser: whose, in which language, until when. Token is
// set only when the session is opened (the cookie's value; only its hash is stored).
type ConsoleSession struct {
	ID         int64
	Token      string
	ResidentID int64
	Lang       Lang
	ExpiresAt  time.Time
}

// ResidentsCount is how many residents live in a neighborhood.
type ResidentsCount struct {
	Neighborhood int64
	N            int
}

// WeekActivity is what happened in one week (Saturday to Friday, Tehran) within a staff
// scope: residents who signed up, need reports, membership requests and training
// sign-ups.
type WeekActivity struct {
	Start       time.Time // Saturday 00:00, Tehran
	Residents   int
	Needs       int
	Joins       int
	Enrollments int
}

// PendingJoins is how many membership requests of a cooperative wait for a decision.
type PendingJoins struct {
	Cooperative Cooperative
	N           int
}

// NeedSort is the order of a list of need reports.
type NeedSort string

// Orders of a need list: the staff queue (most urgent, then oldest), newest, oldest.
const (
	NeedByUrgency NeedSort = "urgency"
	NeedNewest    NeedSort = "newest"
	NeedOldest    NeedSort = "oldest"
)

// NeedSorts lists the orders, the default first.
var NeedSorts = []NeedSort{NeedByUrgency, NeedNewest, NeedOldest}

// Valid reports whether s is one of NeedSorts.
func (s NeedSort) Valid() bool { return slices.Contains(NeedSorts, s) }

// AuditEntry is one row of the audit log as the office reads it.
type AuditEntry struct {
	ID        int64
	At        time.Time
	ActorID   int64
	ActorName string
	Action    string
	Subject   string
	Allowed   bool
	Detail    string // JSON
}

// AuditFilter narrows the audit log. Zero values mean "all".
type AuditFilter struct {
	Action  string
	ActorID int64
	Allowed *bool
}
