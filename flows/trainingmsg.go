package flows

import (
	"context"
	"slices"
	"strconv"

	"coopbot"
	"coopbot/text"
)

// Writing to an enrollee from a training's list of enrollees: staff (or the manager of the
// training's neighborhood) pick a confirmed or wait-listed enrollee, write the words, and
// the enrollee gets them as a notice in their language, naming the training. The store
// checks the author's scope again and audits the message; a press for someone not on this
// training's list is refused and audited here.

// askWriteTo shows a button per enrollee of the training on screen, a page at a time.
func (ts *trainingStaff) askWriteTo(ctx context.Context, c *Conv, a *trainingAdmin) (coopbot.Reply, error) {
	t, err := ts.training(ctx, c, a.Training, "training_message")
	if err != nil || t == nil {
		return coopbot.Text(coopbot.M("trainings.denied")), err
	}
	list, err := ts.d.Store.Enrollees(ctx, t.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	r := coopbot.Text(coopbot.M("trainings.message.pick", trainingData(c, t)...))
	if len(list) == 0 {
		r.Text = append(r.Text, coopbot.M("trainings.enrollees.none"))
		return r, nil
	}
	page, pages := pageCount(c.Page(), len(list), trainingAttendPerPage)
	for _, e := range pageItems(list, page, trainingAttendPerPage) {
		label := text.Truncate(e.Name, 40)
		if e.Status == coopbot.EnrollmentWaitlisted {
			label = "⏳ " + label
		}
		r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.Raw(label), Data: Data("m", e.ID)}})
	}
	pager(&r, page, pages)
	return r, nil
}

// answerWriteTo takes the enrollee pressed: only one on this training's list now.
func (ts *trainingStaff) answerWriteTo(ctx context.Context, c *Conv, a *trainingAdmin, in Input) (Next, error) {
	if turnPage(c, in) {
		return Again(), nil
	}
	id, ok := in.Pick("m")
	if !ok {
		return Retry("training.invalid"), nil
	}
	t, err := ts.training(ctx, c, a.Training, "training_message")
	if err != nil || t == nil {
		return trainingDenied(), err
	}
	list, err := ts.d.Store.Enrollees(ctx, t.ID)
	if err != nil {
		return Next{}, err
	}
	i := slices.IndexFunc(list, func(e coopbot.Enrollee) bool { return e.ID == id })
	if i < 0 {
		// Forged, or of another training: refused and audited.
		if err := ts.d.Store.Audit(ctx, c.Profile.ResidentID, "training_message", "training:"+strconv.FormatInt(t.ID, 10), false,
			map[string]any{"enrollment_id": id}); err != nil {
			return Next{}, err
		}
		ts.d.Log.Info("staff action denied", "resident_id", c.Profile.ResidentID, "action", "training_message", "training_id", t.ID)
		return trainingDenied(), nil
	}
	a.Enrollee, a.EnrolleeName = id, list[i].Name
	return Goto("write"), nil
}

// writeStep takes the words for the enrollee picked and sends them through the store,
// then shows the enrollees again.
func (ts *trainingStaff) writeStep() Step[trainingAdmin] {
	st := TextStep[trainingAdmin]{
		Name: "write",
		Prompt: func(c *Conv, a *trainingAdmin) coopbot.Msg {
			return coopbot.M("trainings.message.prompt", "Name", text.Isolate(a.EnrolleeName), "Max", text.Number(coopbot.OfficeMessageMax))
		},
		Min: 2, Max: coopbot.OfficeMessageMax, Multiline: true,
		Set: func(a *trainingAdmin, s string) { a.body = s },
	}.Step()
	read := st.Answer
	st.Answer = func(ctx context.Context, c *Conv, a *trainingAdmin, in Input) (Next, error) {
		next, err := read(ctx, c, a, in)
		if err != nil || next.kind != nextForward {
			return next, err
		}
		body := a.body
		a.body = ""
		t, err := ts.training(ctx, c, a.Training, "training_message")
		if err != nil || t == nil {
			return trainingDenied(), err
		}
		_, err = ts.d.Store.MessageResident(ctx, c.Profile.ResidentID, coopbot.AboutEnrollment, a.Enrollee, body)
		switch coopbot.ErrorCode(err) {
		case "":
			return Goto("enrollees").Say(coopbot.Text(coopbot.M("office.message.sent"))), nil
		case coopbot.EForbidden:
			return trainingDenied(), nil
		}
		return Next{}, err
	}
	return st
}
