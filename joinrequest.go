package coopbot

import "time"

// JoinStatus is where a membership request stands.
type JoinStatus string

// The states of a membership request. Only a pending request can be decided or withdrawn;
// a resident has at most one pending request per cooperative.
const (
	JoinPending   JoinStatus = "pending"
	JoinApproved  JoinStatus = "approved"
	JoinRejected  JoinStatus = "rejected"
	JoinWithdrawn JoinStatus = "withdrawn"
)

// JoinRequest is a resident's request to become a member of a cooperative. NationalID and
// Phone are personal data: sealed at rest, shown only to the cooperative's admins and
// staff, never logged.
type JoinRequest struct {
	ID            int64
	CooperativeID int64
	Cooperative   Cooperative // filled by reads
	ResidentID    int64
	FullName      string
	NationalID    string // 10 ASCII digits; empty in lists that do not open it
	Phone         string // E.164; empty in lists that do not open it
	Share         int64  // pledged share, rials
	Skills        []string
	SkillsOther   string // the resident's own words
	Status        JoinStatus
	DecidedBy     int64 // the admin or staff member who decided (the resident for a withdrawal)
	DeciderName   string
	DecidedAt     time.Time
	ReasonCode    string // rejection reason from the short list, or "other"
	ReasonText    string // rejection reason in the decider's own words
	CreatedAt     time.Time
}

// JoinRoute is who a new request was sent to for a decision.
type JoinRoute string

// The routes of a new request.
const (
	// JoinToAdmins: the cooperative's admins decide.
	JoinToAdmins JoinRoute = "admins"
	// JoinToOffice: the cooperative has no admin (but the applicant) yet, so the office's
	// staff get it, to decide or pass on.
	JoinToOffice JoinRoute = "office"
)
