package main

import (
	"strings"
	"testing"

	"coopbot"
)

// TestConfigOffice: the office's contact details default to the provincial office (no
// phone); a Persian text alone is shown to Azeri readers too; an Azeri text alone, a phone
// that is not a number or a text of several lines stops the start with its name.
func TestConfigOffice(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.office != coopbot.DefaultOffice() || cfg.office.Phone != "" || cfg.office.Address.Az == cfg.office.Address.Fa {
		t.Fatalf("default office = %+v", cfg.office)
	}
	cfg, err = loadConfig(env(map[string]string{
		"OFFICE_PHONE": " 041-3555 0000 ", "OFFICE_ADDRESS_FA": "تبریز، خیابان امام", "OFFICE_ADDRESS_AZ": "تبریز، امام خیابانی",
		"OFFICE_HOURS_FA": "شنبه تا پنجشنبه ۸ تا ۱۳",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := coopbot.Office{Phone: "041-3555 0000",
		Address: coopbot.Names{Fa: "تبریز، خیابان امام", Az: "تبریز، امام خیابانی"},
		Hours:   coopbot.Names{Fa: "شنبه تا پنجشنبه ۸ تا ۱۳", Az: "شنبه تا پنجشنبه ۸ تا ۱۳"}}
	if cfg.office != want {
		t.Fatalf("office = %+v, want %+v", cfg.office, want)
	}
	for name, kv := range map[string]map[string]string{
		"OFFICE_PHONE":      {"OFFICE_PHONE": "call us"},
		"OFFICE_ADDRESS_AZ": {"OFFICE_ADDRESS_AZ": "تبریز"},
		"OFFICE_HOURS_FA":   {"OFFICE_HOURS_FA": "شنبه\nیکشنبه"},
	} {
		if _, err := loadConfig(env(kv)); err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%v: error %v, want one naming %s", kv, err, name)
		}
	}
}
