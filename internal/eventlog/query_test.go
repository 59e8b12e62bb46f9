package eventlog

import (
	"testing"
	"time"
)

func TestQueries(t *testing.T) {
	now := time.Unix(1000, 0)
	r := &Record{RecordNumber: 7, EventID: 7036, Type: Information, Source: "Service Control Manager", TimeGenerated: now.Add(-5 * time.Second)}
	cases := map[string]bool{
		"":  true,
		"*": true,
		"*[System[Provider[@Name='Service Control Manager']]]":                          true,
		`*[System[Provider[@Name="service control manager"]]]`:                          true,
		"*[System[Provider[@Name='Other']]]":                                            false,
		"*[System[(EventID=7036)]]":                                                     true,
		"*[System[EventID=7036 and Level=4]]":                                           true,
		"*[System[EventID=7036 and Level=2]]":                                           false,
		"*[System[(EventID=7000 or EventID=7036) and Level<=4]]":                        true,
		"*[System[TimeCreated[timediff(@SystemTime) <= 10000]]]":                        true,
		"*[System[TimeCreated[timediff(@SystemTime) <= 1000]]]":                         false,
		"*[System[Provider[@Name='Service Control Manager'] and (Level=1 or Level=2)]]": false,
		"*[System[EventRecordID>5]]":                                                    true,
	}
	for q, want := range cases {
		f, err := ParseQuery(q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if got := f(r, now); got != want {
			t.Errorf("%s = %v, want %v", q, got, want)
		}
	}
	for _, bad := range []string{"Event", "*[System[EventID=]]", "*[System[Bogus=1]]", "*[System[(EventID=1]]"} {
		if _, err := ParseQuery(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
