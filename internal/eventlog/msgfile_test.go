package eventlog

import (
	"os"
	"testing"
)

// pywin32's message table, as the Python package ships it: the ids are
// severity, facility and number together, an empty MessageId follows the
// last, and the texts keep their insert markers and line breaks.
func TestParseMessageFile(t *testing.T) {
	f, err := os.Open("../../python/PythonServiceMessages.mc")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table, err := ParseMessageFile(f)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[uint32]string{
		0x40001002: "The %1 service has started%2.\r\n",
		0x40001003: "The %1 service is stopping%2.\r\n",
		0xC0000003: "The instance's SvcRun() method failed\r\n%n%1\r\n%n%2: %3\r\n",
		0xC00000F4: "Could not find the service's PythonClass entry in the registry\r\nError %1 - %2\r\n",
		0x0000F008: "%1\r\n",
	} {
		if got := table[id]; got != want {
			t.Errorf("%#x: %q, want %q", id, got, want)
		}
	}
	r := &Record{EventID: 0x40001002, Strings: []string{"TestService", ""}}
	if got, ok := table.Render(r); !ok || got != "The TestService service has started." {
		t.Errorf("Render: %q %v", got, ok)
	}
	if _, ok := table.Render(&Record{EventID: 7}); ok {
		t.Error("rendered a message the table does not have")
	}
}
