package flows

import (
	"context"

	"coopbot"
	"coopbot/text"
)

// "My reports" (needs.go): a resident's need reports, newest first, each opening to its
// status and history; a tracking code typed here, or at the main menu (the track flow),
// opens that report.

// needMine is the report a resident is looking at in "my reports".
type needMine struct {
	Report int64 `json:"rp,omitempty"`
}

// needMineList is "my reports": a line per report and its code as a button; a code can
// also be typed.
func needMineList(d Deps) List[needMine, coopbot.NeedReport] {
	open := func(a *needMine, r coopbot.NeedReport) (Next, error) {
		a.Report = r.ID
		return Goto("detail"), nil
	}
	return List[needMine, coopbot.NeedReport]{
		Name:    "list",
		PerPage: needsPerPage,
		Columns: 3,
		Items: func(ctx context.Context, c *Conv, a *needMine, page, per int) ([]coopbot.NeedReport, int, error) {
			list, err := d.Store.MyNeedReports(ctx, c.Profile.ResidentID)
			return pageItems(list, page, per), len(list), err
		},
		Title: func(ctx context.Context, c *Conv, a *needMine, total int) ([]coopbot.Msg, error) {
			return []coopbot.Msg{coopbot.M("need.mine.title", "Count", text.Number(int64(total))).WithCount(total), coopbot.M("need.mine.hint")}, nil
		},
		Show: func(c *Conv, a *needMine, r coopbot.NeedReport) ([]coopbot.Msg, coopbot.Msg) {
			return []coopbot.Msg{coopbot.M("need.mine.row", "Code", text.FaDigits(r.Code), "Date", text.Date(r.CreatedAt),
				"Category", needCategoryMsg(r.Category), "Status", coopbot.M(needStatusID(r.Status)))}, coopbot.Raw(text.FaDigits(r.Code))
		},
		ID: func(r coopbot.NeedReport) int64 { return r.ID },
		Find: func(ctx context.Context, c *Conv, a *needMine, id int64) (coopbot.NeedReport, bool, error) {
			r, err := d.Store.MyNeedReportByID(ctx, c.Profile.ResidentID, id)
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				return coopbot.NeedReport{}, false, nil
			}
			if err != nil {
				return coopbot.NeedReport{}, false, err
			}
			return *r, true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *needMine, r coopbot.NeedReport) (Next, error) { return open(a, r) },
		Other: func(ctx context.Context, c *Conv, a *needMine, in Input) (Next, bool, error) {
			if in.Kind != KindText || in.Choice != "" {
				return Next{}, false, nil
			}
			r, next, err := needTypedCode(ctx, d, c, in)
			if r == nil || err != nil {
				return next, true, err
			}
			next, err = open(a, *r)
			return next, true, err
		},
		Gone:    "need.mine.invalid",
		Invalid: "need.mine.invalid",
	}
}

// needTypedCode finds the resident's own report by a typed tracking code; nil with the
// retry when the text is no code of theirs.
func needTypedCode(ctx context.Context, d Deps, c *Conv, in Input) (*coopbot.NeedReport, Next, error) {
	code, ok := coopbot.ParseNeedCode(in.Text)
	if !ok {
		return nil, Retry("need.mine.invalid"), nil
	}
	r, err := d.Store.MyNeedReport(ctx, c.Profile.ResidentID, code)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return nil, Retry("need.mine.unknown", "Code", text.FaDigits(code)), nil
	}
	return r, Next{}, err
}

// needDetailStep shows one of the resident's reports with its history; typing another
// code opens that one.
func needDetailStep(d Deps) Step[needMine] {
	return Step[needMine]{
		Name: "detail",
		Ask: func(ctx context.Context, c *Conv, a *needMine) (coopbot.Reply, error) {
			rep, err := d.Store.MyNeedReportByID(ctx, c.Profile.ResidentID, a.Report)
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				return coopbot.Text(coopbot.M("need.mine.invalid")), nil
			}
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(
				coopbot.M("need.detail.title", "Code", text.FaDigits(rep.Code), "Date", text.Date(rep.CreatedAt)),
				coopbot.M("need.detail.status", "Status", coopbot.M(needStatusID(rep.Status))),
			)
			if rep.Status == coopbot.NeedReferred && rep.ReferredTo != "" {
				r.Text = append(r.Text, coopbot.M("need.history.referred", "To", needEcho(rep.ReferredTo)))
			}
			r.Text = append(r.Text, needFields(rep)...)
			r.Text = append(r.Text, coopbot.M("need.detail.history"))
			r.Text = append(r.Text, needHistory(rep, false)...)
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needMine, in Input) (Next, error) {
			if in.Kind == KindText {
				if _, ok := coopbot.ParseNeedCode(in.Text); ok {
					r, next, err := needTypedCode(ctx, d, c, in)
					if r == nil || err != nil {
						return next, err
					}
					a.Report = r.ID
					return Again(), nil
				}
			}
			return Retry("need.detail.hint"), nil
		},
	}
}
