package flows_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"coopbot"
	"coopbot/emulator"
	"coopbot/internal/chattest"
	"coopbot/text"
)

// attachUpTo takes a resident from the main menu to the attachments question of a report.
func attachUpTo(t *testing.T, u *chattest.User) {
	t.Helper()
	u.Press("need.menu.report")
	u.Sees("need.category.prompt")
	u.Press("need.cat.health")
	u.Sees("need.household.prompt")
	u.PressLabel("۳")
	u.Sees("need.description.prompt", "Max", "۵۰۰")
	u.Send("داروی مادرم تمام شده و نسخه دارم")
	u.Sees("need.urgency.prompt")
	u.Press("need.urgency.urgent")
	u.Sees("need.location.prompt")
	u.Send(u.Text("need.location.skip"))
	u.Sees("need.attach.prompt", "Max", "۳")
}

// attachedCount waits for the attachments question listing n files and returns it.
func attachedCount(t *testing.T, u *chattest.User, n int) emulator.Message {
	t.Helper()
	return u.Sees("need.attach.count", "Count", text.Number(int64(n)), "Max", "۳")
}

// staffFiles presses the card's attachments button and returns the files the staff
// member was sent, after the card shown again below them.
func staffFiles(t *testing.T, s *chattest.User, code string, n int) []emulator.Message {
	t.Helper()
	before := len(s.E.Messages())
	s.Press("needs.card.files", "Count", text.Number(int64(n)))
	s.Sees("needs.files.sent", "Code", text.FaDigits(code), "Count", text.Number(int64(n)))
	var files []emulator.Message
	for _, m := range s.E.Messages()[before:] {
		if m.Photo != nil || m.Document != nil {
			files = append(files, m)
		}
	}
	return files
}

// fileOf is the file a chat message carries and its caption.
func fileOf(m emulator.Message) (id, caption string) {
	if m.Photo != nil {
		return m.Photo.FileID, m.Photo.Caption
	}
	return m.Document.FileID, m.Document.Caption
}

// A resident (Persian) adds two photos and a prescription to a report one by one; text
// and a sticker get the question again, a fourth file is politely refused. The review
// counts three. Staff (Azeri) see the count on the card and its button sends the three
// files by the very ids the resident's messenger gave them: two sendPhoto, one
// sendDocument, nothing downloaded or uploaded again.
func TestNeedAttachmentsReachStaffByTheirFileIDs(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 3700)
	staff := h.User(3700).Speaks(coopbot.Azeri)
	staff.Onboard("سرخاب")
	u := h.User(3701)
	u.Onboard("سرخاب")

	attachUpTo(t, u)
	u.Send("نسخه را دارم")
	u.Sees("need.attach.invalid")
	p1 := u.E.SendPhoto([]byte("\xff\xd8\xff\xe0 prescription page 1"), "صفحهٔ اول")
	attachedCount(t, u, 1)
	u.E.SendSticker()
	u.Sees("need.attach.invalid")
	p2 := u.E.SendPhoto([]byte("\xff\xd8\xff\xe0 prescription page 2"), "")
	attachedCount(t, u, 2)
	d := u.E.SendDocument("نسخه دکتر.pdf", []byte("%PDF-1.4 prescription"), "")
	q := attachedCount(t, u, 3)
	for _, want := range []string{
		u.Text("need.attach.item_photo", "N", "۱"), u.Text("need.attach.item_photo", "N", "۲"),
		u.Text("need.attach.item_document", "N", "۳", "Name", text.Isolate("نسخه دکتر.pdf")),
		u.Text("need.attach.enough", "Max", "۳"),
	} {
		if !strings.Contains(q.Text, want) {
			t.Fatalf("attachments question %q lacks %q", q.Text, want)
		}
	}
	u.E.SendPhoto([]byte("\xff\xd8\xff\xe0 a fourth"), "")
	refused := u.Sees("need.attach.full", "Max", "۳")
	if !strings.Contains(refused.Text, u.Text("need.attach.count", "Count", "۳", "Max", "۳")) {
		t.Fatalf("the refusal does not ask the question again: %q", refused.Text)
	}
	u.Press("need.attach.done")
	u.Sees("need.consent.prompt")
	u.Press("need.consent.yes")
	review := u.Sees("need.review.title")
	if want := u.Text("need.field.attachments", "Count", "۳"); !strings.Contains(review.Text, want) {
		t.Fatalf("review %q lacks %q", review.Text, want)
	}
	u.Press("need.review.submit")
	code := needSubmitted(t, u)
	h.Idle()

	want := []coopbot.File{
		{Platform: coopbot.Telegram, Kind: coopbot.FilePhoto, ID: p1},
		{Platform: coopbot.Telegram, Kind: coopbot.FilePhoto, ID: p2},
		{Platform: coopbot.Telegram, Kind: coopbot.FileDocument, ID: d, Name: "نسخه دکتر.pdf"},
	}
	r, err := h.DB.MyNeedReport(context.Background(), needResident(t, h, u), code)
	if err != nil || !slices.Equal(r.Attachments, want) {
		t.Fatalf("stored attachments %+v, %v; want %+v", r.Attachments, err, want)
	}

	// Staff open the report from its alert: the card counts the files, the button sends them.
	if alert := staff.SeesLike("needs.alert.new"); !strings.Contains(alert.Text, text.FaDigits(code)) {
		t.Fatalf("alert %q is not of report %s", alert.Text, code)
	}
	staff.Press("needs.alert.open")
	card := staff.Sees("needs.card.reporter", "Name", Any())
	if want := staff.Text("need.field.attachments", "Count", "۳"); !strings.Contains(card.Text, want) {
		t.Fatalf("card %q lacks %q", card.Text, want)
	}
	photos, docs, gets := h.API.Calls("sendPhoto"), h.API.Calls("sendDocument"), h.API.Calls("getFile")
	files := staffFiles(t, staff, code, 3)
	if n := h.API.Calls("sendPhoto") - photos; n != 2 {
		t.Errorf("sendPhoto called %d times, want 2", n)
	}
	if n := h.API.Calls("sendDocument") - docs; n != 1 {
		t.Errorf("sendDocument called %d times, want 1", n)
	}
	if n := h.API.Calls("getFile") - gets; n != 0 {
		t.Errorf("getFile called %d times: files of the same platform go by their ids", n)
	}
	if len(files) != 3 {
		t.Fatalf("staff got %d files, want 3:\n%s", len(files), staff.E.Dump())
	}
	for i, m := range files {
		id, caption := fileOf(m)
		if id != want[i].ID {
			t.Errorf("file %d sent as %s, want the resident's id %s", i+1, id, want[i].ID)
		}
		if c := staff.Text("needs.files.caption", "N", text.Number(int64(i+1)), "Count", "۳", "Code", text.FaDigits(code)); caption != c {
			t.Errorf("file %d captioned %q, want %q", i+1, caption, c)
		}
	}
	if files[2].Document == nil || files[2].Document.FileName != "نسخه دکتر.pdf" {
		t.Errorf("the prescription went as %+v, want the document with its name", files[2].Document)
	}
	// The card below the files still works: a status change from it.
	staff.Press("needs.set.reviewing")
	staff.Sees("needs.note.prompt", "Status", staff.Text("need.status.reviewing"), "Max", "۵۰۰")
}

// Any is a template value the test does not pin.
func Any() string { return chattest.Any }

// A resident (Azeri) attaches a document and a photo, changes them from the review
// (removes the first, adds another photo) and submits two. Staff (Persian) get the two
// from the inbox. "What the office holds" counts them; "delete my data" deletes them:
// the card then has no attachments button and the rows are gone.
func TestNeedAttachmentsChangedFromReviewAndErased(t *testing.T) {
	t.Parallel()
	h := needHarness(t, 3710)
	staff := h.User(3710)
	staff.Onboard("سرخاب")
	u := h.User(3711).Speaks(coopbot.Azeri)
	u.Onboard("سرخاب")

	attachUpTo(t, u)
	u.E.SendDocument("qəbz.pdf", []byte("%PDF-1.4 bill"), "")
	attachedCount(t, u, 1)
	p1 := u.E.SendPhoto([]byte("\xff\xd8\xff\xe0 bill photo"), "")
	q := attachedCount(t, u, 2)
	if want := u.Text("need.attach.more", "Left", "۱"); !strings.Contains(q.Text, want) {
		t.Fatalf("attachments question %q lacks %q", q.Text, want)
	}
	u.Press("need.attach.done")
	u.Sees("need.consent.prompt")
	u.Press("need.consent.yes")
	review := u.Sees("need.review.title")
	if want := u.Text("need.field.attachments", "Count", "۲"); !strings.Contains(review.Text, want) {
		t.Fatalf("review %q lacks %q", review.Text, want)
	}

	// Changed from the review: the document removed, another photo added.
	u.Press("need.review.edit_attachments")
	attachedCount(t, u, 2)
	u.Press("need.attach.remove", "N", "۱")
	q = attachedCount(t, u, 1)
	if want := u.Text("need.attach.item_photo", "N", "۱"); !strings.Contains(q.Text, want) || strings.Contains(q.Text, "qəbz") {
		t.Fatalf("after removing the document: %q", q.Text)
	}
	p2 := u.E.SendPhoto([]byte("\xff\xd8\xff\xe0 second photo"), "")
	attachedCount(t, u, 2)
	u.Press("need.attach.done")
	review = u.Sees("need.review.title")
	if want := u.Text("need.field.attachments", "Count", "۲"); !strings.Contains(review.Text, want) {
		t.Fatalf("review after the change %q lacks %q", review.Text, want)
	}
	u.Press("need.review.submit")
	code := needSubmitted(t, u)
	h.Idle()

	// Staff (Persian) from the inbox: two photos, by the resident's ids.
	staff.Press("needs.menu.inbox")
	staff.Sees("needs.card.code", "Code", text.FaDigits(code), "Date", Any(), "Time", Any())
	photos, docs := h.API.Calls("sendPhoto"), h.API.Calls("sendDocument")
	files := staffFiles(t, staff, code, 2)
	if h.API.Calls("sendPhoto")-photos != 2 || h.API.Calls("sendDocument") != docs || len(files) != 2 {
		t.Fatalf("staff got %d files (sendPhoto %d, sendDocument %d), want the two photos",
			len(files), h.API.Calls("sendPhoto")-photos, h.API.Calls("sendDocument")-docs)
	}
	for i, want := range []string{p1, p2} {
		if id, _ := fileOf(files[i]); id != want {
			t.Errorf("file %d sent as %s, want %s", i+1, id, want)
		}
	}

	// The data summary counts them; the erasure deletes them.
	u.Press("profile.menu")
	u.Press("profile.data")
	sum := u.Sees("profile.data.title")
	if want := u.Text("profile.data.attachments", "Count", "۲"); !strings.Contains(sum.Text, want) {
		t.Fatalf("data summary %q lacks %q", sum.Text, want)
	}
	u.Press("profile.erase")
	explain := u.Sees("profile.erase.explain")
	if want := u.Text("profile.erase.explain_files"); !strings.Contains(explain.Text, want) {
		t.Fatalf("erasure explanation %q lacks %q", explain.Text, want)
	}
	u.Press("profile.erase.yes")
	u.Sees("profile.erase.done")
	h.Idle()
	var left int
	if err := h.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM need_attachments a
		JOIN need_reports n ON n.id = a.report_id WHERE n.code = $1`, code).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d attachments left after the erasure (%v)", left, err)
	}
	staff.Send("/menu")
	staff.Press("needs.menu.inbox")
	card := staff.Sees("needs.card.code", "Code", text.FaDigits(code), "Date", Any(), "Time", Any())
	for _, row := range card.Inline {
		for _, b := range row {
			if strings.HasPrefix(b.Text, "📎") {
				t.Fatalf("the erased report's card still offers %q", b.Text)
			}
		}
	}
}
