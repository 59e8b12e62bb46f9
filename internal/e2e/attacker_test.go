package e2e

import (
	"strconv"
	"strings"
	"testing"
)

func TestAttackerIsOrdinary(t *testing.T) {
	u := newOrdinaryUser(t)
	out, err := u.Attack("whoami").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != strconv.Itoa(int(u.UID)) || u.UID == 0 {
		t.Fatalf("attacker runs as %s, want %d (not root)", got, u.UID)
	}
}
