package flows

import (
	"context"
	"strconv"
	"strings"
	"time"

	"coopbot"
	"coopbot/text"
)

// Sending a broadcast: when it starts (now, or a day and time), the preview and the
// confirm, then the progress message the broadcast runner keeps (worded here), the Cancel
// button on it, and the final report to the staff member (a notice).

func (w *bcWizard) whenStep() Step[broadcast] {
	return Step[broadcast]{
		Name: "when",
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("broadcast.when.prompt")}, Buttons: [][]coopbot.Button{
				{{Label: coopbot.M("broadcast.when.now"), Data: "now"}},
				{{Label: coopbot.M("broadcast.when.later"), Data: "later"}},
			}}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			switch in.Choice {
			case "now":
				a.Start = 0
				return w.toPreview(a), nil
			case "later":
				return Goto("date"), nil
			}
			return Retry("broadcast.when.invalid"), nil
		},
	}
}

// dateStep takes the day of a later start, Jalali or Gregorian (shown back in Jalali to
// be confirmed), from today to 90 days ahead.
func (w *bcWizard) dateStep() Step[broadcast] {
	return Step[broadcast]{
		Name: "date",
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("broadcast.date.prompt", "Today", text.Date(w.d.Now()))), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			if in.Kind != KindText {
				return Retry("broadcast.date.not_text"), nil
			}
			d, reason := text.ParseDate(in.Text)
			if reason != text.OK {
				return Retry(string(reason)), nil
			}
			if bad := broadcastDay(d.JalaliDate, w.d.Now()); bad != nil {
				return RetryMsg(*bad), nil
			}
			a.Day = d.String()
			if d.Gregorian {
				return Goto("gregorian"), nil
			}
			return Goto("clock"), nil
		},
	}
}

// day is the chosen day of a later start.
func (a *broadcast) day() (text.JalaliDate, bool) {
	d, reason := text.ParseJalaliDate(a.Day)
	return d, reason == text.OK
}

// gregorianStep shows a day typed in the Gregorian calendar back in Jalali: sent on that
// day, or another is typed.
func (w *bcWizard) gregorianStep() Step[broadcast] {
	return Step[broadcast]{
		Name: "gregorian",
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			d, _ := a.day()
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("broadcast.date.gregorian", "Date", text.LongDate(d.At(12, 0), text.Lang(c.Lang())))},
				Buttons: [][]coopbot.Button{
					{{Label: coopbot.M("broadcast.date.gregorian_yes"), Data: "yes"}},
					{{Label: coopbot.M("broadcast.date.gregorian_no"), Data: "no"}},
				},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			switch _, ok := a.day(); {
			case !ok || in.Choice == "no":
				return Goto("date"), nil
			case in.Choice == "yes":
				return Goto("clock"), nil
			}
			return Retry("broadcast.when.invalid"), nil
		},
	}
}

func (w *bcWizard) clockStep() Step[broadcast] {
	return Step[broadcast]{
		Name: "clock",
		Ask: func(ctx context.Context, c *Conv, a *broadcast) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("broadcast.clock.prompt")), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *broadcast, in Input) (Next, error) {
			if in.Kind != KindText {
				return Retry("broadcast.clock.not_text"), nil
			}
			h, m, reason := text.ParseClock(in.Text)
			if reason != text.OK {
				return Retry(string(reason)), nil
			}
			d, ok := a.day()
			if !ok {
				return Goto("date"), nil
			}
			at := d.At(h, m)
			if bad := broadcastAt(at, w.d.Now()); bad != nil {
				return RetryMsg(*bad), nil
			}
			a.Start = at.Unix()
			return w.toPreview(a), nil
		},
	}
}

// toPreview shows the texts exactly as residents will get them (with the file, the text
// as its caption), then the summary, which names the button.
func (w *bcWizard) toPreview(a *broadcast) Next {
	fa, az := a.texts()
	as := func(s string) coopbot.Reply { return coopbot.Reply{Text: []coopbot.Msg{coopbot.Raw(s)}, File: a.File} }
	next := Goto(StepReview)
	switch {
	case a.Mode == bcOne:
		return next.Say(coopbot.Text(coopbot.M("broadcast.preview.label_one")), as(fa))
	case fa != "":
		next = next.Say(coopbot.Text(coopbot.M("broadcast.preview.label_fa")), as(fa))
	}
	if az != "" {
		next = next.Say(coopbot.Text(coopbot.M("broadcast.preview.label_az")), as(az))
	}
	return next
}

// bcCountMsgs are the preview lines of recipient counts, one per platform.
var bcCountMsgs = map[coopbot.Platform]string{coopbot.Bale: "broadcast.preview.count_bale", coopbot.Telegram: "broadcast.preview.count_telegram"}

// reviewAudience is the preview's who and how many.
func (w *bcWizard) reviewAudience(ctx context.Context, c *Conv, a *broadcast) ([]coopbot.Msg, error) {
	lines, _, err := AudienceSummary(ctx, w.d.Store, c.Lang(), a.Audience)
	return lines, err
}

// reviewWhen is the preview's start.
func (w *bcWizard) reviewWhen(ctx context.Context, c *Conv, a *broadcast) ([]coopbot.Msg, error) {
	if a.Start == 0 {
		return []coopbot.Msg{coopbot.M("broadcast.preview.now")}, nil
	}
	at := time.Unix(a.Start, 0)
	return []coopbot.Msg{coopbot.M("broadcast.preview.at", "Date", text.LongDate(at, text.Lang(c.Lang())), "Clock", text.Clock(at))}, nil
}

// check holds the confirm back when the audience lost every reachable recipient since
// it was chosen, or the texts are missing.
func (w *bcWizard) check(ctx context.Context, c *Conv, a *broadcast) (*Next, error) {
	if fa, az := a.texts(); fa == "" && az == "" {
		next := Goto("mode")
		return &next, nil
	}
	if a.File != nil && !a.captionFits() {
		next := Goto("file").Say(coopbot.Text(coopbot.M("broadcast.file.text_too_long", "Max", text.Number(coopbot.MaxCaption))))
		return &next, nil
	}
	counts, err := w.d.Store.AudienceCounts(ctx, a.Audience)
	if err != nil || bcTotal(counts) > 0 {
		return nil, err
	}
	next := Goto("audience").Say(coopbot.Text(coopbot.M("broadcast.audience.empty")))
	return &next, nil
}

func (w *bcWizard) submit(ctx context.Context, c *Conv, a *broadcast) (Next, error) {
	fa, az := a.texts()
	nb := coopbot.NewBroadcast{
		CreatedBy: c.Profile.ResidentID, Audience: a.Audience, TextFa: fa, TextAz: az, File: a.File, Button: a.Button,
		Progress: coopbot.ProgressMessage{Platform: c.Platform, ChatID: c.ChatID, Lang: c.Lang()},
	}
	if c.Update.Kind == KindCallback {
		nb.Progress.MessageID = c.Update.MessageID // the preview becomes the progress message
	}
	if a.Start > 0 {
		nb.StartAt = time.Unix(a.Start, 0)
	}
	id, total, err := SendBroadcast(ctx, w.d.Store, c.Staff, nb)
	switch {
	case coopbot.ErrorCode(err) == coopbot.EForbidden:
		return Done(coopbot.Text(coopbot.M("broadcast.denied"))), nil
	case coopbot.ErrorMsgID(err) == "broadcast.button.gone":
		// The training started or was cancelled, or the cooperative closed, since it was chosen.
		return Goto("button").Say(coopbot.Text(coopbot.M("broadcast.button.gone"))), nil
	case err != nil:
		return Next{}, err
	}
	st := coopbot.BroadcastStatus{ID: id, Status: coopbot.BroadcastRunning, Total: total, Pending: total, StartAt: nb.StartAt}
	if !nb.StartAt.IsZero() {
		st.Status = coopbot.BroadcastScheduled
	}
	if nb.Progress.MessageID == 0 {
		// No preview to turn into the progress message: the runner posts one.
		return Done(coopbot.Text(coopbot.M("broadcast.queued", "ID", text.Number(id)))), nil
	}
	progress := broadcastProgress(st, w.d.Now())
	progress.Edit = true
	return Done(progress), nil
}

func broadcastSubject(id int64) string { return "broadcast:" + strconv.FormatInt(id, 10) }

// cancel is the progress message's Cancel button. Staff may cancel any broadcast; a
// neighborhood manager those to their own neighborhood.
func (w *bcWizard) cancel(ctx context.Context, c *Conv, args string) (Next, error) {
	stale := Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "conv.stale"}})
	id, err := strconv.ParseInt(args, 10, 64)
	if err != nil || id <= 0 {
		return stale, nil
	}
	s, err := w.d.Store.Staff(ctx, c.Profile.ResidentID)
	if err != nil {
		return Next{}, err
	}
	st, err := CancelBroadcastAs(ctx, w.d.Store, s, c.Profile.ResidentID, id)
	switch coopbot.ErrorCode(err) {
	case "":
	case coopbot.ENotFound:
		return stale, nil
	case coopbot.EForbidden:
		return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "broadcast.cancel.denied"}}), nil
	case coopbot.EConflict:
		return Stay(coopbot.Reply{Toast: &coopbot.Msg{ID: "broadcast.cancel.over"}}), nil
	default:
		return Next{}, err
	}
	r := broadcastProgress(*st, w.d.Now())
	r.Edit = true
	r.Toast = &coopbot.Msg{ID: "broadcast.cancel.done"}
	return Stay(r), nil
}

// BroadcastMessages words the progress message for the broadcast runner (cmd passes it
// in).
type BroadcastMessages struct{}

// BroadcastProgress is the progress message of a broadcast: counts in Persian digits, a
// bar, the estimated finish and a Cancel button while it runs; the final counts once it
// ended.
func (BroadcastMessages) BroadcastProgress(s coopbot.BroadcastStatus, now time.Time) coopbot.Reply {
	return broadcastProgress(s, now)
}

func broadcastProgress(s coopbot.BroadcastStatus, now time.Time) coopbot.Reply {
	id := text.Number(s.ID)
	counts := coopbot.M("broadcast.progress.counts",
		"Sent", text.Number(int64(s.Sent)), "Unreachable", text.Number(int64(s.Unreachable)),
		"Failed", text.Number(int64(s.Failed)), "Unknown", text.Number(int64(s.Unknown)))
	cancel := [][]coopbot.Button{{{Label: coopbot.M("broadcast.cancel"), Data: "a:" + broadcastCancelAction + ":" + strconv.FormatInt(s.ID, 10)}}}
	switch {
	case s.Status == coopbot.BroadcastScheduled:
		return coopbot.Reply{Text: []coopbot.Msg{
			coopbot.M("broadcast.progress.scheduled", "ID", id, "Date", text.Date(s.StartAt), "Clock", text.Clock(s.StartAt)),
			coopbot.M("broadcast.preview.total", "Total", text.Number(int64(s.Total))).WithCount(s.Total),
		}, Buttons: cancel}
	case s.Status.Ended():
		title := "broadcast.progress.done"
		if s.Status == coopbot.BroadcastCancelled {
			title = "broadcast.progress.cancelled"
		}
		r := coopbot.Text(coopbot.M(title, "ID", id), bcBar(s), counts)
		if s.Status == coopbot.BroadcastCancelled {
			r.Text = append(r.Text, coopbot.M("broadcast.progress.not_sent", "Count", text.Number(int64(s.NotSent()))))
		}
		if !s.Finished {
			r.Text = append(r.Text, coopbot.M("broadcast.progress.finishing"))
		}
		return r
	}
	r := coopbot.Reply{Text: []coopbot.Msg{coopbot.M("broadcast.progress.running", "ID", id), bcBar(s), counts}, Buttons: cancel}
	switch {
	case s.Finish.IsZero():
	case text.JalaliOf(s.Finish) == text.JalaliOf(now):
		r.Text = append(r.Text, coopbot.M("broadcast.progress.eta", "Clock", text.Clock(s.Finish)))
	default:
		r.Text = append(r.Text, coopbot.M("broadcast.progress.eta_date", "Date", text.Date(s.Finish), "Clock", text.Clock(s.Finish)))
	}
	return r
}

// bcBar draws how much of a broadcast is done, with the counts.
func bcBar(s coopbot.BroadcastStatus) coopbot.Msg {
	const cells = 12
	filled := s.Percent() * cells / 100
	// Filled cells first reads right to left as progress in an RTL message.
	b := strings.Repeat("▓", filled) + strings.Repeat("░", cells-filled)
	return coopbot.M("broadcast.progress.bar", "Bar", b, "Percent", text.FaDigits(strconv.Itoa(s.Percent())),
		"Done", text.Number(int64(s.Handled())), "Total", text.Number(int64(s.Total)))
}

// renderBroadcastReport is the final report to the staff member who sent broadcast n.ID.
func renderBroadcastReport(ctx context.Context, s Store, _ *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	st, err := s.BroadcastStatus(ctx, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	r := coopbot.Text(
		coopbot.M("broadcast.report.title", "ID", text.Number(st.ID)),
		coopbot.M("broadcast.report.sent", "Count", text.Number(int64(st.Sent))),
		coopbot.M("broadcast.report.unreachable", "Count", text.Number(int64(st.Unreachable))),
		coopbot.M("broadcast.report.failed", "Count", text.Number(int64(st.Failed))),
		coopbot.M("broadcast.report.unknown", "Count", text.Number(int64(st.Unknown))),
	)
	if st.Status == coopbot.BroadcastCancelled {
		r.Text = append(r.Text, coopbot.M("broadcast.report.cancelled", "Count", text.Number(int64(st.NotSent()))))
	}
	if st.Unknown > 0 {
		r.Text = append(r.Text, coopbot.M("broadcast.report.unknown_note"))
	}
	r.Buttons = [][]coopbot.Button{{broadcastExportButton(st.ID)}}
	return r, nil
}
