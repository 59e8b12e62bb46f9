package eventlog

import "testing"

func TestServiceSpecificErrorText(t *testing.T) {
	for _, c := range []struct{ insert, want string }{
		{"%%1", "The Spooler service terminated with the following service-specific error: \nIncorrect function."},
		{"%%17058", "The Spooler service terminated with the following service-specific error: \n%%17058"},
		{"%%-2147023143", "The Spooler service terminated with the following service-specific error: \n%%-2147023143"},
	} {
		r := &Record{Source: SCMSource, EventID: 7024, Strings: []string{"Spooler", c.insert}}
		if got := Message(r); got != c.want {
			t.Errorf("%s: %q, want %q", c.insert, got, c.want)
		}
	}
}
