package coopbot

import (
	"slices"
	"strings"
	"time"

	"coopbot/text"
)

// Livelihood needs: a resident reports a need (category, household, description, urgency,
// where), staff move the report through its statuses and the resident is told of each
// change.

// NeedReport is a resident's report of a livelihood need. Description, Address and the
// location are personal data: sealed at rest, never logged, shown only to the resident and
// to staff whose scope covers the report's neighborhood.
type NeedReport struct {
	ID             int64
	Code           string // tracking code: six ASCII digits, the first not zero
	ResidentID     int64
	NeighborhoodID int64 // the resident's neighborhood when the report was submitted
	SubmitKey      string
	Category       NeedCategory
	Household      int // people in the household, 1..30
	Urgency        NeedUrgency
	Description    string
	Address        string // typed address; "" when none
	HasLocation    bool
	Lat, Lon       float64
	Status         NeedStatus
	ReferredTo     string // whom the report was referred to, when it was
	CreatedAt      time.Time
	UpdatedAt      time.Time
	History        []NeedEvent // oldest first; the first is the submission

	// Filled for staff only (the export: the name, not the phone).
	ReporterName  string // the name the office knows the resident by
	ReporterPhone string // E.164 or ""
}

// NeedEvent is one entry of a report's history: its submission or a status change.
type NeedEvent struct {
	ID         int64
	At         time.Time
	Status     NeedStatus
	ReferredTo string
	Note       string
	ActorID    int64  // 0: the resident's own submission
	ActorName  string // the staff member's name, for staff views
}

// NeedStatus is where a report is in its handling.
type NeedStatus string

// Statuses of a need report.
const (
	NeedReceived  NeedStatus = "received"
	NeedReviewing NeedStatus = "reviewing"
	NeedReferred  NeedStatus = "referred"
	NeedResolved  NeedStatus = "resolved"
	NeedClosed    NeedStatus = "closed"
)

// NeedStatuses lists the statuses in workflow order.
var NeedStatuses = []NeedStatus{NeedReceived, NeedReviewing, NeedReferred, NeedResolved, NeedClosed}

func (s NeedStatus) rank() int {
	switch s {
	case NeedReceived:
		return 0
	case NeedReviewing:
		return 1
	case NeedReferred:
		return 2
	case NeedResolved, NeedClosed:
		return 3
	}
	return -1
}

// Valid reports whether s is one of NeedStatuses.
func (s NeedStatus) Valid() bool { return s.rank() >= 0 }

// CanMoveTo reports whether a report may move from s to to: forward only (received →
// reviewing → referred → resolved or closed, steps may be skipped); resolved and closed
// are final.
func (s NeedStatus) CanMoveTo(to NeedStatus) bool {
	f, t := s.rank(), to.rank()
	return f >= 0 && f < 3 && t > f
}

// NeedCategory is the kind of need.
type NeedCategory string

// NeedCategories are the categories of need, in the order residents see them.
var NeedCategories = []NeedCategory{"employment", "food", "housing", "health", "education", "debt", "disability", "other"}

// Valid reports whether c is one of NeedCategories.
func (c NeedCategory) Valid() bool { return slices.Contains(NeedCategories, c) }

// NeedUrgency is how soon help is needed: lower is more urgent (the staff queue is
// ordered by it).
type NeedUrgency int

// Urgencies of a need report.
const (
	NeedUrgent NeedUrgency = 1
	NeedSoon   NeedUrgency = 2
	NeedNormal NeedUrgency = 3
)

// NeedUrgencies lists the urgencies, most urgent first.
var NeedUrgencies = []NeedUrgency{NeedUrgent, NeedSoon, NeedNormal}

// Valid reports whether u is one of NeedUrgencies.
func (u NeedUrgency) Valid() bool { return u >= NeedUrgent && u <= NeedNormal }

// NeedFilter narrows the staff inbox. Zero values mean "all" (within the staff scope).
type NeedFilter struct {
	Neighborhood int64
	Category     NeedCategory
	Statuses     []NeedStatus
}

// Matches reports whether r passes the filter.
func (f NeedFilter) Matches(r *NeedReport) bool {
	return (f.Neighborhood == 0 || r.NeighborhoodID == f.Neighborhood) &&
		(f.Category == "" || r.Category == f.Category) &&
		(len(f.Statuses) == 0 || slices.Contains(f.Statuses, r.Status))
}

// NeedCard is one report of the staff inbox with its place in the filtered queue.
type NeedCard struct {
	Report     *NeedReport // nil when nothing matches
	Prev, Next int64       // neighbors in the queue; 0 when none
	Pos        int         // 1-based position of Report in the queue; 0 when it does not match
	Total      int         // reports matching the filter
}

// NeedChange is a status change made by staff.
type NeedChange struct {
	ReportID   int64
	From, To   NeedStatus
	ReferredTo string // when To is NeedReferred
	Note       string // shown to the resident
}

// NeedCount is the number of reports of one neighborhood, category and status.
type NeedCount struct {
	Neighborhood int64
	Category     NeedCategory
	Status       NeedStatus
	N            int
}

// The notices of need reports.
const (
	// NoticeNeedNew tells the staff responsible for a neighborhood of a new report (ID),
	// with buttons to open it and to start reviewing it.
	NoticeNeedNew NoticeKind = "need_new"
	// NoticeNeedStatus tells a resident that their report (ID) changed status; N: the id
	// of that change in the report's history (NeedEvent.ID).
	NoticeNeedStatus NoticeKind = "need_status"
)

// ParseNeedCode reads a tracking code typed in any digit script, with spaces or dashes:
// six digits, the first not zero. It returns the code in ASCII digits.
func ParseNeedCode(s string) (string, bool) {
	d := text.Digits(text.Clean(s))
	d = strings.NewReplacer(" ", "", "-", "", "_", "", "#", "").Replace(d)
	if len(d) != 6 || d[0] == '0' {
		return "", false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return "", false
		}
	}
	return d, true
}
