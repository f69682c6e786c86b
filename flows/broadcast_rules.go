package flows

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"coopbot"
	"coopbot/text"
)

// The rules of broadcasts (who may send, to whom, what text, who may stop one, who may
// export its deliveries) and of answers to residents' questions, shared by the chat and
// the web console: each is decided here once, and both call the same store methods with
// the same audit rows.

// AudienceReader reads what an audience is chosen from and how many it reaches.
type AudienceReader interface {
	Neighborhoods(ctx context.Context) ([]coopbot.Neighborhood, error)
	AudienceCounts(ctx context.Context, a coopbot.Audience) ([]coopbot.AudienceCount, error)
	AudienceCooperatives(ctx context.Context) ([]coopbot.AudienceChoice, error)
	AudienceTrainings(ctx context.Context) ([]coopbot.AudienceChoice, error)
}

// BroadcastTextMax is the longest broadcast text, in UTF-16 code units (one message);
// with a file it is coopbot.MaxCaption.
const BroadcastTextMax = maxBroadcastText

// MayBroadcast reports whether a staff role may send broadcasts: office staff, and a
// neighborhood manager (to their own neighborhood).
func MayBroadcast(s *coopbot.Staff) bool {
	return s != nil && (s.Role == coopbot.RoleStaff || s.Role == coopbot.RoleNeighborhoodManager && s.NeighborhoodID != 0)
}

// MayAddress reports whether s may send to audience a: office staff any audience, a
// neighborhood manager exactly their own neighborhood.
func MayAddress(s *coopbot.Staff, a coopbot.Audience) bool {
	return MayBroadcast(s) && (s.Role == coopbot.RoleStaff || a.Neighborhood() == s.NeighborhoodID)
}

// MayCancelBroadcast reports whether s may stop broadcast st (and read its deliveries):
// office staff any, a neighborhood manager those to their own neighborhood.
func MayCancelBroadcast(s *coopbot.Staff, st *coopbot.BroadcastStatus) bool {
	return s != nil && (s.Role == coopbot.RoleStaff || s.NeighborhoodID != 0 && s.NeighborhoodID == st.NeighborhoodID)
}

// BroadcastText cleans a broadcast's text as typed and checks that it fits one message
// (a caption, withFile): the text, or the message saying what is wrong.
func BroadcastText(raw string, withFile bool) (string, *coopbot.Msg) {
	s := text.CleanMultiline(raw)
	if s == "" {
		m := coopbot.M("broadcast.text.not_text")
		return "", &m
	}
	limit := maxBroadcastText
	if withFile {
		limit = coopbot.MaxCaption // the caption of the file attached
	}
	if n := len(utf16.Encode([]rune(s))); n > limit {
		m := coopbot.M("broadcast.text.too_long", "Max", text.Number(int64(limit)), "Len", text.Number(int64(n)))
		return "", &m
	}
	return s, nil
}

// AudienceKinds are the kinds of audience offered to an office staff member, in the
// chat's order: everyone, neighborhoods, a cooperative and a training (when there is
// one to choose), a language. A neighborhood manager is offered their own neighborhood
// only (AudienceNeighborhoods, with that one id).
func AudienceKinds(ctx context.Context, st AudienceReader, s *coopbot.Staff) ([]coopbot.AudienceKind, error) {
	if s.Role == coopbot.RoleNeighborhoodManager {
		return []coopbot.AudienceKind{coopbot.AudienceNeighborhoods}, nil
	}
	kinds := []coopbot.AudienceKind{coopbot.AudienceAll, coopbot.AudienceNeighborhoods}
	for _, k := range []struct {
		kind coopbot.AudienceKind
		list func(context.Context) ([]coopbot.AudienceChoice, error)
	}{{coopbot.AudienceCooperative, st.AudienceCooperatives}, {coopbot.AudienceTraining, st.AudienceTrainings}} {
		list, err := k.list(ctx)
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			kinds = append(kinds, k.kind)
		}
	}
	return append(kinds, coopbot.AudienceLang), nil
}

// DescribeAudience names an audience in l, as the preview's "to whom" line.
func DescribeAudience(ctx context.Context, st AudienceReader, l coopbot.Lang, a coopbot.Audience) (coopbot.Msg, error) {
	choice := func(list func(context.Context) ([]coopbot.AudienceChoice, error)) (coopbot.AudienceChoice, error) {
		all, err := list(ctx)
		if i := slices.IndexFunc(all, func(ch coopbot.AudienceChoice) bool { return len(a.IDs) == 1 && ch.ID == a.IDs[0] }); err == nil && i >= 0 {
			return all[i], nil
		}
		return coopbot.AudienceChoice{}, errors.Join(err, &coopbot.Error{Code: coopbot.ENotFound, Err: errors.New(string(a.Kind) + " of the audience")})
	}
	switch a.Kind {
	case coopbot.AudienceNeighborhoods:
		all, err := st.Neighborhoods(ctx)
		all = slices.Clone(all)
		text.SortFunc(text.Lang(l), all, func(n coopbot.Neighborhood) string { return n.Name(l) })
		var names []string
		for _, n := range all {
			if slices.Contains(a.IDs, n.ID) {
				names = append(names, n.Name(l))
			}
		}
		return coopbot.M("broadcast.who.neighborhoods", "Names", rawList(names)).WithCount(len(names)), err
	case coopbot.AudienceCooperative:
		co, err := choice(st.AudienceCooperatives)
		return coopbot.M("broadcast.who.cooperative", "Name", co.Names()), err
	case coopbot.AudienceTraining:
		tr, err := choice(st.AudienceTrainings)
		return coopbot.M("broadcast.who.training", "Name", tr.Names(), "Date", text.Date(tr.At)), err
	case coopbot.AudienceLang:
		if a.Lang == coopbot.Azeri {
			return coopbot.M("broadcast.who.lang_az"), nil
		}
		return coopbot.M("broadcast.who.lang_fa"), nil
	}
	return coopbot.M("broadcast.who.all"), nil
}

// AudienceSummary is the preview's who and how many: the audience named, its recipients
// per platform and language, and the total (or that nobody is reachable); and the total.
func AudienceSummary(ctx context.Context, st AudienceReader, l coopbot.Lang, a coopbot.Audience) ([]coopbot.Msg, int, error) {
	who, err := DescribeAudience(ctx, st, l, a)
	if err != nil {
		return nil, 0, err
	}
	counts, err := st.AudienceCounts(ctx, a)
	if err != nil {
		return nil, 0, err
	}
	lines := []coopbot.Msg{who}
	for _, p := range []coopbot.Platform{coopbot.Bale, coopbot.Telegram} {
		n := map[coopbot.Lang]int{}
		for _, ac := range counts {
			if ac.Platform == p {
				n[ac.Lang] += ac.Residents
			}
		}
		if n[coopbot.Persian]+n[coopbot.Azeri] > 0 {
			lines = append(lines, coopbot.M(bcCountMsgs[p], "Fa", text.Number(int64(n[coopbot.Persian])), "Az", text.Number(int64(n[coopbot.Azeri]))))
		}
	}
	total := bcTotal(counts)
	if total > 0 {
		return append(lines, coopbot.M("broadcast.preview.total", "Total", text.Number(int64(total))).WithCount(total)), total, nil
	}
	return append(lines, coopbot.M("broadcast.preview.empty")), 0, nil
}

// BroadcastSender creates broadcasts and records what was done.
type BroadcastSender interface {
	CreateBroadcast(ctx context.Context, b coopbot.NewBroadcast) (id int64, total int, err error)
	Audit(ctx context.Context, actorID int64, action, subject string, allowed bool, detail map[string]any) error
}

// SendBroadcast creates broadcast nb for staff member s: refused (forbidden,
// "broadcast.denied", recorded as a refused broadcast_create) when s may not address its
// audience; else created through the store and recorded. A form key used before gives
// the first broadcast's id and count with the store's conflict, and records nothing new.
func SendBroadcast(ctx context.Context, st BroadcastSender, s *coopbot.Staff, nb coopbot.NewBroadcast) (int64, int, error) {
	if !MayAddress(s, nb.Audience) {
		if err := st.Audit(ctx, nb.CreatedBy, "broadcast_create", "", false, map[string]any{"audience": nb.Audience}); err != nil {
			return 0, 0, err
		}
		return 0, 0, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "broadcast.denied", Err: errors.New("broadcast: audience outside the sender's scope")}
	}
	id, total, err := st.CreateBroadcast(ctx, nb)
	if err != nil {
		return id, total, err
	}
	detail := map[string]any{"audience": nb.Audience, "recipients": total}
	if nb.File != nil {
		detail["file"] = nb.File.Kind
	}
	if nb.Button != nil {
		detail["button"] = nb.Button
	}
	if err := st.Audit(ctx, nb.CreatedBy, "broadcast_create", broadcastSubject(id), true, detail); err != nil {
		return 0, 0, err
	}
	return id, total, nil
}

// BroadcastCanceller stops broadcasts and records what was done.
type BroadcastCanceller interface {
	BroadcastStatus(ctx context.Context, id int64) (*coopbot.BroadcastStatus, error)
	CancelBroadcast(ctx context.Context, id, by int64) (*coopbot.BroadcastStatus, error)
	Audit(ctx context.Context, actorID int64, action, subject string, allowed bool, detail map[string]any) error
}

// CancelBroadcastAs stops broadcast id for actorID, whose staff role is s (nil: none):
// not_found when there is no such broadcast; forbidden ("broadcast.cancel.denied",
// recorded) when MayCancelBroadcast says no; the store's conflict when it already ended;
// else the counts after the stop, recorded.
func CancelBroadcastAs(ctx context.Context, st BroadcastCanceller, s *coopbot.Staff, actorID, id int64) (*coopbot.BroadcastStatus, error) {
	b, err := st.BroadcastStatus(ctx, id)
	if err != nil {
		return nil, err
	}
	if !MayCancelBroadcast(s, b) {
		if err := st.Audit(ctx, actorID, "broadcast_cancel", broadcastSubject(id), false, nil); err != nil {
			return nil, err
		}
		return nil, &coopbot.Error{Code: coopbot.EForbidden, MsgID: "broadcast.cancel.denied", Err: errors.New("cancel broadcast " + strconv.FormatInt(id, 10) + ": not in the scope")}
	}
	b, err = st.CancelBroadcast(ctx, id, actorID)
	if err != nil {
		return nil, err
	}
	if err := st.Audit(ctx, actorID, "broadcast_cancel", broadcastSubject(id), true, map[string]any{"not_sent": b.Cancelled}); err != nil {
		return nil, err
	}
	return b, nil
}

// RecipientsExporter reads a broadcast's deliveries for those who may, and records what
// was done.
type RecipientsExporter interface {
	BroadcastRecipients(ctx context.Context, actorID, id int64) ([]coopbot.BroadcastRecipient, error)
	Audit(ctx context.Context, actorID int64, action, subject string, allowed bool, detail map[string]any) error
}

// ExportRecipients is the delivery export of broadcast id for actorID, in l, as the chat
// sends it: the store refuses (forbidden, recorded) whoever may not read it; nil and no
// record when it has no delivery; else the table, its delivery recorded.
func ExportRecipients(ctx context.Context, st RecipientsExporter, actorID int64, l coopbot.Lang, id int64, now time.Time) (*coopbot.Table, error) {
	list, err := st.BroadcastRecipients(ctx, actorID, id)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	if err := st.Audit(ctx, actorID, "broadcast_export", broadcastSubject(id), true, map[string]any{"rows": len(list)}); err != nil {
		return nil, err
	}
	return broadcastTable(l, id, list, jalaliDay(now)), nil
}

// questionAnswerRules are what an answer to a resident's question must be.
var questionAnswerRules = needText{min: 2, max: coopbot.QuestionAnswerMax, multiline: true,
	notText: "questions.answer.invalid", short: "questions.answer.invalid", long: "questions.answer.too_long"}

// QuestionAnswer cleans a staff answer to a question as typed and checks its length: the
// answer, or the message saying what is wrong.
func QuestionAnswer(raw string) (string, *coopbot.Msg) {
	s, retry, ok := questionAnswerRules.read(Input{Kind: KindText, Raw: raw})
	if !ok {
		return "", &retry.hint
	}
	return s, nil
}

// jalaliDay is the Jalali day of t, as file names carry it: "14040917".
func jalaliDay(t time.Time) string { return strings.ReplaceAll(text.JalaliOf(t).String(), "/", "") }

// broadcastDay checks the day of a later start: from today to 90 days ahead.
func broadcastDay(d text.JalaliDate, now time.Time) *coopbot.Msg {
	if d.At(23, 59).Before(now) {
		m := coopbot.M("broadcast.date.past", "Today", text.Date(now))
		return &m
	}
	if d.At(0, 0).After(now.Add(maxBroadcastAhead)) {
		m := coopbot.M("broadcast.date.too_far", "Days", text.Number(int64(maxBroadcastAhead/(24*time.Hour))))
		return &m
	}
	return nil
}

// broadcastAt checks a later start: more than a minute ahead.
func broadcastAt(at, now time.Time) *coopbot.Msg {
	if !at.After(now.Add(time.Minute)) {
		m := coopbot.M("broadcast.clock.past", "Now", text.Clock(now))
		return &m
	}
	return nil
}

// BroadcastStart reads a later start typed as a day (Jalali, or Gregorian: the preview
// shows it back in Jalali) and a time of day, with the chat's limits: the start, or the
// message saying what is wrong.
func BroadcastStart(day, clock string, now time.Time) (time.Time, *coopbot.Msg) {
	d, reason := text.ParseDate(day)
	if reason != text.OK {
		m := coopbot.M(string(reason))
		return time.Time{}, &m
	}
	if bad := broadcastDay(d.JalaliDate, now); bad != nil {
		return time.Time{}, bad
	}
	h, min, reason := text.ParseClock(clock)
	if reason != text.OK {
		m := coopbot.M(string(reason))
		return time.Time{}, &m
	}
	at := d.At(h, min)
	if bad := broadcastAt(at, now); bad != nil {
		return time.Time{}, bad
	}
	return at, nil
}
