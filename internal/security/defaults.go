package security

import "github.com/openscm/scm/internal/sddl"

// The descriptors Windows gives the SCM itself and a service that
// CreateService makes. LocalSystem owns both, so the SCM's own identity
// keeps READ_CONTROL and WRITE_DAC on every service whatever its DACL.
const (
	DefaultSCManagerSDDL = "O:SYG:SYD:(A;;CC;;;AU)(A;;CCLCRPRC;;;IU)(A;;CCLCRPRC;;;SU)(A;;CCLCRPWPRC;;;SY)(A;;KA;;;BA)(A;;CC;;;AC)S:(AU;FA;KA;;;WD)(AU;OIIOFA;GA;;;WD)"
	DefaultServiceSDDL   = "O:SYG:SYD:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)S:(AU;FA;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;WD)"
)

// MustParse parses a descriptor known to be valid.
func MustParse(s string) *sddl.Descriptor {
	d, err := sddl.Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}
