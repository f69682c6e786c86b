// Package flows is the conversation engine and the conversations themselves: onboarding,
// the main menu, joining a cooperative, trainings, livelihood needs, broadcasts. A flow is a
// state machine of steps; each step owns its question (Ask) and its answer handler (Answer).
// Flows speak coopbot domain types and message IDs; they import no Telegram, Redis or
// Postgres package. The stores they need are small interfaces declared here and satisfied by
// the postgres package; conversation state arrives and leaves as bytes.
package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"coopbot"
	"coopbot/text"
)

// StateVersion is the schema version of the stored conversation state. A stored state of
// another version is reset politely. Version 2: answers are each flow's own JSON.
const StateVersion = 2

// Kind is what an update carries.
type Kind int

// Update kinds. KindFile is a photo or a document (its caption, if any, in Update.Text
// and Input.Caption);
// KindOther is anything the bot does not read (sticker, voice, video, …).
const (
	KindText Kind = iota
	KindCallback
	KindContact
	KindLocation
	KindOther
	KindFile
)

// Update is one incoming event, decoded by the bot package.
type Update struct {
	Platform   coopbot.Platform
	Account    string // the bot account the update reached (update ids are per account)
	ID         int64  // update_id
	ChatID     int64
	UserID     int64
	FirstName  string
	Kind       Kind
	Text       string // message text, raw
	Data       string // callback data
	CallbackID string // to answer a button press
	MessageID  int    // the message whose button was pressed
	Contact    *Contact
	Location   *Location
	File       *coopbot.File // with KindFile
}

// Contact is a shared contact card.
type Contact struct {
	Phone  string
	UserID int64 // the contact's own user id; 0 when the contact is not a user
}

// Location is a shared location.
type Location struct{ Lat, Lon float64 }

// Input is an answer as a step sees it.
type Input struct {
	Kind     Kind
	Text     string // cleaned with text.Clean; raw multi-line text is in Raw
	Raw      string
	Choice   string // value of the pressed button, or of the button whose label was typed
	Contact  *Contact
	Location *Location
	File     *coopbot.File // a photo or document
	Caption  string        // the file's caption, cleaned (never in Text: it is not a typed answer)
	Pressed  bool          // the answer came from a button press
}

// State is the conversation state stored per chat and user (JSON in Redis).
type State struct {
	V       int             `json:"v"`
	Flow    string          `json:"f,omitempty"`
	Step    string          `json:"s,omitempty"`
	Back    []string        `json:"b,omitempty"` // steps to return to with Back
	Answers json.RawMessage `json:"a,omitempty"` // the flow's answers
	Seq     int             `json:"q,omitempty"` // question number; buttons carry it to detect stale presses
	Keys    bool            `json:"k,omitempty"` // a reply keyboard is showing
	// What the kit keeps for the step being asked: a list's page and typed filter, and
	// whether the flow's review was shown.
	Page    int             `json:"pg,omitempty"`
	Query   string          `json:"qy,omitempty"`
	Review  bool            `json:"rv,omitempty"`
	Profile coopbot.Profile `json:"p"`
}

// Conv is what a step works with: who is talking, their profile and the update.
type Conv struct {
	Platform coopbot.Platform
	ChatID   int64
	UserID   int64
	Profile  *coopbot.Profile
	Update   *Update
	Staff    *coopbot.Staff // filled by a flow's Gate

	t *turn
}

// Lang is the resident's language (Persian until chosen).
func (c *Conv) Lang() coopbot.Lang {
	if c.Profile.Lang.Valid() {
		return c.Profile.Lang
	}
	return coopbot.Persian
}

// Ref is the sender's platform identity.
func (c *Conv) Ref() coopbot.UserRef { return coopbot.UserRef{Platform: c.Platform, UserID: c.UserID} }

// Action handles a button that lives outside any conversation (an admin's card): its
// callback data is "a:<name>:<args>". Actions check authorization themselves.
type Action func(ctx context.Context, c *Conv, args string) (Next, error)

type nextKind int

const (
	nextStay nextKind = iota
	nextGoto
	nextForward
	nextRetry
	nextDone
	nextStart
	nextForget
)

// Next is what an answer leads to.
type Next struct {
	kind    nextKind
	step    string
	flow    string
	back    []string // with StartAt: the steps Back returns through
	answers any
	hint    coopbot.Msg
	say     []coopbot.Reply
}

// Goto moves to another step of the same flow, remembering this one for Back.
func Goto(step string) Next { return Next{kind: nextGoto, step: step} }

// Forward moves to the next step in the flow's order, or back to its review when the
// answer was changed from there.
func Forward() Next { return Next{kind: nextForward} }

// Again asks the current step anew (a new page of a list, a filter applied).
func Again() Next { return Next{kind: nextGoto} }

// Retry keeps the question and asks it again after a hint saying what was wrong.
func Retry(id string, kv ...any) Next { return Next{kind: nextRetry, hint: coopbot.M(id, kv...)} }

// RetryMsg is Retry with a prepared message.
func RetryMsg(m coopbot.Msg) Next { return Next{kind: nextRetry, hint: m} }

// Done ends the flow and shows the main menu after the given replies.
func Done(say ...coopbot.Reply) Next { return Next{kind: nextDone, say: say} }

// Start begins another flow at its first step with the given answers (that flow's
// answers type, or nil).
func Start(flow string, answers any) Next {
	return Next{kind: nextStart, flow: flow, answers: answers}
}

// StartAt starts another flow at one of its steps with that flow's answers (a button
// that opens a record: a training's sign-up from an announcement, a prepared broadcast's
// preview). back are the flow's steps Back returns through, nearest last; without them
// Back leads to the main menu.
func StartAt(flow, step string, answers any, back ...string) Next {
	return Next{kind: nextStart, flow: flow, step: step, answers: answers, back: back}
}

// Forget ends the conversation of a person whose data was just erased: the replies are
// sent, no state is kept (the stored one is dropped) and no menu follows, so that their
// next update starts as a newcomer's.
func Forget(say ...coopbot.Reply) Next { return Next{kind: nextForget, say: say} }

// Stay sends replies without changing the conversation (used by actions).
func Stay(say ...coopbot.Reply) Next { return Next{kind: nextStay, say: say} }

// Say adds replies sent before the next question.
func (n Next) Say(r ...coopbot.Reply) Next { n.say = append(n.say, r...); return n }

// count sets the plural count of a Retry's hint.
func (n Next) count(c int) Next { n.hint = n.hint.WithCount(c); return n }

// Labels renders message IDs; the engine uses it to match typed button labels.
type Labels interface {
	Text(lang coopbot.Lang, id string, data map[string]any, count *int) (string, error)
}

// Profiles loads what the engine needs to know of a person.
type Profiles interface {
	// Profile returns the stored profile of a resident, or a zero Profile when the person
	// never finished onboarding.
	Profile(ctx context.Context, ref coopbot.UserRef) (coopbot.Profile, error)
}

// maxTyped bounds a typed text, in characters: twice the 4,096 a messenger sends in one
// message. Steps with smaller limits of their own check them.
const maxTyped = 8192

// Flow and step names the engine itself knows.
const (
	FlowOnboarding = "onboarding"
	FlowMenu       = "menu"
	FlowLanguage   = "language"
	stepHome       = "home"
)

// Values of the buttons every question carries.
const (
	ChoiceBack   = "back"
	ChoiceCancel = "cancel"
)

// Engine runs conversations.
type Engine struct {
	flows    map[string]flowDef
	actions  map[string]Action
	labels   Labels
	profiles Profiles
	log      *slog.Logger
}

// newEngine builds an engine over flows and actions.
func newEngine(flows []flowDef, actions map[string]Action, labels Labels, profiles Profiles, log *slog.Logger) *Engine {
	e := &Engine{flows: map[string]flowDef{}, actions: actions, labels: labels, profiles: profiles, log: log}
	for _, f := range flows {
		if !f.has(f.first()) {
			panic(fmt.Sprintf("flow %s: first step %s missing", f.flowName(), f.first()))
		}
		if e.flows[f.flowName()] != nil {
			panic("flows: two flows named " + f.flowName())
		}
		e.flows[f.flowName()] = f
	}
	for _, name := range []string{FlowOnboarding, FlowMenu, FlowLanguage} {
		if e.flows[name] == nil {
			panic("flows: missing flow " + name)
		}
	}
	return e
}

// turn is the work of one update.
type turn struct {
	e   *Engine
	st  *State
	c   *Conv
	out []coopbot.Reply

	ans     any  // the flow's answers, decoded (kit flows)
	pressed bool // the update was a button press on the current question
	gated   string
	forget  bool // Forget: the state is dropped
}

// Result is what one update produced.
type Result struct {
	State   []byte          // the new conversation state
	Replies []coopbot.Reply // to send in the same chat
	Lang    coopbot.Lang    // the reader's language
	// Forget: the person's data was erased; drop the stored state instead of saving one
	// (State is nil), so that their next update starts as a newcomer's.
	Forget bool
}

// Handle runs one update against the stored state (nil when there is none). An error means
// something outside the conversation failed: the caller keeps the old state, so the
// resident can try again. The Result's Lang is the reader's language also then.
func (e *Engine) Handle(ctx context.Context, stored []byte, up Update) (res Result, err error) {
	// What the steps of this update commit is recorded under it: handled again (its reply
	// failed, or the process died before saving), the update finds its effects and gets
	// the replies they gave the first time.
	ctx = coopbot.WithCause(ctx, coopbot.Cause{Platform: up.Platform, Account: up.Account, UpdateID: up.ID, UserID: up.UserID})
	st, reset := e.decode(stored)
	t := &turn{e: e, st: st}
	t.c = &Conv{Platform: up.Platform, ChatID: up.ChatID, UserID: up.UserID, Profile: &st.Profile, Update: &up, t: t}
	defer func() {
		if err != nil {
			res = Result{Lang: t.c.Lang()}
		}
	}()
	if stored == nil || reset {
		// No conversation: learn who this is from the system of record.
		p, err := e.profiles.Profile(ctx, t.c.Ref())
		if err != nil {
			return Result{}, fmt.Errorf("load profile: %w", err)
		}
		if p.ResidentID != 0 && stored == nil {
			// Known resident, no conversation: it expired or was lost. Answers to a
			// question nobody remembers get a short apology and the menu.
			reset = answersQuestion(up)
		}
		st.Profile = p
	}
	if err := t.run(ctx, up, reset); err != nil {
		return Result{}, err
	}
	if t.forget {
		t.closeKeyboard()
		return Result{Replies: t.out, Lang: t.c.Lang(), Forget: true}, nil
	}
	if err := t.saveAnswers(); err != nil {
		return Result{}, err
	}
	t.closeKeyboard()
	b, err := json.Marshal(st)
	if err != nil {
		return Result{}, fmt.Errorf("encode state: %w", err)
	}
	return Result{State: b, Replies: t.out, Lang: t.c.Lang()}, nil
}

// saveAnswers puts the answers the steps changed back into the state.
func (t *turn) saveAnswers() error {
	if t.ans == nil {
		return nil
	}
	b, err := json.Marshal(t.ans)
	if err != nil {
		return fmt.Errorf("encode answers of %s: %w", t.st.Flow, err)
	}
	t.st.Answers = b
	return nil
}

// setAnswers replaces the answers (a flow starts).
func (t *turn) setAnswers(v any) error {
	t.ans, t.st.Answers = nil, nil
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode answers: %w", err)
	}
	if string(b) != "null" {
		t.st.Answers = b
	}
	return nil
}

func (e *Engine) decode(stored []byte) (*State, bool) {
	st := &State{V: StateVersion}
	if stored == nil {
		return st, false
	}
	var old State
	if err := json.Unmarshal(stored, &old); err != nil || old.V != StateVersion {
		// Keep who the person is only when the version still matches.
		return st, true
	}
	if old.Flow != "" {
		f := e.flows[old.Flow]
		if f == nil || !f.has(old.Step) {
			return &State{V: StateVersion, Profile: old.Profile}, true
		}
	}
	return &old, false
}

func (t *turn) run(ctx context.Context, up Update, reset bool) error {
	st := t.st
	// Someone who never finished onboarding goes through it, whatever they sent.
	if st.Profile.ResidentID == 0 || !st.Profile.Lang.Valid() {
		if st.Flow != FlowOnboarding {
			return t.start(ctx, FlowOnboarding, nil)
		}
	}
	if reset {
		t.say(coopbot.Text(coopbot.M("conv.reset")))
		if up.Kind == KindCallback {
			t.toast(coopbot.M("conv.stale"))
		}
		return t.menu(ctx)
	}
	if (up.Kind == KindText || up.Kind == KindFile) && utf8.RuneCountInString(up.Text) > maxTyped {
		// Longer than any messenger sends in one message (a broken or forged client): a
		// clear answer before any step stores it or repeats it back.
		if st.Flow == "" {
			return t.menu(ctx)
		}
		hint := coopbot.M("input.too_long")
		return t.ask(ctx, &hint)
	}
	if up.Kind == KindText {
		if cmd, ok := command(up.Text); ok {
			return t.command(ctx, cmd)
		}
	}
	in := Input{Kind: up.Kind, Raw: up.Text, Contact: up.Contact, Location: up.Location, File: up.File}
	switch up.Kind {
	case KindText:
		in.Text = text.Clean(up.Text)
	case KindFile:
		in.Raw, in.Caption = "", text.Clean(up.Text)
	}
	if up.Kind == KindCallback {
		kind, rest, _ := strings.Cut(up.Data, ":")
		switch kind {
		case "a":
			name, args, _ := strings.Cut(rest, ":")
			act := t.e.actions[name]
			if act == nil {
				t.toast(coopbot.M("conv.stale"))
				return t.reask(ctx)
			}
			next, err := act(ctx, t.c, args)
			if err != nil {
				return fmt.Errorf("action %s: %w", name, err)
			}
			return t.apply(ctx, next)
		case "c":
			seq, value, _ := strings.Cut(rest, ":")
			if st.Flow == "" || seq != strconv.Itoa(st.Seq) {
				t.toast(coopbot.M("conv.stale"))
				return t.reask(ctx)
			}
			in.Choice, in.Pressed = value, true
			t.pressed = true
		default:
			t.toast(coopbot.M("conv.stale"))
			return t.reask(ctx)
		}
	}
	if st.Flow == "" {
		return t.menu(ctx)
	}
	if ok, err := t.admit(ctx); !ok || err != nil {
		return err
	}
	if in.Kind == KindText && in.Choice == "" {
		choice, err := t.matchLabel(ctx, in.Text)
		if err != nil {
			return err
		}
		in.Choice = choice
	}
	switch in.Choice {
	case ChoiceBack:
		return t.back(ctx)
	case ChoiceCancel:
		return t.cancel(ctx)
	}
	next, err := t.flow().answer(ctx, t.c, st.Step, in)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", st.Flow, st.Step, err)
	}
	return t.apply(ctx, next)
}

// admit runs the current flow's gate, once per update and flow. A refusal ends the flow
// with its message and shows the menu.
func (t *turn) admit(ctx context.Context) (bool, error) {
	g := t.flow().gate()
	if g == nil || t.gated == t.st.Flow {
		return true, nil
	}
	denied, err := g(ctx, t.c)
	if err != nil {
		return false, fmt.Errorf("%s gate: %w", t.st.Flow, err)
	}
	if denied != nil {
		t.say(coopbot.Text(*denied))
		return false, t.menu(ctx)
	}
	t.gated = t.st.Flow
	return true, nil
}

// answersQuestion reports whether up answers a conversation question (rather than being a
// command or an admin card's button).
func answersQuestion(up Update) bool {
	switch up.Kind {
	case KindText:
		_, cmd := command(up.Text)
		return !cmd
	case KindCallback:
		return strings.HasPrefix(up.Data, "c:")
	}
	return true
}

func command(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "/") {
		return "", false
	}
	cmd, _, _ := strings.Cut(s[1:], " ")
	cmd, _, _ = strings.Cut(cmd, "@")
	return strings.ToLower(cmd), true
}

func (t *turn) command(ctx context.Context, cmd string) error {
	switch cmd {
	case "start", "menu":
		return t.menu(ctx)
	case "cancel":
		if t.st.Flow != "" && t.st.Flow != FlowMenu {
			return t.cancel(ctx)
		}
		return t.menu(ctx)
	case "lang", "language":
		return t.start(ctx, FlowLanguage, nil)
	case "help":
		if t.e.flows[FlowHelp] != nil {
			return t.start(ctx, FlowHelp, nil)
		}
		fallthrough
	default:
		t.say(coopbot.Text(coopbot.M("conv.unknown_command")))
		return t.reask(ctx)
	}
}

func (t *turn) flow() flowDef { return t.e.flows[t.st.Flow] }

// matchLabel finds the button of the current question whose label the resident typed.
func (t *turn) matchLabel(ctx context.Context, typed string) (string, error) {
	key := text.Key(typed)
	if key == "" {
		return "", nil
	}
	q, err := t.question(ctx)
	if err != nil {
		return "", err
	}
	for _, rows := range [][][]coopbot.Button{q.Buttons, q.Keys} {
		for _, row := range rows {
			for _, b := range row {
				if b.Data == "" {
					continue
				}
				label, err := t.label(b.Label)
				if err != nil {
					return "", err
				}
				if labelKey(label) == key {
					return b.Data, nil
				}
			}
		}
	}
	return "", nil
}

func (t *turn) label(m coopbot.Msg) (string, error) {
	if m.ID == "" {
		return m.Raw, nil
	}
	return t.e.labels.Text(t.c.Lang(), m.ID, m.Data, m.Count)
}

// question renders the current step's question with Back and Cancel buttons.
func (t *turn) question(ctx context.Context) (coopbot.Reply, error) {
	q, err := t.flow().ask(ctx, t.c, t.st.Step)
	if err != nil {
		return q, fmt.Errorf("%s/%s ask: %w", t.st.Flow, t.st.Step, err)
	}
	// Steps may return shared keyboards: never append to them in place.
	q.Buttons = slices.Clip(q.Buttons)
	q.Keys = slices.Clip(q.Keys)
	if t.st.Flow != FlowMenu {
		var row []coopbot.Button
		if len(t.st.Back) > 0 || t.st.Flow != FlowOnboarding {
			row = append(row, coopbot.Button{Label: coopbot.M("common.back"), Data: ChoiceBack})
		}
		if t.st.Flow != FlowOnboarding || t.st.Profile.ResidentID != 0 {
			row = append(row, coopbot.Button{Label: coopbot.M("common.cancel"), Data: ChoiceCancel})
		}
		switch {
		case len(row) == 0:
		case len(q.Keys) > 0:
			// One keyboard kind per message: with a reply keyboard, Back and Cancel join it
			// and come back as typed labels.
			q.Keys = append(q.Keys, row)
		default:
			q.Buttons = append(q.Buttons, row)
		}
	}
	return q, nil
}

// ask sends the current question; its buttons carry the question number.
func (t *turn) ask(ctx context.Context, hint *coopbot.Msg) error {
	if ok, err := t.admit(ctx); !ok || err != nil {
		return err
	}
	q, err := t.question(ctx)
	if err != nil {
		return err
	}
	prefix := "c:" + strconv.Itoa(t.st.Seq) + ":"
	rows := make([][]coopbot.Button, len(q.Buttons))
	for i, row := range q.Buttons {
		out := make([]coopbot.Button, len(row))
		for j, b := range row {
			if b.Data != "" && !strings.HasPrefix(b.Data, "a:") {
				b.Data = prefix + b.Data
			}
			out[j] = b
		}
		rows[i] = out
	}
	q.Buttons = rows
	if hint != nil {
		q.Text = append([]coopbot.Msg{*hint}, q.Text...)
	}
	t.say(q)
	return nil
}

func (t *turn) reask(ctx context.Context) error {
	if t.st.Flow == "" {
		return t.menu(ctx)
	}
	return t.ask(ctx, nil)
}

func (t *turn) say(r ...coopbot.Reply) { t.out = append(t.out, r...) }

func (t *turn) toast(m coopbot.Msg) {
	t.out = append(t.out, coopbot.Reply{Toast: &m})
}

func (t *turn) apply(ctx context.Context, n Next) error {
	t.say(n.say...)
	switch n.kind {
	case nextStay:
		if len(n.say) == 0 {
			return t.reask(ctx)
		}
		return nil
	case nextRetry:
		return t.ask(ctx, &n.hint)
	case nextForward:
		n.step = t.flow().after(t.st.Step)
		if t.st.Review && t.flow().has(StepReview) {
			n.step = StepReview
		}
		if n.step == "" {
			return t.menu(ctx)
		}
		fallthrough
	case nextGoto:
		if n.step == "" {
			n.step = t.st.Step
		}
		if !t.flow().has(n.step) {
			return fmt.Errorf("flow %s: no step %s", t.st.Flow, n.step)
		}
		same := n.step == t.st.Step
		if !same {
			if i := slices.Index(t.st.Back, n.step); i >= 0 {
				// Returning to a screen this one was reached from (a list after acting on
				// one of its items): Back from there goes where it went before.
				t.st.Back = t.st.Back[:i]
			} else {
				t.st.Back = append(t.st.Back, t.st.Step)
			}
			t.st.Page, t.st.Query = 0, ""
		}
		t.st.Step = n.step
		t.st.Seq++
		if err := t.ask(ctx, nil); err != nil {
			return err
		}
		if same && t.pressed && len(t.out) > 0 {
			// Paging through a list: change the message in place.
			t.out[len(t.out)-1].Edit = true
		}
		return nil
	case nextStart:
		return t.startAt(ctx, n.flow, n.step, n.answers, n.back)
	case nextDone:
		return t.menu(ctx)
	case nextForget:
		t.forget = true
		return nil
	}
	return fmt.Errorf("unknown next %d", n.kind)
}

func (t *turn) start(ctx context.Context, flow string, answers any) error {
	return t.startAt(ctx, flow, "", answers, nil)
}

// startAt starts flow at step (its first when ""), with back as the Back stack.
func (t *turn) startAt(ctx context.Context, flow, step string, answers any, back []string) error {
	f := t.e.flows[flow]
	if f == nil {
		return fmt.Errorf("no flow %s", flow)
	}
	if step == "" {
		step = f.first()
	}
	for _, s := range append([]string{step}, back...) {
		if !f.has(s) {
			return fmt.Errorf("flow %s: no step %s", flow, s)
		}
	}
	t.st.Flow, t.st.Step, t.st.Back = f.flowName(), step, slices.Clone(back)
	t.st.Page, t.st.Query, t.st.Review = 0, "", false
	if err := t.setAnswers(answers); err != nil {
		return err
	}
	t.st.Seq++
	return t.ask(ctx, nil)
}

func (t *turn) back(ctx context.Context) error {
	if n := len(t.st.Back); n > 0 {
		t.st.Step = t.st.Back[n-1]
		t.st.Back = t.st.Back[:n-1]
		t.st.Page, t.st.Query = 0, ""
		t.st.Seq++
		return t.ask(ctx, nil)
	}
	if t.st.Flow == FlowOnboarding {
		return t.ask(ctx, nil)
	}
	return t.menu(ctx)
}

func (t *turn) cancel(ctx context.Context) error {
	t.say(coopbot.Text(coopbot.M("conv.cancelled")))
	return t.menu(ctx)
}

// menu ends any flow and shows the main menu (onboarding first for newcomers).
func (t *turn) menu(ctx context.Context) error {
	if t.st.Profile.ResidentID == 0 || !t.st.Profile.Lang.Valid() {
		return t.start(ctx, FlowOnboarding, nil)
	}
	// Roles change outside the conversation (ADMINS, invites): refresh them with the menu.
	p, err := t.e.profiles.Profile(ctx, t.c.Ref())
	if err != nil {
		return fmt.Errorf("refresh profile: %w", err)
	}
	if p.ResidentID == 0 {
		// No record any more: the person erased their data and this copy of their
		// conversation outlived it. They are a newcomer.
		t.st.Profile = coopbot.Profile{}
		return t.start(ctx, FlowOnboarding, nil)
	}
	t.st.Profile = p
	return t.start(ctx, FlowMenu, nil)
}

// closeKeyboard removes a reply keyboard left from an earlier question once a reply no
// longer shows one. Telegram takes one keyboard kind per message, so when every reply
// carries inline buttons a short note carries the removal and is deleted at once.
func (t *turn) closeKeyboard() {
	shows := false
	for _, r := range t.out {
		if len(r.Keys) > 0 {
			shows = true
		}
	}
	if shows {
		t.st.Keys = true
		return
	}
	if !t.st.Keys {
		return
	}
	t.st.Keys = false
	for i, r := range t.out {
		if r.Toast == nil && !r.Edit && len(r.Buttons) == 0 && len(r.Text) > 0 {
			t.out[i].RemoveKeys = true
			return
		}
	}
	for i, r := range t.out {
		if r.Toast == nil && !r.Edit {
			note := coopbot.Reply{Text: []coopbot.Msg{coopbot.M("conv.keyboard_closed")}, RemoveKeys: true, Transient: true}
			t.out = append(t.out[:i], append([]coopbot.Reply{note}, t.out[i:]...)...)
			return
		}
	}
}

// labelKeys caches the match keys of button labels and of names (neighborhoods,
// cooperatives), which are compared with what residents type on every update. Only such
// bounded sets go in; the cache starts over if it ever grows large.
var labelKeys struct {
	sync.RWMutex
	m map[string]string
}

// labelKey is text.Key for a label or a name, cached.
func labelKey(s string) string {
	labelKeys.RLock()
	k, ok := labelKeys.m[s]
	labelKeys.RUnlock()
	if ok {
		return k
	}
	k = text.Key(s)
	labelKeys.Lock()
	if labelKeys.m == nil || len(labelKeys.m) > 50000 {
		labelKeys.m = map[string]string{}
	}
	labelKeys.m[s] = k
	labelKeys.Unlock()
	return k
}
