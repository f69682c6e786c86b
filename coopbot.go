// Package coopbot holds the domain of the neighborhood cooperatives bot: the people it
// serves, the records it keeps and the application error type. It imports no adapter
// (Telegram, Redis, Postgres); the adapters in bot/, redis/ and postgres/ speak these types,
// and cmd/coopbot wires them together.
package coopbot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Platform is a messenger the bot runs on. A person is identified by (Platform, user id);
// update ids and user ids of different platforms are independent.
type Platform string

// The platforms coopbot serves.
const (
	Telegram Platform = "telegram"
	Bale     Platform = "bale"
)

// Valid reports whether p is a platform coopbot knows.
func (p Platform) Valid() bool { return p == Telegram || p == Bale }

// Lang is a resident's chosen language: the project's own two values, mapped to locale
// tags only inside the locales package.
type Lang string

// The two languages residents choose between at /start.
const (
	Persian Lang = "fa"
	Azeri   Lang = "az"
)

// Valid reports whether l is one of the two supported languages.
func (l Lang) Valid() bool { return l == Persian || l == Azeri }

// UserRef names a person on a platform.
type UserRef struct {
	Platform Platform
	UserID   int64
}

func (u UserRef) String() string { return string(u.Platform) + ":" + strconv.FormatInt(u.UserID, 10) }

// ParseUserRef parses "bale:123" or "telegram:456".
func ParseUserRef(s string) (UserRef, error) {
	p, id, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !Platform(p).Valid() {
		return UserRef{}, fmt.Errorf("%q: want platform:user_id with platform bale or telegram", s)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return UserRef{}, fmt.Errorf("%q: user id must be a positive whole number", s)
	}
	return UserRef{Platform: Platform(p), UserID: n}, nil
}

// Role is what a person may do beyond being a resident.
type Role string

// Staff roles. A neighborhood manager has staff rights limited to one neighborhood.
const (
	RoleStaff               Role = "staff"
	RoleNeighborhoodManager Role = "neighborhood_manager"
)

// Resident is a person who has talked to the bot. Phone and NationalID are personal data:
// they never go to logs.
type Resident struct {
	ID             int64
	Platform       Platform
	UserID         int64
	ChatID         int64
	Lang           Lang
	NeighborhoodID int64 // 0 when not chosen yet
	Name           string
	Phone          string // E.164, empty when not shared
	Unreachable    bool   // the bot was blocked or the chat vanished: skip sends
	CreatedAt      time.Time
}

// Ref returns the resident's platform identity.
func (r *Resident) Ref() UserRef { return UserRef{Platform: r.Platform, UserID: r.UserID} }

// Staff is a resident with office rights.
type Staff struct {
	ResidentID     int64
	Role           Role
	NeighborhoodID int64 // scope of a neighborhood manager; 0 for full staff
}

// CanSee reports whether this staff member may handle records of neighborhood n.
func (s *Staff) CanSee(n int64) bool {
	return s != nil && (s.Role == RoleStaff || s.NeighborhoodID == n)
}

// Neighborhood is a محله of a city, named in both languages.
type Neighborhood struct {
	ID     int64
	City   string
	NameFa string
	NameAz string
}

// Name returns the neighborhood's name in lang.
func (n Neighborhood) Name(l Lang) string {
	if l == Azeri && n.NameAz != "" {
		return n.NameAz
	}
	return n.NameFa
}

// Cooperative is a neighborhood cooperative residents can join.
type Cooperative struct {
	ID             int64
	NeighborhoodID int64
	NameFa         string
	NameAz         string
	ActivityFa     string
	ActivityAz     string
	MinShare       int64 // rials
	Members        int
}

// Name returns the cooperative's name in lang.
func (c Cooperative) Name(l Lang) string {
	if l == Azeri && c.NameAz != "" {
		return c.NameAz
	}
	return c.NameFa
}

// Activity returns the cooperative's activity in lang.
func (c Cooperative) Activity(l Lang) string {
	if l == Azeri && c.ActivityAz != "" {
		return c.ActivityAz
	}
	return c.ActivityFa
}

// Error codes of the application error, after WTF Dial.
const (
	EConflict    = "conflict"
	EInvalid     = "invalid"
	ENotFound    = "not_found"
	EForbidden   = "forbidden"
	EInternal    = "internal"
	EUnavailable = "unavailable"  // a dependency (Postgres, Redis, platform) did not answer: retry later
	EUnreachable = "unreachable"  // the person blocked the bot or the chat is gone: do not retry
	ERateLimited = "rate_limited" // the platform asked to wait RetryAfter
	EUncertain   = "uncertain"    // a send was written but no clear answer came: it may have been delivered
)

// Error is an application error. MsgID is the locale message shown to the user; it is
// never English text.
type Error struct {
	Code  string
	MsgID string
	Err   error // cause, for logs

	RetryAfter time.Duration // with ERateLimited
}

func (e *Error) Error() string {
	s := e.Code
	if e.MsgID != "" {
		s += " (" + e.MsgID + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an application error with a code and a message ID.
func Errorf(code, msgID string) *Error { return &Error{Code: code, MsgID: msgID} }

// ErrorCode returns the code of an application error, EInternal for any other error and
// "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMsgID returns the message ID of an application error, or "".
func ErrorMsgID(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.MsgID
	}
	return ""
}
