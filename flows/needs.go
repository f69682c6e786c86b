package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"coopbot"
	"coopbot/text"
)

// Livelihood needs, the resident's side: report a need in a few taps (category → household
// size → short description → urgency → optional location or typed address → optional
// photos or documents (up to three, a prescription or a bill) → consent → review with an edit button per answer → submit → tracking code), and "my reports" with
// each report's status and history. The staff side (inbox, status changes, summary,
// export) is needsadmin.go.

// NeedStore keeps need reports and their history.
type NeedStore interface {
	// CreateNeedReport saves r (its neighborhood is the resident's current one) and fills
	// ID, Code, NeighborhoodID, Status and CreatedAt. Submitting the same SubmitKey again
	// returns the first report unchanged. The staff responsible for the neighborhood (its
	// managers, or else the office staff) are sent coopbot.NoticeNeedNew, queued in the
	// same transaction.
	CreateNeedReport(ctx context.Context, r *coopbot.NeedReport) error
	// MyNeedReports lists a resident's own reports, newest first, with their history.
	MyNeedReports(ctx context.Context, residentID int64) ([]coopbot.NeedReport, error)
	// MyNeedReport returns a resident's own report by tracking code (not_found otherwise).
	MyNeedReport(ctx context.Context, residentID int64, code string) (*coopbot.NeedReport, error)
	// MyNeedReportByID returns a resident's own report by id (not_found otherwise).
	MyNeedReportByID(ctx context.Context, residentID, id int64) (*coopbot.NeedReport, error)
	// NeedCard returns report id (the first report of the queue when id is 0) with its
	// neighbors under f; not_found when the report is outside the staff member's scope.
	NeedCard(ctx context.Context, s *coopbot.Staff, f coopbot.NeedFilter, id int64) (coopbot.NeedCard, error)
	// FindNeedReport returns the report with this tracking code within the staff scope.
	FindNeedReport(ctx context.Context, s *coopbot.Staff, code string) (*coopbot.NeedReport, error)
	// ChangeNeedStatus moves a report within the staff scope from ch.From to ch.To, logs
	// who and when, audits it and queues coopbot.NoticeNeedStatus to the resident, all in
	// one transaction. conflict when the report is no longer in ch.From; invalid when the
	// move is not allowed.
	ChangeNeedStatus(ctx context.Context, s *coopbot.Staff, ch coopbot.NeedChange) (*coopbot.NeedReport, error)
	// NeedCounts counts the reports within the staff scope by neighborhood, category and
	// status.
	NeedCounts(ctx context.Context, s *coopbot.Staff) ([]coopbot.NeedCount, error)
	// NeedExport lists the reports within the staff scope created in [from, to), oldest
	// first, with the reporter's name, without their phone or the history.
	NeedExport(ctx context.Context, s *coopbot.Staff, f coopbot.NeedFilter, from, to time.Time) ([]coopbot.NeedReport, error)
}

// Limits of what residents and staff type, in runes.
const (
	NeedDescriptionMin = 3
	NeedDescriptionMax = 500
	NeedAddressMin     = 3
	NeedAddressMax     = 200
	NeedNoteMax        = 500
	NeedReferredMin    = 2
	NeedReferredMax    = 120
)

// Flow names of the resident's side.
const (
	FlowNeed      = "need"
	FlowNeedMine  = "need_mine"
	FlowNeedTrack = "need_track"
)

// needsPerPage keeps "my reports" within one phone screen.
const needsPerPage = 5

// needHouseholdButtons is how many household sizes are offered as buttons.
const needHouseholdButtons = 8

// need is the report a resident is writing.
type need struct {
	// Key is one per report being written: a submission retried after a failure finds the
	// report it already created instead of making a second one.
	Key         string               `json:"k,omitempty"`
	Category    coopbot.NeedCategory `json:"ca,omitempty"`
	Household   int                  `json:"hh,omitempty"`
	Description string               `json:"de,omitempty"`
	Urgency     coopbot.NeedUrgency  `json:"ur,omitempty"`
	Address     string               `json:"ad,omitempty"`
	Located     bool                 `json:"lo,omitempty"`
	Lat         float64              `json:"la,omitempty"`
	Lon         float64              `json:"ln,omitempty"`
	Consent     bool                 `json:"co,omitempty"`
	// Files are the photos and documents sent so far, in order (file ids only).
	Files []coopbot.File `json:"fi,omitempty"`
}

// needsFeature is the whole livelihood-needs area: the resident's flows here and the
// staff's in needsadmin.go.
func needsFeature(d Deps) feature {
	r := needResidentFeature(d)
	a := needsAdminFeature(d)
	r.flows = append(r.flows, a.flows...)
	r.menu = append(r.menu, a.menu...)
	r.menuText = append(r.menuText, a.menuText...)
	r.actions = a.actions
	return r
}

func needResidentFeature(d Deps) feature {
	detail := needDetailStep(d)
	return feature{
		flows: []flowDef{
			&Flow[need]{Name: FlowNeed, Steps: needForm(d).Steps()},
			&Flow[needMine]{Name: FlowNeedMine, Steps: []Step[needMine]{needMineList(d).Step(), detail}},
			&Flow[needMine]{Name: FlowNeedTrack, Steps: []Step[needMine]{detail}},
		},
		menu: []MenuItem{
			{Label: "need.menu.report", Value: FlowNeed, Open: func(ctx context.Context, c *Conv) (Next, error) {
				return Start(FlowNeed, nil), nil
			}},
			{Label: "need.menu.mine", Value: FlowNeedMine, Open: func(ctx context.Context, c *Conv) (Next, error) {
				list, err := d.Store.MyNeedReports(ctx, c.Profile.ResidentID)
				if err != nil {
					return Next{}, err
				}
				if len(list) == 0 {
					return Retry("need.mine.none"), nil
				}
				return Start(FlowNeedMine, nil), nil
			}},
		},
		// A tracking code typed at the main menu opens that report.
		menuText: []func(ctx context.Context, c *Conv, typed string) (Next, bool, error){
			func(ctx context.Context, c *Conv, typed string) (Next, bool, error) {
				code, ok := coopbot.ParseNeedCode(typed)
				if !ok {
					return Next{}, false, nil
				}
				rep, err := d.Store.MyNeedReport(ctx, c.Profile.ResidentID, code)
				if coopbot.ErrorCode(err) == coopbot.ENotFound {
					return Next{}, false, nil
				}
				if err != nil {
					return Next{}, false, err
				}
				return Start(FlowNeedTrack, needMine{Report: rep.ID}), true, nil
			},
		},
	}
}

// needForm is the report: seven questions, then the review with an edit button for each
// answer but the consent.
func needForm(d Deps) Form[need] {
	line := func(m func(a *need) coopbot.Msg) func(context.Context, *Conv, *need) ([]coopbot.Msg, error) {
		return func(_ context.Context, _ *Conv, a *need) ([]coopbot.Msg, error) { return []coopbot.Msg{m(a)}, nil }
	}
	return Form[need]{
		Fields: []Field[need]{
			{Step: needCategoryStep(), Edit: "need.review.edit_category", Review: line(func(a *need) coopbot.Msg { return needCategoryLine(a.Category) })},
			{Step: needHouseholdStep(), Edit: "need.review.edit_household", Review: line(func(a *need) coopbot.Msg { return needHouseholdLine(a.Household) })},
			{Step: needDescriptionStep(), Edit: "need.review.edit_description", Review: line(func(a *need) coopbot.Msg { return needDescriptionLine(a.Description) })},
			{Step: needUrgencyStep(), Edit: "need.review.edit_urgency", Review: line(func(a *need) coopbot.Msg { return needUrgencyLine(a.Urgency) })},
			{Step: needLocationStep(), Edit: "need.review.edit_location", Review: line(func(a *need) coopbot.Msg { return needPlaceLine(a.draft(0)) })},
			{Step: needAttachStep(), Edit: "need.review.edit_attachments", Review: line(func(a *need) coopbot.Msg { return needAttachmentsLine(len(a.Files)) })},
			{Step: needConsentStep()},
		},
		Title:       "need.review.title",
		Confirm:     "need.review.confirm",
		SubmitLabel: "need.review.submit",
		Invalid:     "need.review.use_buttons",
		Check: func(ctx context.Context, c *Conv, a *need) (*Next, error) {
			if !a.Consent || !a.Category.Valid() || a.Household == 0 || !a.Urgency.Valid() || a.Description == "" || a.Key == "" ||
				len(a.Files) > coopbot.NeedAttachmentsMax {
				// Answers lost or tampered with: start the report again.
				next := Start(FlowNeed, nil).Say(coopbot.Text(coopbot.M("need.review.incomplete")))
				return &next, nil
			}
			return nil, nil
		},
		Submit: func(ctx context.Context, c *Conv, a *need) (Next, error) {
			r := a.draft(c.Profile.ResidentID)
			if err := d.Store.CreateNeedReport(ctx, r); err != nil {
				return Next{}, err
			}
			return Done(coopbot.Text(
				coopbot.M("need.submitted", "Code", text.FaDigits(r.Code)),
				coopbot.M("need.submitted.track"),
			)), nil
		},
	}
}

// draft is the report as answered so far.
func (a *need) draft(residentID int64) *coopbot.NeedReport {
	return &coopbot.NeedReport{
		ResidentID: residentID, SubmitKey: a.Key, Category: a.Category, Household: a.Household,
		Urgency: a.Urgency, Description: a.Description, Address: a.Address,
		HasLocation: a.Located, Lat: a.Lat, Lon: a.Lon, Attachments: a.Files,
	}
}

func needCategoryStep() Step[need] {
	return Step[need]{
		Name: "category",
		Ask: func(ctx context.Context, c *Conv, a *need) (coopbot.Reply, error) {
			var buttons []coopbot.Button
			for i, k := range coopbot.NeedCategories {
				buttons = append(buttons, coopbot.Button{Label: needCategoryMsg(k), Data: Data("cat", int64(i))})
			}
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("need.category.prompt")}, Buttons: grid(2, buttons)}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *need, in Input) (Next, error) {
			i, ok := in.PickIndex("cat", len(coopbot.NeedCategories))
			if !ok {
				return Retry("need.category.invalid"), nil
			}
			a.Category = coopbot.NeedCategories[i]
			if a.Key == "" {
				b := make([]byte, 12)
				if _, err := rand.Read(b); err != nil {
					return Next{}, err
				}
				a.Key = hex.EncodeToString(b)
			}
			return Forward(), nil
		},
	}
}

func needHouseholdStep() Step[need] {
	return Step[need]{
		Name: "household",
		Ask: func(ctx context.Context, c *Conv, a *need) (coopbot.Reply, error) {
			var buttons []coopbot.Button
			for n := int64(1); n <= needHouseholdButtons; n++ {
				buttons = append(buttons, coopbot.Button{Label: coopbot.Raw(text.Number(n)), Data: Data("hh", n)})
			}
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("need.household.prompt")}, Buttons: grid(4, buttons)}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *need, in Input) (Next, error) {
			if n, ok := in.Pick("hh"); ok && n <= needHouseholdButtons {
				a.Household = int(n)
				return Forward(), nil
			}
			if in.Kind != KindText {
				return Retry("need.household.invalid"), nil
			}
			n, reason := text.ParseHouseholdSize(in.Text)
			switch reason {
			case text.OK:
			case text.NumberInvalid, text.NumberDecimal:
				// The general hints give amounts as examples (۱۲٬۵۰۰); this one a
				// household size.
				return Retry("need.household.invalid"), nil
			default:
				return Retry(string(reason)), nil
			}
			a.Household = n
			return Forward(), nil
		},
	}
}

// needText is a free-text answer's bounds and the question's own words for what is wrong.
type needText struct {
	min, max             int
	multiline            bool
	notText, short, long string // long takes Count and Max
}

// read takes the text of in, cleaned; ok false with the retry when it does not fit.
func (t needText) read(in Input) (string, Next, bool) {
	if in.Kind != KindText {
		return "", Retry(t.notText), false
	}
	s := text.Clean(in.Raw)
	if t.multiline {
		s = text.CleanMultiline(in.Raw)
	}
	n := runeCount(s)
	switch {
	case s == "":
		return "", Retry(string(text.ReasonEmpty)), false
	case n < t.min:
		return "", Retry(t.short), false
	case n > t.max:
		return "", Retry(t.long, "Count", text.Number(int64(n)), "Max", text.Number(int64(t.max))), false
	}
	return s, Next{}, true
}

func needDescriptionStep() Step[need] {
	rules := needText{min: NeedDescriptionMin, max: NeedDescriptionMax, multiline: true,
		notText: "need.description.text_only", short: "need.description.too_short", long: "need.description.too_long"}
	return Step[need]{
		Name: "description",
		Ask: func(ctx context.Context, c *Conv, a *need) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("need.description.prompt", "Max", text.Number(NeedDescriptionMax))), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *need, in Input) (Next, error) {
			s, retry, ok := rules.read(in)
			if !ok {
				return retry, nil
			}
			a.Description = s
			return Forward(), nil
		},
	}
}

func needUrgencyStep() Step[need] {
	return Step[need]{
		Name: "urgency",
		Ask: func(ctx context.Context, c *Conv, a *need) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("need.urgency.prompt"))
			for _, u := range coopbot.NeedUrgencies {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M(needUrgencyID(u)), Data: Data("u", int64(u))}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *need, in Input) (Next, error) {
			u, ok := in.Pick("u")
			if !ok || !coopbot.NeedUrgency(u).Valid() {
				return Retry("need.urgency.invalid"), nil
			}
			a.Urgency = coopbot.NeedUrgency(u)
			return Forward(), nil
		},
	}
}

func needLocationStep() Step[need] {
	address := needText{min: NeedAddressMin, max: NeedAddressMax,
		notText: "need.location.invalid", short: "need.location.address_short", long: "need.location.address_long"}
	return Step[need]{
		Name: "location",
		Ask: func(ctx context.Context, c *Conv, a *need) (coopbot.Reply, error) {
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("need.location.prompt")},
				Keys: [][]coopbot.Button{
					{{Label: coopbot.M("need.location.share"), Location: true}},
					{{Label: coopbot.M("need.location.skip"), Data: "skip"}},
				},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *need, in Input) (Next, error) {
			switch {
			case in.Choice == "skip":
				a.Located, a.Lat, a.Lon, a.Address = false, 0, 0, ""
			case in.Kind == KindLocation && in.Location != nil:
				lat, lon := in.Location.Lat, in.Location.Lon
				if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 || (lat == 0 && lon == 0) {
					return Retry("need.location.invalid"), nil
				}
				a.Located, a.Lat, a.Lon, a.Address = true, lat, lon, ""
			default:
				s, retry, ok := address.read(in)
				if !ok {
					return retry, nil
				}
				a.Located, a.Lat, a.Lon, a.Address = false, 0, 0, s
			}
			return Forward(), nil
		},
	}
}

// needAttachStep takes up to NeedAttachmentsMax photos or documents, one message each:
// after each the question is asked anew with what was received, a button to remove each
// and one to go on. A file past the limit is refused, anything but a file or a button
// gets the question again. Only the file ids are kept; a caption is not read.
func needAttachStep() Step[need] {
	return Step[need]{
		Name: "attach",
		Ask: func(ctx context.Context, c *Conv, a *need) (coopbot.Reply, error) {
			n, most := len(a.Files), coopbot.NeedAttachmentsMax
			if n == 0 {
				return coopbot.Reply{
					Text:    []coopbot.Msg{coopbot.M("need.attach.prompt", "Max", text.Number(int64(most)))},
					Buttons: [][]coopbot.Button{{{Label: coopbot.M("need.attach.skip"), Data: "done"}}},
				}, nil
			}
			r := coopbot.Text(coopbot.M("need.attach.count", "Count", text.Number(int64(n)), "Max", text.Number(int64(most))).WithCount(n))
			var remove []coopbot.Button
			for i, f := range a.Files {
				r.Text = append(r.Text, needAttachmentItem(i, f))
				remove = append(remove, coopbot.Button{Label: coopbot.M("need.attach.remove", "N", text.Number(int64(i+1))), Data: Data("rm", int64(i))})
			}
			r.Text = append(r.Text, coopbot.Raw(""))
			if n < most {
				r.Text = append(r.Text, coopbot.M("need.attach.more", "Left", text.Number(int64(most-n))).WithCount(most-n))
			} else {
				r.Text = append(r.Text, coopbot.M("need.attach.enough", "Max", text.Number(int64(most))).WithCount(most))
			}
			r.Buttons = append(grid(3, remove), []coopbot.Button{{Label: coopbot.M("need.attach.done"), Data: "done"}})
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *need, in Input) (Next, error) {
			if in.Choice == "done" {
				return Forward(), nil
			}
			if i, ok := in.PickIndex("rm", len(a.Files)); ok {
				a.Files = slices.Delete(a.Files, i, i+1)
				return Again(), nil
			}
			if in.Kind != KindFile || in.File == nil || !in.File.Valid() || in.File.Platform != c.Platform {
				return Retry("need.attach.invalid"), nil
			}
			if len(a.Files) >= coopbot.NeedAttachmentsMax {
				return Retry("need.attach.full", "Max", text.Number(coopbot.NeedAttachmentsMax)).count(coopbot.NeedAttachmentsMax), nil
			}
			if slices.ContainsFunc(a.Files, func(f coopbot.File) bool { return f.ID == in.File.ID }) {
				// The same message delivered again by the platform, or the same file sent
				// twice: attached once.
				return Again(), nil
			}
			a.Files = append(a.Files, *in.File)
			return Again(), nil
		},
	}
}

// needAttachmentItem is one attached file as the resident's list shows it.
func needAttachmentItem(i int, f coopbot.File) coopbot.Msg {
	n := text.Number(int64(i + 1))
	if f.Kind == coopbot.FilePhoto {
		return coopbot.M("need.attach.item_photo", "N", n)
	}
	name := ""
	if f.Name != "" {
		name = text.Isolate(text.Shorten(f.Name, 40))
	}
	return coopbot.M("need.attach.item_document", "N", n, "Name", name)
}

func needConsentStep() Step[need] {
	return Step[need]{
		Name: "consent",
		Ask: func(ctx context.Context, c *Conv, a *need) (coopbot.Reply, error) {
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("need.consent.prompt")},
				Buttons: [][]coopbot.Button{{
					{Label: coopbot.M("need.consent.yes"), Data: "yes"},
					{Label: coopbot.M("need.consent.no"), Data: "no"},
				}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *need, in Input) (Next, error) {
			switch in.Choice {
			case "yes":
				a.Consent = true
				return Forward(), nil
			case "no":
				return Done(coopbot.Text(coopbot.M("need.consent.declined"))), nil
			}
			return Retry("need.consent.invalid"), nil
		},
	}
}

// Lines describing a report, in the reader's language.

func needCategoryMsg(k coopbot.NeedCategory) coopbot.Msg { return coopbot.M("need.cat." + string(k)) }

func needUrgencyID(u coopbot.NeedUrgency) string {
	switch u {
	case coopbot.NeedUrgent:
		return "need.urgency.urgent"
	case coopbot.NeedSoon:
		return "need.urgency.soon"
	}
	return "need.urgency.normal"
}

// needStatusID is the label of a status.
func needStatusID(s coopbot.NeedStatus) string { return "need.status." + string(s) }

func needCategoryLine(k coopbot.NeedCategory) coopbot.Msg {
	return coopbot.M("need.field.category", "Category", needCategoryMsg(k))
}

func needHouseholdLine(n int) coopbot.Msg {
	return coopbot.M("need.field.household", "Count", text.Number(int64(n))).WithCount(n)
}

func needUrgencyLine(u coopbot.NeedUrgency) coopbot.Msg {
	return coopbot.M("need.field.urgency", "Urgency", coopbot.M(needUrgencyID(u)))
}

func needDescriptionLine(s string) coopbot.Msg {
	return coopbot.M("need.field.description", "Text", needEcho(s))
}

// needAttachmentsLine says how many photos and documents a report carries.
func needAttachmentsLine(n int) coopbot.Msg {
	if n == 0 {
		return coopbot.M("need.field.no_attachments")
	}
	return coopbot.M("need.field.attachments", "Count", text.Number(int64(n))).WithCount(n)
}

func needPlaceLine(r *coopbot.NeedReport) coopbot.Msg {
	switch {
	case r.HasLocation:
		return coopbot.M("need.field.location")
	case r.Address != "":
		return coopbot.M("need.field.address", "Address", needEcho(r.Address))
	}
	return coopbot.M("need.field.no_location")
}

// needEcho is text a person typed, shown inside a message: each line isolated
// (text.Isolate), so that Latin words, digits and brackets keep their order in a Persian or
// Azeri line and do not reorder the words around them. An isolate ends with its line,
// hence one per line. Messages are sent as plain text: nothing in it is read as markup.
func needEcho(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = text.Isolate(l)
	}
	return strings.Join(lines, "\n")
}

// needFields describes a report's answers, one line each (the attachments only when
// there are some).
func needFields(r *coopbot.NeedReport) []coopbot.Msg {
	out := []coopbot.Msg{
		needCategoryLine(r.Category), needHouseholdLine(r.Household), needUrgencyLine(r.Urgency),
		needDescriptionLine(r.Description), needPlaceLine(r),
	}
	if len(r.Attachments) > 0 {
		out = append(out, needAttachmentsLine(len(r.Attachments)))
	}
	return out
}

// needHistory is a report's history, one line per event, with Jalali dates. withActor
// adds who made each change (for staff).
func needHistory(r *coopbot.NeedReport, withActor bool) []coopbot.Msg {
	var out []coopbot.Msg
	for _, e := range r.History {
		out = append(out, coopbot.M("need.history.line", "Date", text.Date(e.At), "Time", text.Clock(e.At), "Status", coopbot.M(needStatusID(e.Status))))
		if e.ReferredTo != "" {
			out = append(out, coopbot.M("need.history.referred", "To", needEcho(e.ReferredTo)))
		}
		if e.Note != "" {
			out = append(out, coopbot.M("need.history.note", "Note", needEcho(e.Note)))
		}
		if withActor && e.ActorID != 0 {
			out = append(out, coopbot.M("needs.history.by", "Name", needEcho(e.ActorName)))
		}
	}
	return out
}

// renderNeedStatus tells a resident of a change of their report's status (the history
// entry N[0]): the new status, to whom it was referred and the staff member's note.
func renderNeedStatus(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	num, err := noticeNumbers(n, 1)
	if err != nil {
		return coopbot.Reply{}, err
	}
	r, err := s.MyNeedReportByID(ctx, to.ID, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	i := slices.IndexFunc(r.History, func(e coopbot.NeedEvent) bool { return e.ID == num[0] })
	if i < 0 {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("need report %d has no event %d", r.ID, num[0])}
	}
	e := r.History[i]
	msgs := []coopbot.Msg{
		coopbot.M("need.notify.title", "Code", text.FaDigits(r.Code)),
		coopbot.M("need.notify."+string(e.Status), "To", needEcho(e.ReferredTo)),
	}
	if e.Note != "" {
		msgs = append(msgs, coopbot.M("need.notify.note", "Note", needEcho(e.Note)))
	}
	msgs = append(msgs, coopbot.M("need.notify.footer"))
	return coopbot.Reply{Text: msgs}, nil
}
