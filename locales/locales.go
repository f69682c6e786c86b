// Package locales holds every user-facing text of coopbot in Persian (the source,
// active.fa.toml) and Azeri in Arabic script (active.az-Arab.toml), embedded in the binary,
// and renders a message ID in a resident's language with go-i18n.
//
// Residents' language preference is the project's own coopbot.Lang; it is mapped to a locale
// tag here and nowhere else, so no raw client language code ever reaches go-i18n's matcher.
package locales

import (
	"embed"
	"fmt"
	"sync"

	"coopbot"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed active.*.toml
var files embed.FS

// Files are the message files, one per language.
var Files = map[coopbot.Lang]string{
	coopbot.Persian: "active.fa.toml",
	coopbot.Azeri:   "active.az-Arab.toml",
}

// Tags are the locale tags of the two languages. Azeri uses az-Arab: go-i18n has no plural
// rule for azb.
var Tags = map[coopbot.Lang]language.Tag{
	coopbot.Persian: language.Persian,
	coopbot.Azeri:   language.MustParse("az-Arab"),
}

// Catalog renders messages. It is safe for concurrent use.
type Catalog struct {
	localizers map[coopbot.Lang]*i18n.Localizer
	ids        map[string]bool

	mu    sync.RWMutex
	plain map[coopbot.Lang]map[string]string // messages without template actions, rendered once
}

// Load reads the embedded message files.
func Load() (*Catalog, error) {
	bundle := i18n.NewBundle(language.Persian)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{
		localizers: map[coopbot.Lang]*i18n.Localizer{},
		ids:        map[string]bool{},
		plain:      map[coopbot.Lang]map[string]string{},
	}
	for lang, name := range Files {
		mf, err := bundle.LoadMessageFileFS(files, name)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		if lang == coopbot.Persian {
			for _, m := range mf.Messages {
				c.ids[m.ID] = true
			}
		}
		c.localizers[lang] = i18n.NewLocalizer(bundle, Tags[lang].String())
		c.plain[lang] = map[string]string{}
	}
	return c, nil
}

// Has reports whether id is a known message.
func (c *Catalog) Has(id string) bool { return c.ids[id] }

// IDs returns every message ID.
func (c *Catalog) IDs() []string {
	ids := make([]string, 0, len(c.ids))
	for id := range c.ids {
		ids = append(ids, id)
	}
	return ids
}

// Text renders message id in lang. data fills the template; count, when not nil, chooses
// the plural form (the formatted number itself belongs in data). An unknown ID or a
// template error returns an error, which callers treat as a bug.
func (c *Catalog) Text(lang coopbot.Lang, id string, data map[string]any, count *int) (string, error) {
	l, ok := c.localizers[lang]
	if !ok {
		l = c.localizers[coopbot.Persian]
		lang = coopbot.Persian
	}
	data, err := c.resolve(lang, data)
	if err != nil {
		return "", err
	}
	cacheable := len(data) == 0 && count == nil
	if cacheable {
		c.mu.RLock()
		s, ok := c.plain[lang][id]
		c.mu.RUnlock()
		if ok {
			return s, nil
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if count != nil {
		cfg.PluralCount = *count
	}
	s, err := l.Localize(cfg)
	if err != nil {
		return "", fmt.Errorf("localize %s/%s: %w", lang, id, err)
	}

	if cacheable {
		c.mu.Lock()
		c.plain[lang][id] = s
		c.mu.Unlock()
	}
	return s, nil
}

// Msg renders a whole message in lang: its text (Raw as it is), in the message's own
// language when it names one.
func (c *Catalog) Msg(lang coopbot.Lang, m coopbot.Msg) (string, error) {
	if m.ID == "" {
		return m.Raw, nil
	}
	if m.Lang.Valid() {
		lang = m.Lang
	}
	return c.Text(lang, m.ID, m.Data, m.Count)
}

// resolve renders the messages and names among template data in lang; data without any
// is returned as it is.
func (c *Catalog) resolve(lang coopbot.Lang, data map[string]any) (map[string]any, error) {
	var out map[string]any
	for k, v := range data {
		var s string
		switch v := v.(type) {
		case coopbot.Msg:
			var err error
			if s, err = c.Msg(lang, v); err != nil {
				return nil, fmt.Errorf("template data %s: %w", k, err)
			}
		case coopbot.Names:
			s = v.In(lang)
		default:
			continue
		}
		if out == nil {
			out = make(map[string]any, len(data))
			for k2, v2 := range data {
				out[k2] = v2
			}
		}
		out[k] = s
	}
	if out == nil {
		return data, nil
	}
	return out, nil
}
