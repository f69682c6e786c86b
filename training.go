package coopbot

import "time"

// TrainingStatus is whether a training still takes place.
type TrainingStatus string

// Training statuses. A cancelled training keeps its enrolments so residents see what
// happened to it.
const (
	TrainingPublished TrainingStatus = "published"
	TrainingCancelled TrainingStatus = "cancelled"
)

// Training is a session the office holds in a neighborhood (a mosque, a municipality hall,
// a community group). Title, description and the note on who it is for exist in both
// languages; the venue and its address are written once, as staff typed them.
type Training struct {
	ID             int64
	NeighborhoodID int64
	TitleFa        string
	TitleAz        string
	DescriptionFa  string
	DescriptionAz  string
	VenueName      string
	VenueAddress   string
	AudienceFa     string // who it is for; optional, and then in both languages
	AudienceAz     string // "" also for notes written before they were asked in Azeri
	StartsAt       time.Time
	Duration       time.Duration
	Capacity       int
	SeatsTaken     int // confirmed enrolments
	Waitlisted     int // enrolments waiting for a seat
	Status         TrainingStatus
	// Rev counts edits: an edit made on an older revision is refused, and reminders
	// scheduled for an older revision are not sent.
	Rev       int
	CreatedBy int64 // 0 for demo data
}

// Title returns the title in lang.
func (t *Training) Title(l Lang) string {
	if l == Azeri && t.TitleAz != "" {
		return t.TitleAz
	}
	return t.TitleFa
}

// Description returns the description in lang.
func (t *Training) Description(l Lang) string {
	if l == Azeri && t.DescriptionAz != "" {
		return t.DescriptionAz
	}
	return t.DescriptionFa
}

// Audience returns who the training is for in lang ("" when the training is for everyone).
// A note that has no Azeri text yet is shown in Persian.
func (t *Training) Audience(l Lang) string {
	if l == Azeri && t.AudienceAz != "" {
		return t.AudienceAz
	}
	return t.AudienceFa
}

// SeatsLeft is the number of seats still free (never negative).
func (t *Training) SeatsLeft() int { return max(0, t.Capacity-t.SeatsTaken) }

// Started reports whether the training has begun at now: from then on nobody signs up.
func (t *Training) Started(now time.Time) bool { return !now.Before(t.StartsAt) }

// EndsAt is when the training is over.
func (t *Training) EndsAt() time.Time { return t.StartsAt.Add(t.Duration) }

// EnrollmentStatus is where a resident stands for a training.
type EnrollmentStatus string

// Enrollment statuses. Wait-listed residents are confirmed in arrival order as seats free.
const (
	EnrollmentConfirmed  EnrollmentStatus = "confirmed"
	EnrollmentWaitlisted EnrollmentStatus = "waitlisted"
	EnrollmentCancelled  EnrollmentStatus = "cancelled"
)

// Enrollment is a resident's sign-up for a training.
type Enrollment struct {
	ID         int64
	TrainingID int64
	ResidentID int64
	Status     EnrollmentStatus
	Position   int   // place on the wait-list (1 = next to get a seat); 0 unless wait-listed
	Already    bool  // SignUp found an enrolment made before (a second press)
	Attended   *bool // nil until staff mark attendance
	CreatedAt  time.Time
	Training   *Training // set when enrolments are listed with their trainings
}

// Enrollee is an enrolment as staff see it: with the resident's name and contact.
// Phone is personal data: it goes to staff screens and exports, never to logs.
type Enrollee struct {
	Enrollment
	Name           string
	Phone          string
	Lang           Lang
	NeighborhoodID int64
}

// Reminder kinds: the day before (same clock time, Tehran) and two hours before.
const (
	ReminderDayBefore = "day"
	ReminderHours     = "hours"
)

// ReminderSlot is a group of scheduled reminders of one training: kind, the instant they
// are due, and how many are waiting and how many were worked already.
type ReminderSlot struct {
	Kind    string
	At      time.Time
	Pending int
	Done    int
}

// The notices about trainings; each names the training (ID) and is rendered from the
// training as it stands when it is sent, in the reader's language.
const (
	// NoticeTrainingCancelled tells an enrollee that the office cancelled the training.
	NoticeTrainingCancelled NoticeKind = "training_cancelled"
	// NoticeTrainingChanged tells an enrollee the training's new details after an edit.
	NoticeTrainingChanged NoticeKind = "training_changed"
	// NoticeTrainingPromoted tells the first on the wait-list that a seat is theirs.
	NoticeTrainingPromoted NoticeKind = "training_promoted"
	// NoticeTrainingReminderDay reminds a confirmed enrollee the day before.
	NoticeTrainingReminderDay NoticeKind = "training_reminder_day"
	// NoticeTrainingReminderHours reminds a confirmed enrollee two hours before.
	NoticeTrainingReminderHours NoticeKind = "training_reminder_hours"
)
