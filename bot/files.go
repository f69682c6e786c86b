package bot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"coopbot"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Files are sent by the platform's file id. A file id is only good on the platform that
// issued it, so a file from the other platform is downloaded there once, uploaded here,
// and the id this platform gives it is remembered for every later send (a broadcast
// sends one upload, then ids).

// maxCarried bounds a carried file (both platforms take uploads of 50 MB; reports and
// announcements need far less).
const maxCarried = 20 << 20

// maxCaption is the platforms' limit for a caption, in UTF-16 code units.
const maxCaption = 1024

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// carried remembers, per platform, the file ids it gave to files of the other platform.
// Carrying one is done by one send at a time (uploading), so that the sends of a
// broadcast that start together upload the file once: the others wait, then find its id.
type carried struct {
	mu        sync.Mutex
	ids       map[string]string // source platform + ":" + source id → id here
	uploading chan struct{}     // held (one token) while a file is carried here
}

// hold takes the right to carry a file here, waiting for a carry under way; release
// gives it back.
func (c *carried) hold(ctx context.Context) (release func(), err error) {
	c.mu.Lock()
	if c.uploading == nil {
		c.uploading = make(chan struct{}, 1)
	}
	ch := c.uploading
	c.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("wait for a file upload: %w", ctx.Err())}
	}
}

// maxCarriedIDs bounds the memory: past it the oldest half is forgotten (a forgotten file
// is uploaded once more).
const maxCarriedIDs = 4096

func (c *carried) get(f coopbot.File) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.ids[string(f.Platform)+":"+f.ID]
	return id, ok
}

func (c *carried) put(f coopbot.File, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil || len(c.ids) >= maxCarriedIDs {
		c.ids = map[string]string{}
	}
	c.ids[string(f.Platform)+":"+f.ID] = id
}

// fileRef returns what to send for f here: its id when it is this platform's (or was
// carried here before), else its bytes fetched from the platform it came from. release
// (never nil) is called once the send is done and its id remembered: until then other
// sends of a file to carry wait, so a file is carried once however many sends start at
// the same time.
func (p *platform) fileRef(ctx context.Context, f coopbot.File) (ref tgbotapi.RequestFileData, release func(), err error) {
	none := func() {}
	if f.Platform == p.name {
		return tgbotapi.FileID(f.ID), none, nil
	}
	if id, ok := p.carried.get(f); ok {
		return tgbotapi.FileID(id), none, nil
	}
	src := p.peers[f.Platform]
	if src == nil {
		return nil, none, &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("file of %s, which this process does not serve", f.Platform)}
	}
	release, err = p.carried.hold(ctx)
	if err != nil {
		return nil, none, err
	}
	if id, ok := p.carried.get(f); ok {
		// Carried by the send that held it before.
		release()
		return tgbotapi.FileID(id), none, nil
	}
	data, err := src.download(ctx, f.ID)
	if err != nil {
		release()
		return nil, none, err
	}
	name := f.Name
	if name == "" {
		name = "photo.jpg"
	}
	return tgbotapi.FileBytes{Name: name, Bytes: data}, release, nil
}

// download fetches a file of this platform by its id (getFile, then the file URL, which
// the library would build for api.telegram.org whatever the platform).
func (p *platform) download(ctx context.Context, id string) ([]byte, error) {
	p.spend()
	f, err := p.api.GetFile(tgbotapi.FileConfig{FileID: id})
	if err := p.classify(err, "getFile"); err != nil {
		return nil, err
	}
	u := strings.TrimSuffix(p.apiBase, "/") + "/file/bot" + p.token + "/" + strings.TrimPrefix(f.FilePath, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("download file: %w", redact(err, p.token))
	}
	resp, err := p.http.base.Do(req)
	if err != nil {
		return nil, &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("download file: %w", redact(err, p.token))}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		code := coopbot.EUnavailable
		if resp.StatusCode < 500 {
			code = coopbot.EInvalid
		}
		return nil, &coopbot.Error{Code: code, Err: fmt.Errorf("download file: %s", resp.Status)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCarried+1))
	if err != nil {
		return nil, &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("download file: %w", err)}
	}
	if len(data) > maxCarried {
		return nil, &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("file larger than %d bytes", maxCarried)}
	}
	return data, nil
}

// sendFile sends a reply's file with its caption (or none, when the text goes on in
// messages of its own) and, with withKeys, the reply's keyboard. A bulk send (a
// broadcast, paced by its own limiter) is not counted by the meter.
func (p *platform) sendFile(ctx context.Context, chatID int64, r *rendered, caption string, withKeys, bulk bool) error {
	ref, release, err := p.fileRef(ctx, *r.file)
	if err != nil {
		return err
	}
	defer release()
	var c tgbotapi.Chattable
	var method string
	markup := func() any {
		switch {
		case !withKeys:
			return nil
		case r.inline != nil:
			return r.inline
		case r.keys != nil:
			return r.keys
		case r.remove:
			return tgbotapi.NewRemoveKeyboard(true)
		}
		return nil
	}()
	if r.file.Kind == coopbot.FilePhoto {
		ph := tgbotapi.NewPhoto(chatID, ref)
		ph.Caption, ph.ReplyMarkup = caption, markup
		c, method = ph, "sendPhoto"
	} else {
		d := tgbotapi.NewDocument(chatID, ref)
		d.Caption, d.ReplyMarkup = caption, markup
		c, method = d, "sendDocument"
	}
	if err := ctx.Err(); err != nil {
		return &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("%s: %w", method, err)}
	}
	var m tgbotapi.Message
	if bulk {
		m, err = p.api.Send(c)
		err = p.classify(err, method)
	} else {
		p.spend()
		m, err = p.api.Send(c)
		err = p.metered(p.classify(err, method))
	}
	if err != nil {
		return err
	}
	if _, uploaded := ref.(tgbotapi.FileBytes); uploaded {
		switch {
		case len(m.Photo) > 0:
			p.carried.put(*r.file, m.Photo[len(m.Photo)-1].FileID)
		case m.Document != nil:
			p.carried.put(*r.file, m.Document.FileID)
		}
	}
	return nil
}

// Download fetches the bytes of a file someone sent, from the platform that holds it (the
// web console shows a report's attachments this way: a file id means nothing to a
// browser).
func (b *Bot) Download(ctx context.Context, f coopbot.File) ([]byte, error) {
	if !f.Valid() {
		return nil, &coopbot.Error{Code: coopbot.EInvalid, Err: fmt.Errorf("download: not a file")}
	}
	p := b.platforms[f.Platform]
	if p == nil {
		return nil, &coopbot.Error{Code: coopbot.EUnavailable, Err: fmt.Errorf("download: %s is not connected", f.Platform)}
	}
	return p.download(ctx, f.ID)
}
