package services

import (
	"strings"
	"testing"

	"github.com/openscm/scm/windows"
)

func TestValidateName(t *testing.T) {
	for _, bad := range []string{"", "a/b", `a\b`, "a\x00b", "a\nb", "a\tb", "a\x1b[2Jb", "a\x7fb", "a\u0085b", "\xff", strings.Repeat("n", 257)} {
		if err := ValidateName(bad); err != windows.ERROR_INVALID_NAME {
			t.Errorf("ValidateName(%q) = %v, want 123", bad, err)
		}
	}
	for _, good := range []string{"a", "my service", "Über-Dienst", "svc.name_1", strings.Repeat("n", 256)} {
		if err := ValidateName(good); err != nil {
			t.Errorf("ValidateName(%q) = %v", good, err)
		}
	}
	if err := ValidateDisplayName("line\nbreak"); err != windows.ERROR_INVALID_NAME {
		t.Errorf("a display name with a newline: %v, want 123", err)
	}
}
