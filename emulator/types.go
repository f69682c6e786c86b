package emulator

import "time"

// Message is one message of a chat transcript as the person sees it, with
// edits applied. Messages returns only the bot's messages; Transcript returns
// both directions (FromUser tells them apart).
type Message struct {
	ID             int
	Text           string        // text as the bot sent it (for a document: empty, see Document.Caption)
	Inline         [][]Button    // inline keyboard; nil if none
	Keyboard       [][]KeyButton // reply keyboard sent with this message; nil if none
	RemoveKeyboard bool          // the message carried reply_markup {"remove_keyboard":true}
	Edits          int           // how many times the message was edited
	Document       *Document     // sendDocument, or a document the user sent
	Photo          *Document     // sendPhoto, or a photo the user sent (FileName empty)

	// Additions beyond the required API.
	ParseMode string    // parse_mode the bot gave ("" if none)
	OneTime   bool      // the reply keyboard had one_time_keyboard
	FromUser  bool      // only in Transcript: a message the user sent
	Contact   *Contact  // user messages: a shared contact
	Location  *Location // user messages: a shared location
	Sticker   bool      // user messages: a sticker
	Date      time.Time
}

// Button is an inline keyboard button.
type Button struct {
	Text, Data string
	URL        string // url buttons (no callback data)
}

// KeyButton is a reply keyboard button.
type KeyButton struct {
	Text            string
	RequestContact  bool
	RequestLocation bool
}

// Document is a file the bot sent with sendDocument.
type Document struct {
	FileName string
	Caption  string
	Data     []byte
	MIMEType string
	FileID   string
}

// Contact is a contact a user shared.
type Contact struct {
	PhoneNumber string
	FirstName   string
	UserID      int64
}

// Location is a location a user shared.
type Location struct {
	Latitude, Longitude float64
}

// Answer is one answerCallbackQuery call for a user's callback query.
type Answer struct {
	QueryID   string
	Data      string // callback data of the answered query
	MessageID int    // message whose button was pressed (0 if unknown)
	Text      string
	ShowAlert bool
}

// Command is one entry set with setMyCommands.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// APIError is returned by a hook installed with SetHook.
//
// Code > 0: the method fails with that error_code (and HTTP status), with
// Description (default: the HTTP status text) and, if RetryAfter > 0,
// parameters.retry_after. Code == 0: the method is handled normally, after
// Delay. Code < 0: the connection is dropped without an answer (after Delay).
// Delay is slept before answering; it is not cut short when the client gives
// up, so a Delay longer than the client's timeout with Code == 0 simulates a
// send that was carried out although the client saw a timeout.
type APIError struct {
	Code        int
	Description string
	RetryAfter  int
	Delay       time.Duration
}

func (e *APIError) Error() string { return e.Description }

// ---- Bot API JSON shapes (the subset this server produces) ----

type apiResponse struct {
	OK          bool           `json:"ok"`
	Result      any            `json:"result,omitempty"`
	ErrorCode   int            `json:"error_code,omitempty"`
	Description string         `json:"description,omitempty"`
	Parameters  *apiRespParams `json:"parameters,omitempty"`
}

type apiRespParams struct {
	RetryAfter      int   `json:"retry_after,omitempty"`
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
}

type apiUser struct {
	ID                      int64  `json:"id"`
	IsBot                   bool   `json:"is_bot"`
	FirstName               string `json:"first_name"`
	LastName                string `json:"last_name,omitempty"`
	Username                string `json:"username,omitempty"`
	LanguageCode            string `json:"language_code,omitempty"`
	CanJoinGroups           *bool  `json:"can_join_groups,omitempty"`
	CanReadAllGroupMessages *bool  `json:"can_read_all_group_messages,omitempty"`
	SupportsInlineQueries   *bool  `json:"supports_inline_queries,omitempty"`
}

type apiChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	FirstName string `json:"first_name,omitempty"`
}

type apiEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type apiDocument struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MIMEType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

type apiPhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int    `json:"file_size,omitempty"`
}

type apiFile struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int    `json:"file_size,omitempty"`
	FilePath     string `json:"file_path,omitempty"`
}

type apiContact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	UserID      int64  `json:"user_id,omitempty"`
}

type apiLocation struct {
	Longitude float64 `json:"longitude"`
	Latitude  float64 `json:"latitude"`
}

type apiSticker struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Type         string `json:"type"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	IsAnimated   bool   `json:"is_animated"`
	IsVideo      bool   `json:"is_video"`
	Emoji        string `json:"emoji,omitempty"`
}

type apiInlineButton struct {
	Text         string  `json:"text"`
	URL          *string `json:"url,omitempty"`
	CallbackData *string `json:"callback_data,omitempty"`
}

type apiInlineMarkup struct {
	InlineKeyboard [][]apiInlineButton `json:"inline_keyboard"`
}

type apiMessage struct {
	MessageID   int              `json:"message_id"`
	From        *apiUser         `json:"from,omitempty"`
	Chat        apiChat          `json:"chat"`
	Date        int64            `json:"date"`
	EditDate    int64            `json:"edit_date,omitempty"`
	Text        string           `json:"text,omitempty"`
	Entities    []apiEntity      `json:"entities,omitempty"`
	Caption     string           `json:"caption,omitempty"`
	Document    *apiDocument     `json:"document,omitempty"`
	Photo       []apiPhotoSize   `json:"photo,omitempty"`
	Contact     *apiContact      `json:"contact,omitempty"`
	Location    *apiLocation     `json:"location,omitempty"`
	Sticker     *apiSticker      `json:"sticker,omitempty"`
	ReplyMarkup *apiInlineMarkup `json:"reply_markup,omitempty"`
}

type apiCallbackQuery struct {
	ID           string      `json:"id"`
	From         apiUser     `json:"from"`
	Message      *apiMessage `json:"message,omitempty"`
	ChatInstance string      `json:"chat_instance"`
	Data         string      `json:"data,omitempty"`
}

type apiUpdate struct {
	UpdateID      int               `json:"update_id"`
	Message       *apiMessage       `json:"message,omitempty"`
	EditedMessage *apiMessage       `json:"edited_message,omitempty"`
	CallbackQuery *apiCallbackQuery `json:"callback_query,omitempty"`
}

type apiWebhookInfo struct {
	URL                  string `json:"url"`
	HasCustomCertificate bool   `json:"has_custom_certificate"`
	PendingUpdateCount   int    `json:"pending_update_count"`
	LastErrorDate        int64  `json:"last_error_date,omitempty"`
	LastErrorMessage     string `json:"last_error_message,omitempty"`
	MaxConnections       int    `json:"max_connections,omitempty"`
}

// incoming reply_markup: any of the four kinds.
type inMarkup struct {
	InlineKeyboard [][]struct {
		Text         string  `json:"text"`
		URL          *string `json:"url"`
		CallbackData *string `json:"callback_data"`
	} `json:"inline_keyboard"`
	Keyboard [][]struct {
		Text            string `json:"text"`
		RequestContact  bool   `json:"request_contact"`
		RequestLocation bool   `json:"request_location"`
	} `json:"keyboard"`
	OneTimeKeyboard bool `json:"one_time_keyboard"`
	RemoveKeyboard  bool `json:"remove_keyboard"`
	ForceReply      bool `json:"force_reply"`
}
