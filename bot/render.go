package bot

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"coopbot"
	"coopbot/export"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Catalog renders message IDs in a language (the locales package).
type Catalog interface {
	Text(lang coopbot.Lang, id string, data map[string]any, count *int) (string, error)
}

// maxText is Telegram's limit for one message, counted in UTF-16 code units.
const maxText = 4096

// maxCallbackData is the platforms' limit for callback data, in bytes.
const maxCallbackData = 64

// rendered is a reply in words, ready for the wire.
type rendered struct {
	chunks []string // the text, split to fit; keyboards go with the last chunk
	inline *tgbotapi.InlineKeyboardMarkup
	keys   *tgbotapi.ReplyKeyboardMarkup
	remove bool
	// transient: deleted as soon as it is sent (it only removes a reply keyboard)
	transient bool
	toast     string
	edit      bool
	editMsg   int                // the message to edit; 0: the pressed one
	docs      []coopbot.Document // an export: the workbook (captioned) and the CSV file
	docNote   string             // the CSV file's caption
	file      *coopbot.File
	hasText   bool
}

func renderMsg(cat Catalog, lang coopbot.Lang, m coopbot.Msg) (string, error) {
	if m.ID == "" {
		return m.Raw, nil
	}
	if m.Lang.Valid() {
		lang = m.Lang
	}
	return cat.Text(lang, m.ID, m.Data, m.Count)
}

// render localizes a reply. Text is plain (no parse mode) on every platform, so whatever
// residents typed is shown literally.
func render(cat Catalog, lang coopbot.Lang, r coopbot.Reply) (*rendered, error) {
	out := &rendered{edit: r.Edit, editMsg: r.EditMessage, remove: r.RemoveKeys, transient: r.Transient, file: r.File}
	var paras []string
	for _, m := range r.Text {
		s, err := renderMsg(cat, lang, m)
		if err != nil {
			return nil, err
		}
		paras = append(paras, s)
	}
	text := strings.TrimSpace(strings.Join(paras, "\n"))
	out.hasText = text != ""
	out.chunks = split(text, maxText)
	if r.Table != nil {
		docs, err := export.Files(*r.Table, func(m coopbot.Msg) (string, error) { return renderMsg(cat, lang, m) })
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", r.Table.Name, err)
		}
		note, err := cat.Text(lang, "export.csv.caption", nil, nil)
		if err != nil {
			return nil, err
		}
		out.docs, out.docNote = docs, note
	}
	if r.Toast != nil {
		s, err := renderMsg(cat, lang, *r.Toast)
		if err != nil {
			return nil, err
		}
		out.toast = truncateRunes(s, 200)
	}
	if len(r.Buttons) > 0 {
		kb := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
		for _, row := range r.Buttons {
			var line []tgbotapi.InlineKeyboardButton
			for _, b := range row {
				label, err := renderMsg(cat, lang, b.Label)
				if err != nil {
					return nil, err
				}
				if len(b.Data) > maxCallbackData {
					return nil, fmt.Errorf("callback data %q longer than %d bytes", b.Data, maxCallbackData)
				}
				line = append(line, tgbotapi.NewInlineKeyboardButtonData(truncateRunes(label, 60), b.Data))
			}
			kb.InlineKeyboard = append(kb.InlineKeyboard, line)
		}
		out.inline = &kb
	}
	if len(r.Keys) > 0 {
		kb := tgbotapi.ReplyKeyboardMarkup{ResizeKeyboard: true, Keyboard: [][]tgbotapi.KeyboardButton{}}
		for _, row := range r.Keys {
			var line []tgbotapi.KeyboardButton
			for _, b := range row {
				label, err := renderMsg(cat, lang, b.Label)
				if err != nil {
					return nil, err
				}
				line = append(line, tgbotapi.KeyboardButton{Text: label, RequestContact: b.Contact, RequestLocation: b.Location})
			}
			kb.Keyboard = append(kb.Keyboard, line)
		}
		out.keys = &kb
	}
	return out, nil
}

// split cuts text into pieces of at most limit UTF-16 code units, at a line break where
// there is one, else at a space, else anywhere between runes.
func split(text string, limit int) []string {
	if text == "" {
		return nil
	}
	var out []string
	for utf16Len(text) > limit {
		runes := []rune(text)
		n, units := 0, 0
		for n < len(runes) && units+utf16.RuneLen(runes[n]) <= limit {
			units += utf16.RuneLen(runes[n])
			n++
		}
		head := string(runes[:n])
		cut := strings.LastIndex(head, "\n")
		if cut <= 0 {
			cut = strings.LastIndex(head, " ")
		}
		if cut <= 0 {
			cut = len(head)
		}
		out = append(out, strings.TrimSpace(head[:cut]))
		text = strings.TrimSpace(text[cut:])
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
