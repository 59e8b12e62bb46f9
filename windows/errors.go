// Package windows carries the parts of golang.org/x/sys/windows that programs
// written against its svc, svc/mgr and svc/eventlog packages touch: handles,
// Win32 error numbers and the service constants, with Windows' own values.
package windows

import "syscall"

// Errno is a Win32 error code. It is syscall.Errno, as in x/sys, so that
// err.(syscall.Errno) and == work on what this module's packages return as
// they do on Windows. Its Error method is syscall's, which on Linux gives
// the Linux text of the same number; FormatMessage gives Windows' text.
type Errno = syscall.Errno

// Win32 error codes, as in winerror.h.
const (
	ERROR_SUCCESS                            Errno = 0
	ERROR_INVALID_FUNCTION                   Errno = 1
	ERROR_FILE_NOT_FOUND                     Errno = 2
	ERROR_PATH_NOT_FOUND                     Errno = 3
	ERROR_ACCESS_DENIED                      Errno = 5
	ERROR_INVALID_HANDLE                     Errno = 6
	ERROR_NOT_ENOUGH_MEMORY                  Errno = 8
	ERROR_INVALID_DATA                       Errno = 13
	ERROR_NOT_SUPPORTED                      Errno = 50
	ERROR_FILE_EXISTS                        Errno = 80
	ERROR_INVALID_PARAMETER                  Errno = 87
	ERROR_DISK_FULL                          Errno = 112
	ERROR_CALL_NOT_IMPLEMENTED               Errno = 120
	ERROR_INSUFFICIENT_BUFFER                Errno = 122
	ERROR_INVALID_NAME                       Errno = 123
	ERROR_BAD_PATHNAME                       Errno = 161
	ERROR_INVALID_LEVEL                      Errno = 124
	ERROR_ALREADY_EXISTS                     Errno = 183
	ERROR_BAD_EXE_FORMAT                     Errno = 193
	ERROR_MORE_DATA                          Errno = 234
	ERROR_NO_MORE_ITEMS                      Errno = 259
	ERROR_BADKEY                             Errno = 1010
	ERROR_CANTOPEN                           Errno = 1011
	ERROR_CANTREAD                           Errno = 1012
	ERROR_CANTWRITE                          Errno = 1013
	ERROR_KEY_DELETED                        Errno = 1018
	ERROR_DEPENDENT_SERVICES_RUNNING         Errno = 1051
	ERROR_INVALID_SERVICE_CONTROL            Errno = 1052
	ERROR_SERVICE_REQUEST_TIMEOUT            Errno = 1053
	ERROR_SERVICE_NO_THREAD                  Errno = 1054
	ERROR_SERVICE_DATABASE_LOCKED            Errno = 1055
	ERROR_SERVICE_ALREADY_RUNNING            Errno = 1056
	ERROR_INVALID_SERVICE_ACCOUNT            Errno = 1057
	ERROR_SERVICE_DISABLED                   Errno = 1058
	ERROR_CIRCULAR_DEPENDENCY                Errno = 1059
	ERROR_SERVICE_DOES_NOT_EXIST             Errno = 1060
	ERROR_SERVICE_CANNOT_ACCEPT_CTRL         Errno = 1061
	ERROR_SERVICE_NOT_ACTIVE                 Errno = 1062
	ERROR_FAILED_SERVICE_CONTROLLER_CONNECT  Errno = 1063
	ERROR_EXCEPTION_IN_SERVICE               Errno = 1064
	ERROR_DATABASE_DOES_NOT_EXIST            Errno = 1065
	ERROR_SERVICE_SPECIFIC_ERROR             Errno = 1066
	ERROR_PROCESS_ABORTED                    Errno = 1067
	ERROR_SERVICE_DEPENDENCY_FAIL            Errno = 1068
	ERROR_SERVICE_LOGON_FAILED               Errno = 1069
	ERROR_SERVICE_START_HANG                 Errno = 1070
	ERROR_INVALID_SERVICE_LOCK               Errno = 1071
	ERROR_SERVICE_MARKED_FOR_DELETE          Errno = 1072
	ERROR_SERVICE_EXISTS                     Errno = 1073
	ERROR_SERVICE_DEPENDENCY_DELETED         Errno = 1075
	ERROR_SERVICE_NEVER_STARTED              Errno = 1077
	ERROR_DUPLICATE_SERVICE_NAME             Errno = 1078
	ERROR_DIFFERENT_SERVICE_ACCOUNT          Errno = 1079
	ERROR_SHUTDOWN_IN_PROGRESS               Errno = 1115
	ERROR_NOT_FOUND                          Errno = 1168
	ERROR_INVALID_COMPUTERNAME               Errno = 1210
	ERROR_NO_SUCH_PRIVILEGE                  Errno = 1313
	ERROR_NONE_MAPPED                        Errno = 1332
	ERROR_INVALID_ACL                        Errno = 1336
	ERROR_INVALID_SID                        Errno = 1337
	ERROR_INVALID_SECURITY_DESCR             Errno = 1338
	ERROR_INVALID_COMMAND_LINE               Errno = 1639
	RPC_S_SERVER_UNAVAILABLE                 Errno = 1722
	RPC_S_INVALID_BOUND                      Errno = 1734
	ERROR_LOG_FILE_FULL                      Errno = 1502
	ERROR_EVT_CHANNEL_NOT_FOUND              Errno = 15007
	ERROR_EVT_INVALID_QUERY                  Errno = 15001
	ERROR_DEVICE_IN_USE                      Errno = 2404
	ERROR_SERVICE_NOT_IN_EXE                 Errno = 1083
	ERROR_INCOMPATIBLE_SERVICE_PRIVILEGE     Errno = 1297
	ERROR_NOT_ALL_ASSIGNED                   Errno = 1300
	ERROR_PRIVILEGE_NOT_HELD                 Errno = 1314
	ERROR_INVALID_OWNER                      Errno = 1307
	ERROR_INVALID_PRIMARY_GROUP              Errno = 1308
	ERROR_NO_SECURITY_ON_OBJECT              Errno = 1350
	ERROR_NO_SYSTEM_RESOURCES                Errno = 1450
	ERROR_INVALID_SECURITY_DESCRIPTOR_FORMAT Errno = 1805
	ERROR_CTX_WINSTATION_NOT_FOUND           Errno = 7022
)
