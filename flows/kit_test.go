package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"coopbot"
	"coopbot/locales"
)

// Engine tests in memory: toy flows written with the kit, a profile store of function
// fields, the real message catalog. No Postgres, Redis or HTTP: each runs in microseconds.

// profilesFunc is a Profiles of one function field.
type profilesFunc struct {
	ProfileFn func(ctx context.Context, ref coopbot.UserRef) (coopbot.Profile, error)
}

func (p profilesFunc) Profile(ctx context.Context, ref coopbot.UserRef) (coopbot.Profile, error) {
	return p.ProfileFn(ctx, ref)
}

// known is a resident who finished onboarding.
var known = profilesFunc{ProfileFn: func(context.Context, coopbot.UserRef) (coopbot.Profile, error) {
	return coopbot.Profile{ResidentID: 7, Lang: coopbot.Persian}, nil
}}

// toy is the answers of the toy flows.
type toy struct {
	Name   string `json:"name,omitempty"`
	Picked int64  `json:"picked,omitempty"`
	Size   int    `json:"size,omitempty"`
}

// chat drives an engine as one resident, keeping the state between updates.
type chat struct {
	t     *testing.T
	e     *Engine
	state []byte
	seq   int64
	last  Result
}

func newChat(t *testing.T, flows []flowDef, p Profiles) *chat {
	t.Helper()
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &chat{t: t, e: newEngine(append(flows, toyBasics()...), nil, cat, p, nil)}
}

// toyBasics are the flows every engine needs.
func toyBasics() []flowDef {
	one := func(name string) flowDef {
		return &Flow[struct{}]{Name: name, Steps: []Step[struct{}]{{
			Name: "only",
			Ask: func(context.Context, *Conv, *struct{}) (coopbot.Reply, error) {
				return coopbot.Text(coopbot.M("menu.title")), nil
			},
			Answer: func(context.Context, *Conv, *struct{}, Input) (Next, error) { return Retry("menu.unknown"), nil },
		}}}
	}
	return []flowDef{one(FlowOnboarding), one(FlowMenu), one(FlowLanguage)}
}

func (c *chat) send(up Update) Result {
	c.t.Helper()
	c.seq++
	up.ID, up.Platform, up.ChatID, up.UserID = c.seq, coopbot.Telegram, 1, 1
	res, err := c.e.Handle(context.Background(), c.state, up)
	if err != nil {
		c.t.Fatalf("update %d: %v", c.seq, err)
	}
	c.state, c.last = res.State, res
	return res
}

func (c *chat) text(s string) Result { return c.send(Update{Kind: KindText, Text: s}) }

// press presses button data on the current question (as the engine prefixed it).
func (c *chat) press(data string) Result {
	c.t.Helper()
	var st State
	if err := json.Unmarshal(c.state, &st); err != nil {
		c.t.Fatal(err)
	}
	return c.send(Update{Kind: KindCallback, Data: fmt.Sprintf("c:%d:%s", st.Seq, data)})
}

// start puts the resident into flow name at its first step.
func (c *chat) start(name string) Result {
	c.t.Helper()
	st := State{V: StateVersion, Profile: coopbot.Profile{ResidentID: 7, Lang: coopbot.Persian}}
	b, _ := json.Marshal(st)
	c.state = b
	t := &turn{e: c.e, st: &st}
	t.c = &Conv{Profile: &st.Profile, Update: &Update{}, t: t}
	if err := t.start(context.Background(), name, nil); err != nil {
		c.t.Fatal(err)
	}
	c.state, _ = json.Marshal(st)
	c.last = Result{Replies: t.out}
	return c.last
}

// said reports whether a reply of res carries message id.
func said(res Result, id string) bool {
	for _, r := range res.Replies {
		for _, m := range append(r.Text, deref2(r.Toast)...) {
			if m.ID == id {
				return true
			}
		}
	}
	return false
}

func deref2(m *coopbot.Msg) []coopbot.Msg {
	if m == nil {
		return nil
	}
	return []coopbot.Msg{*m}
}

func (c *chat) step() (flow, step string) {
	var st State
	json.Unmarshal(c.state, &st)
	return st.Flow, st.Step
}

// buttons lists the data of the current question's buttons (without the prefix).
func buttons(res Result) []string {
	var out []string
	for _, r := range res.Replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				_, rest, _ := strings.Cut(b.Data, ":")
				_, v, _ := strings.Cut(rest, ":")
				out = append(out, v)
			}
		}
	}
	return out
}

// A list of 12 items, 5 to a page: pages turn, a forged page (negative, huge, not a
// number) shows the first page, a forged item id is refused with the list again.
func TestListPagesAndForgedPresses(t *testing.T) {
	items := make([]int64, 12)
	for i := range items {
		items[i] = int64(i + 1)
	}
	list := List[toy, int64]{
		Name: "pick", PerPage: 5,
		Items: func(ctx context.Context, c *Conv, a *toy, page, per int) ([]int64, int, error) {
			if page < 0 || page > maxPage {
				t.Fatalf("Items asked for page %d", page)
			}
			return pageItems(items, page, per), len(items), nil
		},
		Show: func(c *Conv, a *toy, it int64) ([]coopbot.Msg, coopbot.Msg) {
			return nil, coopbot.Raw(fmt.Sprint("item ", it))
		},
		ID: func(it int64) int64 { return it },
		Pick: func(ctx context.Context, c *Conv, a *toy, it int64) (Next, error) {
			a.Picked = it
			return Forward(), nil
		},
		Gone: "join.coop.gone", Invalid: "join.coop.invalid",
	}
	flow := &Flow[toy]{Name: "toy", Steps: []Step[toy]{list.Step(), {
		Name: "done",
		Ask: func(ctx context.Context, c *Conv, a *toy) (coopbot.Reply, error) {
			return coopbot.Text(coopbot.Raw(fmt.Sprint("picked ", a.Picked))), nil
		},
		Answer: func(context.Context, *Conv, *toy, Input) (Next, error) { return Done(), nil },
	}}}
	c := newChat(t, []flowDef{flow}, known)
	res := c.start("toy")
	if got := strings.Join(buttons(res), " "); !strings.HasPrefix(got, "i:1 i:2 i:3 i:4 i:5 p:1") {
		t.Fatalf("first page buttons = %s", got)
	}
	res = c.press("p:2")
	if got := strings.Join(buttons(res), " "); !strings.HasPrefix(got, "i:11 i:12 p:1") || !res.Replies[len(res.Replies)-1].Edit {
		t.Fatalf("third page buttons = %s (edit %v)", got, res.Replies[len(res.Replies)-1].Edit)
	}
	for _, forged := range []string{"p:-1", "p:99999999999999999999", "p:9223372036854775807", "p:4611686018427387904", "p:x", "p:", "i:-3", "i:0", "i:abc", "i:99", strings.Repeat("9", 60)} {
		res = c.press(forged)
		if f, s := c.step(); f != "toy" || s != "pick" {
			t.Fatalf("after %q the conversation is at %s/%s", forged, f, s)
		}
		if strings.HasPrefix(forged, "p:") && !strings.HasPrefix(strings.Join(buttons(res), " "), "i:1 ") {
			t.Fatalf("forged page %q shows %v, want the first page", forged, buttons(res))
		}
	}
	if got := pageItems(items, math.MaxInt64, 5); got != nil {
		t.Fatalf("page MaxInt64 = %v, want none", got)
	}
	res = c.press("i:4")
	if f, s := c.step(); s != "done" || f != "toy" {
		t.Fatalf("after picking: %s/%s", f, s)
	}
	if got := res.Replies[len(res.Replies)-1].Text[0].Raw; got != "picked 4" {
		t.Fatalf("answers carried %q, want the picked item", got)
	}
}

// A form asks its fields in order; from the review, editing a field asks it again and the
// answer leads back to the review; submit gets every answer.
func TestFormReviewAndEdit(t *testing.T) {
	var submitted *toy
	form := Form[toy]{
		Fields: []Field[toy]{
			{Step: TextStep[toy]{Name: "name", Max: 10,
				Prompt: func(*Conv, *toy) coopbot.Msg { return coopbot.M("join.name.prompt") },
				Set:    func(a *toy, s string) { a.Name = s }}.Step(),
				Edit: "join.review.edit_name",
				Review: func(ctx context.Context, c *Conv, a *toy) ([]coopbot.Msg, error) {
					return []coopbot.Msg{coopbot.Raw("name " + a.Name)}, nil
				}},
			{Step: TextStep[toy]{Name: "size",
				Prompt: func(*Conv, *toy) coopbot.Msg { return coopbot.M("need.household.prompt") },
				Set:    func(a *toy, s string) { a.Size = len(s) }}.Step(),
				Edit: "join.review.edit_share"},
		},
		Title: "join.review.title", SubmitLabel: "join.review.submit", Invalid: "join.review.use_buttons",
		Submit: func(ctx context.Context, c *Conv, a *toy) (Next, error) {
			cp := *a
			submitted = &cp
			return Done(), nil
		},
	}
	c := newChat(t, []flowDef{&Flow[toy]{Name: "form", Steps: form.Steps()}}, known)
	c.start("form")
	res := c.text("a name that is far too long")
	if !said(res, "input.too_long_max") {
		t.Fatalf("too long name: %+v", res.Replies)
	}
	c.send(Update{Kind: KindOther})
	if !said(c.last, "input.text_expected") {
		t.Fatalf("sticker for a name: %+v", c.last.Replies)
	}
	c.text("Mina")
	c.text("abc")
	if _, s := c.step(); s != StepReview {
		t.Fatalf("after the last field: %s", s)
	}
	c.press("e:0") // edit the name
	if _, s := c.step(); s != "name" {
		t.Fatalf("edit name leads to %s", s)
	}
	c.text("Sara")
	if _, s := c.step(); s != StepReview {
		t.Fatalf("an edited answer leads to %s, want the review", s)
	}
	c.press("e:7") // forged index
	if !said(c.last, "join.review.use_buttons") {
		t.Fatal("a forged edit index was not refused")
	}
	c.press("submit")
	if submitted == nil || submitted.Name != "Sara" || submitted.Size != 3 {
		t.Fatalf("submitted %+v", submitted)
	}
}

// A gate is checked before every answer: a role taken away mid-flow ends it at the next
// update with the gate's message.
func TestGateIsCheckedAtEveryAnswer(t *testing.T) {
	allowed := true
	gate := func(ctx context.Context, c *Conv) (*coopbot.Msg, error) {
		if !allowed {
			m := coopbot.M("broadcast.denied")
			return &m, nil
		}
		c.Staff = &coopbot.Staff{ResidentID: c.Profile.ResidentID, Role: coopbot.RoleStaff}
		return nil, nil
	}
	ask := Step[toy]{
		Name: "q",
		Ask: func(ctx context.Context, c *Conv, a *toy) (coopbot.Reply, error) {
			if c.Staff == nil {
				t.Fatal("asked without the gate's staff")
			}
			return coopbot.Text(coopbot.Raw("q")), nil
		},
		Answer: func(ctx context.Context, c *Conv, a *toy, in Input) (Next, error) { return Again(), nil },
	}
	c := newChat(t, []flowDef{&Flow[toy]{Name: "staff", Gate: gate, Steps: []Step[toy]{ask}}}, known)
	c.start("staff")
	c.text("one")
	if f, _ := c.step(); f != "staff" {
		t.Fatalf("allowed answer left the flow: %s", f)
	}
	allowed = false
	c.text("two")
	if f, _ := c.step(); f != FlowMenu || !said(c.last, "broadcast.denied") {
		t.Fatalf("after the role was taken: flow %s, replies %+v", f, c.last.Replies)
	}
}

// Data builds what Pick reads; Pick refuses anything but a positive id.
func TestDataAndPick(t *testing.T) {
	if got := Data("co", 12); got != "co:12" {
		t.Fatalf("Data = %q", got)
	}
	for data, want := range map[string]int64{"co:12": 12, "co:0": 0, "co:-1": 0, "co:x": 0, "cx:12": 0, "co:12:3": 0, "co:9223372036854775808": 0} {
		id, ok := Input{Choice: data}.Pick("co")
		if id != want && ok || ok != (want > 0) {
			t.Errorf("Pick(%q) = %d, %v", data, id, ok)
		}
	}
	if i, ok := (Input{Choice: "e:3"}).PickIndex("e", 3); ok {
		t.Errorf("PickIndex out of range = %d, ok", i)
	}
}

// An answer the engine cannot decode (a state written by another version of a flow) is an
// error, not a panic; a state of another schema version starts over politely.
func TestUndecodableStates(t *testing.T) {
	flow := &Flow[toy]{Name: "toy", Steps: []Step[toy]{{
		Name:   "q",
		Ask:    func(context.Context, *Conv, *toy) (coopbot.Reply, error) { return coopbot.Text(coopbot.Raw("q")), nil },
		Answer: func(context.Context, *Conv, *toy, Input) (Next, error) { return Again(), nil },
	}}}
	c := newChat(t, []flowDef{flow}, known)
	c.state = []byte(`{"v":1,"f":"toy","s":"q","a":{"name":"x"},"p":{"r":7,"l":"fa"}}`)
	if res := c.text("hi"); !said(res, "conv.reset") {
		t.Fatalf("old schema: %+v", res.Replies)
	}
	c.state = []byte(`{"v":2,"f":"toy","s":"q","a":{"size":"not a number"},"p":{"r":7,"l":"fa"}}`)
	c.seq++
	if _, err := c.e.Handle(context.Background(), c.state, Update{ID: c.seq, Kind: KindText, Text: "hi"}); err == nil {
		t.Fatal("undecodable answers handled without an error")
	}
}

// A field that does not apply is passed over on the way forward, has no edit button on
// the review and a forged edit of it is refused; Back from the next field leads back past
// it too.
func TestFormSkipsFieldsThatDoNotApply(t *testing.T) {
	text := func(name string, set func(a *toy, s string)) Step[toy] {
		return TextStep[toy]{Name: name,
			Prompt: func(*Conv, *toy) coopbot.Msg { return coopbot.M("join.name.prompt") },
			Set:    set}.Step()
	}
	form := Form[toy]{
		Fields: []Field[toy]{
			{Step: text("name", func(a *toy, s string) { a.Name = s }), Edit: "join.review.edit_name"},
			{Step: text("size", func(a *toy, s string) { a.Size = len(s) }), Edit: "join.review.edit_share",
				Skip: func(c *Conv, a *toy) bool { return a.Name == "skip" }},
			{Step: text("last", func(a *toy, s string) {}), Edit: "join.review.edit_phone"},
		},
		Title: "join.review.title", SubmitLabel: "join.review.submit", Invalid: "join.review.use_buttons",
		Submit: func(ctx context.Context, c *Conv, a *toy) (Next, error) { return Done(), nil },
	}
	c := newChat(t, []flowDef{&Flow[toy]{Name: "form", Steps: form.Steps()}}, known)
	c.start("form")
	c.text("skip")
	if _, s := c.step(); s != "last" {
		t.Fatalf("after the first field: %s, want the field after the skipped one", s)
	}
	c.press(ChoiceBack)
	if _, s := c.step(); s != "name" {
		t.Fatalf("Back leads to %s", s)
	}
	c.text("skip")
	res := c.text("end")
	if _, s := c.step(); s != StepReview {
		t.Fatalf("after the last field: %s", s)
	}
	if got := strings.Join(buttons(res), " "); strings.Contains(got, "e:1") || !strings.Contains(got, "e:2") {
		t.Fatalf("review buttons = %s: the skipped field has an edit button", got)
	}
	c.press("e:1")
	if _, s := c.step(); s != StepReview || !said(c.last, "join.review.use_buttons") {
		t.Fatalf("a forged edit of a skipped field leads to %s", s)
	}
	// When it applies, it is asked.
	c.press("e:0")
	c.text("Mina")
	if _, s := c.step(); s != StepReview {
		t.Fatalf("an edited answer leads to %s", s)
	}
	c.start("form")
	c.text("Mina")
	if _, s := c.step(); s != "size" {
		t.Fatalf("a field that applies was passed over: %s", s)
	}
}

// Forget ends the conversation without a menu and without a state to save; a reply
// keyboard left open is closed with the last reply.
func TestForgetDropsTheConversation(t *testing.T) {
	bye := &Flow[toy]{Name: "bye", Steps: []Step[toy]{{
		Name: "ask",
		Ask: func(context.Context, *Conv, *toy) (coopbot.Reply, error) {
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("menu.title")},
				Keys: [][]coopbot.Button{{{Label: coopbot.M("common.next"), Data: "go"}}}}, nil
		},
		Answer: func(_ context.Context, _ *Conv, _ *toy, in Input) (Next, error) {
			if in.Choice != "go" {
				return Retry("menu.unknown"), nil
			}
			return Forget(coopbot.Text(coopbot.M("conv.cancelled"))), nil
		},
	}}}
	c := newChat(t, []flowDef{bye}, known)
	c.start("bye")
	c.text("x") // answered wrong: asked again, the keyboard showing
	res := c.text("صفحهٔ بعد ◀")
	if !res.Forget || res.State != nil {
		t.Fatalf("forget: Forget %v, state %q", res.Forget, res.State)
	}
	if len(res.Replies) != 1 || !said(res, "conv.cancelled") || said(res, "menu.title") {
		t.Fatalf("replies = %+v, want the goodbye only", res.Replies)
	}
	if !res.Replies[0].RemoveKeys {
		t.Fatal("the reply keyboard was left open")
	}
}

// A conversation that outlived the person's record (erased while a copy of the state
// survived) starts over as a newcomer's at the menu, instead of acting for a record that
// is gone.
func TestMenuWithoutARecordIsANewcomer(t *testing.T) {
	gone := profilesFunc{ProfileFn: func(context.Context, coopbot.UserRef) (coopbot.Profile, error) { return coopbot.Profile{}, nil }}
	c := newChat(t, nil, gone)
	c.start(FlowLanguage)
	c.text("/menu")
	var st State
	if err := json.Unmarshal(c.state, &st); err != nil {
		t.Fatal(err)
	}
	if st.Flow != FlowOnboarding || st.Profile.ResidentID != 0 {
		t.Fatalf("after /menu: flow %s, profile %+v", st.Flow, st.Profile)
	}
}
