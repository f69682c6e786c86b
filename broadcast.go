package coopbot

import "time"

// Broadcasts: staff (and neighborhood managers, for their own neighborhood) send an
// announcement to an audience of residents. Confirming one queues a delivery per
// recipient; the broadcast runner sends them at the platform's rate, keeps the staff
// member's progress message and has the final report sent when it ended.

// AudienceKind is what an audience is made of.
type AudienceKind string

// Audience kinds.
const (
	AudienceAll           AudienceKind = "all"
	AudienceNeighborhoods AudienceKind = "neighborhoods"
	AudienceCooperative   AudienceKind = "cooperative"
	AudienceTraining      AudienceKind = "training"
	AudienceLang          AudienceKind = "lang"
)

// Audience is who a broadcast goes to: every resident, those of some neighborhoods, the
// approved members of a cooperative, those enrolled in a training (confirmed or on the
// wait-list), or those who speak one language. Residents marked unreachable are never
// part of it.
type Audience struct {
	Kind AudienceKind `json:"kind"`
	IDs  []int64      `json:"ids,omitempty"`  // neighborhoods, or the one cooperative or training
	Lang Lang         `json:"lang,omitempty"` // AudienceLang
}

// Neighborhood is the audience's neighborhood when it is exactly one (what a
// neighborhood manager may address), else 0.
func (a Audience) Neighborhood() int64 {
	if a.Kind == AudienceNeighborhoods && len(a.IDs) == 1 {
		return a.IDs[0]
	}
	return 0
}

// AudienceCount is how many residents of an audience use one platform and language.
type AudienceCount struct {
	Platform  Platform
	Lang      Lang
	Residents int
}

// AudienceChoice is a group an audience can be chosen from (a cooperative, a training),
// with its size.
type AudienceChoice struct {
	ID      int64
	NameFa  string
	NameAz  string
	Members int
	At      time.Time // a training's start
}

// Name returns the choice's name in l.
func (a AudienceChoice) Name(l Lang) string { return a.Names().In(l) }

// Names is the choice's name in both languages.
func (a AudienceChoice) Names() Names { return Names{Fa: a.NameFa, Az: a.NameAz} }

// ProgressMessage is the staff member's message that shows a broadcast's progress; a
// zero MessageID means none was sent yet (the runner posts one).
type ProgressMessage struct {
	Broadcast int64 // the broadcast it shows (set when read back)
	Platform  Platform
	ChatID    int64
	MessageID int
	Lang      Lang
}

// NewBroadcast is a confirmed broadcast.
type NewBroadcast struct {
	CreatedBy int64
	Audience  Audience
	TextFa    string // what Persian readers get; empty when no Persian reader is addressed
	TextAz    string // what Azeri readers get
	// File, when set, is a photo or document sent with the text as its caption (the text
	// then fits a caption: MaxCaption).
	File *File
	// Button, when set, is the button under the announcement.
	Button   *BroadcastButton
	StartAt  time.Time
	Progress ProgressMessage
	// Key, when set, is the one-time key of the form that sends it (the web console's):
	// the same author's same Key again creates nothing and finds the first broadcast.
	Key string
}

// MaxCaption is the platforms' limit for a photo's or document's caption, in UTF-16
// code units: the text of a broadcast with a file fits it.
const MaxCaption = 1024

// ButtonKind is what a broadcast's button opens for the resident who presses it.
type ButtonKind string

// Button kinds: the sign-up of a training, the membership form of a cooperative.
const (
	ButtonTraining    ButtonKind = "training"
	ButtonCooperative ButtonKind = "cooperative"
)

// BroadcastButton is the button under an announcement: it opens, for whoever presses
// it, the sign-up of training ID or the form to join cooperative ID (checked to be still
// open when pressed).
type BroadcastButton struct {
	Kind ButtonKind `json:"kind"`
	ID   int64      `json:"id"`
}

// Valid reports whether b names a kind the bot knows and a record id.
func (b BroadcastButton) Valid() bool {
	return (b.Kind == ButtonTraining || b.Kind == ButtonCooperative) && b.ID > 0
}

// BroadcastState is where a broadcast stands.
type BroadcastState string

// Broadcast states: scheduled until its start, running while deliveries are pending,
// then done, or cancelled by staff (from either of the first two).
const (
	BroadcastScheduled BroadcastState = "scheduled"
	BroadcastRunning   BroadcastState = "running"
	BroadcastDone      BroadcastState = "done"
	BroadcastCancelled BroadcastState = "cancelled"
)

// Ended reports whether nothing more will be started for the broadcast.
func (s BroadcastState) Ended() bool { return s == BroadcastDone || s == BroadcastCancelled }

// BroadcastStatus is a broadcast as its progress message and final report show it.
type BroadcastStatus struct {
	ID             int64
	Status         BroadcastState
	CreatedBy      int64
	NeighborhoodID int64 // the audience's one neighborhood, for managers' rights
	Total          int
	Pending        int // not sent yet (waiting, claimed or on the way)
	Sent           int
	Unreachable    int
	Failed         int
	Unknown        int // no answer after the request was written: maybe delivered, never resent
	Cancelled      int // not sent because the broadcast was cancelled
	StartAt        time.Time
	Finish         time.Time // estimated finish; zero when unknown
	Finished       bool      // nothing is on the way any more
}

// Handled is how many deliveries have an outcome (sent, unreachable, failed, unknown).
func (s BroadcastStatus) Handled() int { return s.Sent + s.Unreachable + s.Failed + s.Unknown }

// Percent is the share of the recipients handled, 0..100 (100 for an empty broadcast).
func (s BroadcastStatus) Percent() int {
	if s.Total <= 0 {
		return 100
	}
	return s.Handled() * 100 / s.Total
}

// NotSent is how many recipients a cancelled broadcast will not reach.
func (s BroadcastStatus) NotSent() int { return s.Cancelled + s.Pending }

// RunningBroadcast is a running broadcast as the send loops need it.
type RunningBroadcast struct {
	ID     int64
	TextFa string
	TextAz string
	File   *File            // sent with the text as its caption; nil for text alone
	Button *BroadcastButton // nil: none
}

// Plain reports whether the broadcast is text alone (no file, no button).
func (b *RunningBroadcast) Plain() bool { return b.File == nil && b.Button == nil }

// Text is what a reader of l gets: their language's text, or the other one when the
// broadcast has only that.
func (b *RunningBroadcast) Text(l Lang) string {
	if l == Azeri && b.TextAz != "" || b.TextFa == "" {
		return b.TextAz
	}
	return b.TextFa
}

// Delivery is one recipient of a broadcast, claimed by an instance to be sent.
type Delivery struct {
	ID         int64
	Broadcast  int64
	ResidentID int64
	ChatID     int64
	Lang       Lang
	// Unreachable: the resident was marked unreachable since the broadcast was queued
	// (by another send), or is gone: the delivery is recorded unreachable, not sent.
	Unreachable bool
}

// DeliveryOutcome is what became of a delivery that was tried.
type DeliveryOutcome string

// Delivery outcomes. Unknown: the request was written and no clear answer came; it may
// have been delivered, so it is never resent.
const (
	DeliverySent        DeliveryOutcome = "sent"
	DeliveryUnreachable DeliveryOutcome = "unreachable"
	DeliveryFailed      DeliveryOutcome = "failed"
	DeliveryUnknown     DeliveryOutcome = "unknown"
)

// NoticeBroadcastReport is the final report of broadcast ID to the staff member who sent
// it, queued when the broadcast ended.
const NoticeBroadcastReport NoticeKind = "broadcast_report"

// BroadcastRecipient is one delivery of a broadcast as its export lists it: who it was
// for and what became of it.
type BroadcastRecipient struct {
	Name         string // the resident's real name (the one of their latest membership request, or their profile's)
	Neighborhood Names  // empty when the resident has none (or is gone)
	// State is the delivery's outcome (sent, unreachable, failed, unknown) once tried;
	// DeliveryNotSent when it was cancelled, DeliveryWaiting while not tried yet.
	State DeliveryOutcome
	At    time.Time // when the outcome was recorded; zero while there is none
}

// States of a delivery that has no outcome (yet).
const (
	DeliveryWaiting DeliveryOutcome = "waiting"   // pending, claimed or on its way
	DeliveryNotSent DeliveryOutcome = "cancelled" // the broadcast was cancelled before it
)

// BroadcastSummary is a broadcast as the console's history and its page show it: whom
// it went to, who sent it and when, its texts and what became of its deliveries.
type BroadcastSummary struct {
	BroadcastStatus
	Audience   Audience
	AuthorName string
	CreatedAt  time.Time
	TextFa     string
	TextAz     string
}
