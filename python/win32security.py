"""win32security: the SDDL conversions the service object-security calls need."""

import pywintypes
import _scm
from pywintypes import error

SDDL_REVISION_1 = 1
OWNER_SECURITY_INFORMATION = 0x1
GROUP_SECURITY_INFORMATION = 0x2
DACL_SECURITY_INFORMATION = 0x4
SACL_SECURITY_INFORMATION = 0x8
LABEL_SECURITY_INFORMATION = 0x10
PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000
PROTECTED_SACL_SECURITY_INFORMATION = 0x40000000
UNPROTECTED_DACL_SECURITY_INFORMATION = 0x20000000
UNPROTECTED_SACL_SECURITY_INFORMATION = 0x10000000

_PARTS = ((OWNER_SECURITY_INFORMATION, "O:"), (GROUP_SECURITY_INFORMATION, "G:"),
          (DACL_SECURITY_INFORMATION, "D:"), (SACL_SECURITY_INFORMATION, "S:"))


class PySECURITY_DESCRIPTOR:
    """A security descriptor, kept as the SDDL scmd reads and writes."""

    def __init__(self, sddl=""):
        self._sddl = sddl

    def _part(self, prefix):
        s = self._sddl
        i = s.find(prefix)
        if i < 0:
            return None
        j = len(s)
        for _, other in _PARTS:
            k = s.find(other, i + 2)
            if other != prefix and k > i:
                j = min(j, k)
        return s[i:j]

    def IsValid(self):
        return True

    def __repr__(self):
        return "<PySECURITY_DESCRIPTOR object>"


def ConvertStringSecurityDescriptorToSecurityDescriptor(StringSecurityDescriptor, StringSDRevision):
    if StringSDRevision != SDDL_REVISION_1:
        raise error(1305, "ConvertStringSecurityDescriptorToSecurityDescriptor", pywintypes.message(1305))
    s = StringSecurityDescriptor.strip()
    if s and s[:2] not in ("O:", "G:", "D:", "S:"):
        raise error(87, "ConvertStringSecurityDescriptorToSecurityDescriptor", pywintypes.message(87))
    return PySECURITY_DESCRIPTOR(s)


def ConvertSecurityDescriptorToStringSecurityDescriptor(SecurityDescriptor, RequestedStringSDRevision, SecurityInformation):
    if not isinstance(SecurityDescriptor, PySECURITY_DESCRIPTOR):
        raise TypeError("The object is not a PySECURITY_DESCRIPTOR object")
    out = ""
    for bit, prefix in _PARTS:
        part = SecurityDescriptor._part(prefix)
        if SecurityInformation & bit and part is not None:
            out += part
    return out


def ConvertSidToStringSid(Sid):
    if not isinstance(Sid, pywintypes.SIDType):
        raise TypeError("The object is not a PySID object")
    return Sid._text


def ConvertStringSidToSid(StringSid):
    if not StringSid.startswith("S-1-"):
        raise error(1337, "ConvertStringSidToSid", pywintypes.message(1337))  # ERROR_INVALID_SID
    return pywintypes.SIDType(StringSid)
