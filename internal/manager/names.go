package manager

import (
	"strings"
	"unicode/utf16"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/windows"
)

// GetServiceKeyName maps a display name to the service's name.
func (m *Manager) GetServiceKeyName(c Caller, r *pb.GetNameRequest) (*pb.GetNameReply, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.lookup(c, r.Scm, scmHandle); err != nil {
		return nil, err
	}
	for _, s := range m.services {
		if strings.EqualFold(s.cfg.EffectiveDisplayName(), r.Name) {
			return nameReply(s.cfg.Name, r.BufChars), nil
		}
	}
	return nil, windows.ERROR_SERVICE_DOES_NOT_EXIST
}

// GetServiceDisplayName maps a service's name to its display name.
func (m *Manager) GetServiceDisplayName(c Caller, r *pb.GetNameRequest) (*pb.GetNameReply, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.lookup(c, r.Scm, scmHandle); err != nil {
		return nil, err
	}
	s := m.find(r.Name)
	if s == nil {
		return nil, windows.ERROR_SERVICE_DOES_NOT_EXIST
	}
	return nameReply(s.cfg.EffectiveDisplayName(), r.BufChars), nil
}

// nameReply applies the buffer rule of both calls: the buffer counts
// characters with the NUL; when it is too small the caller learns the
// length without it and gets ERROR_INSUFFICIENT_BUFFER.
func nameReply(name string, bufChars uint32) *pb.GetNameReply {
	n := uint32(len(utf16.Encode([]rune(name))))
	if n+1 > bufChars {
		return &pb.GetNameReply{CharsNeeded: n, Win32Error: uint32(windows.ERROR_INSUFFICIENT_BUFFER)}
	}
	return &pb.GetNameReply{Name: name, CharsNeeded: n}
}
