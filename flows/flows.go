package flows

import (
	"context"
	"log/slog"
	"time"

	"coopbot"
)

// Store is everything the flows need from the system of record. Each part is declared in
// the flow file that uses it; the postgres package satisfies them all.
type Store interface {
	ResidentStore
	BroadcastStore
	JoinStore
	CoopAdminStore
	NeedStore
	TrainingStore
	TrainingAdminStore
	ProfileStore
	RolesStore
	EscalationStore
	ConsoleStore
	QuestionStore
	QuestionAdminStore
	OfficeMessageStore
	ExportStore
}

// Deps are what the flows need from outside.
type Deps struct {
	Store  Store
	Labels Labels
	Log    *slog.Logger
	Now    func() time.Time
	// ConsoleURL is the web console's public base URL (WEB_BASE_URL, no trailing slash),
	// put in the sign-in links it sends; "" when no console is served.
	ConsoleURL string
	// Office is how residents reach the office, shown with the help (the provincial
	// office's defaults when zero).
	Office coopbot.Office
}

// feature is what one flow file contributes: its flows, its out-of-conversation buttons,
// its main-menu entries and its handlers of free text typed at the main menu.
type feature struct {
	flows    []flowDef
	actions  map[string]Action
	menu     []MenuItem
	menuText []func(ctx context.Context, c *Conv, typed string) (Next, bool, error)
}

// features lists every flow file's contribution, in main-menu order. Adding a flow is
// one file plus one line here.
var features = []func(Deps) feature{
	onboardingFeature,
	joinFeature,
	coopAdminFeature,
	needsFeature,
	broadcastFeature,
	trainingsFeature,
	trainingAdminFeature,
	profileFeature,
	questionsFeature,
	officeMessageFeature,
	helpFeature,
	rolesFeature,
	consoleFeature,
	exportsFeature,
	languageFeature,
}

// MenuItem is one entry of the main menu. Only entries that work for this person are shown.
type MenuItem struct {
	Label   string // message ID
	Value   string
	Visible func(p *coopbot.Profile) bool // nil: everyone
	Open    func(ctx context.Context, c *Conv) (Next, error)
}

// New builds the engine with every feature.
func New(d Deps) *Engine {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Office == (coopbot.Office{}) {
		d.Office = coopbot.DefaultOffice()
	}
	var all []flowDef
	actions := map[string]Action{}
	m := &mainMenu{audit: d.Store.Audit}
	for _, f := range features {
		ft := f(d)
		all = append(all, ft.flows...)
		for name, a := range ft.actions {
			actions[name] = a
		}
		m.items = append(m.items, ft.menu...)
		m.text = append(m.text, ft.menuText...)
	}
	all = append(all, m.flow())
	return newEngine(all, actions, d.Labels, d.Store, d.Log)
}

type mainMenu struct {
	items []MenuItem
	text  []func(ctx context.Context, c *Conv, typed string) (Next, bool, error)
	audit func(ctx context.Context, actorID int64, action, subject string, allowed bool, detail map[string]any) error
}

func (m *mainMenu) visible(p *coopbot.Profile) []MenuItem {
	var out []MenuItem
	for _, it := range m.items {
		if it.Visible == nil || it.Visible(p) {
			out = append(out, it)
		}
	}
	return out
}

func (m *mainMenu) flow() flowDef {
	return &Flow[struct{}]{Name: FlowMenu, Steps: []Step[struct{}]{{
		Name: stepHome,
		Ask: func(ctx context.Context, c *Conv, _ *struct{}) (coopbot.Reply, error) {
			r := coopbot.Text(coopbot.M("menu.title"))
			var row []coopbot.Button
			for _, it := range m.visible(c.Profile) {
				row = append(row, coopbot.Button{Label: coopbot.M(it.Label), Data: it.Value})
			}
			r.Buttons = append(r.Buttons, grid(2, row)...)
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, _ *struct{}, in Input) (Next, error) {
			for _, it := range m.visible(c.Profile) {
				if in.Choice == it.Value {
					return it.Open(ctx, c)
				}
			}
			for _, it := range m.items {
				if in.Pressed && in.Choice == it.Value {
					// An entry this person is not shown, pressed on the current menu:
					// forged data. Refused and recorded.
					if err := m.audit(ctx, c.Profile.ResidentID, "menu_"+it.Value, "", false, nil); err != nil {
						return Next{}, err
					}
					return Retry("menu.unknown"), nil
				}
			}
			if in.Kind == KindText && in.Text != "" {
				for _, h := range m.text {
					next, ok, err := h(ctx, c, in.Text)
					if err != nil || ok {
						return next, err
					}
				}
			}
			return Retry("menu.unknown"), nil
		},
	}}}
}

// staffOnly shows a menu item to staff and neighborhood managers.
func staffOnly(p *coopbot.Profile) bool {
	return p.Role == coopbot.RoleStaff || p.Role == coopbot.RoleNeighborhoodManager
}
