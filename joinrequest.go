package coopbot

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

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
	ReasonCode    RejectReason // with a rejection
	ReasonText    string       // rejection reason in the decider's own words
	CreatedAt     time.Time
	// Overdue: still pending past the time its cooperative's deciders are reminded of it
	// (filled by reads).
	Overdue bool
	// Elsewhere are the other open requests and memberships under the same national ID,
	// one per cooperative (filled by the read that opens personal data). What the
	// cooperative's admins read of them names the cooperatives, never the ID.
	Elsewhere []JoinElsewhere
}

// JoinElsewhere is a cooperative where a request's national ID has also applied (a
// pending request) or is a member (an approved one).
type JoinElsewhere struct {
	Cooperative Cooperative
	Member      bool
	// Same: the request's own cooperative, under another account (requests from before
	// a national ID was refused there a second time).
	Same bool
}

// DaysWaiting is how many whole days the request has waited at now.
func (r *JoinRequest) DaysWaiting(now time.Time) int {
	if d := now.Sub(r.CreatedAt); d > 0 {
		return int(d / (24 * time.Hour))
	}
	return 0
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

// RejectReason is why a request was rejected: one of the short list RejectReasons, or
// RejectOther with the decider's own words.
type RejectReason string

// The reasons a request is rejected for.
const (
	RejectIncomplete RejectReason = "incomplete" // the request's information is incomplete or wrong
	RejectNotLocal   RejectReason = "not_local"  // the applicant does not live in the cooperative's area
	RejectCapacity   RejectReason = "capacity"   // the cooperative takes no more members for now
	RejectShare      RejectReason = "share"      // the share does not fit the cooperative's terms
	RejectSkills     RejectReason = "skills"     // the occupation does not fit the cooperative's activity
	RejectOther      RejectReason = "other"      // in the decider's own words
)

// RejectReasons is the short list offered to deciders, in order.
var RejectReasons = []RejectReason{RejectIncomplete, RejectNotLocal, RejectCapacity, RejectShare, RejectSkills}

// Listed reports whether r is on the short list.
func (r RejectReason) Listed() bool { return slices.Contains(RejectReasons, r) }

// MaxReasonText bounds a rejection reason in the decider's own words, in characters.
const MaxReasonText = 300

// JoinDecision is a cooperative admin's (or staff's) decision on a pending request.
type JoinDecision struct {
	RequestID  int64
	ActorID    int64
	Approve    bool
	ReasonCode RejectReason // with a rejection
	ReasonText string       // with RejectOther: the decider's own words
}

// Status is where the decision puts the request.
func (d JoinDecision) Status() JoinStatus {
	if d.Approve {
		return JoinApproved
	}
	return JoinRejected
}

// Check refuses a decision the rules do not allow (invalid): an approval carries no
// reason; a rejection carries one of the short list, or RejectOther with words of its
// own of at most MaxReasonText characters.
func (d JoinDecision) Check() error {
	n := utf8.RuneCountInString(strings.TrimSpace(d.ReasonText))
	var ok bool
	switch {
	case d.Approve:
		ok = d.ReasonCode == "" && n == 0
	case d.ReasonCode == RejectOther:
		ok = n > 0 && n <= MaxReasonText
	default:
		ok = d.ReasonCode.Listed() && n == 0
	}
	if !ok {
		return &Error{Code: EInvalid, Err: fmt.Errorf("join decision: %s with reason %q and %d characters of text", d.Status(), d.ReasonCode, n)}
	}
	return nil
}
