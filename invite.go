package coopbot

import (
	"crypto/rand"
	"strings"

	"coopbot/text"
)

// InviteAlphabet are the characters of invite codes: capital letters and digits that
// cannot be mistaken for one another (no I, L, O, 0, 1).
const InviteAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// InviteCodeLen is the number of characters of an invite code.
const InviteCodeLen = 8

// InviteCode is a one-time code that makes whoever sends it an admin of a cooperative:
// InviteCodeLen characters of InviteAlphabet. Only a keyed hash of it is stored.
type InviteCode string

// NewInviteCode draws a code, each character uniformly from InviteAlphabet.
func NewInviteCode() InviteCode {
	b := make([]byte, InviteCodeLen)
	// 256 is not a multiple of the alphabet's size: bytes of the biased tail are drawn again.
	limit := 256 - 256%len(InviteAlphabet)
	var one [1]byte
	for i := range b {
		for rand.Read(one[:]); int(one[0]) >= limit; rand.Read(one[:]) {
		}
		b[i] = InviteAlphabet[int(one[0])%len(InviteAlphabet)]
	}
	return InviteCode(b)
}

// ParseInviteCode reads a typed invite code: any digit script, lower case, spaces and
// dashes are accepted. ok is false when s cannot be a code.
func ParseInviteCode(s string) (code InviteCode, ok bool) {
	s = strings.ToUpper(strings.Join(inviteGroups(s), ""))
	if len(s) != InviteCodeLen {
		return "", false
	}
	for _, r := range s {
		if !strings.ContainsRune(InviteAlphabet, r) {
			return "", false
		}
	}
	return InviteCode(s), true
}

// LooksLikeInviteCode reports whether typed text has the shape of an invite code, even
// when some of its characters are in no code (I, L, O, 0, 1): InviteCodeLen Latin letters
// and digits, in groups or not, digits of any script. A word in small letters (no digit,
// no groups) is not taken for one, nor is a number.
func LooksLikeInviteCode(s string) bool {
	groups := inviteGroups(s)
	n, letters, digits, lower := 0, 0, 0, false
	for _, g := range groups {
		for _, r := range g {
			switch {
			case 'A' <= r && r <= 'Z':
				letters++
			case 'a' <= r && r <= 'z':
				letters, lower = letters+1, true
			case '0' <= r && r <= '9':
				digits++
			default:
				return false
			}
			n++
		}
	}
	return n == InviteCodeLen && letters > 0 && (digits > 0 || len(groups) > 1 || !lower)
}

// inviteGroups are the parts of typed text between the separators people write codes
// with (spaces, dashes, underscores, ZWNJ), digits of any script made ASCII.
func inviteGroups(s string) []string {
	return strings.FieldsFunc(text.Digits(text.Clean(s)), func(r rune) bool {
		return strings.ContainsRune(" -_\u200c\u2010\u2011\u2012\u2013\u2014\u2212", r)
	})
}

// Show groups the code in two halves for reading: "ABCD-EFGH".
func (c InviteCode) Show() string {
	if len(c) != InviteCodeLen {
		return string(c)
	}
	return string(c[:InviteCodeLen/2]) + "-" + string(c[InviteCodeLen/2:])
}
