package web_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"coopbot"
	"coopbot/emulator/browsertest"
	"coopbot/internal/chattest"
)

// In headless Chromium, as a neighborhood manager does: the bot sends the sign-in link,
// the browser enters, goes to the trainings, opens one and downloads its enrollees as an
// Excel workbook; the workbook read back has its header in Persian and a row per enrollee,
// and the export is audited as the chat's is.
func TestTrainingExportInBrowser(t *testing.T) {
	bctx := browsertest.New(t)
	h := chattest.New(t)
	nbh := h.Neighborhood("لیل‌آباد")
	m := h.User(8101)
	m.Onboard("لیل‌آباد")
	m.Manager(nbh)
	tr := trPublish(t, h, nbh, "مهارت‌های فروش در بازارچه", 1, 5)
	for _, id := range []int64{8102, 8103} {
		r := h.User(id)
		r.Onboard("لیل‌آباد")
		trSignUp(t, h, tr.ID, r.ResidentID())
	}
	enrollees, err := h.DB.Enrollees(context.Background(), tr.ID)
	if err != nil || len(enrollees) != 2 || enrollees[1].Status != coopbot.EnrollmentWaitlisted {
		t.Fatalf("enrollees %+v, %v: want one confirmed and one waiting", enrollees, err)
	}
	link := m.ConsoleLink()
	dir := t.TempDir()

	c := newChrome(t, bctx)
	ctx := c.ctx
	poll, step := c.poll, c.step
	step("open the link from the bot and enter",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#enter")),
		press("#enter"),
		chromedp.WaitVisible(chromedp.CSS("#heat")),
	)
	step("the trainings list",
		press(`nav a[href="/trainings"]`),
		chromedp.WaitVisible(chromedp.CSS("#upcoming")),
		poll(`document.querySelector("#training-`+strconv.FormatInt(tr.ID, 10)+` svg.fill rect.taken") !== null`),
	)
	step("open the training",
		press(`#training-`+strconv.FormatInt(tr.ID, 10)+` a`),
		chromedp.WaitVisible(chromedp.CSS("#export-xlsx")),
		poll(`document.querySelector("#waitlist table") !== null`),
	)

	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	step("download the workbook",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			events := true
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior:      cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName,
				DownloadPath:  dir,
				EventsEnabled: &events,
			})
			return err
		}),
		chromedp.Click(chromedp.CSS("#export-xlsx")),
	)
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the download is no workbook: %v", err)
	}
	rows, err := book.GetRows(book.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, h)
	header := []string{}
	for _, id := range []string{"trainings.csv.row", "trainings.csv.name", "trainings.csv.phone", "trainings.csv.neighborhood",
		"trainings.csv.lang", "trainings.csv.status", "trainings.csv.position", "trainings.csv.signed_up", "trainings.csv.attended"} {
		header = append(header, b.text(coopbot.Persian, id))
	}
	if len(rows) != 1+len(enrollees) || !slices.Equal(rows[0], header) {
		t.Fatalf("workbook rows %q, want the Persian header %q and a row per enrollee", rows, header)
	}
	for i, e := range enrollees {
		if !slices.Contains(rows[i+1], e.Name) || !slices.Contains(rows[i+1], "لیل‌آباد") {
			t.Errorf("row %d %q does not hold enrollee %q of لیل‌آباد", i+1, rows[i+1], e.Name)
		}
	}
	if !slices.Contains(rows[2], b.text(coopbot.Persian, "trainings.csv.waitlisted")) {
		t.Errorf("the wait-listed enrollee's row %q does not say so", rows[2])
	}
	if n := count(t, h, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'training_export' AND allowed
		AND detail->>'rows' = '2'`, m.ResidentID()); n != 1 {
		t.Errorf("the export audited %d times, want 1", n)
	}
}
