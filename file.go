package coopbot

// File is a photo or a document someone sent, known by the platform's file id: it is sent
// again by that id, never stored as bytes. A file id belongs to the platform (and bot
// account) it came from; the bot carries a file to the other platform by downloading it
// once and uploading it there.
type File struct {
	Platform Platform `json:"platform"`
	Kind     FileKind `json:"kind"`
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"` // a document's file name
}

// FileKind is how a file is shown: a photo inline, a document as a file to open.
type FileKind string

const (
	FilePhoto    FileKind = "photo"
	FileDocument FileKind = "document"
)

// Valid reports whether f names a file the bot can send.
func (f File) Valid() bool {
	return f.Platform.Valid() && (f.Kind == FilePhoto || f.Kind == FileDocument) && f.ID != "" && len(f.ID) <= 256
}
