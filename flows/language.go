package flows

import (
	"context"

	"coopbot"
	"coopbot/text"
)

// The language choice: the two endonyms, shown the same whatever the reader's language.
var langButtons = [][]coopbot.Button{{
	{Label: coopbot.M("lang.fa.name"), Data: "lang:fa"},
	{Label: coopbot.M("lang.az.name"), Data: "lang:az"},
}}

// langChoice returns the language a button chose, or a language named in typed text: the
// endonyms of the buttons, and what people call them (ترکی، آذری، Türkçe، Farsi, …).
func langChoice(in Input) (coopbot.Lang, bool) {
	switch in.Choice {
	case "lang:fa":
		return coopbot.Persian, true
	case "lang:az":
		return coopbot.Azeri, true
	}
	if in.Kind == KindText {
		if l, ok := text.LanguageOf(in.Text); ok {
			return coopbot.Lang(l), true
		}
	}
	return "", false
}

// The language flow changes the resident's language at any time (/lang or the menu).
func languageFeature(d Deps) feature {
	f := &Flow[struct{}]{Name: FlowLanguage, Steps: []Step[struct{}]{{
		Name: "choose",
		Ask: func(ctx context.Context, c *Conv, _ *struct{}) (coopbot.Reply, error) {
			return coopbot.Reply{Text: []coopbot.Msg{coopbot.M("language.prompt")}, Buttons: langButtons}, nil
		},
		Answer: func(ctx context.Context, c *Conv, _ *struct{}, in Input) (Next, error) {
			l, ok := langChoice(in)
			if !ok {
				return Retry("language.invalid"), nil
			}
			if err := d.Store.SetLanguage(ctx, c.Profile.ResidentID, l); err != nil {
				return Next{}, err
			}
			c.Profile.Lang = l
			return Done(coopbot.Text(coopbot.M("language.changed"))), nil
		},
	}}}
	return feature{
		flows: []flowDef{f},
		menu: []MenuItem{{Label: "menu.language", Value: "language", Open: func(ctx context.Context, c *Conv) (Next, error) {
			return Start(FlowLanguage, nil), nil
		}}},
	}
}
