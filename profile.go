package coopbot

import "time"

// DataSummary is what the office holds about one resident, as "what the office holds about
// me" tells them in plain words: their residency, membership requests, training
// enrolments and need reports. It holds only that resident's own records.
type DataSummary struct {
	Since          time.Time // when they first registered
	NeighborhoodID int64     // 0 when none is on file
	Name           string    // the name their messenger showed
	Phone          string    // E.164, "" when none is on file
	Lang           Lang
	Requests       []JoinRequest // newest first; national ID and phone are not opened
	Enrollments    []Enrollment  // newest first, with their trainings (Training set)
	Reports        []ReportSummary
}

// ReportSummary is one of a resident's need reports as their data summary names it: what
// it was about and where it stands, not what they wrote.
type ReportSummary struct {
	Code      string
	Category  string
	Status    string
	CreatedAt time.Time
}

// Erasure is what erasing a resident's data did besides emptying it: their pending
// membership requests withdrawn, their enrolments cancelled (each freed seat offered to the
// wait-list), and how many need reports lost their contents.
type Erasure struct {
	Withdrawn int `json:"withdrawn"`
	Cancelled int `json:"cancelled"`
	Reports   int `json:"reports"`
}

// Profile is the part of a resident's record every update needs, cached in the
// conversation state so that steps touching only Redis need no database read.
type Profile struct {
	ResidentID   int64  `json:"r,omitempty"`
	Lang         Lang   `json:"l,omitempty"`
	Neighborhood int64  `json:"n,omitempty"`
	Phone        string `json:"ph,omitempty"` // E.164; stays out of logs
	Role         Role   `json:"ro,omitempty"`
	RoleScope    int64  `json:"rs,omitempty"`
	CoopAdmin    bool   `json:"ca,omitempty"` // admin of at least one cooperative
}
