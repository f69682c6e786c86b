package flows

import (
	"context"
	"net/url"

	"coopbot"
	"coopbot/text"
)

// The web console's door in the chat: staff, neighborhood managers and cooperative
// admins press "web console" and get a one-time sign-in link to it (single use, bound to
// them, valid for coopbot.ConsoleLinkTTL). The console itself is package web.

// ConsoleStore makes sign-in links.
type ConsoleStore interface {
	// CreateConsoleLink makes a one-time link for a person with a staff or cooperative
	// admin role; forbidden "console.denied" (audited) for anyone else.
	CreateConsoleLink(ctx context.Context, residentID int64) (coopbot.ConsoleLink, error)
}

// consoleLoginURL is the link that signs in with token at the console at base.
func consoleLoginURL(base, token string) string {
	return base + "/login?t=" + url.QueryEscape(token)
}

func consoleFeature(d Deps) feature {
	if d.ConsoleURL == "" {
		return feature{} // no console served: no entry leading nowhere
	}
	return feature{menu: []MenuItem{{
		Label:   "console.menu",
		Value:   "console",
		Visible: func(p *coopbot.Profile) bool { return p.CoopAdmin || staffOnly(p) },
		Open: func(ctx context.Context, c *Conv) (Next, error) {
			// The store checks the role again (a role taken away since the menu was
			// shown) and records a refusal.
			link, err := d.Store.CreateConsoleLink(ctx, c.Profile.ResidentID)
			if coopbot.ErrorCode(err) == coopbot.EForbidden {
				return Done(coopbot.Text(coopbot.M("console.denied"))), nil
			}
			if err != nil {
				return Next{}, err
			}
			minutes := int(coopbot.ConsoleLinkTTL.Minutes())
			return Done(coopbot.Text(
				coopbot.M("console.link", "Minutes", text.Number(int64(minutes))).WithCount(minutes),
				coopbot.Raw(consoleLoginURL(d.ConsoleURL, link.Token)),
				coopbot.M("console.link.footer"),
			)), nil
		},
	}}}
}
