package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"coopbot"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Meter shares a platform account's send budget between conversation replies and bulk
// sends (broadcasts), which wait for a rate limiter: replies never wait, they are counted,
// so that bulk sends leave room for them. Both methods must return at once.
type Meter interface {
	// Spent records one message (or edit) sent outside the limiter.
	Spent(account string)
	// Limited records a rate-limit answer to such a send: bulk sends pause for retryAfter.
	Limited(account string, retryAfter time.Duration)
}

// account names a bot account for rate limiting: the platform and a short hash of the
// token, never the token itself ("telegram:1a2b3c4d5e6f").
func account(p coopbot.Platform, token string) string {
	sum := sha256.Sum256([]byte("coopbot rate account:" + token))
	return string(p) + ":" + hex.EncodeToString(sum[:6])
}

func (p *platform) spend() {
	if p.meter != nil {
		p.meter.Spent(p.account)
	}
}

// metered passes a send's result through, counting it in the metrics and telling the
// meter about a rate-limit answer.
func (p *platform) metered(err error) error {
	if p.metrics != nil {
		result := "sent"
		if err != nil {
			result = coopbot.ErrorCode(err)
		}
		p.metrics.Send(p.name, result)
	}
	var e *coopbot.Error
	if p.meter != nil && errors.As(err, &e) && e.Code == coopbot.ERateLimited {
		p.meter.Limited(p.account, e.RetryAfter)
	}
	return err
}

// Account returns the rate-limit identity of platform p ("" when p is not configured).
func (b *Bot) Account(p coopbot.Platform) string {
	if pl := b.platforms[p]; pl != nil {
		return pl.account
	}
	return ""
}

// SendText sends text to a chat of platform p as one plain-text message (no parse mode, no
// keyboard, so nothing in it is read as formatting). It is meant for bulk sends that the
// caller paces itself (broadcasts), so the Meter does not count it. Errors carry coopbot
// codes: EUnreachable (blocked, chat gone), ERateLimited (with RetryAfter), EUncertain
// (the request was written but no clear answer came: it may have been delivered),
// EInternal (the platform refused it), EUnavailable (not sent: try again later).
func (b *Bot) SendText(ctx context.Context, p coopbot.Platform, chatID int64, text string) (err error) {
	defer b.recoverSend("send text", &err)
	pl := b.platforms[p]
	if pl == nil {
		return &coopbot.Error{Code: coopbot.EUnreachable, Err: fmt.Errorf("platform %s not configured", p)}
	}
	if text == "" || utf16Len(text) > maxText {
		return &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("text of %d UTF-16 units: want 1 to %d", utf16Len(text), maxText)}
	}
	if err := ctx.Err(); err != nil {
		return &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("send: %w", err)}
	}
	_, err = pl.api.Send(tgbotapi.NewMessage(chatID, text))
	return pl.classify(err, "sendMessage")
}

// SendAnnouncement sends one announcement of a broadcast to a chat of platform p, in the
// reader's language lang: its text as one plain-text message, or as the caption of its
// file (sent by file id; a file of the other platform is carried over once, then sent by
// the id it got here), with its inline buttons. Like SendText it is a bulk send, paced by
// the caller and not counted by the Meter, with the same error codes. A reply that does
// not fit one message (a text longer than a caption with a file) is refused, so that a
// delivery is one request: all of it was sent, or none, or it is unknown.
func (b *Bot) SendAnnouncement(ctx context.Context, p coopbot.Platform, chatID int64, lang coopbot.Lang, reply coopbot.Reply) (err error) {
	defer b.recoverSend("send announcement", &err)
	pl := b.platforms[p]
	if pl == nil {
		return &coopbot.Error{Code: coopbot.EUnreachable, Err: fmt.Errorf("platform %s not configured", p)}
	}
	rr, err := render(b.cat, lang, reply)
	if err != nil {
		return &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("render announcement: %w", err)}
	}
	switch {
	case rr.keys != nil || rr.docs != nil || len(rr.chunks) > 1:
		return &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("announcement does not fit one message with inline buttons")}
	case rr.file != nil && utf16Len(first(rr.chunks)) > maxCaption:
		return &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("caption of %d UTF-16 units: at most %d", utf16Len(first(rr.chunks)), maxCaption)}
	case rr.file == nil && !rr.hasText:
		return &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("announcement without text or file")}
	}
	if err := ctx.Err(); err != nil {
		return &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("send: %w", err)}
	}
	if rr.file != nil {
		return pl.sendFile(ctx, chatID, rr, first(rr.chunks), true, true)
	}
	msg := tgbotapi.NewMessage(chatID, rr.chunks[0])
	if rr.inline != nil {
		msg.ReplyMarkup = rr.inline
	}
	_, err = pl.api.Request(msg)
	return pl.classify(err, "sendMessage")
}

// Post is Send for a reply of one message and returns that message's id, so that it can be
// edited later (a broadcast's progress). Replies longer than one message are refused.
func (b *Bot) Post(ctx context.Context, r *coopbot.Resident, reply coopbot.Reply) (id int, err error) {
	defer b.recoverSend("post", &err)
	pl, rr, err := b.one(r, reply)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("post: %w", err)}
	}
	msg := tgbotapi.NewMessage(r.ChatID, rr.chunks[0])
	if rr.inline != nil {
		msg.ReplyMarkup = rr.inline
	}
	pl.spend()
	sent, err := pl.api.Send(msg)
	if err != nil {
		return 0, pl.metered(pl.classify(err, "sendMessage"))
	}
	return sent.MessageID, nil
}

// Edit replaces the text and inline buttons of message msgID, which the bot sent to r
// earlier. An edit that changes nothing succeeds.
func (b *Bot) Edit(ctx context.Context, r *coopbot.Resident, msgID int, reply coopbot.Reply) (err error) {
	defer b.recoverSend("edit", &err)
	pl, rr, err := b.one(r, reply)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("edit: %w", err)}
	}
	e := tgbotapi.NewEditMessageText(r.ChatID, msgID, rr.chunks[0])
	e.ReplyMarkup = rr.inline
	pl.spend()
	_, err = pl.api.Request(e)
	if isNotModified(err) {
		return nil
	}
	return pl.metered(pl.classify(err, "editMessageText"))
}

// one renders a reply that must fit one message with at most inline buttons.
func (b *Bot) one(r *coopbot.Resident, reply coopbot.Reply) (*platform, *rendered, error) {
	pl := b.platforms[r.Platform]
	if pl == nil {
		return nil, nil, &coopbot.Error{Code: coopbot.EUnreachable, Err: fmt.Errorf("platform %s not configured", r.Platform)}
	}
	rr, err := render(b.cat, r.Lang, reply)
	if err != nil {
		return nil, nil, fmt.Errorf("render reply: %w", err)
	}
	if len(rr.chunks) != 1 || rr.keys != nil || rr.docs != nil {
		return nil, nil, fmt.Errorf("reply does not fit one message with inline buttons")
	}
	return pl, rr, nil
}
