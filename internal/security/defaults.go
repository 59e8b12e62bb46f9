package security

// The descriptors Windows gives the SCM itself and a service that
// CreateService makes.
const (
	DefaultSCManagerSDDL = "D:(A;;CC;;;AU)(A;;CCLCRPRC;;;IU)(A;;CCLCRPRC;;;SU)(A;;CCLCRPWPRC;;;SY)(A;;KA;;;BA)(A;;CC;;;AC)S:(AU;FA;KA;;;WD)(AU;OIIOFA;GA;;;WD)"
	DefaultServiceSDDL   = "D:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)S:(AU;FA;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;WD)"
)

// MustParse parses a descriptor known to be valid.
func MustParse(sddl string) *Descriptor {
	d, err := Parse(sddl)
	if err != nil {
		panic(err)
	}
	return d
}
