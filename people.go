package coopbot

// ResidentQuery is what the office searches residents by: a part of the name (matched
// loosely, as text.Key matches), a mobile number (E.164) or a national ID (ten ASCII
// digits). The phone and the national ID are looked up through their keyed hashes only;
// a number that reads as both is looked up as both.
type ResidentQuery struct {
	Name       string
	Phone      string
	NationalID string
}

// By names what the query searches by, for the audit log (never the value).
func (q ResidentQuery) By() string {
	switch {
	case q.Phone != "" && q.NationalID != "":
		return "phone_or_national_id"
	case q.Phone != "":
		return "phone"
	case q.NationalID != "":
		return "national_id"
	}
	return "name"
}

// FoundResident is a resident a search found, with the roles they hold. Phone is filled
// for office-wide staff only.
type FoundResident struct {
	Person
	NeighborhoodID int64
	Phone          string // E.164; "" when not entitled or not known
	Role           Role   // "" for no staff role
	ManagerOf      int64  // a neighborhood manager's neighborhood
	RoleSource     string // "config" or "app", for a staff role
	AdminOf        []int64
}
