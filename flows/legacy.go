package flows

import (
	"context"
	"encoding/json"
	"strconv"

	"coopbot"
)

// Flows not yet written with the kit: steps in a map, answers as strings under short
// keys. Each is converted to kit.go's Flow in its own change; this file goes with the last.

type legacyFlow struct {
	Name  string
	First string
	Steps map[string]legacyStep
}

type legacyStep struct {
	Ask    func(ctx context.Context, c *Conv) (coopbot.Reply, error)
	Answer func(ctx context.Context, c *Conv, in Input) (Next, error)
}

func (f *legacyFlow) flowName() string     { return f.Name }
func (f *legacyFlow) first() string        { return f.First }
func (f *legacyFlow) has(step string) bool { _, ok := f.Steps[step]; return ok }
func (f *legacyFlow) after(string) string  { return "" }
func (f *legacyFlow) gate() Gate           { return nil }
func (f *legacyFlow) ask(ctx context.Context, c *Conv, step string) (coopbot.Reply, error) {
	c.legacy()
	return f.Steps[step].Ask(ctx, c)
}
func (f *legacyFlow) answer(ctx context.Context, c *Conv, step string, in Input) (Next, error) {
	c.legacy()
	return f.Steps[step].Answer(ctx, c, in)
}

// legacy decodes the answers of a legacy flow on first use.
func (c *Conv) legacy() {
	if c.Answers != nil || c.t == nil {
		return
	}
	c.Answers = map[string]string{}
	if len(c.t.st.Answers) > 0 {
		_ = json.Unmarshal(c.t.st.Answers, &c.Answers)
	}
}

// Get returns an answer.
func (c *Conv) Get(k string) string { c.legacy(); return c.Answers[k] }

// Set stores an answer.
func (c *Conv) Set(k, v string) { c.legacy(); c.Answers[k] = v }

// GetInt returns an answer parsed as an int64 (0 when absent).
func (c *Conv) GetInt(k string) int64 {
	n, _ := strconv.ParseInt(c.Get(k), 10, 64)
	return n
}

// SetInt stores an int64 answer.
func (c *Conv) SetInt(k string, v int64) { c.Set(k, strconv.FormatInt(v, 10)) }

// pageOf returns the page to show (the first one when page is out of range) and the number
// of pages of a list of n items, per to a page.
func pageOf(page, n, per int) (int, int) { return Pages(page, n, per) }
