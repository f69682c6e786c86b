package emulator_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"coopbot/emulator"
)

// An end-to-end test drives the real client against the emulator: the test
// plays the resident, the code under test plays the bot.
func Example() {
	s := emulator.New(emulator.Options{Token: "42:example"})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	defer s.Close()

	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint("42:example", emulator.Endpoint(srv.URL))
	if err != nil {
		panic(err)
	}
	resident := s.User(1001)
	resident.Send("/start")

	// The bot's side: poll and answer.
	ups, _ := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: 0, Timeout: 5})
	for _, u := range ups {
		m := tgbotapi.NewMessage(u.Message.Chat.ID, "خوش آمدید")
		m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("عضویت", "join")))
		bot.Send(m)
	}

	// The resident's side: wait for the answer and press its button.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msgs, err := resident.WaitCount(ctx, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(msgs[0].Text, msgs[0].Inline[0][0].Data)
	if err := resident.Press("عضویت"); err != nil {
		panic(err)
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: ups[len(ups)-1].UpdateID + 1})
	fmt.Println(ups[0].CallbackQuery.Data, ups[0].CallbackQuery.From.ID)
	// Output:
	// خوش آمدید join
	// join 1001
}
