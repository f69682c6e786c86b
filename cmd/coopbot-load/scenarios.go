package main

import (
	"context"
	"fmt"
	"strings"

	"coopbot"
	"coopbot/text"

	"github.com/jackc/pgx/v5"
)

// scenario is a real conversation residents walk after onboarding: from the main menu
// (its "menu" label) through its questions to one of its ends. Residents recognize each
// question by its message text in locales/, in their language.
type scenario struct {
	name      string
	ends      []string          // the messages that end the walk
	questions []string          // the scenario's own questions (onboarding's come first)
	labels    map[string]string // buttons the resident presses, by key: message IDs
	// blind are the kinds of the walk's updates in order, for a bot that asks nothing
	// (nullbot): a text ('t'), a button press ('p') or a shared contact ('c'); its length
	// is the number of updates a walk takes when nothing fails.
	blind  []byte
	answer func(r *resident, q string) error
}

var scenarios = map[string]*scenario{"join": joinScenario, "trainings": trainingsScenario, "need": needScenario}

// trainingsScenario: the trainings list, the resident's neighborhood's training from it,
// its details, sign up, the confirmation: 7 updates.
var trainingsScenario = &scenario{
	name: "trainings",
	ends: []string{"training.signup.confirmed", "training.signup.waitlisted", "training.signup.already_confirmed"},
	// training.list.empty is a question nobody can answer: the walk fails on it, saying so.
	questions: []string{"training.list.title", "training.list.empty", "training.detail"},
	labels:    map[string]string{"menu": "training.menu", "signup": "training.signup.button", "waitlist": "training.signup.waitlist_button"},
	blind:     []byte("tptcppp"),
	answer: func(r *resident, q string) error {
		switch q {
		case "training.list.title":
			return r.pressContaining(loadTrainingTitle(r.s.lang, r.coop))
		case "training.detail":
			if err := r.u.Press(r.s.label["signup"]); err != nil {
				return r.u.Press(r.s.label["waitlist"])
			}
			return nil
		}
		return fmt.Errorf("no answer to %s", q)
	},
}

// needScenario: a need report from the menu to its submission: category, household size,
// description, urgency, no location, no attachment, consent, submit: 13 updates.
var needScenario = &scenario{
	name: "need",
	ends: []string{"need.submitted"},
	questions: []string{"need.category.prompt", "need.household.prompt", "need.description.prompt", "need.urgency.prompt",
		"need.location.prompt", "need.attach.prompt", "need.consent.prompt", "need.review.title"},
	labels: map[string]string{"menu": "need.menu.report", "cat0": "need.cat.employment", "cat1": "need.cat.food",
		"cat2": "need.cat.housing", "cat3": "need.cat.health", "urgent0": "need.urgency.soon", "urgent1": "need.urgency.normal",
		"noplace": "need.location.skip", "nofile": "need.attach.skip", "yes": "need.consent.yes", "submit": "need.review.submit"},
	blind: []byte("tptcppptptppp"),
	answer: func(r *resident, q string) error {
		u, s := r.u, r.s
		switch q {
		case "need.category.prompt":
			return u.Press(s.label[fmt.Sprintf("cat%d", r.n%4)])
		case "need.household.prompt":
			return u.Press(text.Number(int64(1 + r.n%6)))
		case "need.description.prompt":
			u.Send(pick(s.lang, needTexts[r.n%len(needTexts)][0], needTexts[r.n%len(needTexts)][1]))
		case "need.urgency.prompt":
			return u.Press(s.label[fmt.Sprintf("urgent%d", r.n%2)])
		case "need.location.prompt":
			return r.tapKey(s.label["noplace"])
		case "need.attach.prompt":
			return u.Press(s.label["nofile"])
		case "need.consent.prompt":
			return u.Press(s.label["yes"])
		case "need.review.title":
			return u.Press(s.label["submit"])
		default:
			return fmt.Errorf("no answer to %s", q)
		}
		return nil
	},
}

// needTexts are descriptions residents type, in Persian and in Azeri.
var needTexts = [][2]string{
	{"سرپرست خانوار بیکار شده و برای اجاره خانه کمک لازم داریم.", "عاییله باشچیسی ایشسیز قالیب، ائو کیراسی اوچون کؤمک لازیمدیر."},
	{"دارو و هزینهٔ درمان مادرم را نمی‌توانیم بپردازیم.", "آنامین درمانی و درمان خرجینی وئره بیلمیریک."},
	{"برای خرید لوازم مدرسهٔ بچه‌ها کمک می‌خواهیم.", "اوشاقلارین مکتب لوازیمی اوچون کؤمک ایستهییریک."},
}

// pressContaining presses the inline button of the newest bot message whose label
// contains part.
func (r *resident) pressContaining(part string) error {
	ms := r.u.Messages()
	for i := len(ms) - 1; i >= 0; i-- {
		for _, row := range ms[i].Inline {
			for _, b := range row {
				if strings.Contains(b.Text, part) {
					return r.u.PressOn(ms[i].ID, b.Text)
				}
			}
		}
	}
	return fmt.Errorf("no button with %q", part)
}

// loadTrainingTitle is the title of the training the tool seeds in c's neighborhood, in
// language l: short enough to be shown whole on its button.
func loadTrainingTitle(l coopbot.Lang, c coopChoice) string {
	return pick(l, "کارگاه آزمایشی "+c.nbhFa, "سیناق کارگاهی "+c.nbhAz)
}

// seedTrainings adds, for each neighborhood residents live in, one published training
// starting in two days (before the demo trainings, so first in its neighborhood's list, and
// too far for a reminder to be due during the run) with seats for everyone.
func seedTrainings(ctx context.Context, dbURL string, coops []coopChoice) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("seed trainings: %w", err)
	}
	defer conn.Close(ctx)
	seen := map[string]bool{}
	for _, c := range coops {
		if seen[c.nbhFa] {
			continue
		}
		seen[c.nbhFa] = true
		tag, err := conn.Exec(ctx, `
			INSERT INTO trainings (neighborhood_id, title_fa, title_az, description_fa, description_az,
				venue_name, venue_address, starts_at, duration_minutes, capacity)
			SELECT n.id, $2, $3, 'کارگاهی برای آزمون بار.', 'یوک سیناغی اوچون کارگاه.', 'سالن محله', $1,
				now() + interval '2 days', 60, 1000000
			FROM neighborhoods n WHERE n.name_fa = $1 ORDER BY n.id LIMIT 1`,
			c.nbhFa, loadTrainingTitle(coopbot.Persian, c), loadTrainingTitle(coopbot.Azeri, c))
		if err != nil {
			return fmt.Errorf("seed training in %s: %w", c.nbhFa, err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("seed training: no neighborhood %s", c.nbhFa)
		}
	}
	return nil
}
