package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"coopbot"
	"coopbot/text"
)

// The kit flows are written with. A flow is an ordered list of steps over its own typed
// answers A (a struct, kept as JSON in the conversation state); it reads top to bottom,
// and Forward() moves to the next step in the list. Ready-made steps: a paged list to
// pick from (List), a form whose fields end in a review with "edit any field" (Form), and
// a bounded free-text question (TextStep). A Gate admits people to a flow, checked on the
// server before every question and answer. Button data is built with Data and read with
// Input.Pick, so a forged press can never carry a number out of range.

// Flow is a conversation: an ordered list of steps over the answers A. The first step is
// where it starts.
type Flow[A any] struct {
	Name  string
	Gate  Gate // nil: everyone
	Steps []Step[A]
}

// Step is one question of a flow: Ask builds it, Answer takes the answer and says what
// comes next. A wrong answer is a Retry, not an error: an error means something outside
// the conversation failed, and the resident's state stays as it was.
type Step[A any] struct {
	Name   string
	Ask    func(ctx context.Context, c *Conv, a *A) (coopbot.Reply, error)
	Answer func(ctx context.Context, c *Conv, a *A, in Input) (Next, error)
}

// Gate admits a person to a flow. It runs before every question and answer of the flow
// (so a role taken away mid-conversation takes effect at the next update), may fill
// c.Staff, and on refusal returns the message to show; the flow then ends.
type Gate func(ctx context.Context, c *Conv) (denied *coopbot.Msg, err error)

// flowDef is what the engine needs of a flow, whatever its answers.
type flowDef interface {
	flowName() string
	first() string
	has(step string) bool
	after(step string) string // the next step in order, "" after the last
	gate() Gate
	ask(ctx context.Context, c *Conv, step string) (coopbot.Reply, error)
	answer(ctx context.Context, c *Conv, step string, in Input) (Next, error)
}

func (f *Flow[A]) flowName() string { return f.Name }
func (f *Flow[A]) first() string    { return f.Steps[0].Name }
func (f *Flow[A]) gate() Gate       { return f.Gate }

func (f *Flow[A]) index(step string) int {
	return slices.IndexFunc(f.Steps, func(s Step[A]) bool { return s.Name == step })
}

func (f *Flow[A]) has(step string) bool { return f.index(step) >= 0 }

func (f *Flow[A]) after(step string) string {
	if i := f.index(step); i >= 0 && i+1 < len(f.Steps) {
		return f.Steps[i+1].Name
	}
	return ""
}

func (f *Flow[A]) ask(ctx context.Context, c *Conv, step string) (coopbot.Reply, error) {
	a, err := answers[A](c)
	if err != nil {
		return coopbot.Reply{}, err
	}
	return f.Steps[f.index(step)].Ask(ctx, c, a)
}

func (f *Flow[A]) answer(ctx context.Context, c *Conv, step string, in Input) (Next, error) {
	a, err := answers[A](c)
	if err != nil {
		return Next{}, err
	}
	return f.Steps[f.index(step)].Answer(ctx, c, a, in)
}

// answers returns the current flow's answers, decoding them from the state on first use
// in this update.
func answers[A any](c *Conv) (*A, error) {
	t := c.t
	if a, ok := t.ans.(*A); ok {
		return a, nil
	}
	a := new(A)
	if len(t.st.Answers) > 0 {
		if err := json.Unmarshal(t.st.Answers, a); err != nil {
			return nil, fmt.Errorf("decode answers of %s: %w", t.st.Flow, err)
		}
	}
	t.ans = a
	return a, nil
}

// Data is button data: a short verb and numbers, "co:12" or "page:3". The engine adds
// the question number in front; the whole stays far below callback data's 64 bytes.
func Data(verb string, n ...int64) string {
	if len(n) == 0 {
		return verb
	}
	var b strings.Builder
	b.WriteString(verb)
	for _, v := range n {
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v, 10))
	}
	return b.String()
}

// Pick reads button data built with Data(verb, id): ok only when the verb matches and the
// id is a positive number (record ids), so forged data never reaches a store or an index.
func (in Input) Pick(verb string) (id int64, ok bool) {
	s, found := strings.CutPrefix(in.Choice, verb+":")
	if !found {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// PickIndex reads Data(verb, i) for an index into a list of n: ok only when 0 <= i < n.
func (in Input) PickIndex(verb string, n int) (int, bool) {
	s, found := strings.CutPrefix(in.Choice, verb+":")
	if !found {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0 && i < n
}

// Page is the page the current list step shows (0 for the first).
func (c *Conv) Page() int { return c.t.st.Page }

// Query is the text the current list step is filtered by ("" when none).
func (c *Conv) Query() string { return c.t.st.Query }

// Filter sets the current list step's filter and goes back to its first page.
func (c *Conv) Filter(q string) { c.t.st.Query, c.t.st.Page = q, 0 }

// ShowPage sets the page the current list step shows next (a toggle keeps the item it
// changed in view); it is range-checked when the list is built.
func (c *Conv) ShowPage(p int) { c.t.st.Page = p }

// Reviewing reports whether the current form's review was shown: answers changed from
// there lead back to it.
func (c *Conv) Reviewing() bool { return c.t.st.Review }

// pageCount is how a list of total items is cut into pages of per: the page to show (the
// first when page is out of range) and how many there are.
func pageCount(page, total, per int) (int, int) {
	pages := (total + per - 1) / per
	if page < 0 || page >= pages {
		page = 0
	}
	return page, pages
}

// pager adds "page x of y" and Previous/Next to a reply showing page of pages.
func pager(r *coopbot.Reply, page, pages int) {
	if pages <= 1 {
		return
	}
	r.Text = append(r.Text, coopbot.M("common.page", "Page", text.Number(int64(page+1)), "Pages", text.Number(int64(pages))))
	var nav []coopbot.Button
	if page > 0 {
		nav = append(nav, coopbot.Button{Label: coopbot.M("common.prev"), Data: Data(verbPage, int64(page-1))})
	}
	if page+1 < pages {
		nav = append(nav, coopbot.Button{Label: coopbot.M("common.next"), Data: Data(verbPage, int64(page+1))})
	}
	r.Buttons = append(r.Buttons, nav)
}

// turnPage handles a press of pager's buttons: the page is range-checked when the list is
// built again (Pages), so a forged number shows the first page; one past maxPage never
// reaches Items.
func turnPage(c *Conv, in Input) bool {
	s, ok := strings.CutPrefix(in.Choice, verbPage+":")
	if !ok {
		return false
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > maxPage {
		p = 0
	}
	c.t.st.Page = p
	return true
}

// maxPage bounds a page number from button data: no list has that many pages, and a
// larger (forged) one times a page size would overflow into a negative offset.
const maxPage = 100_000

// Verbs of the kit's own buttons.
const (
	verbPage = "p"
	verbItem = "i"
	verbEdit = "e"
)

// grid lays buttons out in rows of n.
func grid(n int, buttons []coopbot.Button) [][]coopbot.Button {
	var rows [][]coopbot.Button
	for len(buttons) > n {
		rows = append(rows, buttons[:n:n])
		buttons = buttons[n:]
	}
	if len(buttons) > 0 {
		rows = append(rows, buttons)
	}
	return rows
}

// List is a step showing a paged list of items T to pick one from, by button or by
// typing its name.
type List[A, T any] struct {
	Name    string
	PerPage int
	Columns int // item buttons per row (1 by default)
	// Items returns the items of page (cut per PerPage; c.Query() filters them when
	// Match set it) and how many there are in all.
	Items func(ctx context.Context, c *Conv, a *A, page, per int) (items []T, total int, err error)
	// Title is what stands above the items; total is the number of all items.
	Title func(ctx context.Context, c *Conv, a *A, total int) ([]coopbot.Msg, error)
	// Show is an item's paragraphs (none for a list of buttons only) and its button.
	Show func(c *Conv, a *A, it T) (lines []coopbot.Msg, label coopbot.Msg)
	ID   func(it T) int64
	// Find looks up a picked item by id; nil searches the page shown.
	Find func(ctx context.Context, c *Conv, a *A, id int64) (it T, ok bool, err error)
	Pick func(ctx context.Context, c *Conv, a *A, it T) (Next, error)
	// Match finds items by typed text (nil: typing is not offered); exact tells a match
	// of the whole name from one of a part. One match is picked (a loose one with the
	// message Loose, {{.Name}} being its label, so the resident sees what was taken);
	// several filter the list (c.Query); none is a retry with Unmatched ({{.Typed}}).
	Match     func(ctx context.Context, c *Conv, a *A, typed string) (found []T, exact bool, err error)
	Unmatched string
	Loose     string
	// Several is said above the list when a typed text matched more than one item (the
	// list then shows those); "" shows them without a word.
	Several string
	// More adds buttons under the list; Other handles their presses (ok false: not its).
	More    func(ctx context.Context, c *Conv, a *A) ([]coopbot.Button, error)
	Other   func(ctx context.Context, c *Conv, a *A, in Input) (next Next, ok bool, err error)
	Empty   coopbot.Msg // shown instead of the list when there are no items
	Gone    string      // message ID: the picked item no longer exists
	Invalid string      // message ID: an answer that is none of the above
}

// Step turns the list into a step.
func (l List[A, T]) Step() Step[A] {
	per := cmpOr(l.PerPage, 5)
	cols := cmpOr(l.Columns, 1)
	page := func(ctx context.Context, c *Conv, a *A) ([]T, int, int, error) {
		items, total, err := l.Items(ctx, c, a, max(c.Page(), 0), per)
		if err != nil {
			return nil, 0, 0, err
		}
		p, pages := pageCount(c.Page(), total, per)
		if p != c.Page() {
			// Out of range (a forged press, or the list shrank): the first page.
			c.t.st.Page = p
			if items, total, err = l.Items(ctx, c, a, p, per); err != nil {
				return nil, 0, 0, err
			}
			p, pages = pageCount(p, total, per)
		}
		return items, total, pages, nil
	}
	return Step[A]{
		Name: l.Name,
		Ask: func(ctx context.Context, c *Conv, a *A) (coopbot.Reply, error) {
			items, total, pages, err := page(ctx, c, a)
			if err != nil {
				return coopbot.Reply{}, err
			}
			var r coopbot.Reply
			if l.Title != nil {
				if r.Text, err = l.Title(ctx, c, a, total); err != nil {
					return r, err
				}
			}
			if total == 0 && l.Empty.ID != "" {
				r.Text = append(r.Text, l.Empty)
			}
			var buttons []coopbot.Button
			described := false // items have paragraphs of their own: the pager stands apart
			for _, it := range items {
				lines, label := l.Show(c, a, it)
				if len(lines) > 0 {
					described = true
					r.Text = append(r.Text, coopbot.Raw(""))
					r.Text = append(r.Text, lines...)
				}
				buttons = append(buttons, coopbot.Button{Label: label, Data: Data(verbItem, l.ID(it))})
			}
			r.Buttons = grid(cols, buttons)
			if pages > 1 && described {
				r.Text = append(r.Text, coopbot.Raw(""))
			}
			pager(&r, c.Page(), pages)
			if l.More != nil {
				more, err := l.More(ctx, c, a)
				if err != nil {
					return r, err
				}
				r.Buttons = append(r.Buttons, grid(1, more)...)
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *A, in Input) (Next, error) {
			if id, ok := in.Pick(verbItem); ok {
				it, found, err := l.find(ctx, c, a, id, page)
				if err != nil || !found {
					return Retry(l.Gone), err
				}
				c.Filter("")
				return l.Pick(ctx, c, a, it)
			}
			if turnPage(c, in) {
				return Again(), nil
			}
			if l.Other != nil {
				if next, ok, err := l.Other(ctx, c, a, in); ok || err != nil {
					return next, err
				}
			}
			if in.Kind == KindText && in.Text != "" && l.Match != nil {
				found, exact, err := l.Match(ctx, c, a, in.Text)
				if err != nil {
					return Next{}, err
				}
				switch len(found) {
				case 0:
					return Retry(l.Unmatched, "Typed", text.Isolate(in.Text)), nil
				case 1:
					c.Filter("")
					next, err := l.Pick(ctx, c, a, found[0])
					if !exact && l.Loose != "" && err == nil {
						_, label := l.Show(c, a, found[0])
						next.say = append([]coopbot.Reply{coopbot.Text(coopbot.M(l.Loose, "Name", label))}, next.say...)
					}
					return next, err
				}
				c.Filter(in.Text)
				if l.Several != "" {
					return Retry(l.Several), nil
				}
				return Again(), nil
			}
			return Retry(l.Invalid), nil
		},
	}
}

func (l List[A, T]) find(ctx context.Context, c *Conv, a *A, id int64, page func(context.Context, *Conv, *A) ([]T, int, int, error)) (T, bool, error) {
	if l.Find != nil {
		return l.Find(ctx, c, a, id)
	}
	var zero T
	items, _, _, err := page(ctx, c, a)
	if err != nil {
		return zero, false, err
	}
	for _, it := range items {
		if l.ID(it) == id {
			return it, true, nil
		}
	}
	return zero, false, nil
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Field is one question of a form and its line on the review.
type Field[A any] struct {
	Step[A]
	// Review is the field's line(s) on the review screen (nil: not shown).
	Review func(ctx context.Context, c *Conv, a *A) ([]coopbot.Msg, error)
	// Edit is the label of the field's button on the review ("" when it is not edited
	// from there).
	Edit string
	// Skip, when set, reports that the field is not asked of this person or with these
	// answers (a manager's trainings are in their own neighborhood): it is passed over
	// on the way forward and has no edit button on the review, where a forged edit of it
	// is refused. Its Review line is still shown (Review may return none). The first
	// field is always asked.
	Skip func(c *Conv, a *A) bool
}

// skipped reports whether field i does not apply.
func (f Form[A]) skipped(i int, c *Conv, a *A) bool {
	return f.Fields[i].Skip != nil && f.Fields[i].Skip(c, a)
}

// onward turns field i's Forward into a Goto past the fields that do not apply, on the
// way through the form (from the review, Forward leads back to it anyway).
func (f Form[A]) onward(i int, c *Conv, a *A, next Next) Next {
	if next.kind != nextForward || c.Reviewing() {
		return next
	}
	j := i + 1
	for j < len(f.Fields) && f.skipped(j, c, a) {
		j++
	}
	if j == i+1 {
		return next
	}
	to := StepReview
	if j < len(f.Fields) {
		to = f.Fields[j].Name
	}
	g := Goto(to)
	g.say = next.say
	return g
}

// Form is a flow's questions as data: its fields in order, then a review of every answer
// with a button to edit each and one to submit. An answer given from the review leads
// back to it (Forward). Adding a field is one entry.
type Form[A any] struct {
	Fields []Field[A]
	// Title is what stands above the review lines; Confirm below them.
	Title, Confirm string
	SubmitLabel    string
	Submit         func(ctx context.Context, c *Conv, a *A) (Next, error)
	// Check, when set, runs before the review is shown and before submitting: a form
	// whose answers no longer hold (a cooperative closed meanwhile) goes back to a field.
	Check   func(ctx context.Context, c *Conv, a *A) (*Next, error)
	Invalid string // message ID: the review answered with neither an edit nor submit
}

// StepReview is the name of a form's review step.
const StepReview = "review"

// Steps are the form's fields followed by its review.
func (f Form[A]) Steps() []Step[A] {
	steps := make([]Step[A], 0, len(f.Fields)+1)
	for i, fl := range f.Fields {
		st := fl.Step
		answer := st.Answer
		st.Answer = func(ctx context.Context, c *Conv, a *A, in Input) (Next, error) {
			next, err := answer(ctx, c, a, in)
			if err != nil {
				return next, err
			}
			return f.onward(i, c, a, next), nil
		}
		steps = append(steps, st)
	}
	return append(steps, Step[A]{
		Name: StepReview,
		Ask: func(ctx context.Context, c *Conv, a *A) (coopbot.Reply, error) {
			c.t.st.Review = true
			r := coopbot.Text(coopbot.M(f.Title), coopbot.Raw(""))
			var edits []coopbot.Button
			for i, fl := range f.Fields {
				if fl.Review != nil {
					lines, err := fl.Review(ctx, c, a)
					if err != nil {
						return r, fmt.Errorf("review %s: %w", fl.Name, err)
					}
					r.Text = append(r.Text, lines...)
				}
				if fl.Edit != "" && !f.skipped(i, c, a) {
					edits = append(edits, coopbot.Button{Label: coopbot.M(fl.Edit), Data: Data(verbEdit, int64(i))})
				}
			}
			if f.Confirm != "" {
				r.Text = append(r.Text, coopbot.Raw(""), coopbot.M(f.Confirm))
			}
			r.Buttons = append(grid(2, edits), []coopbot.Button{{Label: coopbot.M(f.SubmitLabel), Data: "submit"}})
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *A, in Input) (Next, error) {
			if i, ok := in.PickIndex(verbEdit, len(f.Fields)); ok && f.Fields[i].Edit != "" && !f.skipped(i, c, a) {
				return Goto(f.Fields[i].Name), nil
			}
			if in.Choice != "submit" {
				return Retry(f.Invalid), nil
			}
			if f.Check != nil {
				next, err := f.Check(ctx, c, a)
				if err != nil || next != nil {
					return deref(next), err
				}
			}
			return f.Submit(ctx, c, a)
		},
	})
}

func deref(n *Next) Next {
	if n == nil {
		return Next{}
	}
	return *n
}

// TextStep asks for free text of Min to Max characters and stores it with Set. Multiline
// keeps the resident's line breaks (a description); otherwise the text is cleaned to one
// line.
type TextStep[A any] struct {
	Name      string
	Prompt    func(c *Conv, a *A) coopbot.Msg
	Min, Max  int
	Multiline bool
	// Parse, when set, checks the text further and returns the stored value, or the
	// message of what is wrong.
	Parse func(s string) (string, string)
	Set   func(a *A, s string)
	// Keys, when set, offers reply-keyboard buttons (skip) handled by Choice.
	Buttons func(c *Conv, a *A) [][]coopbot.Button
	Choice  func(ctx context.Context, c *Conv, a *A, choice string) (Next, bool, error)
}

// Step turns the question into a step.
func (s TextStep[A]) Step() Step[A] {
	return Step[A]{
		Name: s.Name,
		Ask: func(ctx context.Context, c *Conv, a *A) (coopbot.Reply, error) {
			r := coopbot.Text(s.Prompt(c, a))
			if s.Buttons != nil {
				r.Buttons = s.Buttons(c, a)
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *A, in Input) (Next, error) {
			if in.Choice != "" && s.Choice != nil {
				if next, ok, err := s.Choice(ctx, c, a, in.Choice); ok || err != nil {
					return next, err
				}
			}
			if in.Kind != KindText {
				return Retry("input.text_expected"), nil
			}
			v := in.Text
			if s.Multiline {
				v = text.CleanMultiline(in.Raw)
			}
			if wrong := TextLength(v, s.Min, s.Max); wrong != nil {
				return RetryMsg(*wrong), nil
			}
			if s.Parse != nil {
				parsed, wrong := s.Parse(v)
				if wrong != "" {
					return Retry(wrong), nil
				}
				v = parsed
			}
			s.Set(a, v)
			return Forward(), nil
		},
	}
}

// TextLength refuses a text shorter than min characters (at least one) or, when max is
// above zero, longer than max: the rule of every free-text question.
func TextLength(v string, min, max int) *coopbot.Msg {
	min = maxInt(min, 1)
	n := runeCount(v)
	var m coopbot.Msg
	switch {
	case n < min:
		m = coopbot.M("input.too_short", "Min", text.Number(int64(min))).WithCount(min)
	case max > 0 && n > max:
		m = coopbot.M("input.too_long_max", "Max", text.Number(int64(max)), "Len", text.Number(int64(n))).WithCount(max)
	default:
		return nil
	}
	return &m
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func runeCount(s string) int { return len([]rune(s)) }
