package bot

import (
	"coopbot"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// commands are the slash commands the engine understands, described in the command menu.
var commands = []struct{ name, msgID string }{
	{"start", "common.cmd.start"},
	{"menu", "common.cmd.menu"},
	{"lang", "common.cmd.lang"},
	{"help", "common.cmd.help"},
	{"cancel", "common.cmd.cancel"},
}

// setCommands publishes the command menu: Persian by default, and Azeri for clients whose
// interface language is Azeri (setMyCommands takes two-letter codes only: "az"). Best
// effort: a platform that lacks the method (Bale documents none) keeps working without it.
func (b *Bot) setCommands(p *platform) {
	for _, v := range []struct {
		lang coopbot.Lang
		code string
	}{{coopbot.Persian, ""}, {coopbot.Persian, "fa"}, {coopbot.Azeri, "az"}} {
		var list []tgbotapi.BotCommand
		for _, c := range commands {
			desc, err := b.cat.Text(v.lang, c.msgID, nil, nil)
			if err != nil {
				b.log.Error("command description", "err", err)
				return
			}
			list = append(list, tgbotapi.BotCommand{Command: c.name, Description: desc})
		}
		cfg := tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeAllPrivateChats(), v.code, list...)
		if _, err := p.api.Request(cfg); err != nil {
			p.log.Info("command menu not set", "platform", p.name, "err", redact(err, p.token))
			return
		}
	}
}
