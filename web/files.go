package web

import (
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"coopbot"
	"coopbot/export"
	"coopbot/flows"
	"coopbot/text"
)

// Files fetches the bytes of a file someone sent through the bot (bot.Bot.Download): the
// store keeps file ids only, and a browser cannot open a platform's file id.
type Files interface {
	Download(ctx context.Context, f coopbot.File) ([]byte, error)
}

// download sends a table as a file to save, in one format: "xlsx" (the workbook the chat
// sends) or "csv".
func (s *Server) download(w http.ResponseWriter, q *req, t *coopbot.Table, format string) error {
	l := &words{s: s, lang: q.lang, nbhs: q.nbhs}
	doc, err := export.File(*t, l.Msg, format)
	if err != nil {
		return err
	}
	ct := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": doc.Name}))
	h.Set("Content-Length", strconv.Itoa(len(doc.Data)))
	_, err = w.Write(doc.Data)
	return err
}

// exportFormat reads the format asked for; anything but xlsx and csv is refused.
func exportFormat(q *req) (string, error) {
	switch f := q.r.URL.Query().Get("format"); f {
	case "xlsx", "csv":
		return f, nil
	case "":
		return "xlsx", nil
	}
	return "", refuse(http.StatusBadRequest, "console.error.bad_request")
}

// needsExport sends the reports the list shows with its filters (status, neighborhood,
// category, and the days from–to), all of them rather than a page, with the chat
// export's columns and audit row.
func (s *Server) needsExport(w http.ResponseWriter, q *req) error {
	ctx := q.r.Context()
	if q.staff == nil {
		return s.denied(ctx, q, "need_export", "", nil)
	}
	format, err := exportFormat(q)
	if err != nil {
		return err
	}
	d, f, err := s.needFilter(q)
	if err != nil {
		return err
	}
	// The days are Jalali, written as people write them; none given: from the first report
	// to today. A day that cannot be read shows the list again with the message.
	from, to := time.Time{}, time.Now().Add(24*time.Hour)
	day := func(s string) (time.Time, bool) {
		jd, reason := text.ParseJalaliDate(s)
		return jd.At(0, 0), reason == text.OK
	}
	if d.From != "" {
		t, ok := day(d.From)
		if !ok {
			d.ExportError = "console.needs.bad_day"
			return s.needList(w, q, d, f, http.StatusUnprocessableEntity)
		}
		from = t
	}
	if d.To != "" {
		t, ok := day(d.To)
		if !ok {
			d.ExportError = "console.needs.bad_day"
			return s.needList(w, q, d, f, http.StatusUnprocessableEntity)
		}
		to = t.AddDate(0, 0, 1)
	}
	if !from.Before(to) {
		d.ExportError = "console.needs.bad_range"
		return s.needList(w, q, d, f, http.StatusUnprocessableEntity)
	}
	kept, err := s.cfg.Store.NeedExport(ctx, q.staff, f, from, to)
	if err != nil {
		return err
	}
	detail := map[string]any{"rows": len(kept), "format": format, "status": d.Status, "cat": d.Cat, "nbh": d.Nbh,
		"from": d.From, "to": d.To, "via": "console"}
	if err := s.cfg.Store.Audit(ctx, q.sess.ResidentID, "need_export", "", true, detail); err != nil {
		return err
	}
	t := flows.NeedTable(q.lang, q.nbhs, kept)
	t.Name = "needs-" + strings.ReplaceAll(text.JalaliOf(time.Now()).String(), "/", "")
	return s.download(w, q, t, format)
}

// attachment serves one of a report's photos or documents, fetched from the platform it
// was sent on, to those who may open the report. A photo is shown on the report's page;
// anything else is only ever saved, never shown by the browser.
func (s *Server) attachment(w http.ResponseWriter, q *req) error {
	r, err := s.report(q, "need_file")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(q.r.PathValue("n"))
	if err != nil || n < 1 || n > len(r.Attachments) {
		return refuse(http.StatusNotFound, "console.error.not_found")
	}
	name := r.Attachments[n-1].Name
	if name == "" {
		name = "file-" + strconv.Itoa(n)
	}
	return s.serveFile(w, q, r.Attachments[n-1], name)
}

// questionPhoto serves the photo a resident sent with a question, to those who may open
// the question.
func (s *Server) questionPhoto(w http.ResponseWriter, q *req) error {
	qu, err := s.staffQuestion(q, "question_photo")
	if err != nil {
		return err
	}
	if qu.Photo == nil {
		return refuse(http.StatusNotFound, "console.error.not_found")
	}
	return s.serveFile(w, q, *qu.Photo, "photo")
}

// serveFile sends a file someone sent through the bot, fetched from the platform it was
// sent on: a photo to be shown, anything else only to be saved (named name), never shown
// by the browser.
func (s *Server) serveFile(w http.ResponseWriter, q *req, f coopbot.File, name string) error {
	if s.cfg.Files == nil {
		return refuse(http.StatusServiceUnavailable, "console.error.unavailable")
	}
	data, err := s.cfg.Files.Download(q.r.Context(), f)
	if err != nil {
		return err
	}
	h := w.Header()
	ct := http.DetectContentType(data)
	switch {
	case f.Kind == coopbot.FilePhoto && (ct == "image/jpeg" || ct == "image/png" || ct == "image/webp" || ct == "image/gif"):
		h.Set("Content-Type", ct)
		h.Set("Content-Disposition", "inline")
	default:
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	// The bytes are personal: the browser keeps no copy (Cache-Control: no-store is set
	// for every page).
	_, err = w.Write(data)
	return err
}
