package flows

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"coopbot"
	"coopbot/text"
)

// Residents' questions, the staff's inbox: questions filtered by status (open first),
// oldest first; a question's card with its photo, answers, and the buttons to answer it in
// the chat and to close it. Staff see every neighborhood; a neighborhood manager only
// theirs. The flow's gate re-reads the role at every update and the store applies the
// scope in SQL, so a forged id outside it is refused (and recorded).

// QuestionAdminStore is what the staff's inbox needs. Every method takes the caller's
// staff role and applies its scope.
type QuestionAdminStore interface {
	// StaffQuestions lists questions within the scope whose status is one of statuses
	// (all when none), oldest first, a page at a time, and how many there are.
	StaffQuestions(ctx context.Context, s *coopbot.Staff, statuses []coopbot.QuestionStatus, page, per int) ([]coopbot.Question, int, error)
	// StaffQuestion returns a question within the scope (not_found outside it).
	StaffQuestion(ctx context.Context, s *coopbot.Staff, id int64) (*coopbot.Question, error)
	// AnswerQuestion adds an answer, marks the question answered, audits it and queues
	// coopbot.NoticeQuestionAnswer to the resident, in one transaction. conflict when the
	// question is closed; not_found outside the scope.
	AnswerQuestion(ctx context.Context, s *coopbot.Staff, id int64, body string) error
	// CloseQuestion closes a question, audited. conflict when it was closed already.
	CloseQuestion(ctx context.Context, s *coopbot.Staff, id int64) error
}

// Flows of the staff's side: the inbox, and one question opened from its alert.
const (
	FlowQuestionsInbox = "questions_inbox"
	FlowQuestionCard   = "question_card"
)

// questionAction is the action of the button on a new-question alert: "a:q:<id>".
const questionAction = "q"

// questionGroups are the status filters of the inbox; the first is the default.
var questionGroups = []struct {
	key      string
	statuses []coopbot.QuestionStatus
}{
	{"open", []coopbot.QuestionStatus{coopbot.QuestionOpen}},
	{"answered", []coopbot.QuestionStatus{coopbot.QuestionAnswered}},
	{"closed", []coopbot.QuestionStatus{coopbot.QuestionClosed}},
	{"all", nil},
}

// questionInbox is where a staff member is in the inbox.
type questionInbox struct {
	Group    int   `json:"g,omitempty"`
	Question int64 `json:"q,omitempty"`
}

func (a *questionInbox) group() int {
	if a.Group < 0 || a.Group >= len(questionGroups) {
		return 0
	}
	return a.Group
}

func questionSubject(id int64) string { return "question:" + strconv.FormatInt(id, 10) }

// questionGate admits staff and neighborhood managers as the store says now, and fills
// c.Staff; a refusal is recorded.
func questionGate(d Deps) Gate {
	return func(ctx context.Context, c *Conv) (*coopbot.Msg, error) {
		s, err := d.Store.Staff(ctx, c.Profile.ResidentID)
		if err != nil {
			return nil, err
		}
		if s == nil {
			if err := d.Store.Audit(ctx, c.Profile.ResidentID, "question_inbox", "", false, nil); err != nil {
				return nil, err
			}
			m := coopbot.M("questions.denied")
			return &m, nil
		}
		c.Staff = s
		return nil, nil
	}
}

// questionRefused records a refused look at or change of question id.
func questionRefused(ctx context.Context, d Deps, c *Conv, action string, id int64) error {
	return d.Store.Audit(ctx, c.Profile.ResidentID, action, questionSubject(id), false, nil)
}

func questionsAdminFeature(d Deps) feature {
	card, answer, closing := questionCardStep(d), questionAnswerStep(d), questionCloseStep(d)
	gate := questionGate(d)
	return feature{
		flows: []flowDef{
			&Flow[questionInbox]{Name: FlowQuestionsInbox, Gate: gate, Steps: []Step[questionInbox]{questionList(d).Step(), card, answer, closing}},
			&Flow[questionInbox]{Name: FlowQuestionCard, Gate: gate, Steps: []Step[questionInbox]{card, answer, closing}},
		},
		menu: []MenuItem{{Label: "questions.menu.inbox", Value: FlowQuestionsInbox, Visible: staffOnly,
			Open: func(ctx context.Context, c *Conv) (Next, error) { return Start(FlowQuestionsInbox, nil), nil }}},
		actions: map[string]Action{questionAction: questionAlertAction(d)},
	}
}

// questionAlertAction opens the question of an alert, for staff whose scope covers it.
func questionAlertAction(d Deps) Action {
	return func(ctx context.Context, c *Conv, args string) (Next, error) {
		id, ok := Input{Choice: questionAction + ":" + args}.Pick(questionAction)
		denied := func() (Next, error) {
			if err := questionRefused(ctx, d, c, "question_open", id); err != nil {
				return Next{}, err
			}
			return Stay(toast("questions.denied")), nil
		}
		if !ok {
			return Stay(toast("conv.stale")), nil
		}
		s, err := d.Store.Staff(ctx, c.Profile.ResidentID)
		if err != nil {
			return Next{}, err
		}
		if s == nil {
			return denied()
		}
		if _, err := d.Store.StaffQuestion(ctx, s, id); coopbot.ErrorCode(err) == coopbot.ENotFound {
			return denied()
		} else if err != nil {
			return Next{}, err
		}
		return Start(FlowQuestionCard, questionInbox{Question: id}), nil
	}
}

// questionList is the inbox: a page of questions of the status filter, each opening its
// card, and buttons to the other filters.
func questionList(d Deps) List[questionInbox, coopbot.Question] {
	return List[questionInbox, coopbot.Question]{
		Name:    "list",
		PerPage: questionsPerPage,
		Items: func(ctx context.Context, c *Conv, a *questionInbox, page, per int) ([]coopbot.Question, int, error) {
			return d.Store.StaffQuestions(ctx, c.Staff, questionGroups[a.group()].statuses, page, per)
		},
		Title: func(ctx context.Context, c *Conv, a *questionInbox, total int) ([]coopbot.Msg, error) {
			return []coopbot.Msg{coopbot.M("questions.list.title", "Group", coopbot.M("questions.group."+questionGroups[a.group()].key),
				"Count", text.Number(int64(total))).WithCount(total)}, nil
		},
		Show: func(c *Conv, _ *questionInbox, q coopbot.Question) ([]coopbot.Msg, coopbot.Msg) {
			return []coopbot.Msg{coopbot.M("questions.list.item", "ID", recordNo(q.ID), "Date", text.Date(q.CreatedAt),
					"Name", text.Isolate(q.AskerName), "Status", coopbot.M(questionStatusID(q.Status)), "Text", text.Isolate(text.Shorten(q.Body, 60)))},
				coopbot.M("questions.list.open", "ID", recordNo(q.ID), "Name", text.Isolate(text.Shorten(q.AskerName, 20)))
		},
		ID: func(q coopbot.Question) int64 { return q.ID },
		Find: func(ctx context.Context, c *Conv, _ *questionInbox, id int64) (coopbot.Question, bool, error) {
			q, err := d.Store.StaffQuestion(ctx, c.Staff, id)
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				// Outside the scope (forged data) or gone: refused and recorded.
				return coopbot.Question{}, false, questionRefused(ctx, d, c, "question_view", id)
			}
			if err != nil {
				return coopbot.Question{}, false, err
			}
			return *q, true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *questionInbox, q coopbot.Question) (Next, error) {
			a.Question = q.ID
			return Goto("card"), nil
		},
		More: func(ctx context.Context, c *Conv, a *questionInbox) ([]coopbot.Button, error) {
			var out []coopbot.Button
			for i, g := range questionGroups {
				if i != a.group() {
					out = append(out, coopbot.Button{Label: coopbot.M("questions.filter." + g.key), Data: Data("g", int64(i))})
				}
			}
			return out, nil
		},
		Other: func(ctx context.Context, c *Conv, a *questionInbox, in Input) (Next, bool, error) {
			if i, ok := in.PickIndex("g", len(questionGroups)); ok {
				a.Group = i
				c.ShowPage(0)
				return Again(), true, nil
			}
			return Next{}, false, nil
		},
		Empty:   coopbot.M("questions.list.none"),
		Gone:    "questions.denied",
		Invalid: "questions.list.use_buttons",
	}
}

// questionCardText is a question as staff see it: who asked, from where, and everything
// said.
func questionCardText(ctx context.Context, d Deps, c *Conv, q *coopbot.Question) ([]coopbot.Msg, error) {
	nbh := coopbot.M("questions.card.no_neighborhood")
	if q.NeighborhoodID != 0 {
		name, err := needNeighborhoodName(ctx, d, c.Lang(), q.NeighborhoodID)
		if err != nil {
			return nil, err
		}
		nbh = coopbot.Raw(name)
	}
	out := []coopbot.Msg{
		coopbot.M("questions.card.asker", "Name", text.Isolate(q.AskerName)),
		coopbot.M("questions.card.neighborhood", "Name", nbh),
	}
	return append(out, questionLines(q, true)...), nil
}

// questionCardStep shows the question on screen with its buttons.
func questionCardStep(d Deps) Step[questionInbox] {
	return Step[questionInbox]{
		Name: "card",
		Ask: func(ctx context.Context, c *Conv, a *questionInbox) (coopbot.Reply, error) {
			q, err := d.Store.StaffQuestion(ctx, c.Staff, a.Question)
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				return coopbot.Text(coopbot.M("questions.denied")), nil
			}
			if err != nil {
				return coopbot.Reply{}, err
			}
			lines, err := questionCardText(ctx, d, c, q)
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Reply{Text: lines}
			if q.Photo != nil {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("question.photo.show"), Data: "photo"}})
			}
			if q.Status != coopbot.QuestionClosed {
				r.Buttons = append(r.Buttons, []coopbot.Button{
					{Label: coopbot.M("questions.card.answer"), Data: "answer"},
					{Label: coopbot.M("questions.card.close"), Data: "close"},
				})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *questionInbox, in Input) (Next, error) {
			q, err := d.Store.StaffQuestion(ctx, c.Staff, a.Question)
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				if err := questionRefused(ctx, d, c, "question_view", a.Question); err != nil {
					return Next{}, err
				}
				return Done(coopbot.Text(coopbot.M("questions.denied"))), nil
			}
			if err != nil {
				return Next{}, err
			}
			switch {
			case in.Choice == "photo" && q.Photo != nil:
				return Again().Say(questionPhotoReply(q)), nil
			case in.Choice == "answer" && q.Status != coopbot.QuestionClosed:
				return Goto("answer"), nil
			case in.Choice == "close" && q.Status != coopbot.QuestionClosed:
				return Goto("close"), nil
			}
			return Retry("questions.card.use_buttons"), nil
		},
	}
}

// questionDecided answers a change the store refused or made.
func questionDecided(ctx context.Context, d Deps, c *Conv, a *questionInbox, action string, err error, done string) (Next, error) {
	switch coopbot.ErrorCode(err) {
	case "":
		return Goto("card").Say(coopbot.Text(coopbot.M(done, "ID", recordNo(a.Question)))), nil
	case coopbot.EConflict:
		return Goto("card").Say(coopbot.Text(coopbot.M("questions.card.closed_already"))), nil
	case coopbot.ENotFound:
		if err := questionRefused(ctx, d, c, action, a.Question); err != nil {
			return Next{}, err
		}
		return Done(coopbot.Text(coopbot.M("questions.denied"))), nil
	}
	return Next{}, err
}

// questionAnswerStep takes the staff member's answer and sends it.
func questionAnswerStep(d Deps) Step[questionInbox] {
	rules := questionAnswerRules
	return Step[questionInbox]{
		Name: "answer",
		Ask: func(ctx context.Context, c *Conv, a *questionInbox) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("questions.answer.prompt", "ID", recordNo(a.Question), "Max", text.Number(coopbot.QuestionAnswerMax))), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *questionInbox, in Input) (Next, error) {
			s, retry, ok := rules.read(in)
			if !ok {
				return retry, nil
			}
			err := d.Store.AnswerQuestion(ctx, c.Staff, a.Question, s)
			return questionDecided(ctx, d, c, a, "question_answer", err, "questions.answer.sent")
		},
	}
}

// questionCloseStep asks once more and closes the question.
func questionCloseStep(d Deps) Step[questionInbox] {
	return Step[questionInbox]{
		Name: "close",
		Ask: func(ctx context.Context, c *Conv, a *questionInbox) (coopbot.Reply, error) {
			return coopbot.Reply{
				Text: []coopbot.Msg{coopbot.M("questions.close.confirm", "ID", recordNo(a.Question))},
				Buttons: [][]coopbot.Button{{
					{Label: coopbot.M("questions.close.yes"), Data: "yes"},
					{Label: coopbot.M("questions.close.no"), Data: "no"},
				}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *questionInbox, in Input) (Next, error) {
			switch in.Choice {
			case "no":
				return Goto("card"), nil
			case "yes":
				err := d.Store.CloseQuestion(ctx, c.Staff, a.Question)
				return questionDecided(ctx, d, c, a, "question_close", err, "questions.close.done")
			}
			return Retry("questions.card.use_buttons"), nil
		},
	}
}

// renderQuestionNew tells a staff member of a new question in their scope, with a button
// that opens it; nothing once it is no longer open or they no longer cover it.
func renderQuestionNew(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	st, err := s.Staff(ctx, to.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	if st == nil {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("resident %d is no longer staff", to.ID)}
	}
	q, err := s.StaffQuestion(ctx, st, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	if q.Status != coopbot.QuestionOpen {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("question %d is %s", q.ID, q.Status)}
	}
	nbhs, err := s.Neighborhoods(ctx)
	if err != nil {
		return coopbot.Reply{}, err
	}
	var where any = coopbot.M("questions.card.no_neighborhood")
	if i := slices.IndexFunc(nbhs, func(x coopbot.Neighborhood) bool { return x.ID == q.NeighborhoodID }); i >= 0 {
		where = coopbot.Names{Fa: nbhs[i].NameFa, Az: nbhs[i].Name(coopbot.Azeri)}
	}
	return coopbot.Reply{
		Text: []coopbot.Msg{coopbot.M("questions.alert.new", "ID", recordNo(q.ID), "Neighborhood", where,
			"Text", needEcho(text.Shorten(q.Body, 200)))},
		Buttons: [][]coopbot.Button{{{Label: coopbot.M("questions.alert.open"),
			Data: "a:" + questionAction + ":" + strconv.FormatInt(q.ID, 10)}}},
	}, nil
}
