package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"

	"coopbot"
	"coopbot/text"
)

// Asking the office, the resident's side: write a question or a complaint (text, and
// optionally one photo) → review with an edit button for each → send → its number. The
// neighborhood's managers (or the office staff) are told; each answer reaches the
// resident as a notice in their language. "My questions" shows each question with its
// status and answers. The staff's inbox is questionsadmin.go.

// QuestionStore keeps residents' questions; every method is the resident's own, by their
// resident id.
type QuestionStore interface {
	// CreateQuestion files q (its neighborhood is the resident's current one) and fills
	// ID, NeighborhoodID, Status and CreatedAt. The same SubmitKey again returns the first
	// question unchanged. The staff responsible for the neighborhood (its managers, or
	// else the office staff) are sent coopbot.NoticeQuestionNew in the same transaction;
	// the question is audited.
	CreateQuestion(ctx context.Context, q *coopbot.Question) error
	// MyQuestions lists a resident's own questions, newest first, with their answers.
	MyQuestions(ctx context.Context, residentID int64) ([]coopbot.Question, error)
	// MyQuestion returns a resident's own question by id (not_found otherwise).
	MyQuestion(ctx context.Context, residentID, id int64) (*coopbot.Question, error)
}

// Flow names of the resident's side.
const (
	FlowQuestion     = "question"
	FlowQuestionMine = "question_mine"
)

// question is the question a resident is writing.
type question struct {
	Key   string        `json:"k,omitempty"`
	Text  string        `json:"t,omitempty"`
	Photo *coopbot.File `json:"ph,omitempty"`
}

// questionMine is where a resident is in "my questions".
type questionMine struct {
	Question int64 `json:"q,omitempty"`
}

func questionsFeature(d Deps) feature {
	r := questionResidentFeature(d)
	a := questionsAdminFeature(d)
	r.flows = append(r.flows, a.flows...)
	r.menu = append(r.menu, a.menu...)
	r.actions = a.actions
	return r
}

func questionResidentFeature(d Deps) feature {
	return feature{
		flows: []flowDef{
			&Flow[question]{Name: FlowQuestion, Steps: questionForm(d).Steps()},
			&Flow[questionMine]{Name: FlowQuestionMine, Steps: []Step[questionMine]{questionMineList(d).Step(), questionMineDetail(d)}},
		},
		menu: []MenuItem{
			{Label: "question.menu.ask", Value: FlowQuestion, Open: func(ctx context.Context, c *Conv) (Next, error) {
				return Start(FlowQuestion, nil), nil
			}},
			{Label: "question.menu.mine", Value: FlowQuestionMine, Open: func(ctx context.Context, c *Conv) (Next, error) {
				return openMyQuestions(ctx, d, c)
			}},
		},
	}
}

// openMyQuestions opens "my questions", or says there are none.
func openMyQuestions(ctx context.Context, d Deps, c *Conv) (Next, error) {
	list, err := d.Store.MyQuestions(ctx, c.Profile.ResidentID)
	if err != nil {
		return Next{}, err
	}
	if len(list) == 0 {
		return Retry("question.mine.none"), nil
	}
	return Start(FlowQuestionMine, nil), nil
}

// questionForm is the question: its text (a photo with a caption gives both), an optional
// photo, then the review.
func questionForm(d Deps) Form[question] {
	return Form[question]{
		Fields: []Field[question]{
			{Step: questionTextStep(), Edit: "question.review.edit_text", Review: func(_ context.Context, _ *Conv, a *question) ([]coopbot.Msg, error) {
				return []coopbot.Msg{coopbot.M("question.field.text", "Text", needEcho(a.Text))}, nil
			}},
			{Step: questionPhotoStep(), Edit: "question.review.edit_photo", Review: func(_ context.Context, _ *Conv, a *question) ([]coopbot.Msg, error) {
				if a.Photo != nil {
					return []coopbot.Msg{coopbot.M("question.field.photo")}, nil
				}
				return []coopbot.Msg{coopbot.M("question.field.no_photo")}, nil
			}},
		},
		Title:       "question.review.title",
		Confirm:     "question.review.confirm",
		SubmitLabel: "question.review.submit",
		Invalid:     "question.review.use_buttons",
		Check: func(ctx context.Context, c *Conv, a *question) (*Next, error) {
			if a.Key == "" || runeCount(a.Text) < coopbot.QuestionBodyMin || (a.Photo != nil && !a.Photo.Valid()) {
				next := Start(FlowQuestion, nil).Say(coopbot.Text(coopbot.M("question.review.incomplete")))
				return &next, nil
			}
			return nil, nil
		},
		Submit: func(ctx context.Context, c *Conv, a *question) (Next, error) {
			q := &coopbot.Question{ResidentID: c.Profile.ResidentID, SubmitKey: a.Key, Body: a.Text, Photo: a.Photo}
			if err := d.Store.CreateQuestion(ctx, q); err != nil {
				return Next{}, err
			}
			return Done(coopbot.Text(coopbot.M("question.sent", "ID", recordNo(q.ID)), coopbot.M("question.sent.follow"))), nil
		},
	}
}

// questionKey gives the question being written its submission key, once.
func questionKey(a *question) error {
	if a.Key != "" {
		return nil
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	a.Key = hex.EncodeToString(b)
	return nil
}

// questionPhoto reads a photo sent as the answer: ok false when in is not a photo.
func questionPhoto(in Input) (*coopbot.File, bool) {
	if in.Kind != KindFile || in.File == nil || in.File.Kind != coopbot.FilePhoto || !in.File.Valid() {
		return nil, false
	}
	f := *in.File
	return &f, true
}

// questionTextStep takes the question's words; a photo with a caption gives the words and
// the photo at once (and goes to the review), a photo alone is kept and the words asked for.
func questionTextStep() Step[question] {
	rules := needText{min: coopbot.QuestionBodyMin, max: coopbot.QuestionBodyMax, multiline: true,
		notText: "question.text.invalid", short: "question.text.too_short", long: "question.text.too_long"}
	return Step[question]{
		Name: "text",
		Ask: func(ctx context.Context, c *Conv, a *question) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.M("question.text.prompt", "Max", text.Number(coopbot.QuestionBodyMax))), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *question, in Input) (Next, error) {
			if err := questionKey(a); err != nil {
				return Next{}, err
			}
			if in.Kind == KindFile {
				photo, ok := questionPhoto(in)
				if !ok {
					return Retry("question.photo.only_photo"), nil
				}
				a.Photo = photo
				if runeCount(in.Caption) < coopbot.QuestionBodyMin {
					return Retry("question.text.after_photo"), nil
				}
				if n := runeCount(in.Caption); n > coopbot.QuestionBodyMax {
					return Retry("question.text.too_long", "Count", text.Number(int64(n)), "Max", text.Number(coopbot.QuestionBodyMax)), nil
				}
				a.Text = in.Caption
				return Goto(StepReview), nil
			}
			s, retry, ok := rules.read(in)
			if !ok {
				return retry, nil
			}
			a.Text = s
			return Forward(), nil
		},
	}
}

// questionPhotoStep offers to add one photo, or to go on without (removing one sent).
func questionPhotoStep() Step[question] {
	return Step[question]{
		Name: "photo",
		Ask: func(ctx context.Context, c *Conv, a *question) (coopbot.Reply, error) {
			label := "question.photo.none"
			if a.Photo != nil {
				label = "question.photo.remove"
			}
			return coopbot.Reply{
				Text:    []coopbot.Msg{coopbot.M("question.photo.prompt")},
				Buttons: [][]coopbot.Button{{{Label: coopbot.M(label), Data: "none"}}},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *question, in Input) (Next, error) {
			if in.Choice == "none" {
				a.Photo = nil
				return Forward(), nil
			}
			photo, ok := questionPhoto(in)
			if !ok {
				return Retry("question.photo.only_photo"), nil
			}
			a.Photo = photo
			return Forward(), nil
		},
	}
}

// questionStatusID is the label of a status.
func questionStatusID(s coopbot.QuestionStatus) string { return "question.status." + string(s) }

// questionLines are a question as its resident or (forStaff) staff read it: number,
// date, status, the words and the answers.
func questionLines(q *coopbot.Question, forStaff bool) []coopbot.Msg {
	out := []coopbot.Msg{
		coopbot.M("question.detail.title", "ID", recordNo(q.ID), "Date", whenText(q.CreatedAt)),
		coopbot.M("question.detail.status", "Status", coopbot.M(questionStatusID(q.Status))),
		coopbot.M("question.field.text", "Text", needEcho(q.Body)),
	}
	if q.Photo != nil {
		out = append(out, coopbot.M("question.field.photo"))
	}
	if len(q.Answers) == 0 {
		return append(out, coopbot.M("question.detail.no_answer"))
	}
	for _, a := range q.Answers {
		out = append(out, coopbot.Raw(""), coopbot.M("question.detail.answer", "Date", whenText(a.At), "Text", needEcho(a.Body)))
		if forStaff && a.AuthorName != "" {
			out = append(out, coopbot.M("questions.card.by", "Name", text.Isolate(a.AuthorName)))
		}
	}
	return out
}

// questionPhotoReply shows a question's photo by its file id.
func questionPhotoReply(q *coopbot.Question) coopbot.Reply {
	return coopbot.Reply{File: q.Photo, Text: []coopbot.Msg{coopbot.M("question.photo.caption", "ID", recordNo(q.ID))}}
}

const questionsPerPage = 5

// questionMineList is "my questions", newest first; each opens its answers.
func questionMineList(d Deps) List[questionMine, coopbot.Question] {
	return List[questionMine, coopbot.Question]{
		Name:    "list",
		PerPage: questionsPerPage,
		Items: func(ctx context.Context, c *Conv, _ *questionMine, page, per int) ([]coopbot.Question, int, error) {
			all, err := d.Store.MyQuestions(ctx, c.Profile.ResidentID)
			return pageItems(all, page, per), len(all), err
		},
		Title: func(ctx context.Context, c *Conv, _ *questionMine, total int) ([]coopbot.Msg, error) {
			return []coopbot.Msg{coopbot.M("question.mine.title", "Count", text.Number(int64(total))).WithCount(total)}, nil
		},
		Show: func(c *Conv, _ *questionMine, q coopbot.Question) ([]coopbot.Msg, coopbot.Msg) {
			return []coopbot.Msg{coopbot.M("question.mine.item", "ID", recordNo(q.ID), "Date", text.Date(q.CreatedAt),
					"Status", coopbot.M(questionStatusID(q.Status)), "Text", text.Isolate(text.Shorten(q.Body, 60)))},
				coopbot.M("question.mine.open", "ID", recordNo(q.ID))
		},
		ID: func(q coopbot.Question) int64 { return q.ID },
		Find: func(ctx context.Context, c *Conv, _ *questionMine, id int64) (coopbot.Question, bool, error) {
			q, err := d.Store.MyQuestion(ctx, c.Profile.ResidentID, id)
			if coopbot.ErrorCode(err) == coopbot.ENotFound {
				return coopbot.Question{}, false, nil
			}
			if err != nil {
				return coopbot.Question{}, false, err
			}
			return *q, true, nil
		},
		Pick: func(ctx context.Context, c *Conv, a *questionMine, q coopbot.Question) (Next, error) {
			a.Question = q.ID
			return Goto("detail"), nil
		},
		Empty:   coopbot.M("question.mine.none"),
		Gone:    "question.mine.gone",
		Invalid: "question.mine.use_buttons",
	}
}

// questionMineDetail is one of the resident's questions with its answers.
func questionMineDetail(d Deps) Step[questionMine] {
	load := func(ctx context.Context, c *Conv, a *questionMine) (*coopbot.Question, error) {
		return d.Store.MyQuestion(ctx, c.Profile.ResidentID, a.Question)
	}
	return Step[questionMine]{
		Name: "detail",
		Ask: func(ctx context.Context, c *Conv, a *questionMine) (coopbot.Reply, error) {
			q, err := load(ctx, c, a)
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Reply{Text: questionLines(q, false)}
			if q.Photo != nil {
				r.Buttons = [][]coopbot.Button{{{Label: coopbot.M("question.photo.show"), Data: "photo"}}}
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *questionMine, in Input) (Next, error) {
			if in.Choice == "photo" {
				q, err := load(ctx, c, a)
				if err != nil {
					return Next{}, err
				}
				if q.Photo != nil {
					return Again().Say(questionPhotoReply(q)), nil
				}
			}
			return Retry("question.mine.use_buttons"), nil
		},
	}
}

// renderQuestionAnswer tells a resident of an answer (N[0]) to their question, in their
// language.
func renderQuestionAnswer(ctx context.Context, s Store, to *coopbot.Resident, n coopbot.Notice) (coopbot.Reply, error) {
	num, err := noticeNumbers(n, 1)
	if err != nil {
		return coopbot.Reply{}, err
	}
	q, err := s.MyQuestion(ctx, to.ID, n.ID)
	if err != nil {
		return coopbot.Reply{}, err
	}
	i := slices.IndexFunc(q.Answers, func(a coopbot.QuestionAnswer) bool { return a.ID == num[0] })
	if i < 0 || q.Answers[i].Body == "" {
		return coopbot.Reply{}, &coopbot.Error{Code: coopbot.ENotFound, Err: fmt.Errorf("question %d has no answer %d", q.ID, num[0])}
	}
	return coopbot.Text(
		coopbot.M("question.notify.answer", "ID", recordNo(q.ID), "Question", needEcho(text.Shorten(q.Body, 120))),
		coopbot.M("question.notify.text", "Text", needEcho(q.Answers[i].Body)),
		coopbot.M("question.notify.footer"),
	), nil
}
