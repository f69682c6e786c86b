package coopbot

// Notice is a message to a resident named by what it is about, not by its words: the
// stores queue notices with the record that causes them, and the conversation layer
// renders each in the resident's language when it is sent, from the records as they
// stand then. A notice carries ids and numbers only, so no personal data and no wording
// sits in the job table.
type Notice struct {
	Kind NoticeKind `json:"kind"`
	ID   int64      `json:"id,omitempty"` // the record it is about
	N    []int64    `json:"n,omitempty"`  // numbers the kind needs, in the order its renderer documents
}

// NoticeKind names what a notice is about; each kind has one renderer. Kinds are
// snake_case words, never message IDs (which have dots).
type NoticeKind string

// The notices of joining a cooperative.
const (
	// NoticeJoinCard shows a new request (ID) to a cooperative admin, with the buttons to
	// decide it.
	NoticeJoinCard NoticeKind = "join_card"
	// NoticeJoinReminder reminds a cooperative's (ID) admins of its pending requests;
	// N: how many are pending, and the number of days after which a request counts as old.
	NoticeJoinReminder NoticeKind = "join_reminder"
	// NoticeJoinDecision tells the applicant how their request (ID) was decided, with the
	// reason of a rejection.
	NoticeJoinDecision NoticeKind = "join_decision"
)

// The notices of roles.
const (
	// NoticeManagerGranted tells a resident they now manage a neighborhood (ID).
	NoticeManagerGranted NoticeKind = "manager_granted"
	// NoticeRoleRevoked tells a person the office took their role back (ID: the
	// cooperative, for a cooperative admin; 0 for a staff role).
	NoticeRoleRevoked NoticeKind = "role_revoked"
)

// The notices of need reports.
const (
	// NoticeNeedNew tells the staff responsible for a neighborhood of a new report (ID),
	// with buttons to open it and to start reviewing it.
	NoticeNeedNew NoticeKind = "need_new"
	// NoticeNeedStatus tells a resident that their report (ID) changed status; N: the id
	// of that change in the report's history (NeedEvent.ID).
	NoticeNeedStatus NoticeKind = "need_status"
	// NoticeNeedEscalation reminds staff of an urgent report (ID) still at "received";
	// N: the level (1 to the neighborhood's managers, 2 to the office staff) and the
	// hours it had waited when the reminder was queued.
	NoticeNeedEscalation NoticeKind = "need_escalation"
)
