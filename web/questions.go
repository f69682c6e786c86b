package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"coopbot"
	"coopbot/flows"
	"coopbot/text"
)

// Residents' questions in the console: the inbox within the person's scope by status,
// one question with its answers, and the answer and close forms. The store applies the
// scope in SQL and records each answer and close, and an answer is sent to the resident
// by the same notice as one written in the chat.

// questionStore is what the question pages need from the store.
type questionStore interface {
	StaffQuestions(ctx context.Context, s *coopbot.Staff, statuses []coopbot.QuestionStatus, page, per int) ([]coopbot.Question, int, error)
	StaffQuestion(ctx context.Context, s *coopbot.Staff, id int64) (*coopbot.Question, error)
	AnswerQuestion(ctx context.Context, s *coopbot.Staff, id int64, body string) error
	CloseQuestion(ctx context.Context, s *coopbot.Staff, id int64) error
}

// questionsPerPage is a page of the inbox.
const questionsPerPage = 30

type questionsData struct {
	List        []coopbot.Question
	Status      string // "" for every status
	Statuses    []coopbot.QuestionStatus
	Total       int
	Page, Pages int
	First       int
	Prev, Next  string
}

func (s *Server) questions(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	if q.staff == nil {
		return s.denied(ctx, q, "question_inbox", "", nil)
	}
	v := q.r.URL.Query()
	d := questionsData{Status: v.Get("status"), Statuses: coopbot.QuestionStatuses}
	if !v.Has("status") {
		d.Status = string(coopbot.QuestionOpen) // open first, as in the chat
	}
	var statuses []coopbot.QuestionStatus
	if d.Status != "" {
		if !coopbot.QuestionStatus(d.Status).Valid() {
			return refuse(http.StatusBadRequest, "console.error.bad_request")
		}
		statuses = []coopbot.QuestionStatus{coopbot.QuestionStatus(d.Status)}
	}
	var err error
	if d.Page, err = pageNumber(v); err != nil {
		return err
	}
	d.List, d.Total, err = s.cfg.Store.StaffQuestions(ctx, q.staff, statuses, d.Page-1, questionsPerPage)
	if err != nil {
		return err
	}
	d.Pages = max(1, (d.Total+questionsPerPage-1)/questionsPerPage)
	d.First = (d.Page-1)*questionsPerPage + 1
	link := func(page int) string {
		return "/questions?" + url.Values{"status": {d.Status}, "page": {strconv.Itoa(page)}}.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(min(d.Page-1, d.Pages))
	}
	if d.Page < d.Pages {
		d.Next = link(d.Page + 1)
	}
	s.render(w, q.r, q, http.StatusOK, "questions", d)
	return nil
}

type questionData struct {
	Q         *coopbot.Question
	Answer    string // the answer as sent, shown again with its error
	Error     string
	ErrData   []any
	AnswerMax int
}

// Short shortens a question's words for the inbox.
func (questionsData) Short(s string) string { return text.Shorten(s, 80) }

// staffQuestion loads the question of the address within the scope; outside it (or for
// no such question, or without a staff role) the attempt is recorded as action and
// refused.
func (s *Server) staffQuestion(q *req, action string) (*coopbot.Question, error) {
	ctx := q.r.Context()
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, refuse(http.StatusNotFound, "console.error.not_found")
	}
	subject := "question:" + strconv.FormatInt(id, 10)
	if q.staff == nil {
		return nil, s.denied(ctx, q, action, subject, nil)
	}
	x, err := s.cfg.Store.StaffQuestion(ctx, q.staff, id)
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		return nil, s.denied(ctx, q, action, subject, nil)
	}
	return x, err
}

func (s *Server) questionPage(w http.ResponseWriter, q *req, code int, d *questionData) {
	d.AnswerMax = coopbot.QuestionAnswerMax
	s.render(w, q.r, q, code, "question", d)
}

func (s *Server) question(w http.ResponseWriter, q *req) error {
	x, err := s.staffQuestion(q, "question_view")
	if err != nil {
		return err
	}
	switch v := q.r.URL.Query(); {
	case v.Get("answered") == "1":
		q.notice = "console.questions.answered"
	case v.Get("closed") == "1":
		q.notice = "console.questions.closed"
	}
	s.questionPage(w, q, http.StatusOK, &questionData{Q: x})
	return nil
}

// questionAnswer sends an answer as the chat's inbox does.
func (s *Server) questionAnswer(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	x, err := s.staffQuestion(q, "question_answer")
	if err != nil {
		return err
	}
	d := &questionData{Q: x, Answer: q.r.PostForm.Get("answer")}
	again := func(m coopbot.Msg) error {
		d.Error = m.ID
		for k, v := range m.Data {
			d.ErrData = append(d.ErrData, k, v)
		}
		s.questionPage(w, q, http.StatusUnprocessableEntity, d)
		return nil
	}
	body, bad := flows.QuestionAnswer(d.Answer)
	if bad != nil {
		return again(*bad)
	}
	err = s.cfg.Store.AnswerQuestion(ctx, q.staff, x.ID, body)
	switch coopbot.ErrorCode(err) {
	case "":
	case coopbot.EConflict:
		if x, err = s.cfg.Store.StaffQuestion(ctx, q.staff, x.ID); err != nil {
			return err
		}
		d.Q = x
		return again(coopbot.M("questions.card.closed_already"))
	case coopbot.ENotFound:
		return s.denied(ctx, q, "question_answer", "question:"+strconv.FormatInt(x.ID, 10), nil)
	default:
		return err
	}
	http.Redirect(w, q.r, "/questions/"+strconv.FormatInt(x.ID, 10)+"?answered=1", http.StatusSeeOther)
	return nil
}

// questionClose closes a question as the chat's inbox does.
func (s *Server) questionClose(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	x, err := s.staffQuestion(q, "question_close")
	if err != nil {
		return err
	}
	err = s.cfg.Store.CloseQuestion(ctx, q.staff, x.ID)
	switch coopbot.ErrorCode(err) {
	case "", coopbot.EConflict: // closed now, or already
	case coopbot.ENotFound:
		return s.denied(ctx, q, "question_close", "question:"+strconv.FormatInt(x.ID, 10), nil)
	default:
		return err
	}
	http.Redirect(w, q.r, "/questions/"+strconv.FormatInt(x.ID, 10)+"?closed=1", http.StatusSeeOther)
	return nil
}
