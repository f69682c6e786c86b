package coopbot_test

import (
	"strings"
	"testing"

	"coopbot"
)

func TestInviteCodes(t *testing.T) {
	t.Parallel()
	seen := map[coopbot.InviteCode]bool{}
	for range 200 {
		c := coopbot.NewInviteCode()
		if len(c) != coopbot.InviteCodeLen || strings.Trim(string(c), coopbot.InviteAlphabet) != "" {
			t.Fatalf("code %q is not of the alphabet", c)
		}
		if seen[c] {
			t.Fatalf("code %q drawn twice", c)
		}
		seen[c] = true
		if got, ok := coopbot.ParseInviteCode(c.Show()); !ok || got != c {
			t.Fatalf("%q shown as %q reads back as %q, %v", c, c.Show(), got, ok)
		}
	}
	if s := coopbot.InviteCode("ABCDEFGH").Show(); s != "ABCD-EFGH" {
		t.Fatalf("Show = %q", s)
	}
	// How people type a code: small letters, other digit scripts, dashes and spaces.
	for typed, want := range map[string]coopbot.InviteCode{
		"abcd-efgh": "ABCDEFGH", "ABCD EFGH": "ABCDEFGH", "hjkm۲۳۴۵": "HJKM2345", "PQRS–٢٣٤٥": "PQRS2345", " x y z w 2 3 4 5 ": "XYZW2345",
	} {
		if got, ok := coopbot.ParseInviteCode(typed); !ok || got != want {
			t.Errorf("ParseInviteCode(%q) = %q, %v; want %q", typed, got, ok, want)
		}
	}
	// Shaped like a code, but no code: characters outside the alphabet, or a wrong length.
	for typed, looks := range map[string]bool{
		"ABCD-1234": true, "abcd ۱۲۳۴": true, "XYZW0OIL": true, "hjkm-npq1": true,
		"language": false, "12345678": false, "ABC-123": false, "ABCD-EFGHJ": false, "تعاونی": false, "ABCD-EFG!": false,
	} {
		if _, ok := coopbot.ParseInviteCode(typed); ok {
			t.Errorf("%q read as a code", typed)
		}
		if got := coopbot.LooksLikeInviteCode(typed); got != looks {
			t.Errorf("LooksLikeInviteCode(%q) = %v, want %v", typed, got, looks)
		}
	}
}
