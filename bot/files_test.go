package bot_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"coopbot"
	"coopbot/bot"
	"coopbot/emulator"
	"coopbot/flows"
	"coopbot/internal/chattest"
)

// fileEcho is the real engine, except that a file is answered with itself, captioned
// with the caption it came with (as a report's attachment is shown to staff).
type fileEcho struct{ bot.Engine }

func (e fileEcho) Handle(ctx context.Context, stored []byte, up flows.Update) (flows.Result, error) {
	if up.Kind != flows.KindFile {
		return e.Engine.Handle(ctx, stored, up)
	}
	return flows.Result{State: stored, Lang: coopbot.Persian, Replies: []coopbot.Reply{{
		Text: []coopbot.Msg{coopbot.Raw(up.Text)}, File: up.File,
		Buttons: [][]coopbot.Button{{{Label: coopbot.M("menu.title"), Data: "x"}}},
	}}}, nil
}

// A photo a resident sends reaches the engine as a file id with its caption, and a reply
// carrying a file is sent by that id: the photo is not uploaded again.
func TestPhotoComesInAsAFileIDAndGoesOutByIt(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Engine: func(e bot.Engine) bot.Engine { return fileEcho{e} }})
	u := h.User(3601)
	photo := []byte("\xff\xd8\xff\xe0 a prescription")
	id := u.E.SendPhoto(photo, "نسخه")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := u.E.Wait(ctx, func(ms []emulator.Message) bool { return len(ms) > 0 && ms[len(ms)-1].Photo != nil })
	if err != nil {
		t.Fatalf("no photo came back: %v\n%s", err, u.E.Dump())
	}
	msgs := u.E.Messages()
	last := msgs[len(msgs)-1]
	if last.Photo.FileID != id || !bytes.Equal(last.Photo.Data, photo) || last.Photo.Caption != "نسخه" || len(last.Inline) != 1 {
		t.Fatalf("the bot sent %+v, want photo %s by its id with the caption and the button", last.Photo, id)
	}
	if n := h.API.Calls("getFile"); n != 0 {
		t.Errorf("getFile called %d times: a file of the same platform goes by its id", n)
	}
}

// A file from Telegram sent to a Bale chat is carried over: downloaded from Telegram once,
// uploaded to Bale once, and sent by Bale's own file id from then on.
func TestFileOfTheOtherPlatformIsUploadedOnceThenSentByID(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	tg := h.User(3602)
	tg.Send("/start")
	tg.Sees("onboarding.welcome")
	doc := []byte("%PDF-1.4 announcement")
	id := tg.E.SendDocument("برنامه.pdf", doc, "")

	bale := emulator.New(emulator.Options{Token: chattest.Token, Bale: true})
	srv := httptest.NewServer(bale.Handler())
	t.Cleanup(func() { bale.Close(); srv.Close() })
	b := bot.New(bot.Config{Platforms: []bot.PlatformConfig{
		{Platform: coopbot.Telegram, Token: chattest.Token, APIURL: h.URL},
		{Platform: coopbot.Bale, Token: chattest.Token, APIURL: srv.URL},
	}, Log: h.Log}, h.Engine, bot.Sessions(h.Redis.Begin), h.Cat)
	if err := b.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := &coopbot.File{Platform: coopbot.Telegram, Kind: coopbot.FileDocument, ID: id, Name: "برنامه.pdf"}
	for _, chat := range []int64{7001, 7002} {
		bale.User(chat).Send("/start") // a chat the bot may write to
		r := &coopbot.Resident{Platform: coopbot.Bale, ChatID: chat, Lang: coopbot.Azeri}
		if err := b.Send(context.Background(), r, coopbot.Reply{Text: []coopbot.Msg{coopbot.Raw("اعلان")}, File: f}); err != nil {
			t.Fatalf("send to bale chat %d: %v", chat, err)
		}
		msgs := bale.User(chat).Messages()
		got := msgs[len(msgs)-1].Document
		if got == nil || !bytes.Equal(got.Data, doc) || got.FileName != "برنامه.pdf" {
			t.Fatalf("bale chat %d got %+v, want the document", chat, got)
		}
	}
	if n := h.API.Calls("getFile"); n != 1 {
		t.Errorf("telegram getFile called %d times, want once", n)
	}
}

// An announcement's photo from Telegram sent to many Bale chats at once (a broadcast's
// concurrent sends) is carried over once: one download from Telegram, one upload to Bale,
// then Bale's own id for every other chat; each chat gets the photo once, with its
// caption and button.
func TestAnnouncementFileCarriedOnceUnderConcurrentSends(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	tg := h.User(3603)
	tg.Send("/start")
	tg.Sees("onboarding.welcome")
	photo := []byte("\xff\xd8\xff\xe0 workshop poster")
	id := tg.E.SendPhoto(photo, "")

	bale := emulator.New(emulator.Options{Token: chattest.Token, Bale: true})
	srv := httptest.NewServer(bale.Handler())
	t.Cleanup(func() { bale.Close(); srv.Close() })
	b := bot.New(bot.Config{Platforms: []bot.PlatformConfig{
		{Platform: coopbot.Telegram, Token: chattest.Token, APIURL: h.URL},
		{Platform: coopbot.Bale, Token: chattest.Token, APIURL: srv.URL},
	}, Log: h.Log}, h.Engine, bot.Sessions(h.Redis.Begin), h.Cat)
	if err := b.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := &coopbot.File{Platform: coopbot.Telegram, Kind: coopbot.FilePhoto, ID: id}
	const chats = 8
	for i := range chats {
		bale.User(int64(7101 + i)).Send("/start")
	}
	reply := coopbot.Reply{Text: []coopbot.Msg{coopbot.Raw("کارگاه")}, File: f,
		Buttons: [][]coopbot.Button{{{Label: coopbot.M("broadcast.button.signup"), Data: "a:bct:1"}}}}
	errs := make(chan error, chats)
	for i := range chats {
		go func() {
			errs <- b.SendAnnouncement(context.Background(), coopbot.Bale, int64(7101+i), coopbot.Azeri, reply)
		}()
	}
	for range chats {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range chats {
		msgs := bale.User(int64(7101 + i)).Messages()
		got := msgs[len(msgs)-1]
		if got.Photo == nil || !bytes.Equal(got.Photo.Data, photo) || got.Photo.Caption != "کارگاه" || len(got.Inline) != 1 {
			t.Fatalf("bale chat %d got %+v, want the photo with its caption and button", 7101+i, got)
		}
	}
	if n := h.API.Calls("getFile"); n != 1 {
		t.Errorf("telegram getFile called %d times, want once", n)
	}
	if n := bale.Calls("sendPhoto"); n != chats {
		t.Errorf("bale sendPhoto called %d times for %d chats", n, chats)
	}
	// A text too long for a caption is refused before anything is sent.
	long := reply
	long.Text = []coopbot.Msg{coopbot.Raw(strings.Repeat("ب", 1025))}
	if err := b.SendAnnouncement(context.Background(), coopbot.Bale, 7101, coopbot.Azeri, long); coopbot.ErrorCode(err) != coopbot.EInvalid {
		t.Errorf("a 1,025-character caption: %v, want invalid", err)
	}
}
