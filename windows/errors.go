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
	if m, ok := errorText(e); ok {
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

// errorText is Windows' message for a code it knows. A switch, not a map:
// a map literal is built when the program starts, and every program that
// links this package (a service, a command-line tool) would pay for it.
func errorText(e Errno) (string, bool) {
	switch e {
	case ERROR_SUCCESS:
		return "The operation completed successfully.", true
	case ERROR_INVALID_FUNCTION:
		return "Incorrect function.", true
	case ERROR_FILE_NOT_FOUND:
		return "The system cannot find the file specified.", true
	case ERROR_PATH_NOT_FOUND:
		return "The system cannot find the path specified.", true
	case ERROR_ACCESS_DENIED:
		return "Access is denied.", true
	case ERROR_INVALID_HANDLE:
		return "The handle is invalid.", true
	case ERROR_NOT_ENOUGH_MEMORY:
		return "Not enough memory resources are available to process this command.", true
	case ERROR_INVALID_DATA:
		return "The data is invalid.", true
	case ERROR_NOT_SUPPORTED:
		return "The request is not supported.", true
	case ERROR_FILE_EXISTS:
		return "The file exists.", true
	case ERROR_INVALID_PARAMETER:
		return "The parameter is incorrect.", true
	case ERROR_DISK_FULL:
		return "There is not enough space on the disk.", true
	case ERROR_CALL_NOT_IMPLEMENTED:
		return "This function is not supported on this system.", true
	case ERROR_INSUFFICIENT_BUFFER:
		return "The data area passed to a system call is too small.", true
	case ERROR_INVALID_NAME:
		return "The filename, directory name, or volume label syntax is incorrect.", true
	case ERROR_BAD_PATHNAME:
		return "The specified path is invalid.", true
	case ERROR_INVALID_LEVEL:
		return "The system call level is not correct.", true
	case ERROR_ALREADY_EXISTS:
		return "Cannot create a file when that file already exists.", true
	case ERROR_BAD_EXE_FORMAT:
		return "%1 is not a valid Win32 application.", true
	case ERROR_MORE_DATA:
		return "More data is available.", true
	case ERROR_NO_MORE_ITEMS:
		return "No more data is available.", true
	case ERROR_BADKEY:
		return "The configuration registry key is invalid.", true
	case ERROR_CANTOPEN:
		return "The configuration registry key could not be opened.", true
	case ERROR_CANTREAD:
		return "The configuration registry key could not be read.", true
	case ERROR_CANTWRITE:
		return "The configuration registry key could not be written.", true
	case ERROR_KEY_DELETED:
		return "Illegal operation attempted on a registry key that has been marked for deletion.", true
	case ERROR_DEPENDENT_SERVICES_RUNNING:
		return "A stop control has been sent to a service that other running services are dependent on.", true
	case ERROR_INVALID_SERVICE_CONTROL:
		return "The requested control is not valid for this service.", true
	case ERROR_SERVICE_REQUEST_TIMEOUT:
		return "The service did not respond to the start or control request in a timely fashion.", true
	case ERROR_SERVICE_NO_THREAD:
		return "A thread could not be created for the service.", true
	case ERROR_SERVICE_DATABASE_LOCKED:
		return "The service database is locked.", true
	case ERROR_SERVICE_ALREADY_RUNNING:
		return "An instance of the service is already running.", true
	case ERROR_INVALID_SERVICE_ACCOUNT:
		return "The account name is invalid or does not exist, or the password is invalid for the account name specified.", true
	case ERROR_SERVICE_DISABLED:
		return "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.", true
	case ERROR_CIRCULAR_DEPENDENCY:
		return "Circular service dependency was specified.", true
	case ERROR_SERVICE_DOES_NOT_EXIST:
		return "The specified service does not exist as an installed service.", true
	case ERROR_SERVICE_CANNOT_ACCEPT_CTRL:
		return "The service cannot accept control messages at this time.", true
	case ERROR_SERVICE_NOT_ACTIVE:
		return "The service has not been started.", true
	case ERROR_FAILED_SERVICE_CONTROLLER_CONNECT:
		return "The service process could not connect to the service controller.", true
	case ERROR_EXCEPTION_IN_SERVICE:
		return "An exception occurred in the service when handling the control request.", true
	case ERROR_DATABASE_DOES_NOT_EXIST:
		return "The database specified does not exist.", true
	case ERROR_SERVICE_SPECIFIC_ERROR:
		return "The service has returned a service-specific error code.", true
	case ERROR_PROCESS_ABORTED:
		return "The process terminated unexpectedly.", true
	case ERROR_SERVICE_DEPENDENCY_FAIL:
		return "The dependency service or group failed to start.", true
	case ERROR_SERVICE_LOGON_FAILED:
		return "The service did not start due to a logon failure.", true
	case ERROR_SERVICE_START_HANG:
		return "After starting, the service hung in a start-pending state.", true
	case ERROR_INVALID_SERVICE_LOCK:
		return "The specified service database lock is invalid.", true
	case ERROR_SERVICE_MARKED_FOR_DELETE:
		return "The specified service has been marked for deletion.", true
	case ERROR_SERVICE_EXISTS:
		return "The specified service already exists.", true
	case ERROR_SERVICE_DEPENDENCY_DELETED:
		return "The dependency service does not exist or has been marked for deletion.", true
	case ERROR_SERVICE_NEVER_STARTED:
		return "No attempts to start the service have been made since the last boot.", true
	case ERROR_DUPLICATE_SERVICE_NAME:
		return "The name is already in use as either a service name or a service display name.", true
	case ERROR_DIFFERENT_SERVICE_ACCOUNT:
		return "The account specified for this service is different from the account specified for other services running in the same process.", true
	case ERROR_SERVICE_NOT_IN_EXE:
		return "The executable program that this service is configured to run in does not implement the service.", true
	case ERROR_SHUTDOWN_IN_PROGRESS:
		return "A system shutdown is in progress.", true
	case ERROR_NOT_FOUND:
		return "Element not found.", true
	case ERROR_INVALID_COMPUTERNAME:
		return "The format of the specified computer name is invalid.", true
	case ERROR_INCOMPATIBLE_SERVICE_PRIVILEGE:
		return "A privilege that the service requires to function properly does not exist in the service account configuration. You may use the Services Microsoft Management Console (MMC) snap-in (services.msc) and the Local Security Settings MMC snap-in (secpol.msc) to view the service configuration and the account configuration.", true
	case ERROR_NOT_ALL_ASSIGNED:
		return "Not all privileges or groups referenced are assigned to the caller.", true
	case ERROR_PRIVILEGE_NOT_HELD:
		return "A required privilege is not held by the client.", true
	case ERROR_INVALID_OWNER:
		return "This security ID may not be assigned as the owner of this object.", true
	case ERROR_INVALID_PRIMARY_GROUP:
		return "This security ID may not be assigned as the primary group of an object.", true
	case ERROR_NO_SUCH_PRIVILEGE:
		return "A specified privilege does not exist.", true
	case ERROR_NONE_MAPPED:
		return "No mapping between account names and security IDs was done.", true
	case ERROR_INVALID_ACL:
		return "The access control list (ACL) structure is invalid.", true
	case ERROR_INVALID_SID:
		return "The security ID structure is invalid.", true
	case ERROR_INVALID_SECURITY_DESCR:
		return "The security descriptor structure is invalid.", true
	case ERROR_NO_SECURITY_ON_OBJECT:
		return "Unable to perform a security operation on an object that has no associated security.", true
	case ERROR_NO_SYSTEM_RESOURCES:
		return "Insufficient system resources exist to complete the requested service.", true
	case ERROR_INVALID_COMMAND_LINE:
		return "Invalid command line argument. Consult the Windows Installer SDK for detailed command line help.", true
	case RPC_S_SERVER_UNAVAILABLE:
		return "The RPC server is unavailable.", true
	case RPC_S_INVALID_BOUND:
		return "The array bounds are invalid.", true
	case ERROR_LOG_FILE_FULL:
		return "The event log file is full.", true
	case ERROR_EVT_CHANNEL_NOT_FOUND:
		return "The specified channel could not be found.", true
	case ERROR_EVT_INVALID_QUERY:
		return "The specified query is invalid.", true
	case ERROR_DEVICE_IN_USE:
		return "The device is in use by an active process and cannot be disconnected.", true
	case ERROR_INVALID_SECURITY_DESCRIPTOR_FORMAT:
		return "The security descriptor format is invalid.", true
	}
	return "", false
}
