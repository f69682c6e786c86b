package flows

import "coopbot"

// Lang is the reader's language in a stored state (Persian when there is none or it does
// not decode), for the notes the bot sends before the engine runs (flood control).
func (e *Engine) Lang(stored []byte) coopbot.Lang {
	st, _ := e.decode(stored)
	return (&Conv{Profile: &st.Profile}).Lang()
}
