// Package emulator is a fake Telegram Bot API server (also standing in for
// Bale, whose Bot API is Telegram-compatible) plus a browser web chat.
//
// It serves two purposes:
//
//   - the local emulator: coopbot started without a platform token serves
//     Handler on a local port, points its Bot API client at
//     "http://HOST:PORT/bot%s/%s", and a newcomer opens http://HOST:PORT/ to
//     chat with the bot as any resident (the user id is chosen on the page);
//   - end-to-end tests: the real go-telegram-bot-api client talks HTTP to an
//     httptest server wrapping Handler, while the test acts as users through
//     Server.User (Send, Press, ShareContact, ...) and reads what the bot sent
//     (Messages, Wait, Toasts).
//
// # What it fakes
//
// Private chats only (chat id == user id). The Bot API methods getMe,
// getUpdates (offset, limit, long-poll timeout, 409 for a second poller),
// setWebhook / deleteWebhook / getWebhookInfo (updates are POSTed to the
// webhook with retries; a chat's next update waits for the previous one's 2xx),
// sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
// deleteMessage, sendDocument (multipart), setMyCommands / deleteMyCommands /
// getMyCommands and sendChatAction, with the errors a bot most often meets:
// 401 wrong token, 400 chat not found / empty / too long (4096 UTF-16 units) /
// not modified / bad button data (over 64 bytes) / HTML that does not parse,
// 403 blocked (Server.Block), 429 with retry_after (Server.SetSendRate), 409
// conflicts, 404 unknown method, and any fault a test injects with
// Server.SetHook (codes, delays, dropped connections); User.InjectRaw queues a
// malformed update as a platform might send one. Update ids start at 1;
// message ids count per chat, shared by the user's and the bot's messages.
// Requests may be form-urlencoded, JSON or multipart; method names are
// case-insensitive.
//
// With Options.Bale it follows Bale's documented differences: setWebhook
// ignores secret_token, getUpdates answers [] (not 409) while a webhook is set,
// and parse_mode is recorded but not interpreted (the web chat shows the raw
// text, so markup sent to Bale users is visible).
//
// # Web chat
//
// "/" serves one self-contained right-to-left page (no external resources)
// showing the transcript of one user, chosen in #user-id (default 1001, also
// taken from the URL fragment, e.g. /#1002, so each tab can be another
// person). Inline buttons stay pressable on old messages, edits replace text
// in place, answerCallbackQuery texts show in #toast, documents are links, and
// the reply keyboard sits above the input (request_contact asks for a phone
// number; request_location sends Tabriz's coordinates) and the chat keeps its
// last message in view above it. The page's own texts come from locales/
// ("webchat.*", Persian or Azeri, switched on the page and remembered by the
// browser), and it says which user is staff by default (DefaultStaffID). The
// browser keeps each user's transcript (localStorage, by user id): after a
// restart of the emulator, whose chats live in memory, the earlier messages
// stay on the page above a mark, without working buttons, while the bot goes
// on with the conversation. The page talks to a
// small JSON API: GET /ui/messages?user=ID&after=V long-polls (25 s) until the
// chat's version differs from V and returns the whole chat state with its new
// version (after=0 for the first call); POST /ui/send, /ui/press, /ui/contact,
// /ui/location take JSON bodies {"user":ID, ...}; GET
// /ui/document?user=ID&message=N downloads a document. An http.Server serving
// the page needs a WriteTimeout above 25 s.
//
// # What it does not fake
//
// Groups, channels, inline mode, payments, media other than documents,
// getFile and file downloads through the Bot API, message forwarding and
// replies (reply_to_message_id is ignored), allowed_updates (ignored),
// entities other than bot_command, Markdown parsing, per-chat or per-group rate limits (SetSendRate is one
// bucket for the whole bot), the 24-hour retention of updates, and the
// separate queue Telegram uses for callback queries (here every update of a
// chat, presses included, is delivered in order). Users carry no
// language_code. Pending updates are kept until confirmed, without a bound;
// each chat keeps only its last MaxMessagesPerChat messages.
//
// Everything is safe for concurrent use. Call Server.Close when done: it stops
// webhook deliveries and wakes long polls and waiters.
package emulator
