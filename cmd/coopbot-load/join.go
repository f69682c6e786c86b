package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"coopbot"
	"coopbot/emulator"
	"coopbot/locales"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
)

// The join scenario walks the real conversation a newcomer has: /start, the language,
// the neighborhood (typed), the phone by the share-contact button, then from the menu the
// whole membership form (the cooperative from the list, name, national ID, the phone given
// at onboarding, the share, a skill, the two consents) to its submission: 15 updates.
// Each resident reads what the bot asks, in their language, and answers that question.

// coopChoice is a cooperative of the seed with its neighborhood, as residents name them.
type coopChoice struct {
	nbhFa, nbhAz, fa, az string
}

// seedCooperatives reads the cooperatives residents may apply to.
func seedCooperatives(ctx context.Context, dbURL string) ([]coopChoice, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT n.name_fa, n.name_az, c.name_fa, c.name_az FROM cooperatives c
		JOIN neighborhoods n ON n.id = c.neighborhood_id ORDER BY c.id`)
	if err != nil {
		return nil, err
	}
	var out []coopChoice
	for rows.Next() {
		var c coopChoice
		if err := rows.Scan(&c.nbhFa, &c.nbhAz, &c.fa, &c.az); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 && rows.Err() == nil {
		return nil, errors.New("no cooperative in the seed")
	}
	return out, rows.Err()
}

// script is what a resident of one language recognizes and presses in one scenario.
type script struct {
	lang     coopbot.Lang
	sc       *scenario
	ids      []string // questions, in the order tried
	patterns []string // their texts, template values left open
	label    map[string]string
	useMine  string // the start of the "use my number" button's label
}

// onboardingQuestions are asked of every newcomer before the scenario's own questions.
var onboardingQuestions = []string{"onboarding.welcome", "onboarding.neighborhood.prompt", "onboarding.phone.prompt", "menu.title"}

// joinScenario walks the membership form: 15 updates.
var joinScenario = &scenario{
	name: "join",
	ends: []string{"join.submitted", "join.submitted_office"}, // to the cooperative's admins, or to the office
	questions: []string{"join.coop.prompt", "join.name.prompt", "join.nid.prompt", "join.phone.prompt_known", "join.phone.prompt",
		"join.share.prompt", "join.skills.prompt", "join.consent.data", "join.consent.rules", "join.review.title"},
	labels: map[string]string{"menu": "join.menu", "skill": "join.skill.cooking",
		"done": "join.skills.done", "yes": "join.consent.yes", "submit": "join.review.submit"},
	blind:  []byte("tptcppttptppppp"),
	answer: answerJoin,
}

// any stands for a template value the resident cannot know in advance.
const anyValue = "\x00any\x00"

func newScript(cat *locales.Catalog, lang coopbot.Lang, sc *scenario) (*script, error) {
	s := &script{lang: lang, sc: sc, label: map[string]string{}}
	render := func(id string) (string, error) {
		t, err := cat.Text(lang, id, nil, nil)
		if err != nil {
			return "", fmt.Errorf("message %s: %w", id, err)
		}
		return strings.ReplaceAll(t, "<no value>", anyValue), nil
	}
	for _, id := range slices.Concat(sc.ends, onboardingQuestions, sc.questions) {
		p, err := render(id)
		if err != nil {
			return nil, err
		}
		s.ids, s.patterns = append(s.ids, id), append(s.patterns, p)
	}
	langButton := "lang.fa.name"
	if lang == coopbot.Azeri {
		langButton = "lang.az.name"
	}
	labels := map[string]string{"lang": langButton}
	maps.Copy(labels, sc.labels)
	for key, id := range labels {
		l, err := render(id)
		if err != nil {
			return nil, err
		}
		s.label[key] = l
	}
	mine, err := render("join.phone.use_mine")
	if err != nil {
		return nil, err
	}
	s.useMine, _, _ = strings.Cut(mine, anyValue)
	return s, nil
}

// matches reports whether text contains want, or, where want holds anyValue, its parts in order.
func matches(text, want string) bool {
	for _, part := range strings.Split(want, anyValue) {
		i := strings.Index(text, part)
		if i < 0 {
			return false
		}
		text = text[i+len(part):]
	}
	return true
}

// asked returns the question a message asks ("" if none): of those whose text it holds,
// the one that comes last (a hint above a question).
func (s *script) asked(msg string) string {
	best, id := -1, ""
	for j, p := range s.patterns {
		if !matches(msg, p) {
			continue
		}
		if k := strings.LastIndex(msg, strings.Split(p, anyValue)[0]); k > best {
			best, id = k, s.ids[j]
		}
	}
	return id
}

// resident is one simulated person walking the join conversation.
type resident struct {
	u      *emulator.User
	s      *script
	n      int // numbers the resident's personal data
	coop   coopChoice
	read   int // bot messages already read
	edits  int // edits of the last one read, when read
	picked bool
	sent   int
	until  string // the question that ends the walk ("join.submitted" when empty)
}

// pacer hands out the open loop's sending slots; nil in a closed loop.
type pacer struct{ slots chan struct{} }

func newPacer(ctx context.Context, rate float64) *pacer {
	p := &pacer{slots: make(chan struct{})}
	go func() {
		interval := time.Duration(float64(time.Second) / rate)
		next := time.Now()
		for ctx.Err() == nil {
			select { // a slot nobody is ready to use is lost: the offered rate is an upper bound
			case p.slots <- struct{}{}:
			default:
			}
			next = next.Add(interval)
			if wait := time.Until(next); wait > 0 {
				time.Sleep(wait)
			}
		}
	}()
	return p
}

func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	select {
	case <-p.slots:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next waits for the next question the bot asks and returns it.
func (r *resident) next(ctx context.Context) (string, error) {
	var id string
	at, edits := -1, 0
	err := r.u.Wait(ctx, func(ms []emulator.Message) bool {
		from := r.read
		if r.read > 0 && r.read <= len(ms) && ms[r.read-1].Edits > r.edits {
			from = r.read - 1 // the last one read was edited: read it again
		}
		for i := from; i < len(ms); i++ {
			if q := r.s.asked(ms[i].Text); q != "" {
				id, at, edits = q, i, ms[i].Edits
				return true
			}
		}
		return false
	})
	if err != nil {
		return "", err
	}
	r.read, r.edits = at+1, edits
	return id, nil
}

// walk takes the resident from /start to the submitted request. Every update goes out
// when the pacer allows and is timed by lat; step bounds the wait for each question.
func (r *resident) walk(ctx context.Context, lat *latencies, p *pacer, step time.Duration) error {
	do := func(send func() error) error {
		if err := p.wait(ctx); err != nil {
			return err
		}
		lat.sentOnce(r.u.ID())
		r.sent++
		return send()
	}
	if err := do(func() error { r.u.Send("/start"); return nil }); err != nil {
		return err
	}
	for {
		sctx, cancel := context.WithTimeout(ctx, step)
		q, err := r.next(sctx)
		cancel()
		if err != nil {
			return fmt.Errorf("no question came within %s: %w", step, err)
		}
		if r.s.ended(q) || q == r.until {
			return nil
		}
		if err := do(func() error { return r.answer(q) }); err != nil {
			return err
		}
	}
}

// ended reports whether the question is the confirmation that ends the walk.
func (s *script) ended(q string) bool { return slices.Contains(s.sc.ends, q) }

// answer answers one question as the resident would: onboarding and the menu here, the
// scenario's own questions by the scenario.
func (r *resident) answer(q string) error {
	u, s := r.u, r.s
	switch q {
	case "onboarding.welcome":
		return u.Press(s.label["lang"])
	case "onboarding.neighborhood.prompt":
		u.Send(pick(s.lang, r.coop.nbhFa, r.coop.nbhAz))
	case "onboarding.phone.prompt":
		u.ShareContact(r.phone(), u.ID())
	case "menu.title":
		return u.Press(s.label["menu"])
	}
	if !slices.Contains(onboardingQuestions, q) {
		return s.sc.answer(r, q)
	}
	return nil
}

// answerJoin answers the membership form's questions.
func answerJoin(r *resident, q string) error {
	u, s := r.u, r.s
	switch q {
	case "join.coop.prompt":
		return u.Press(pick(s.lang, r.coop.fa, r.coop.az))
	case "join.name.prompt":
		u.Send(names[r.n%len(names)])
	case "join.nid.prompt":
		u.Send(text.FaDigits(nationalID(r.n)))
	case "join.phone.prompt_known":
		return r.tapKey(s.useMine)
	case "join.phone.prompt":
		u.Send(text.FaDigits(r.phone()))
	case "join.share.prompt":
		u.Send(text.FaDigits("5000000"))
	case "join.skills.prompt":
		if r.picked {
			return u.Press(s.label["done"])
		}
		r.picked = true
		return u.Press(s.label["skill"])
	case "join.consent.data", "join.consent.rules":
		return u.Press(s.label["yes"])
	case "join.review.title":
		return u.Press(s.label["submit"])
	default:
		return fmt.Errorf("no answer to %s", q)
	}
	return nil
}

// tapKey taps the reply-keyboard button whose label starts with prefix: its label is sent
// as a message.
func (r *resident) tapKey(prefix string) error {
	for _, row := range r.u.Keyboard() {
		for _, b := range row {
			if strings.HasPrefix(b.Text, prefix) {
				r.u.Send(b.Text)
				return nil
			}
		}
	}
	return fmt.Errorf("no keyboard button starting %q", prefix)
}

func (r *resident) phone() string { return fmt.Sprintf("0914%07d", r.n%10_000_000) }

func pick(l coopbot.Lang, fa, az string) string {
	if l == coopbot.Azeri {
		return az
	}
	return fa
}

var names = []string{"مریم رضایی", "علی محمدی", "زهرا حسینی", "رضا کریمی", "فاطمه احمدی", "حسین نوری", "سکینه قلی‌زاده", "یوسف باقری"}

// nationalID is a valid 10-digit national ID made from n.
func nationalID(n int) string {
	d := fmt.Sprintf("13%07d", (n+1)%10_000_000)
	sum := 0
	for i := range 9 {
		sum += int(d[i]-'0') * (10 - i)
	}
	c := sum % 11
	if c >= 2 {
		c = 11 - c
	}
	return d + string(rune('0'+c))
}

// walkBlind sends the same kinds of updates as walk, each once the previous one was
// answered by any new message; presses use the first inline button the bot showed.
func (r *resident) walkBlind(ctx context.Context, lat *latencies, p *pacer, step time.Duration) error {
	for i, k := range r.s.sc.blind {
		if err := p.wait(ctx); err != nil {
			return err
		}
		n := len(r.u.Messages())
		lat.sentOnce(r.u.ID())
		r.sent++
		switch k {
		case 't':
			if i == 0 {
				r.u.Send("/start")
			} else {
				r.u.Send(names[r.n%len(names)])
			}
		case 'c':
			r.u.ShareContact(r.phone(), r.u.ID())
		case 'p':
			ms := r.u.Messages()
			if len(ms) == 0 || len(ms[0].Inline) == 0 {
				return errors.New("no button to press")
			}
			if err := r.u.PressOn(ms[0].ID, ms[0].Inline[0][0].Text); err != nil {
				return err
			}
		}
		sctx, cancel := context.WithTimeout(ctx, step)
		_, err := r.u.WaitCount(sctx, n+1)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}
