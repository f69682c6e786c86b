package emulator

import (
	"fmt"
	"strconv"
	"strings"
)

// htmlTags are the tags Telegram accepts with parse_mode HTML.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true,
}

var htmlEntities = map[string]string{"lt": "<", "gt": ">", "amp": "&", "quot": "\""}

// renderHTML checks text the way Telegram parses parse_mode=HTML and returns
// the plain text a person sees. Errors are worded like Telegram's
// "can't parse entities: ..." details.
func renderHTML(text string) (string, error) {
	var out strings.Builder
	var stack []string
	for i := 0; i < len(text); {
		c := text[i]
		switch c {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("unclosed start tag at byte offset %d", i)
			}
			tag := text[i+1 : i+end]
			if strings.HasPrefix(tag, "/") {
				name := strings.ToLower(strings.TrimSpace(tag[1:]))
				if len(stack) == 0 {
					return "", fmt.Errorf("unexpected end tag at byte offset %d", i)
				}
				want := stack[len(stack)-1]
				if name != want {
					return "", fmt.Errorf("unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, want, name)
				}
				stack = stack[:len(stack)-1]
			} else {
				name := tag
				if j := strings.IndexAny(tag, " \t\n"); j >= 0 {
					name = tag[:j]
				}
				name = strings.ToLower(name)
				if !htmlTags[name] {
					return "", fmt.Errorf("unsupported start tag %q at byte offset %d", name, i)
				}
				stack = append(stack, name)
			}
			i += end + 1
		case '&':
			semi := strings.IndexByte(text[i:], ';')
			if semi > 1 && semi <= 10 {
				name := text[i+1 : i+semi]
				if v, ok := htmlEntities[name]; ok {
					out.WriteString(v)
					i += semi + 1
					continue
				}
				if strings.HasPrefix(name, "#") {
					num := name[1:]
					base := 10
					if strings.HasPrefix(num, "x") || strings.HasPrefix(num, "X") {
						num, base = num[1:], 16
					}
					if n, err := strconv.ParseInt(num, base, 32); err == nil && n > 0 {
						out.WriteRune(rune(n))
						i += semi + 1
						continue
					}
				}
			}
			out.WriteByte('&')
			i++
		default:
			out.WriteByte(c)
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't find end tag corresponding to start tag %q", stack[len(stack)-1])
	}
	return out.String(), nil
}
