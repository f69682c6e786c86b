package chattest

import (
	"fmt"

	"coopbot"
	"coopbot/text"
)

// The committing steps of questions to the office and of messages written to a resident
// from a card. Each keeps to a neighborhood where no other step has a manager, so that a
// question's alert reaches only its own step's manager.

// askQuestion takes a resident through "ask the office" to its review (no photo).
func (u *User) askQuestion(words string) {
	u.h.T.Helper()
	u.Press("question.menu.ask")
	u.SeesLike("question.text.prompt")
	u.Send(words)
	u.Sees("question.photo.prompt")
	u.Press("question.photo.none")
	u.Sees("question.review.title")
}

// questionOpened has a resident ask and submit a question, and their neighborhood's
// manager open it from the inbox; it returns the manager, the resident and the question.
func questionOpened(h *Harness, base int64, nbhFa, words string) (m, r *User, q int64) {
	nbh := h.neighborhood(nbhFa)
	m = h.onboarded(base+2, nbhFa)
	m.manager(nbh)
	r = h.onboarded(base+1, nbhFa)
	r.askQuestion(words)
	r.Press("question.review.submit")
	r.SeesLike("question.sent")
	q = int64(h.count(`SELECT id FROM questions WHERE resident_id = $1`, r.ResidentID()))
	m.Press("questions.menu.inbox")
	m.SeesLike("questions.list.title")
	m.PressContaining(text.FaDigits(fmt.Sprint(q)))
	m.SeesLike("questions.card.asker")
	return m, r, q
}

func questionAsked(h *Harness, base int64) *Step {
	nbh := h.neighborhood("ولیعصر")
	m := h.onboarded(base+2, "ولیعصر")
	m.manager(nbh)
	r := h.onboarded(base+1, "ولیعصر")
	r.askQuestion("آب لوله‌کشی کوچهٔ ما یک هفته است قطع است")
	return &Step{
		Actor: r,
		Take:  func() { r.Press("question.review.submit") },
		Reply: func() { r.SeesLike("question.sent") },
		Effects: func() map[string]int {
			return map[string]int{
				"question":        h.count(`SELECT count(*) FROM questions WHERE resident_id = $1`, r.ResidentID()),
				"manager alerted": h.notices(m.ResidentID(), coopbot.NoticeQuestionNew),
				"audited":         h.audited(r.ResidentID(), "question_ask"),
			}
		},
	}
}

func questionAnswered(h *Harness, base int64) *Step {
	m, r, q := questionOpened(h, base, "آبرسان", "وام خوداشتغالی چگونه گرفته می‌شود؟")
	m.Press("questions.card.answer")
	m.SeesLike("questions.answer.prompt")
	return &Step{
		Actor: m,
		Take:  func() { m.Send("با کارت ملی به ادارهٔ تعاون مراجعه کنید.") },
		Reply: func() { m.SeesLike("questions.answer.sent") },
		Effects: func() map[string]int {
			return map[string]int{
				"answer":        h.count(`SELECT count(*) FROM question_answers WHERE question_id = $1`, q),
				"answered":      h.count(`SELECT count(*) FROM questions WHERE id = $1 AND status = 'answered'`, q),
				"resident told": h.notices(r.ResidentID(), coopbot.NoticeQuestionAnswer),
				"audited":       h.audited(m.ResidentID(), "question_answer"),
			}
		},
	}
}

func questionClosed(h *Harness, base int64) *Step {
	m, _, q := questionOpened(h, base, "زعفرانیه", "چراغ‌های پارک محله خاموش است")
	m.Press("questions.card.close")
	m.SeesLike("questions.close.confirm")
	return &Step{
		Actor: m,
		Take:  func() { m.Press("questions.close.yes") },
		Reply: func() { m.SeesLike("questions.close.done") },
		Effects: func() map[string]int {
			return map[string]int{
				"closed":  h.count(`SELECT count(*) FROM questions WHERE id = $1 AND status = 'closed'`, q),
				"audited": h.audited(m.ResidentID(), "question_close"),
			}
		},
	}
}

func needResidentWritten(h *Harness, base int64) *Step {
	nbh := h.neighborhood("ائل‌گلی")
	m := h.onboarded(base+2, "ائل‌گلی")
	m.manager(nbh)
	r := h.onboarded(base+1, "ائل‌گلی")
	r.reportNeed("برای خرید دارو کمک لازم دارم")
	r.Press("need.review.submit")
	r.SeesLike("need.submitted")
	m.Press("needs.menu.inbox")
	m.Press("office.message.button")
	m.SeesLike("office.message.prompt_need")
	return &Step{
		Actor: m,
		Take:  func() { m.Send("لطفاً نسخهٔ پزشک را به سرای محله بیاورید.") },
		Reply: func() { m.SeesLike("office.message.sent") },
		Effects: func() map[string]int {
			return map[string]int{
				"message":       h.count(`SELECT count(*) FROM office_messages WHERE resident_id = $1`, r.ResidentID()),
				"resident told": h.notices(r.ResidentID(), coopbot.NoticeOfficeMessage),
				"audited":       h.audited(m.ResidentID(), "resident_message"),
			}
		},
	}
}

func applicantWritten(h *Harness, base int64) *Step {
	nbh := h.neighborhood("ستارخان")
	coop := h.cooperative(nbh, "تعاونی کفاشان ستارخان")
	admin := h.onboarded(base+2, "ستارخان")
	admin.coopAdmin(coop)
	r := h.onboarded(base+1, "ستارخان")
	h.pending(r.ResidentID(), coop)
	admin.SeesLike("coop.card.title")
	admin.Press("office.message.button")
	admin.SeesLike("office.message.prompt_join")
	return &Step{
		Actor: admin,
		Take:  func() { admin.Send("لطفاً برای گفتگو دوشنبه به تعاونی بیایید.") },
		Reply: func() { admin.SeesLike("office.message.sent") },
		Effects: func() map[string]int {
			return map[string]int{
				"message":        h.count(`SELECT count(*) FROM office_messages WHERE resident_id = $1`, r.ResidentID()),
				"applicant told": h.notices(r.ResidentID(), coopbot.NoticeOfficeMessage),
				"audited":        h.audited(admin.ResidentID(), "resident_message"),
			}
		},
	}
}

func enrolleeWritten(h *Harness, base int64) *Step {
	nbh := h.neighborhood("سرخاب")
	tr := h.training(nbh, "گلیم‌بافی", 10, 3)
	r := h.onboarded(base+2, "سرخاب")
	h.signUp(tr.ID, r.ResidentID())
	m := h.onboarded(base+1, "سرخاب")
	m.manager(nbh)
	m.staffTraining(tr.TitleFa)
	m.Press("trainings.manage.enrollees")
	m.Press("office.message.button")
	m.SeesLike("trainings.message.pick")
	m.PressContaining(r.E.FirstName())
	m.SeesLike("trainings.message.prompt")
	return &Step{
		Actor: m,
		Take:  func() { m.Send("لطفاً دار قالی کوچک خود را بیاورید.") },
		Reply: func() { m.SeesLike("office.message.sent") },
		Effects: func() map[string]int {
			return map[string]int{
				"message":       h.count(`SELECT count(*) FROM office_messages WHERE resident_id = $1 AND about_kind = 'enrollment'`, r.ResidentID()),
				"enrollee told": h.notices(r.ResidentID(), coopbot.NoticeOfficeMessage),
				"audited":       h.audited(m.ResidentID(), "resident_message"),
			}
		},
	}
}
