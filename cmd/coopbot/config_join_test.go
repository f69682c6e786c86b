package main

import (
	"strings"
	"testing"

	"coopbot/postgres"
)

// TestConfigPendingRemindDays: PENDING_REMIND_DAYS defaults to three days and takes a
// whole number of days; anything else fails at start naming the variable.
func TestConfigPendingRemindDays(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{"PENDING_REMIND_DAYS": v}[k] }
	}
	for v, want := range map[string]int{"": postgres.DefaultPendingRemindDays, "5": 5, " 1 ": 1, "365": 365} {
		cfg, err := loadConfig(env(v))
		if err != nil {
			t.Fatalf("PENDING_REMIND_DAYS=%q: %v", v, err)
		}
		if cfg.pendingRemindDays != want {
			t.Errorf("PENDING_REMIND_DAYS=%q: %d days, want %d", v, cfg.pendingRemindDays, want)
		}
	}
	for _, v := range []string{"0", "-2", "3d", "سه", "366"} {
		if _, err := loadConfig(env(v)); err == nil || !strings.HasPrefix(err.Error(), "PENDING_REMIND_DAYS:") {
			t.Errorf("PENDING_REMIND_DAYS=%q: error %v", v, err)
		}
	}
}
