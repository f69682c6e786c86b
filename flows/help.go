package flows

import (
	"context"

	"coopbot"
	"coopbot/text"
)

// Help and contact: what the bot does, the commands, and how to reach the office (its
// phone, address and opening hours from the configuration, in the reader's language),
// with the doors to "ask the office" and "my questions". /help opens it from anywhere.

// FlowHelp is the help screen.
const FlowHelp = "help"

func helpFeature(d Deps) feature {
	f := &Flow[struct{}]{Name: FlowHelp, Steps: []Step[struct{}]{{
		Name: "home",
		Ask: func(ctx context.Context, c *Conv, _ *struct{}) (coopbot.Reply, error) {
			return coopbot.Reply{
				Text: helpText(d.Office),
				Buttons: [][]coopbot.Button{
					{{Label: coopbot.M("question.menu.ask"), Data: "ask"}},
					{{Label: coopbot.M("question.menu.mine"), Data: "mine"}},
				},
			}, nil
		},
		Answer: func(ctx context.Context, c *Conv, _ *struct{}, in Input) (Next, error) {
			switch in.Choice {
			case "ask":
				return Start(FlowQuestion, nil), nil
			case "mine":
				return openMyQuestions(ctx, d, c)
			}
			return Retry("help.use_buttons"), nil
		},
	}}}
	return feature{
		flows: []flowDef{f},
		menu: []MenuItem{{Label: "help.menu", Value: FlowHelp, Open: func(ctx context.Context, c *Conv) (Next, error) {
			return Start(FlowHelp, nil), nil
		}}},
	}
}

// helpText is what the bot does and how to reach the office.
func helpText(o coopbot.Office) []coopbot.Msg {
	out := []coopbot.Msg{coopbot.M("help.title"), coopbot.M("help.about"), coopbot.Raw(""), coopbot.M("help.commands"), coopbot.Raw(""),
		coopbot.M("help.contact")}
	if o.Address.Fa != "" {
		out = append(out, coopbot.M("help.address", "Address", o.Address))
	}
	if o.Phone != "" {
		out = append(out, coopbot.M("help.phone", "Phone", text.Phone(o.Phone)))
	}
	if o.Hours.Fa != "" {
		out = append(out, coopbot.M("help.hours", "Hours", o.Hours))
	}
	return append(out, coopbot.Raw(""), coopbot.M("help.ask"))
}
