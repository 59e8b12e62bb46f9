package windows

import (
	"unsafe"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/sddl"
)

// Security descriptors here are always self-relative: one block of memory,
// a header of control bits and offsets, then the ACLs and SIDs. That is the
// form Windows' object-security calls exchange and the form
// SecurityDescriptorFromString returns on Windows too.

type SECURITY_INFORMATION uint32

const (
	OWNER_SECURITY_INFORMATION            = 0x00000001
	GROUP_SECURITY_INFORMATION            = 0x00000002
	DACL_SECURITY_INFORMATION             = 0x00000004
	SACL_SECURITY_INFORMATION             = 0x00000008
	LABEL_SECURITY_INFORMATION            = 0x00000010
	ATTRIBUTE_SECURITY_INFORMATION        = 0x00000020
	SCOPE_SECURITY_INFORMATION            = 0x00000040
	BACKUP_SECURITY_INFORMATION           = 0x00010000
	PROTECTED_DACL_SECURITY_INFORMATION   = 0x80000000
	PROTECTED_SACL_SECURITY_INFORMATION   = 0x40000000
	UNPROTECTED_DACL_SECURITY_INFORMATION = 0x20000000
	UNPROTECTED_SACL_SECURITY_INFORMATION = 0x10000000
)

type SECURITY_DESCRIPTOR_CONTROL uint16

const (
	SE_OWNER_DEFAULTED       = 0x0001
	SE_GROUP_DEFAULTED       = 0x0002
	SE_DACL_PRESENT          = 0x0004
	SE_DACL_DEFAULTED        = 0x0008
	SE_SACL_PRESENT          = 0x0010
	SE_SACL_DEFAULTED        = 0x0020
	SE_DACL_AUTO_INHERIT_REQ = 0x0100
	SE_SACL_AUTO_INHERIT_REQ = 0x0200
	SE_DACL_AUTO_INHERITED   = 0x0400
	SE_SACL_AUTO_INHERITED   = 0x0800
	SE_DACL_PROTECTED        = 0x1000
	SE_SACL_PROTECTED        = 0x2000
	SE_RM_CONTROL_VALID      = 0x4000
	SE_SELF_RELATIVE         = 0x8000
)

// SDDL_REVISION_1 is the only revision of SDDL.
const SDDL_REVISION_1 = 1

// SECURITY_DESCRIPTOR is the header of a self-relative descriptor; its
// parts follow it in the same block. Offsets rather than pointers, so the
// garbage collector never sees them.
type SECURITY_DESCRIPTOR struct {
	revision byte
	sbz1     byte
	control  SECURITY_DESCRIPTOR_CONTROL
	owner    uint32
	group    uint32
	sacl     uint32
	dacl     uint32
}

// bytes is the block sd heads, as far as its parts reach: the header says
// where each part is, and each part its own size.
func (sd *SECURITY_DESCRIPTOR) bytes() []byte {
	p := unsafe.Pointer(sd)
	end := uint32(unsafe.Sizeof(SECURITY_DESCRIPTOR{}))
	if sd.revision != 1 || sd.control&SE_SELF_RELATIVE == 0 {
		return unsafe.Slice((*byte)(p), end)
	}
	for _, off := range []uint32{sd.owner, sd.group} {
		if off != 0 && off < sddl.MaxBinarySize-8 {
			count := uint32(*(*byte)(unsafe.Add(p, off+1)))
			end = max(end, off+8+4*count)
		}
	}
	for _, acl := range []struct {
		off     uint32
		present bool
	}{{sd.sacl, sd.control&SE_SACL_PRESENT != 0}, {sd.dacl, sd.control&SE_DACL_PRESENT != 0}} {
		if acl.present && acl.off != 0 && acl.off < sddl.MaxBinarySize-4 {
			size := uint32(*(*byte)(unsafe.Add(p, acl.off+2))) | uint32(*(*byte)(unsafe.Add(p, acl.off+3)))<<8
			end = max(end, acl.off+size)
		}
	}
	return unsafe.Slice((*byte)(p), min(end, sddl.MaxBinarySize))
}

func (sd *SECURITY_DESCRIPTOR) decode() (*sddl.Descriptor, int, error) {
	if sd == nil {
		return nil, 0, ERROR_INVALID_PARAMETER
	}
	d, n, err := sddl.Unmarshal(sd.bytes())
	if err != nil {
		return nil, 0, ERROR_INVALID_SECURITY_DESCR
	}
	return d, n, nil
}

// SecurityDescriptorFromString converts SDDL to a self-relative
// descriptor on the Go heap.
func SecurityDescriptorFromString(sddlText string) (sd *SECURITY_DESCRIPTOR, err error) {
	d, err := sddl.Parse(sddlText)
	if err != nil {
		return nil, ERROR_INVALID_PARAMETER // as ConvertStringSecurityDescriptorToSecurityDescriptor
	}
	return fromDescriptor(d)
}

func fromDescriptor(d *sddl.Descriptor) (*SECURITY_DESCRIPTOR, error) {
	b, err := d.Marshal()
	if err != nil {
		return nil, ERROR_INVALID_PARAMETER
	}
	// Backed by uint32s so the header is aligned as the struct's fields are.
	words := make([]uint32, (len(b)+3)/4)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(b)), b)
	return (*SECURITY_DESCRIPTOR)(unsafe.Pointer(&words[0])), nil
}

// String is the descriptor in SDDL, or "" if it is not valid.
func (sd *SECURITY_DESCRIPTOR) String() string {
	d, _, err := sd.decode()
	if err != nil {
		return ""
	}
	return d.String()
}

// Length is the descriptor's size in bytes, header and parts.
func (sd *SECURITY_DESCRIPTOR) Length() uint32 {
	_, n, err := sd.decode()
	if err != nil {
		return 0
	}
	return uint32(n)
}

// IsValid reports whether the descriptor is well formed.
func (sd *SECURITY_DESCRIPTOR) IsValid() bool {
	_, _, err := sd.decode()
	return err == nil
}

// Control returns the descriptor's control bits and revision.
func (sd *SECURITY_DESCRIPTOR) Control() (control SECURITY_DESCRIPTOR_CONTROL, revision uint32, err error) {
	if _, _, err := sd.decode(); err != nil {
		return 0, 0, err
	}
	return sd.control, uint32(sd.revision), nil
}

// QueryServiceObjectSecurity copies the parts of a service's descriptor
// that securityInformation selects into the buffer, self-relative. A
// buffer too small gets ERROR_INSUFFICIENT_BUFFER and bytesNeeded the size,
// as the first of Windows' two calls does. The handle needs READ_CONTROL
// (ACCESS_SYSTEM_SECURITY for the SACL).
func QueryServiceObjectSecurity(service Handle, securityInformation SECURITY_INFORMATION, securityDescriptor *SECURITY_DESCRIPTOR, bufSize uint32, bytesNeeded *uint32) (err error) {
	r, err := scm().QueryServiceObjectSecurity(&pb.SecurityRequest{Handle: uint64(service), SecurityInformation: uint32(securityInformation)})
	if err != nil {
		return client.Errno(err)
	}
	d, err := sddl.Parse(r.Sddl)
	if err != nil {
		return ERROR_INVALID_SECURITY_DESCR
	}
	b, err := d.Marshal()
	if err != nil {
		return ERROR_INVALID_SECURITY_DESCR
	}
	return fill(unsafe.Pointer(securityDescriptor), bufSize, bytesNeeded, func(l *layout) {
		if at := l.reserve(len(b)); at != nil {
			copy(unsafe.Slice((*byte)(at), len(b)), b)
		}
	})
}

// SetServiceObjectSecurity replaces the parts of a service's descriptor
// that securityInformation selects with those of securityDescriptor. The
// handle needs WRITE_DAC for the DACL, WRITE_OWNER for owner and group.
func SetServiceObjectSecurity(service Handle, securityInformation SECURITY_INFORMATION, securityDescriptor *SECURITY_DESCRIPTOR) (err error) {
	d, _, err := securityDescriptor.decode()
	if err != nil {
		return err
	}
	_, err = scm().SetServiceObjectSecurity(&pb.SetSecurityRequest{Handle: uint64(service), SecurityInformation: uint32(securityInformation), Sddl: d.String()})
	return client.Errno(err)
}
