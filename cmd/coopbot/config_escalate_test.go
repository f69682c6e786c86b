package main

import (
	"strings"
	"testing"
)

// TestConfigNeedEscalateHours: NEED_ESCALATE_HOURS defaults to 48 hours and takes a
// whole number of hours from 1 to 720; anything else stops the start with its name.
func TestConfigNeedEscalateHours(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{"NEED_ESCALATE_HOURS": v}[k] }
	}
	for v, want := range map[string]int{"": 48, "1": 1, " 24 ": 24, "720": 720} {
		cfg, err := loadConfig(env(v))
		if err != nil {
			t.Fatalf("NEED_ESCALATE_HOURS=%q: %v", v, err)
		}
		if cfg.needEscalateHours != want {
			t.Errorf("NEED_ESCALATE_HOURS=%q: %d hours, want %d", v, cfg.needEscalateHours, want)
		}
	}
	for _, v := range []string{"0", "-3", "721", "2d", "1.5"} {
		if _, err := loadConfig(env(v)); err == nil || !strings.HasPrefix(err.Error(), "NEED_ESCALATE_HOURS:") {
			t.Errorf("NEED_ESCALATE_HOURS=%q: error %v", v, err)
		}
	}
}
