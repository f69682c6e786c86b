package flows

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

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

// legacyNeighborhoodStep asks for a neighborhood from a paged list; a typed name is matched
// loosely (letter variants, digits, ZWNJ, space). chosen is called with the choice.
func legacyNeighborhoodStep(d Deps, chosen func(ctx context.Context, c *Conv, n coopbot.Neighborhood) (Next, error)) legacyStep {
	return legacyStep{
		Ask: func(ctx context.Context, c *Conv) (coopbot.Reply, error) {
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return coopbot.Reply{}, err
			}
			list := all
			if q := c.Get("nq"); q != "" {
				list, _ = matchNeighborhoods(all, q)
			}
			page := int(c.GetInt("np"))
			pages := (len(list) + neighborhoodsPerPage - 1) / neighborhoodsPerPage
			if page >= pages {
				page = 0
			}
			r := coopbot.Text(coopbot.M("onboarding.neighborhood.prompt"))
			end := min(len(list), (page+1)*neighborhoodsPerPage)
			for i := page * neighborhoodsPerPage; i < end; i += 2 {
				row := []coopbot.Button{{Label: coopbot.Raw(list[i].Name(c.Lang())), Data: "n:" + strconv.FormatInt(list[i].ID, 10)}}
				if i+1 < end {
					row = append(row, coopbot.Button{Label: coopbot.Raw(list[i+1].Name(c.Lang())), Data: "n:" + strconv.FormatInt(list[i+1].ID, 10)})
				}
				r.Buttons = append(r.Buttons, row)
			}
			pager(&r, page, pages)
			if c.Get("nq") != "" {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("onboarding.neighborhood.all"), Data: "all"}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, in Input) (Next, error) {
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return Next{}, err
			}
			switch {
			case strings.HasPrefix(in.Choice, "n:"):
				id, _ := strconv.ParseInt(in.Choice[2:], 10, 64)
				for _, n := range all {
					if n.ID == id {
						c.Set("nq", "")
						c.Set("np", "")
						return chosen(ctx, c, n)
					}
				}
				return Retry("onboarding.neighborhood.unknown"), nil
			case strings.HasPrefix(in.Choice, "p:"):
				c.Set("np", in.Choice[2:])
				return Again(), nil
			case in.Choice == "all":
				c.Set("nq", "")
				c.Set("np", "")
				return Again(), nil
			case in.Kind == KindText && in.Text != "":
				found, _ := matchNeighborhoods(all, in.Text)
				switch len(found) {
				case 0:
					return Retry("onboarding.neighborhood.not_found", "Typed", in.Text), nil
				case 1:
					c.Set("nq", "")
					c.Set("np", "")
					return chosen(ctx, c, found[0])
				}
				c.Set("nq", in.Text)
				c.Set("np", "")
				return Retry("onboarding.neighborhood.several"), nil
			}
			return Retry("onboarding.neighborhood.invalid"), nil
		},
	}
}
