// Package windows carries the parts of golang.org/x/sys/windows that programs
// written against its svc, svc/mgr and svc/eventlog packages touch: handles,
// Win32 error numbers and the service constants, with Windows' own values.
package windows

import "strconv"

// Errno is a Win32 error code. Errors returned by this module's packages are
// bare Errno values, so callers compare them with == as they do on Windows.
type Errno uintptr

// Error returns the text Windows' FormatMessage gives for the code.
func (e Errno) Error() string {
	if m, ok := errorText[e]; ok {
		return m
	}
	return "Win32 error " + strconv.FormatUint(uint64(e), 10)
}

// Is lets errors.Is match an Errno wrapped by a caller.
func (e Errno) Is(target error) bool {
	t, ok := target.(Errno)
	return ok && t == e
}

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
)

var errorText = map[Errno]string{
	ERROR_SUCCESS:                            "The operation completed successfully.",
	ERROR_INVALID_FUNCTION:                   "Incorrect function.",
	ERROR_FILE_NOT_FOUND:                     "The system cannot find the file specified.",
	ERROR_PATH_NOT_FOUND:                     "The system cannot find the path specified.",
	ERROR_ACCESS_DENIED:                      "Access is denied.",
	ERROR_INVALID_HANDLE:                     "The handle is invalid.",
	ERROR_NOT_ENOUGH_MEMORY:                  "Not enough memory resources are available to process this command.",
	ERROR_INVALID_DATA:                       "The data is invalid.",
	ERROR_NOT_SUPPORTED:                      "The request is not supported.",
	ERROR_FILE_EXISTS:                        "The file exists.",
	ERROR_INVALID_PARAMETER:                  "The parameter is incorrect.",
	ERROR_DISK_FULL:                          "There is not enough space on the disk.",
	ERROR_CALL_NOT_IMPLEMENTED:               "This function is not supported on this system.",
	ERROR_INSUFFICIENT_BUFFER:                "The data area passed to a system call is too small.",
	ERROR_INVALID_NAME:                       "The filename, directory name, or volume label syntax is incorrect.",
	ERROR_BAD_PATHNAME:                       "The specified path is invalid.",
	ERROR_INVALID_LEVEL:                      "The system call level is not correct.",
	ERROR_ALREADY_EXISTS:                     "Cannot create a file when that file already exists.",
	ERROR_BAD_EXE_FORMAT:                     "%1 is not a valid Win32 application.",
	ERROR_MORE_DATA:                          "More data is available.",
	ERROR_NO_MORE_ITEMS:                      "No more data is available.",
	ERROR_BADKEY:                             "The configuration registry key is invalid.",
	ERROR_CANTOPEN:                           "The configuration registry key could not be opened.",
	ERROR_CANTREAD:                           "The configuration registry key could not be read.",
	ERROR_CANTWRITE:                          "The configuration registry key could not be written.",
	ERROR_KEY_DELETED:                        "Illegal operation attempted on a registry key that has been marked for deletion.",
	ERROR_DEPENDENT_SERVICES_RUNNING:         "A stop control has been sent to a service that other running services are dependent on.",
	ERROR_INVALID_SERVICE_CONTROL:            "The requested control is not valid for this service.",
	ERROR_SERVICE_REQUEST_TIMEOUT:            "The service did not respond to the start or control request in a timely fashion.",
	ERROR_SERVICE_NO_THREAD:                  "A thread could not be created for the service.",
	ERROR_SERVICE_DATABASE_LOCKED:            "The service database is locked.",
	ERROR_SERVICE_ALREADY_RUNNING:            "An instance of the service is already running.",
	ERROR_INVALID_SERVICE_ACCOUNT:            "The account name is invalid or does not exist, or the password is invalid for the account name specified.",
	ERROR_SERVICE_DISABLED:                   "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.",
	ERROR_CIRCULAR_DEPENDENCY:                "Circular service dependency was specified.",
	ERROR_SERVICE_DOES_NOT_EXIST:             "The specified service does not exist as an installed service.",
	ERROR_SERVICE_CANNOT_ACCEPT_CTRL:         "The service cannot accept control messages at this time.",
	ERROR_SERVICE_NOT_ACTIVE:                 "The service has not been started.",
	ERROR_FAILED_SERVICE_CONTROLLER_CONNECT:  "The service process could not connect to the service controller.",
	ERROR_EXCEPTION_IN_SERVICE:               "An exception occurred in the service when handling the control request.",
	ERROR_DATABASE_DOES_NOT_EXIST:            "The database specified does not exist.",
	ERROR_SERVICE_SPECIFIC_ERROR:             "The service has returned a service-specific error code.",
	ERROR_PROCESS_ABORTED:                    "The process terminated unexpectedly.",
	ERROR_SERVICE_DEPENDENCY_FAIL:            "The dependency service or group failed to start.",
	ERROR_SERVICE_LOGON_FAILED:               "The service did not start due to a logon failure.",
	ERROR_SERVICE_START_HANG:                 "After starting, the service hung in a start-pending state.",
	ERROR_INVALID_SERVICE_LOCK:               "The specified service database lock is invalid.",
	ERROR_SERVICE_MARKED_FOR_DELETE:          "The specified service has been marked for deletion.",
	ERROR_SERVICE_EXISTS:                     "The specified service already exists.",
	ERROR_SERVICE_DEPENDENCY_DELETED:         "The dependency service does not exist or has been marked for deletion.",
	ERROR_SERVICE_NEVER_STARTED:              "No attempts to start the service have been made since the last boot.",
	ERROR_DUPLICATE_SERVICE_NAME:             "The name is already in use as either a service name or a service display name.",
	ERROR_DIFFERENT_SERVICE_ACCOUNT:          "The account specified for this service is different from the account specified for other services running in the same process.",
	ERROR_SERVICE_NOT_IN_EXE:                 "The executable program that this service is configured to run in does not implement the service.",
	ERROR_SHUTDOWN_IN_PROGRESS:               "A system shutdown is in progress.",
	ERROR_NOT_FOUND:                          "Element not found.",
	ERROR_INVALID_COMPUTERNAME:               "The format of the specified computer name is invalid.",
	ERROR_INCOMPATIBLE_SERVICE_PRIVILEGE:     "A privilege that the service requires to function properly does not exist in the service account configuration. You may use the Services Microsoft Management Console (MMC) snap-in (services.msc) and the Local Security Settings MMC snap-in (secpol.msc) to view the service configuration and the account configuration.",
	ERROR_NOT_ALL_ASSIGNED:                   "Not all privileges or groups referenced are assigned to the caller.",
	ERROR_PRIVILEGE_NOT_HELD:                 "A required privilege is not held by the client.",
	ERROR_INVALID_OWNER:                      "This security ID may not be assigned as the owner of this object.",
	ERROR_INVALID_PRIMARY_GROUP:              "This security ID may not be assigned as the primary group of an object.",
	ERROR_NO_SUCH_PRIVILEGE:                  "A specified privilege does not exist.",
	ERROR_NONE_MAPPED:                        "No mapping between account names and security IDs was done.",
	ERROR_INVALID_ACL:                        "The access control list (ACL) structure is invalid.",
	ERROR_INVALID_SID:                        "The security ID structure is invalid.",
	ERROR_INVALID_SECURITY_DESCR:             "The security descriptor structure is invalid.",
	ERROR_NO_SECURITY_ON_OBJECT:              "Unable to perform a security operation on an object that has no associated security.",
	ERROR_NO_SYSTEM_RESOURCES:                "Insufficient system resources exist to complete the requested service.",
	ERROR_INVALID_COMMAND_LINE:               "Invalid command line argument. Consult the Windows Installer SDK for detailed command line help.",
	RPC_S_SERVER_UNAVAILABLE:                 "The RPC server is unavailable.",
	RPC_S_INVALID_BOUND:                      "The array bounds are invalid.",
	ERROR_LOG_FILE_FULL:                      "The event log file is full.",
	ERROR_EVT_CHANNEL_NOT_FOUND:              "The specified channel could not be found.",
	ERROR_EVT_INVALID_QUERY:                  "The specified query is invalid.",
	ERROR_DEVICE_IN_USE:                      "The device is in use by an active process and cannot be disconnected.",
	ERROR_INVALID_SECURITY_DESCRIPTOR_FORMAT: "The security descriptor format is invalid.",
}
