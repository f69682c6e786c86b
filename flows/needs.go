package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coopbot"
	"coopbot/text"
)

// Livelihood needs, the resident's side: report a need in a few taps (category → household
// size → short description → urgency → optional location or typed address → consent →
// review with edit → submit → tracking code), and "my reports" with each report's status
// and history. The staff side (inbox, status changes, summary, export) is needsadmin.go.

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
	// coopbot.NeedCard returns report id (the first report of the queue when id is 0) with its
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
	// first, without history.
	NeedExport(ctx context.Context, s *coopbot.Staff, from, to time.Time) ([]coopbot.NeedReport, error)
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

// Flow names of the resident's side.
const (
	FlowNeed      = "need"
	FlowNeedMine  = "need_mine"
	FlowNeedTrack = "need_track"
)

// needsPerPage keeps "my reports" within one phone screen.
const needsPerPage = 5

func needUrgencyID(u coopbot.NeedUrgency) string {
	switch u {
	case coopbot.NeedUrgent:
		return "need.urgency.urgent"
	case coopbot.NeedSoon:
		return "need.urgency.soon"
	}
	return "need.urgency.normal"
}

// needLabel renders a message in the reader's language, for lines composed of several
// labels (a summary row, a history line).
func needLabel(ctx context.Context, d Deps, lang coopbot.Lang, id string) (string, error) {
	return d.Labels.Text(lang, id, nil, nil)
}

// needsFeature is the whole livelihood-needs area: the resident's flows here and the
// staff's in needsadmin.go.
func needsFeature(d Deps) feature {
	r := needResidentFeature(d)
	a := needsAdminFeature(d)
	r.flows = append(r.flows, a.flows...)
	r.menu = append(r.menu, a.menu...)
	r.menuText = append(r.menuText, a.menuText...)
	if r.actions == nil {
		r.actions = map[string]Action{}
	}
	for k, v := range a.actions {
		r.actions[k] = v
	}
	return r
}

func needResidentFeature(d Deps) feature {
	report := &legacyFlow{Name: FlowNeed, First: "category", Steps: map[string]legacyStep{
		"category":    needCategoryStep(),
		"household":   needHouseholdStep(),
		"description": needDescriptionStep(),
		"urgency":     needUrgencyStep(),
		"location":    needLocationStep(),
		"consent":     needConsentStep(),
		"review":      needReviewStep(d),
		"edit":        needEditStep(),
	}}
	detail := needDetailStep(d)
	mine := &legacyFlow{Name: FlowNeedMine, First: "list", Steps: map[string]legacyStep{
		"list":   needListStep(d),
		"detail": detail,
	}}
	track := &legacyFlow{Name: FlowNeedTrack, First: "detail", Steps: map[string]legacyStep{"detail": detail}}
	return feature{
		flows: []flowDef{report, mine, track},
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
				code, ok := ParseNeedCode(typed)
				if !ok {
					return Next{}, false, nil
				}
				_, err := d.Store.MyNeedReport(ctx, c.Profile.ResidentID, code)
				if coopbot.ErrorCode(err) == coopbot.ENotFound {
					return Next{}, false, nil
				}
				if err != nil {
					return Next{}, false, err
				}
				return Start(FlowNeedTrack, map[string]string{"code": code}), true, nil
			},
		},
	}
}

// needNext goes to the next question, or back to the review when a field is being edited.
func needNext(c *Conv, next string) Next {
	if c.Get("editing") != "" {
		c.Set("editing", "")
		return Goto("review")
	}
	return Goto(next)
}

func needCategoryStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("need.category.prompt"))
			for i := 0; i < len(coopbot.NeedCategories); i += 2 {
				row := []coopbot.Button{{Label: coopbot.M("need.cat." + string(coopbot.NeedCategories[i])), Data: "cat:" + string(coopbot.NeedCategories[i])}}
				if i+1 < len(coopbot.NeedCategories) {
					row = append(row, coopbot.Button{Label: coopbot.M("need.cat." + string(coopbot.NeedCategories[i+1])), Data: "cat:" + string(coopbot.NeedCategories[i+1])})
				}
				r.Buttons = append(r.Buttons, row)
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			cat, ok := strings.CutPrefix(in.Choice, "cat:")
			if !ok || !coopbot.NeedCategory(cat).Valid() {
				return Retry("need.category.invalid"), nil
			}
			c.Set("category", cat)
			if c.Get("key") == "" {
				// One key per report being written: a submission retried after a failure
				// finds the report it already created instead of making a second one.
				b := make([]byte, 12)
				if _, err := rand.Read(b); err != nil {
					return Next{}, err
				}
				c.Set("key", hex.EncodeToString(b))
			}
			return needNext(c, "household"), nil
		},
	}
}

func needHouseholdStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("need.household.prompt"))
			for row := 0; row < 2; row++ {
				var line []coopbot.Button
				for i := 1; i <= 4; i++ {
					n := strconv.Itoa(row*4 + i)
					line = append(line, coopbot.Button{Label: coopbot.Raw(text.FaDigits(n)), Data: "hh:" + n})
				}
				r.Buttons = append(r.Buttons, line)
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if n, ok := strings.CutPrefix(in.Choice, "hh:"); ok {
				if v, err := strconv.Atoi(n); err == nil && v >= 1 && v <= 8 {
					c.Set("household", n)
					return needNext(c, "description"), nil
				}
			}
			if in.Kind != KindText {
				return Retry("need.household.invalid"), nil
			}
			n, reason := text.ParseHouseholdSize(in.Text)
			if reason != text.OK {
				return Retry(string(reason)), nil
			}
			c.Set("household", strconv.Itoa(n))
			return needNext(c, "description"), nil
		},
	}
}

func needDescriptionStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("need.description.prompt", "Max", text.Number(NeedDescriptionMax))), nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if in.Kind != KindText {
				return Retry("need.description.text_only"), nil
			}
			s := text.CleanMultiline(in.Raw)
			n := utf8.RuneCountInString(s)
			switch {
			case s == "":
				return Retry(string(text.ReasonEmpty)), nil
			case n < NeedDescriptionMin:
				return Retry("need.description.too_short"), nil
			case n > NeedDescriptionMax:
				return Retry("need.description.too_long", "Count", text.Number(int64(n)), "Max", text.Number(NeedDescriptionMax)), nil
			}
			c.Set("description", s)
			return needNext(c, "urgency"), nil
		},
	}
}

func needUrgencyStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("need.urgency.prompt"))
			for _, u := range coopbot.NeedUrgencies {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M(needUrgencyID(u)), Data: "u:" + strconv.Itoa(int(u))}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			u, ok := strings.CutPrefix(in.Choice, "u:")
			if v, err := strconv.Atoi(u); !ok || err != nil || !coopbot.NeedUrgency(v).Valid() {
				return Retry("need.urgency.invalid"), nil
			}
			c.Set("urgency", u)
			return needNext(c, "location"), nil
		},
	}
}

func needLocationStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("need.location.prompt")},
				Keys: [][]coopbot.Button{
					{{Label: coopbot.M("need.location.share"), Location: true}},
					{{Label: coopbot.M("need.location.skip"), Data: "skip"}},
				},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch {
			case in.Choice == "skip":
				c.Set("lat", "")
				c.Set("lon", "")
				c.Set("address", "")
			case in.Kind == KindLocation && in.Location != nil:
				lat, lon := in.Location.Lat, in.Location.Lon
				if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 || (lat == 0 && lon == 0) {
					return Retry("need.location.invalid"), nil
				}
				c.Set("lat", strconv.FormatFloat(lat, 'f', 6, 64))
				c.Set("lon", strconv.FormatFloat(lon, 'f', 6, 64))
				c.Set("address", "")
			case in.Kind == KindText:
				a := text.Clean(in.Raw)
				n := utf8.RuneCountInString(a)
				switch {
				case a == "":
					return Retry(string(text.ReasonEmpty)), nil
				case n < NeedAddressMin:
					return Retry("need.location.address_short"), nil
				case n > NeedAddressMax:
					return Retry("need.location.address_long", "Count", text.Number(int64(n)), "Max", text.Number(NeedAddressMax)), nil
				}
				c.Set("address", a)
				c.Set("lat", "")
				c.Set("lon", "")
			default:
				return Retry("need.location.invalid"), nil
			}
			return needNext(c, "consent"), nil
		},
	}
}

func needConsentStep() legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("need.consent.prompt")},
				Buttons: [][]coopbot.Button{{
					{Label: coopbot.M("need.consent.yes"), Data: "yes"},
					{Label: coopbot.M("need.consent.no"), Data: "no"},
				}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch in.Choice {
			case "yes":
				c.Set("consent", "yes")
				return needNext(c, "review"), nil
			case "no":
				return Done(coopbot.Text(coopbot.M("need.consent.declined"))), nil
			}
			return Retry("need.consent.invalid"), nil
		},
	}
}

// needDraft reads the answers of the report being written.
func needDraft(c *Conv) *coopbot.NeedReport {
	hh, _ := strconv.Atoi(c.Get("household"))
	u, _ := strconv.Atoi(c.Get("urgency"))
	r := &coopbot.NeedReport{
		ResidentID: c.Profile.ResidentID, SubmitKey: c.Get("key"), Category: coopbot.NeedCategory(c.Get("category")),
		Household: hh, Urgency: coopbot.NeedUrgency(u), Description: c.Get("description"), Address: c.Get("address"),
	}
	if c.Get("lat") != "" {
		r.Lat, _ = strconv.ParseFloat(c.Get("lat"), 64)
		r.Lon, _ = strconv.ParseFloat(c.Get("lon"), 64)
		r.HasLocation = true
	}
	return r
}

// needFieldsText describes a report's answers, one line each, in the reader's language.
func needFieldsText(ctx context.Context, d Deps, lang coopbot.Lang, r *coopbot.NeedReport) ([]coopbot.Msg, error) {
	cat, err := needLabel(ctx, d, lang, "need.cat."+string(r.Category))
	if err != nil {
		return nil, err
	}
	urg, err := needLabel(ctx, d, lang, needUrgencyID(r.Urgency))
	if err != nil {
		return nil, err
	}
	out := []coopbot.Msg{
		coopbot.M("need.field.category", "Category", cat),
		coopbot.M("need.field.household", "Count", text.Number(int64(r.Household))).WithCount(r.Household),
		coopbot.M("need.field.urgency", "Urgency", urg),
		coopbot.M("need.field.description", "Text", r.Description),
	}
	switch {
	case r.HasLocation:
		out = append(out, coopbot.M("need.field.location"))
	case r.Address != "":
		out = append(out, coopbot.M("need.field.address", "Address", r.Address))
	default:
		out = append(out, coopbot.M("need.field.no_location"))
	}
	return out, nil
}

func needReviewStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("need.review.title"))
			fields, err := needFieldsText(ctx, d, c.Lang(), needDraft(c))
			if err != nil {
				return r, err
			}
			r.Text = append(r.Text, fields...)
			r.Text = append(r.Text, coopbot.M("need.review.hint"))
			r.Buttons = [][]coopbot.Button{{
				{Label: coopbot.M("need.review.submit"), Data: "submit"},
				{Label: coopbot.M("need.review.edit"), Data: "edit"},
			}}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			switch in.Choice {
			case "edit":
				return Goto("edit"), nil
			case "submit":
			default:
				return Retry("need.review.invalid"), nil
			}
			r := needDraft(c)
			if c.Get("consent") != "yes" || !r.Category.Valid() || r.Household == 0 || r.Urgency == 0 || r.Description == "" || r.SubmitKey == "" {
				// Answers lost or tampered with: start the report again.
				return Start(FlowNeed, nil).Say(coopbot.Text(coopbot.M("need.review.incomplete"))), nil
			}
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

func needEditStep() legacyStep {
	fields := []struct{ label, step string }{
		{"need.edit.category", "category"},
		{"need.edit.household", "household"},
		{"need.edit.description", "description"},
		{"need.edit.urgency", "urgency"},
		{"need.edit.location", "location"},
	}
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("need.edit.prompt"))
			for i := 0; i < len(fields); i += 2 {
				row := []coopbot.Button{{Label: coopbot.M(fields[i].label), Data: "f:" + fields[i].step}}
				if i+1 < len(fields) {
					row = append(row, coopbot.Button{Label: coopbot.M(fields[i+1].label), Data: "f:" + fields[i+1].step})
				}
				r.Buttons = append(r.Buttons, row)
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			step, _ := strings.CutPrefix(in.Choice, "f:")
			for _, f := range fields {
				if f.step == step {
					c.Set("editing", "1")
					return Goto(step), nil
				}
			}
			return Retry("need.edit.invalid"), nil
		},
	}
}

// renderNeedNew tells a staff member of a new report in their scope, with buttons to open
// it and to start reviewing it; nothing once they no longer hold a staff role covering it.
func renderNeedNew(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	st, err := s.Staff(ctx, to.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	if st == nil {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("resident %d is no longer staff", to.ID)}
	}
	card, err := s.NeedCard(ctx, st, coopbot.NeedFilter{}, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	r := card.Report
	nbhs, err := s.Neighborhoods(ctx)
	if err != nil {
		return coopbot.Reply{}, err
	}
	var nbh coopbot.Neighborhood
	if i := slices.IndexFunc(nbhs, func(x coopbot.Neighborhood) bool { return x.ID == r.NeighborhoodID }); i >= 0 {
		nbh = nbhs[i]
	}
	// The message takes names and labels of both languages; each reader's is used.
	data := []any{"Code", text.FaDigits(r.Code), "NameFa", nbh.NameFa, "NameAz", nbh.Name(coopbot.Azeri)}
	for _, l := range []struct {
		lang     coopbot.Lang
		cat, urg string
	}{{coopbot.Persian, "CatFa", "UrgFa"}, {coopbot.Azeri, "CatAz", "UrgAz"}} {
		data = append(data,
			l.cat, coopbot.Msg{ID: "need.cat." + string(r.Category), Lang: l.lang},
			l.urg, coopbot.Msg{ID: needUrgencyID(r.Urgency), Lang: l.lang})
	}
	id := strconv.FormatInt(r.ID, 10)
	return coopbot.Reply{
		Text: []coopbot.Msg{coopbot.M("needs.alert.new", data...)},
		Buttons: [][]coopbot.Button{{
			{Label: coopbot.M("needs.alert.open"), Data: "a:" + needAction + ":" + id},
			{Label: coopbot.M("needs.alert.review"), Data: "a:" + needAction + ":" + id + ":" + string(coopbot.NeedReviewing)},
		}},
	}, nil
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
		coopbot.M("need.notify."+string(e.Status), "To", e.ReferredTo),
	}
	if e.Note != "" {
		msgs = append(msgs, coopbot.M("need.notify.note", "Note", e.Note))
	}
	msgs = append(msgs, coopbot.M("need.notify.footer"))
	return coopbot.Reply{Text: msgs}, nil
}

// needStatusID is the label of a status.
func needStatusID(s coopbot.NeedStatus) string { return "need.status." + string(s) }

// needHistoryText renders a report's history, one line per event, with Jalali dates.
// withActor adds who made each change (for staff).
func needHistoryText(ctx context.Context, d Deps, lang coopbot.Lang, r *coopbot.NeedReport, withActor bool) ([]coopbot.Msg, error) {
	var out []coopbot.Msg
	for _, e := range r.History {
		st, err := needLabel(ctx, d, lang, needStatusID(e.Status))
		if err != nil {
			return nil, err
		}
		out = append(out, coopbot.M("need.history.line", "Date", text.Date(e.At), "Time", text.Clock(e.At), "Status", st))
		if e.ReferredTo != "" {
			out = append(out, coopbot.M("need.history.referred", "To", e.ReferredTo))
		}
		if e.Note != "" {
			out = append(out, coopbot.M("need.history.note", "Note", e.Note))
		}
		if withActor && e.ActorID != 0 {
			out = append(out, coopbot.M("needs.history.by", "Name", e.ActorName))
		}
	}
	return out, nil
}

func needListStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			list, err := d.Store.MyNeedReports(ctx, c.Profile.ResidentID)
			if err != nil {
				return coopbot.Reply{}, err
			}
			if len(list) == 0 {
				return coopbot.Text(coopbot.M("need.mine.none")), nil
			}
			pages := (len(list) + needsPerPage - 1) / needsPerPage
			page := int(c.GetInt("page"))
			if page >= pages || page < 0 {
				page = 0
			}
			r := coopbot.Text(coopbot.M("need.mine.title", "Count", text.Number(int64(len(list)))).WithCount(len(list)))
			var row []coopbot.Button
			for _, rep := range list[page*needsPerPage : min(len(list), (page+1)*needsPerPage)] {
				cat, err := needLabel(ctx, d, c.Lang(), "need.cat."+string(rep.Category))
				if err != nil {
					return r, err
				}
				st, err := needLabel(ctx, d, c.Lang(), needStatusID(rep.Status))
				if err != nil {
					return r, err
				}
				r.Text = append(r.Text, coopbot.M("need.mine.row", "Code", text.FaDigits(rep.Code), "Date", text.Date(rep.CreatedAt), "Category", cat, "Status", st))
				row = append(row, coopbot.Button{Label: coopbot.Raw(text.FaDigits(rep.Code)), Data: "r:" + rep.Code})
			}
			r.Buttons = append(r.Buttons, grid(3, row)...)
			pager(&r, page, pages)
			r.Text = append(r.Text, coopbot.M("need.mine.hint"))
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			if p, ok := strings.CutPrefix(in.Choice, "p:"); ok {
				c.Set("page", p)
				return Again(), nil
			}
			return needOpenMine(ctx, d, c, in)
		},
	}
}

// needOpenMine opens the resident's report named by a pressed or typed tracking code.
func needOpenMine(ctx context.Context, d Deps, c *Conv, in Input) (Next, error) {
	code, ok := strings.CutPrefix(in.Choice, "r:")
	if !ok {
		if in.Kind != KindText {
			return Retry("need.mine.invalid"), nil
		}
		if code, ok = ParseNeedCode(in.Text); !ok {
			return Retry("need.mine.invalid"), nil
		}
	}
	if _, err := d.Store.MyNeedReport(ctx, c.Profile.ResidentID, code); err != nil {
		if coopbot.ErrorCode(err) == coopbot.ENotFound {
			return Retry("need.mine.unknown", "Code", text.FaDigits(code)), nil
		}
		return Next{}, err
	}
	c.Set("code", code)
	return Goto("detail"), nil
}

func needDetailStep(d Deps) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			rep, err := d.Store.MyNeedReport(ctx, c.Profile.ResidentID, c.Get("code"))
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				return coopbot.Text(coopbot.M("need.mine.unknown", "Code", text.FaDigits(c.Get("code")))), nil
			}
			if err != nil {
				return coopbot.Reply{}, err
			}
			st, err := needLabel(ctx, d, c.Lang(), needStatusID(rep.Status))
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(
				coopbot.M("need.detail.title", "Code", text.FaDigits(rep.Code), "Date", text.Date(rep.CreatedAt)),
				coopbot.M("need.detail.status", "Status", st),
			)
			if rep.Status == coopbot.NeedReferred && rep.ReferredTo != "" {
				r.Text = append(r.Text, coopbot.M("need.history.referred", "To", rep.ReferredTo))
			}
			fields, err := needFieldsText(ctx, d, c.Lang(), rep)
			if err != nil {
				return coopbot.Reply{}, err
			}
			r.Text = append(r.Text, fields...)
			r.Text = append(r.Text, coopbot.M("need.detail.history"))
			h, err := needHistoryText(ctx, d, c.Lang(), rep, false)
			if err != nil {
				return coopbot.Reply{}, err
			}
			r.Text = append(r.Text, h...)
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			// Another code typed here opens that report instead.
			if in.Kind == KindText {
				if _, ok := ParseNeedCode(in.Text); ok {
					return needOpenMine(ctx, d, c, in)
				}
			}
			return Retry("need.detail.hint"), nil
		},
	}
}
