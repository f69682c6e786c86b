package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
)

// sheetRows reads the first sheet of a workbook.
func sheetRows(t *testing.T, data []byte) (string, [][]string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return sheet, rows
}

// A resident sends a prescription photo and a PDF with a report. On the report's page
// in the console the manager sees the photo and a link to the document, both fetched
// from the platform the resident used; a manager of another neighborhood gets 403
// (recorded) for the same files, and a file the report does not have is 404.
func TestReportAttachmentsInConsole(t *testing.T) {
	t.Parallel()
	h := chattest.New(t)
	own, other := h.Neighborhood("سرخاب"), h.Neighborhood("مارالان")
	m := h.User(7601)
	m.Onboard("سرخاب")
	m.Manager(own)
	o := h.User(7602)
	o.Onboard("مارالان")
	o.Manager(other)
	r := h.User(7603)
	r.Onboard("سرخاب")
	photo := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00 prescription page")
	pdf := []byte("%PDF-1.4 prescription")
	id := r.ReportNeedWithFiles("داروی مادرم تمام شده و نسخه دارم",
		func(e *emulator.User) { e.SendPhoto(photo, "نسخه") },
		func(e *emulator.User) { e.SendDocument("نسخه دکتر.pdf", pdf, "") })
	path := "/needs/" + strconv.FormatInt(id, 10)

	b := newBrowser(t, h)
	b.signIn(m.ConsoleLink())
	code, page := b.get(path)
	if code != http.StatusOK || !strings.Contains(page, `id="files"`) ||
		!strings.Contains(page, `<img src="`+path+`/files/1"`) || !strings.Contains(page, `href="`+path+`/files/2" download`) ||
		!strings.Contains(page, b.text(coopbot.Persian, "console.need.files", "Count", "۲")) {
		t.Fatalf("report page (%d) without its photo and document:\n%s", code, page)
	}
	code, hdr, data := b.file(path + "/files/1")
	if code != http.StatusOK || !bytes.Equal(data, photo) || hdr.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("photo: %d %q, %d bytes", code, hdr.Get("Content-Type"), len(data))
	}
	code, hdr, data = b.file(path + "/files/2")
	if cd := hdr.Get("Content-Disposition"); code != http.StatusOK || !bytes.Equal(data, pdf) ||
		hdr.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(cd, "attachment") {
		t.Fatalf("document: %d %q %q", code, hdr.Get("Content-Type"), cd)
	}
	if code, _, _ := b.file(path + "/files/3"); code != http.StatusNotFound {
		t.Errorf("a third file: %d, want 404", code)
	}

	ob := newBrowser(t, h)
	ob.signIn(o.ConsoleLink())
	if code, _, data := ob.file(path + "/files/1"); code != http.StatusForbidden || bytes.Contains(data, photo) {
		t.Fatalf("another neighborhood's manager got the photo: %d", code)
	}
	if n := refused(t, h, o.ResidentID(), "need_file"); n != 1 {
		t.Errorf("refused file recorded %d times, want 1", n)
	}
}

// Office staff export the filtered list, all of it and not one page: the workbook (in
// the reader's language, the chat export's columns) and the CSV hold the matching
// reports only; a manager's export holds their neighborhood's; a day that cannot be read
// shows the list again with the message; the export is audited as the chat's is.
func TestNeedListExport(t *testing.T) {
	t.Parallel()
	h := chattest.New(t, chattest.Options{Admins: chattest.Staff(7701)})
	s := h.User(7701).Speaks(coopbot.Azeri)
	s.Onboard("سرخاب")
	nbh := h.Neighborhood("مارالان")
	m := h.User(7702)
	m.Onboard("مارالان")
	m.Manager(nbh)
	var sorkhab []int64
	for i := range 3 {
		r := h.User(7710 + int64(i))
		r.Onboard("سرخاب")
		sorkhab = append(sorkhab, r.ReportNeed("برای خرید مواد غذایی کمک لازم داریم "+strconv.Itoa(i)))
	}
	r := h.User(7720)
	r.Onboard("مارالان")
	r.ReportNeed("سقف خانه چکه می‌کند و پول تعمیر نداریم")
	codeOf := func(id int64) string {
		var c string
		if err := h.DB.Pool.QueryRow(context.Background(), `SELECT code FROM need_reports WHERE id = $1`, id).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	b := newBrowser(t, h)
	b.signIn(s.ConsoleLink())
	_, page := b.get("/needs")
	if !strings.Contains(page, `id="export-form"`) {
		t.Fatalf("no export form on the list:\n%s", page)
	}
	code, hdr, data := b.file("/needs/export?nbh=" + strconv.FormatInt(h.Neighborhood("سرخاب"), 10) + "&format=xlsx")
	if code != http.StatusOK || !strings.HasSuffix(strings.Trim(hdr.Get("Content-Disposition"), `"`), ".xlsx") {
		t.Fatalf("xlsx export: %d %q", code, hdr.Get("Content-Disposition"))
	}
	sheet, rows := sheetRows(t, data)
	if sheet != b.text(coopbot.Azeri, "needs.export.sheet") || len(rows) != 4 || rows[0][0] != b.text(coopbot.Azeri, "needs.csv.code") {
		t.Fatalf("workbook %q: %d rows, header %q; want the Azeri sheet, a header and 3 reports", sheet, len(rows), rows[0])
	}
	var codes []string
	for _, row := range rows[1:] {
		codes = append(codes, row[0])
	}
	for _, id := range sorkhab {
		if !slices.Contains(codes, codeOf(id)) {
			t.Errorf("report %s missing from the export %q", codeOf(id), codes)
		}
	}
	code, _, data = b.file("/needs/export?format=csv")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil || code != http.StatusOK || len(recs) != 5 {
		t.Fatalf("csv of all reports: %d, %d records, %v", code, len(recs), err)
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'need_export' AND allowed`, s.ResidentID()); n != 2 {
		t.Errorf("exports audited %d times, want 2", n)
	}
	code2, page := b.get("/needs/export?from=۱۴۰۵/۱۳/۰۱&format=xlsx")
	if code2 != http.StatusUnprocessableEntity || !strings.Contains(page, b.text(coopbot.Azeri, "console.needs.bad_day")) || !strings.Contains(page, `value="۱۴۰۵/۱۳/۰۱"`) {
		t.Fatalf("a day that does not exist: %d\n%s", code2, page)
	}

	mb := newBrowser(t, h)
	mb.signIn(m.ConsoleLink())
	// The manager's export is their neighborhood's, whatever the address asks for.
	_, _, data = mb.file("/needs/export?nbh=" + strconv.FormatInt(h.Neighborhood("سرخاب"), 10) + "&format=xlsx")
	if _, rows := sheetRows(t, data); len(rows) != 2 || !strings.Contains(strings.Join(rows[1], " "), "سقف خانه") {
		t.Fatalf("manager's export: %q", rows)
	}
}
