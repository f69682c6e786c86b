package flows

import (
	"context"
	"slices"
	"strconv"

	"coopbot"
	"coopbot/text"
)

// The inbox's filter (needsadmin.go): which part to change, then the neighborhood (office
// staff only), the category or the status group, each button with how many reports it
// leaves; a choice shows the first report under the new filter.

func needFilterStep(d Deps) Step[needInbox] {
	return Step[needInbox]{
		Name: "filter",
		Ask: func(ctx context.Context, c *Conv, a *needInbox) (coopbot.Reply, error) {
			cur, err := needFilterMsg(ctx, d, c, a)
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("needs.filter.prompt"), cur)
			if c.Staff.Role == coopbot.RoleStaff {
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: coopbot.M("needs.filter.neighborhood"), Data: "fn"}})
			}
			r.Buttons = append(r.Buttons,
				[]coopbot.Button{{Label: coopbot.M("needs.filter.category"), Data: "fc"}, {Label: coopbot.M("needs.filter.status"), Data: "fs"}},
				[]coopbot.Button{{Label: coopbot.M("needs.filter.clear"), Data: "clear"}})
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needInbox, in Input) (Next, error) {
			switch in.Choice {
			case "fn":
				if c.Staff.Role == coopbot.RoleStaff {
					return Goto("fnbh"), nil
				}
			case "fc":
				return Goto("fcat"), nil
			case "fs":
				return Goto("fstat"), nil
			case "clear":
				return Start(FlowNeedsInbox, nil), nil
			}
			return Retry("needs.filter.invalid"), nil
		},
	}
}

// needCounted is the staff scope's counts under the inbox filter minus one dimension
// (by: "n" neighborhood, "c" category, "s" status), keyed by that dimension.
func needCounted(ctx context.Context, d Deps, c *Conv, a *needInbox, by string) (map[string]int, int, error) {
	counts, err := d.Store.NeedCounts(ctx, c.Staff)
	if err != nil {
		return nil, 0, err
	}
	f := a.filter(c.Staff)
	out, total := map[string]int{}, 0
	for _, n := range counts {
		if by != "n" && f.Neighborhood != 0 && n.Neighborhood != f.Neighborhood ||
			by != "c" && f.Category != "" && n.Category != f.Category ||
			by != "s" && len(f.Statuses) > 0 && !slices.Contains(f.Statuses, n.Status) {
			continue
		}
		var k string
		switch by {
		case "n":
			k = strconv.FormatInt(n.Neighborhood, 10)
		case "c":
			k = string(n.Category)
		case "s":
			k = string(n.Status)
		}
		out[k] += n.N
		total += n.N
	}
	return out, total, nil
}

// needCountLabel is a button label with a count.
func needCountLabel(label string, n int) coopbot.Msg {
	return coopbot.Raw(label + " (" + text.Number(int64(n)) + ")")
}

func needFilterNeighborhoodStep(d Deps) Step[needInbox] {
	return Step[needInbox]{
		Name: "fnbh",
		Ask: func(ctx context.Context, c *Conv, a *needInbox) (coopbot.Reply, error) {
			if c.Staff.Role != coopbot.RoleStaff {
				return coopbot.Text(coopbot.M("needs.denied")), nil
			}
			counts, total, err := needCounted(ctx, d, c, a, "n")
			if err != nil {
				return coopbot.Reply{}, err
			}
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return coopbot.Reply{}, err
			}
			allLabel, err := needLabel(d, c.Lang(), "needs.filter.all_neighborhoods")
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("needs.filter.neighborhood.prompt"))
			r.Buttons = append(r.Buttons, []coopbot.Button{{Label: needCountLabel(allLabel, total), Data: "nall"}})
			var row []coopbot.Button
			for _, n := range all {
				if k := counts[strconv.FormatInt(n.ID, 10)]; k > 0 {
					row = append(row, coopbot.Button{Label: needCountLabel(n.Name(c.Lang()), k), Data: Data("n", n.ID)})
				}
			}
			r.Buttons = append(r.Buttons, grid(2, row)...)
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needInbox, in Input) (Next, error) {
			if c.Staff.Role != coopbot.RoleStaff {
				return Retry("needs.filter.invalid"), nil
			}
			all, err := d.Store.Neighborhoods(ctx)
			if err != nil {
				return Next{}, err
			}
			id, ok := in.Pick("n")
			switch {
			case in.Choice == "nall":
				id, ok = 0, true
			case ok:
				ok = slices.ContainsFunc(all, func(x coopbot.Neighborhood) bool { return x.ID == id })
			case in.Kind == KindText && in.Choice == "":
				found, _ := matchNeighborhoods(all, in.Text)
				if len(found) != 1 {
					return Retry("needs.filter.neighborhood.not_found", "Typed", text.Isolate(in.Text)), nil
				}
				id, ok = found[0].ID, true
			}
			if !ok {
				return Retry("needs.filter.invalid"), nil
			}
			a.Nbh = id
			return a.restart(), nil
		},
	}
}

func needFilterCategoryStep(d Deps) Step[needInbox] {
	return Step[needInbox]{
		Name: "fcat",
		Ask: func(ctx context.Context, c *Conv, a *needInbox) (coopbot.Reply, error) {
			counts, total, err := needCounted(ctx, d, c, a, "c")
			if err != nil {
				return coopbot.Reply{}, err
			}
			allLabel, err := needLabel(d, c.Lang(), "needs.filter.all_categories")
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("needs.filter.category.prompt"))
			r.Buttons = append(r.Buttons, []coopbot.Button{{Label: needCountLabel(allLabel, total), Data: "call"}})
			var row []coopbot.Button
			for i, k := range coopbot.NeedCategories {
				label, err := needLabel(d, c.Lang(), "need.cat."+string(k))
				if err != nil {
					return r, err
				}
				row = append(row, coopbot.Button{Label: needCountLabel(label, counts[string(k)]), Data: Data("c", int64(i))})
			}
			r.Buttons = append(r.Buttons, grid(2, row)...)
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needInbox, in Input) (Next, error) {
			i, ok := in.PickIndex("c", len(coopbot.NeedCategories))
			switch {
			case in.Choice == "call":
				a.Cat = ""
				return a.restart(), nil
			case !ok && in.Kind == KindText && in.Choice == "":
				// A category typed without its count.
				key := text.Key(in.Text)
				for j, k := range coopbot.NeedCategories {
					label, err := needLabel(d, c.Lang(), "need.cat."+string(k))
					if err != nil {
						return Next{}, err
					}
					if key != "" && labelKey(label) == key {
						i, ok = j, true
					}
				}
			}
			if !ok {
				return Retry("needs.filter.invalid"), nil
			}
			a.Cat = coopbot.NeedCategories[i]
			return a.restart(), nil
		},
	}
}

func needFilterStatusStep(d Deps) Step[needInbox] {
	return Step[needInbox]{
		Name: "fstat",
		Ask: func(ctx context.Context, c *Conv, a *needInbox) (coopbot.Reply, error) {
			counts, _, err := needCounted(ctx, d, c, a, "s")
			if err != nil {
				return coopbot.Reply{}, err
			}
			r := coopbot.Text(coopbot.M("needs.filter.status.prompt"))
			for i, g := range needGroups {
				label, err := needLabel(d, c.Lang(), "needs.group."+g.key)
				if err != nil {
					return r, err
				}
				n := 0
				for st, k := range counts {
					if g.statuses == nil || slices.Contains(g.statuses, coopbot.NeedStatus(st)) {
						n += k
					}
				}
				r.Buttons = append(r.Buttons, []coopbot.Button{{Label: needCountLabel(label, n), Data: Data("g", int64(i))}})
			}
			return r, nil
		},
		Answer: func(ctx context.Context, c *Conv, a *needInbox, in Input) (Next, error) {
			i, ok := in.PickIndex("g", len(needGroups))
			if !ok {
				return Retry("needs.filter.invalid"), nil
			}
			a.Group = i
			return a.restart(), nil
		},
	}
}
