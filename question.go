package coopbot

import "time"

// Residents' questions to the office: a resident writes a question or a complaint (text,
// optionally one photo), it lands in the staff inbox of their neighborhood, staff answer
// it in the chat and the resident is told each answer; staff close it when it is dealt
// with. Staff may also write to the resident behind a need report or a membership request
// (OfficeMessage). Bodies and answers are personal data: sealed at rest, never logged,
// emptied by an erasure.

// Limits of what is typed, in runes.
const (
	QuestionBodyMin   = 3
	QuestionBodyMax   = 1000
	QuestionAnswerMax = 1000
	OfficeMessageMax  = 1000
)

// QuestionStatus is where a question is in its handling.
type QuestionStatus string

// Statuses of a question: open until staff answer it, answered (staff may answer again),
// closed by staff (no more answers).
const (
	QuestionOpen     QuestionStatus = "open"
	QuestionAnswered QuestionStatus = "answered"
	QuestionClosed   QuestionStatus = "closed"
)

// QuestionStatuses lists the statuses in workflow order.
var QuestionStatuses = []QuestionStatus{QuestionOpen, QuestionAnswered, QuestionClosed}

// Valid reports whether s is one of QuestionStatuses.
func (s QuestionStatus) Valid() bool {
	return s == QuestionOpen || s == QuestionAnswered || s == QuestionClosed
}

// Question is a resident's question or complaint to the office.
type Question struct {
	ID             int64
	ResidentID     int64
	NeighborhoodID int64 // the resident's neighborhood when they asked; 0 when none
	// SubmitKey is one per question being written: a submission retried after a failure
	// finds the question it already created.
	SubmitKey string
	Body      string
	Photo     *File // nil when none
	Status    QuestionStatus
	CreatedAt time.Time
	UpdatedAt time.Time
	Answers   []QuestionAnswer // oldest first

	// Filled for staff only.
	AskerName string // the name the office knows the resident by
}

// QuestionAnswer is one answer staff wrote to a question.
type QuestionAnswer struct {
	ID         int64
	At         time.Time
	Body       string
	AuthorID   int64
	AuthorName string // for staff views
}

// QuestionSummary is one of a resident's questions as their data summary names it.
type QuestionSummary struct {
	ID        int64
	Status    QuestionStatus
	Answers   int
	CreatedAt time.Time
}

// OfficeAbout names the record an office message is about.
type OfficeAbout string

// What an office message can be about.
const (
	AboutNeed        OfficeAbout = "need"
	AboutJoinRequest OfficeAbout = "join_request"
	AboutEnrollment  OfficeAbout = "enrollment" // a training enrolment (AboutID: training_enrollments.id)
)

// OfficeMessage is a message staff (or a cooperative's admins, for a membership request;
// or a training neighborhood's manager, for an enrolment) wrote to the resident behind a
// record.
type OfficeMessage struct {
	ID         int64
	ResidentID int64 // the addressee
	AuthorID   int64
	About      OfficeAbout
	AboutID    int64
	TrainingID int64 // the enrolment's training, for a message about an enrolment
	Body       string
	CreatedAt  time.Time
}

// The notices of questions and office messages.
const (
	// NoticeQuestionNew tells staff of a new question (ID) in their scope.
	NoticeQuestionNew NoticeKind = "question_new"
	// NoticeQuestionAnswer tells the resident of an answer to their question (ID);
	// N: the answer's id.
	NoticeQuestionAnswer NoticeKind = "question_answer"
	// NoticeOfficeMessage delivers an office message (ID) to its resident.
	NoticeOfficeMessage NoticeKind = "office_message"
)
