package manager

import "testing"

func TestTouches(t *testing.T) {
	const control = `HKLM\SYSTEM\CurrentControlSet\Control`
	for _, c := range []struct {
		path string
		want bool
	}{
		{control, true},
		{`HKLM\SYSTEM\CurrentControlSet\Control\ServiceGroupOrder`, true},
		{`hklm\system\currentcontrolset\CONTROL`, true},
		{`HKLM\SYSTEM`, true}, // deleting above it takes it along
		{`HKLM\SYSTEM\CurrentControlSet\Services\a`, false},
		{`HKLM\SYSTEM\CurrentControlSet\ControlX`, false},
		{`HKCU\SYSTEM\CurrentControlSet\Control`, false},
	} {
		if got := touches(c.path, control); got != c.want {
			t.Errorf("touches(%q) = %v, want %v", c.path, got, c.want)
		}
	}
}
