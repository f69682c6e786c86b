package flows_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"coopbot"
	"coopbot/flows"
	"coopbot/locales"
	"coopbot/postgres"
	"coopbot/postgres/postgrestest"
)

// FuzzConversations drives the engine, over a real Postgres store and the real catalog,
// through every flow and step as a resident, a staff member, a neighborhood manager, a
// cooperative admin and a newcomer. The input is a program of steps: press a button
// shown (also on an older message), press one with forged data (negative, huge,
// non-numeric, other people's ids, 64 bytes, any bytes), type a label, a typical answer
// or any text, send a command, a contact, a location or a sticker, press an admin card's
// button for any record, switch person. Whatever comes, the engine never panics and
// never fails (which the bot shows as "an error occurred"), and every reply renders in
// the reader's language with no template value missing and button data within 64 bytes.
func FuzzConversations(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	fz := newFuzzWorld(f)
	f.Fuzz(func(t *testing.T, program []byte) {
		fz.run(t, program)
	})
}

// fuzzSeeds walk into each flow; the fuzzer goes on from there. Each pair is an op and its
// argument (see fuzzWorld.run).
var fuzzSeeds = [][]byte{
	{},
	// The resident opens each main-menu entry and presses what comes.
	{opPress, 0, opPress, 0, opPress, 1, opText, 2, opPress, 9},
	{opPress, 1, opPress, 0, opForge, 0, opPress, 3},
	{opPress, 2, opPress, 0, opPress, 0, opText, 7, opPress, 0, opPress, 1},
	{opPress, 3, opPress, 0, opCommand, 2, opPress, 3, opForge, 5},
	{opPress, 4, opText, 11, opPress, 0, opPress, 0},
	{opPress, 5, opPress, 1, opText, 0, opCommand, 0},
	// Staff, manager and cooperative admin go through their entries.
	{opActor, 1, opPress, 4, opPress, 0, opPress, 0, opText, 3, opPress, 0, opPress, 0},
	{opActor, 1, opPress, 6, opPress, 0, opForge, 2, opPress, 1, opText, 5},
	{opActor, 1, opPress, 8, opPress, 0, opPress, 2, opText, 1, opPress, 0},
	{opActor, 1, opPress, 10, opPress, 0, opPress, 0, opText, 6, opText, 8, opText, 9},
	{opActor, 2, opPress, 2, opPress, 0, opPress, 1, opForge, 3},
	{opActor, 2, opPress, 7, opPress, 1, opText, 4, opPress, 0},
	{opActor, 3, opCard, 0, opCard, 1, opPress, 0, opText, 10},
	{opActor, 3, opPress, 2, opPress, 0, opCard, 4, opForge, 7},
	// A newcomer onboards, with wrong answers on the way.
	{opActor, 4, opText, 12, opPress, 0, opOther, 0, opText, 0, opOther, 1, opPress, 0},
	{opActor, 4, opOther, 2, opForge, 1, opPress, 1, opText, 13, opOther, 3},
	{opRaw, 12, 'c', ':', '1', ':', 'p', ':', '-', '9', '9', '9', '9', '9'},
	{opActor, 1, opPress, 6, opRaw, 20, 'c', ':', '2', ':', 'i', ':', '9', '2', '2', '3', '3', '7', '2', '0', '3', '6', '8', '5', '4', '7', '7', '5'},
}

// The ops of a fuzz program.
const (
	opPress   = iota // press button arg of a shown message (the newest first)
	opForge          // press a shown button with its data changed (arg chooses how)
	opText           // type typical text arg
	opCommand        // send command arg
	opOther          // contact, location, sticker, a press without data (arg)
	opActor          // go on as person arg
	opCard           // press an admin card's button for a record (arg chooses)
	opRaw            // press data: the next arg bytes as they are
	opTyped          // type the next arg bytes as they are
	opCount
)

const (
	fuzzSteps   = 40 // updates one input may send at most
	fuzzScreens = 6  // messages with buttons kept per person
)

// fuzzWorld is one Postgres database with the people of the fuzz, kept across inputs.
type fuzzWorld struct {
	db     *postgres.DB
	cat    *locales.Catalog
	engine *flows.Engine
	people []fuzzPerson
	coop   int64 // the cooperative the admin runs
	update int64 // update ids, unique in the world (effects are keyed by them)
	fresh  int64 // user ids of newcomers
}

type fuzzPerson struct {
	userID int64
	lang   coopbot.Lang
}

func newFuzzWorld(f *testing.F) *fuzzWorld {
	db := postgrestest.NewSeeded(f)
	cat, err := locales.Load()
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	w := &fuzzWorld{db: db, cat: cat, engine: flows.New(flows.Deps{Store: db, Labels: cat, Log: slog.New(slog.DiscardHandler)}), fresh: 9_000_000}
	var nbh int64
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM neighborhoods WHERE name_fa = 'سرخاب'`).Scan(&nbh); err != nil {
		f.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM cooperatives WHERE neighborhood_id = $1`, nbh).Scan(&w.coop); err != nil {
		f.Fatal(err)
	}
	ids := map[string]int64{}
	for i, p := range []struct {
		name string
		lang coopbot.Lang
	}{{"resident", coopbot.Persian}, {"staff", coopbot.Persian}, {"manager", coopbot.Azeri}, {"admin", coopbot.Azeri}} {
		uid := int64(7001 + i)
		id, err := db.SaveResident(ctx, &coopbot.Resident{Platform: coopbot.Telegram, UserID: uid, ChatID: uid, Lang: p.lang,
			NeighborhoodID: nbh, Name: p.name, Phone: "+98914123456" + strconv.Itoa(i)})
		if err != nil {
			f.Fatal(err)
		}
		ids[p.name] = id
		w.people = append(w.people, fuzzPerson{userID: uid, lang: p.lang})
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO staff (resident_id, role) VALUES ($1, 'staff')`, []any{ids["staff"]}},
		{`INSERT INTO staff (resident_id, role, neighborhood_id) VALUES ($1, 'neighborhood_manager', $2)`, []any{ids["manager"], nbh}},
		{`INSERT INTO cooperative_admins (cooperative_id, resident_id) VALUES ($1, $2)`, []any{w.coop, ids["admin"]}},
	} {
		if _, err := db.Pool.Exec(ctx, q.sql, q.args...); err != nil {
			f.Fatal(err)
		}
	}
	// Records to act on: a pending request, a need report, a broadcast.
	if _, _, err := db.SubmitJoinRequest(ctx, &coopbot.JoinRequest{CooperativeID: w.coop, ResidentID: ids["resident"], FullName: "مریم رضایی",
		NationalID: "0012345679", Phone: "+989141234567", Share: 9_000_000, Skills: []string{"cooking"}}); err != nil {
		f.Fatal(err)
	}
	if _, _, err := db.CreateBroadcast(ctx, coopbot.NewBroadcast{CreatedBy: ids["staff"], Audience: coopbot.Audience{Kind: coopbot.AudienceAll},
		TextFa: "اطلاعیه", TextAz: "بیلدیریش", Progress: coopbot.ProgressMessage{Platform: coopbot.Telegram, ChatID: 7002, Lang: coopbot.Persian}}); err != nil {
		f.Fatal(err)
	}
	return w
}

// fuzzTexts are typical answers: labels are typed from the screen by opPress's sibling
// opText when arg is past these.
var fuzzTexts = []string{
	"سرخاب", "مریم رضایی", "0012345679", "۰۹۱۴ ۱۲۳ ۴۵۶۷", "۵۰۰۰۰۰۰", "-3", "1404/12/29", "۱۶:۳۰", "۹۰",
	"۲۵", "ABCD-EFGH", "آشنایی با تشکیل تعاونی محلی", "/start", "تۆرکجه", "123456", "0", "99999999999999999999",
	"<b>x</b> & <a href=x>", "\u202e\u200c\x00\n\n", strings.Repeat("ب", 5000), "تعاونی فرش‌بافی بانوان سرخاب", "ولیعصر",
}

var fuzzCommands = []string{"/start", "/menu", "/cancel", "/lang", "/help", "/start@coopbot_local_bot extra", "/"}

// forged are the numbers forged data carries.
var forged = []string{"-1", "0", "-9223372036854775808", "9223372036854775807", "99999999999999999999", "x", "", "1e3", "0x10", "٣", " 1"}

// screen is a message with buttons a person can still press.
type screen struct {
	id      int
	buttons []coopbot.Button // inline: data; reply keyboard: typed labels
	keys    bool
}

// run plays one program.
func (w *fuzzWorld) run(t *testing.T, program []byte) {
	type conv struct {
		state   []byte
		screens []screen
		msg     int
		lang    coopbot.Lang
	}
	convs := make([]*conv, len(w.people)+1)
	for i := range convs {
		convs[i] = &conv{lang: coopbot.Persian}
		if i < len(w.people) {
			convs[i].lang = w.people[i].lang
		}
	}
	w.fresh++
	newcomer := w.fresh
	who := 0
	ctx := context.Background()
	trace := []string{}
	send := func(up flows.Update) {
		c := convs[who]
		w.update++
		up.Platform, up.Account, up.ID = coopbot.Telegram, "fuzz", w.update
		up.UserID = newcomer
		if who < len(w.people) {
			up.UserID = w.people[who].userID
		}
		up.ChatID, up.FirstName = up.UserID, "Fuzz"
		trace = append(trace, fmt.Sprintf("person %d: kind %d text %q data %q", who, up.Kind, truncate(up.Text), up.Data))
		// The bot gives an update 20 s; here nothing waits for anything but Postgres.
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := w.engine.Handle(hctx, c.state, up)
		late := hctx.Err() != nil
		cancel()
		if late {
			t.Fatalf("the engine took more than 5 s (%v)\n%s", err, strings.Join(trace, "\n"))
		}
		if err != nil {
			if code := coopbot.ErrorCode(err); code == coopbot.EUnavailable {
				t.Skipf("store unavailable: %v", err)
			}
			t.Fatalf("the engine failed (the resident would be told an error occurred): %v\n%s", err, strings.Join(trace, "\n"))
		}
		c.state, c.lang = res.State, res.Lang
		for _, r := range res.Replies {
			if wrong := w.check(res.Lang, r); wrong != "" {
				t.Fatalf("%s\nin reply %+v\n%s", wrong, r, strings.Join(trace, "\n"))
			}
			if r.Toast != nil && len(r.Text) == 0 {
				continue
			}
			c.msg++
			s := screen{id: c.msg}
			if r.Edit && up.MessageID != 0 {
				s.id = up.MessageID
			}
			for _, row := range r.Buttons {
				s.buttons = append(s.buttons, row...)
			}
			for _, row := range r.Keys {
				s.buttons = append(s.buttons, row...)
				s.keys = true
			}
			if len(s.buttons) > 0 {
				c.screens = append([]screen{s}, c.screens...)
				c.screens = c.screens[:min(len(c.screens), fuzzScreens)]
			}
		}
	}
	// pick chooses a button of a shown message by n: the newest message's first.
	pick := func(n byte) (screen, coopbot.Button, bool) {
		c := convs[who]
		all := 0
		for _, s := range c.screens {
			all += len(s.buttons)
		}
		if all == 0 {
			return screen{}, coopbot.Button{}, false
		}
		i := int(n) % all
		for _, s := range c.screens {
			if i < len(s.buttons) {
				return s, s.buttons[i], true
			}
			i -= len(s.buttons)
		}
		return screen{}, coopbot.Button{}, false
	}
	press := func(s screen, b coopbot.Button, data string) {
		c := convs[who]
		switch {
		case b.Contact:
			send(flows.Update{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "+989141234567", UserID: newcomer}})
		case b.Location:
			send(flows.Update{Kind: flows.KindLocation, Location: &flows.Location{Lat: 38.08, Lon: 46.29}})
		case s.keys || data == "":
			label, err := w.cat.Msg(c.lang, b.Label)
			if err != nil {
				t.Fatalf("label %+v: %v", b.Label, err)
			}
			send(flows.Update{Kind: flows.KindText, Text: label})
		default:
			send(flows.Update{Kind: flows.KindCallback, Data: data, CallbackID: "q", MessageID: s.id})
		}
	}
	steps := 0
	for i := 0; i+1 < len(program) && steps < fuzzSteps; i += 2 {
		op, arg := program[i]%opCount, program[i+1]
		steps++
		switch op {
		case opPress:
			if s, b, ok := pick(arg); ok {
				press(s, b, b.Data)
			} else {
				send(flows.Update{Kind: flows.KindText, Text: "/menu"})
			}
		case opForge:
			s, b, ok := pick(arg / 8)
			if !ok || b.Data == "" {
				send(flows.Update{Kind: flows.KindCallback, Data: forgeData("c:1:i:1", arg, w.update), MessageID: 1})
				continue
			}
			press(s, b, forgeData(b.Data, arg, w.update))
		case opText:
			if int(arg) < len(fuzzTexts) {
				send(flows.Update{Kind: flows.KindText, Text: fuzzTexts[arg]})
			} else if _, b, ok := pick(arg); ok {
				label, err := w.cat.Msg(convs[who].lang, b.Label)
				if err != nil {
					t.Fatalf("label %+v: %v", b.Label, err)
				}
				send(flows.Update{Kind: flows.KindText, Text: label})
			}
		case opCommand:
			send(flows.Update{Kind: flows.KindText, Text: fuzzCommands[int(arg)%len(fuzzCommands)]})
		case opOther:
			switch arg % 5 {
			case 0:
				send(flows.Update{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "+989141234567", UserID: int64(arg)}})
			case 1:
				send(flows.Update{Kind: flows.KindLocation, Location: &flows.Location{Lat: float64(arg) - 100, Lon: 460}})
			case 2:
				send(flows.Update{Kind: flows.KindOther})
			case 3:
				send(flows.Update{Kind: flows.KindCallback})
			case 4:
				send(flows.Update{Kind: flows.KindContact, Contact: &flows.Contact{Phone: "not a phone"}})
			}
		case opActor:
			who = int(arg) % len(convs)
		case opCard:
			send(flows.Update{Kind: flows.KindCallback, Data: cardData(arg, w.update), CallbackID: "q", MessageID: 1})
		case opRaw, opTyped:
			n := min(int(arg), len(program)-i-2)
			raw := string(program[i+2 : i+2+n])
			i += n
			if op == opRaw {
				send(flows.Update{Kind: flows.KindCallback, Data: raw, CallbackID: "q", MessageID: 1})
			} else {
				send(flows.Update{Kind: flows.KindText, Text: raw})
			}
		}
	}
}

// forgeData changes button data the way arg says: its last number replaced by a forged
// one or an id near the latest records', or the data stretched to 64 bytes or cut.
func forgeData(data string, arg byte, near int64) string {
	cut := strings.LastIndexByte(data, ':')
	switch arg % 8 {
	case 0, 1, 2, 3:
		return data[:cut+1] + forged[int(arg/4)%len(forged)]
	case 4:
		return data[:cut+1] + strconv.FormatInt(int64(arg)%7+1, 10) // someone else's record, likely
	case 5:
		return (data + strings.Repeat("9", 64))[:64]
	case 6:
		return data[:max(cut, 0)]
	}
	return data + ":" + strconv.FormatInt(near, 10)
}

// cardData is an admin card's button for a record (a low id: records are few).
func cardData(arg byte, near int64) string {
	id := strconv.Itoa(int(arg/8)%5 + 1)
	if arg/8%7 == 6 {
		id = forged[int(arg)%len(forged)]
	}
	switch arg % 8 {
	case 0:
		return "a:jr:" + id + ":ok"
	case 1:
		return "a:jr:" + id + ":no"
	case 2:
		return "a:jr:ok:" + id
	case 3:
		return "a:need:" + id
	case 4:
		return "a:need:" + id + ":reviewing"
	case 5:
		return "a:bcx:" + id
	case 6:
		return "a:jp"
	}
	return "a:" + strconv.FormatInt(near, 36) + ":" + id
}

// check returns what is wrong with a reply as the bot would send it in lang, "" if
// nothing.
func (w *fuzzWorld) check(lang coopbot.Lang, r coopbot.Reply) string {
	msgs := append([]coopbot.Msg(nil), r.Text...)
	if r.Toast != nil {
		msgs = append(msgs, *r.Toast)
	}
	for k, rows := range [][][]coopbot.Button{r.Buttons, r.Keys} {
		for _, row := range rows {
			for _, b := range row {
				msgs = append(msgs, b.Label)
				if len(b.Data) > 64 {
					return fmt.Sprintf("button data of %d bytes: %q", len(b.Data), b.Data)
				}
				if k == 0 && b.Data == "" {
					return fmt.Sprintf("inline button %q without data", b.Label.ID)
				}
			}
		}
	}
	for _, m := range msgs {
		s, err := w.cat.Msg(lang, m)
		if err != nil {
			return fmt.Sprintf("message %s does not render: %v", m.ID, err)
		}
		if strings.Contains(s, "<no value>") {
			return fmt.Sprintf("message %s lacks template data: %q", m.ID, s)
		}
		if !utf8.ValidString(s) {
			return fmt.Sprintf("message %s is not UTF-8: %q", m.ID, s)
		}
	}
	return ""
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
