// Package winerror holds the texts Windows' FormatMessage gives for the
// Win32 error codes the SCM and its tools report. windows.Errno is
// syscall.Errno, as in golang.org/x/sys/windows, whose Error on Linux gives
// the Linux text of the same number; what prints a Win32 error for a user
// takes its text from here (windows.FormatMessage does too).
package winerror

import (
	"strconv"
	"syscall"
)

// Text is Windows' message for a code, or "Win32 error N" for one it has
// none for here.
func Text(code uint32) string {
	if m, ok := Lookup(code); ok {
		return m
	}
	return "Win32 error " + strconv.FormatUint(uint64(code), 10)
}

// Lookup is Windows' message for a code, if it has one here.
func Lookup(code uint32) (string, bool) { return text(code) }

// text is a switch, not a map: a map literal is built when the program
// starts, and every program that links this package would pay for it.
func text(code uint32) (string, bool) {
	switch code {
	case 0: // ERROR_SUCCESS
		return "The operation completed successfully.", true
	case 1: // ERROR_INVALID_FUNCTION
		return "Incorrect function.", true
	case 2: // ERROR_FILE_NOT_FOUND
		return "The system cannot find the file specified.", true
	case 3: // ERROR_PATH_NOT_FOUND
		return "The system cannot find the path specified.", true
	case 5: // ERROR_ACCESS_DENIED
		return "Access is denied.", true
	case 6: // ERROR_INVALID_HANDLE
		return "The handle is invalid.", true
	case 8: // ERROR_NOT_ENOUGH_MEMORY
		return "Not enough memory resources are available to process this command.", true
	case 13: // ERROR_INVALID_DATA
		return "The data is invalid.", true
	case 50: // ERROR_NOT_SUPPORTED
		return "The request is not supported.", true
	case 80: // ERROR_FILE_EXISTS
		return "The file exists.", true
	case 87: // ERROR_INVALID_PARAMETER
		return "The parameter is incorrect.", true
	case 112: // ERROR_DISK_FULL
		return "There is not enough space on the disk.", true
	case 120: // ERROR_CALL_NOT_IMPLEMENTED
		return "This function is not supported on this system.", true
	case 122: // ERROR_INSUFFICIENT_BUFFER
		return "The data area passed to a system call is too small.", true
	case 123: // ERROR_INVALID_NAME
		return "The filename, directory name, or volume label syntax is incorrect.", true
	case 161: // ERROR_BAD_PATHNAME
		return "The specified path is invalid.", true
	case 124: // ERROR_INVALID_LEVEL
		return "The system call level is not correct.", true
	case 183: // ERROR_ALREADY_EXISTS
		return "Cannot create a file when that file already exists.", true
	case 193: // ERROR_BAD_EXE_FORMAT
		return "%1 is not a valid Win32 application.", true
	case 231: // ERROR_PIPE_BUSY
		return "All pipe instances are busy.", true
	case 234: // ERROR_MORE_DATA
		return "More data is available.", true
	case 259: // ERROR_NO_MORE_ITEMS
		return "No more data is available.", true
	case 535: // ERROR_PIPE_CONNECTED
		return "There is a process on other end of the pipe.", true
	case 288: // ERROR_NOT_OWNER
		return "Attempt to release mutex not owned by caller.", true
	case 298: // ERROR_TOO_MANY_POSTS
		return "Too many posts were made to a semaphore.", true
	case 1010: // ERROR_BADKEY
		return "The configuration registry key is invalid.", true
	case 1011: // ERROR_CANTOPEN
		return "The configuration registry key could not be opened.", true
	case 1012: // ERROR_CANTREAD
		return "The configuration registry key could not be read.", true
	case 1013: // ERROR_CANTWRITE
		return "The configuration registry key could not be written.", true
	case 1018: // ERROR_KEY_DELETED
		return "Illegal operation attempted on a registry key that has been marked for deletion.", true
	case 1051: // ERROR_DEPENDENT_SERVICES_RUNNING
		return "A stop control has been sent to a service that other running services are dependent on.", true
	case 1052: // ERROR_INVALID_SERVICE_CONTROL
		return "The requested control is not valid for this service.", true
	case 1053: // ERROR_SERVICE_REQUEST_TIMEOUT
		return "The service did not respond to the start or control request in a timely fashion.", true
	case 1054: // ERROR_SERVICE_NO_THREAD
		return "A thread could not be created for the service.", true
	case 1055: // ERROR_SERVICE_DATABASE_LOCKED
		return "The service database is locked.", true
	case 1056: // ERROR_SERVICE_ALREADY_RUNNING
		return "An instance of the service is already running.", true
	case 1057: // ERROR_INVALID_SERVICE_ACCOUNT
		return "The account name is invalid or does not exist, or the password is invalid for the account name specified.", true
	case 1058: // ERROR_SERVICE_DISABLED
		return "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.", true
	case 1059: // ERROR_CIRCULAR_DEPENDENCY
		return "Circular service dependency was specified.", true
	case 1060: // ERROR_SERVICE_DOES_NOT_EXIST
		return "The specified service does not exist as an installed service.", true
	case 1061: // ERROR_SERVICE_CANNOT_ACCEPT_CTRL
		return "The service cannot accept control messages at this time.", true
	case 1062: // ERROR_SERVICE_NOT_ACTIVE
		return "The service has not been started.", true
	case 1063: // ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
		return "The service process could not connect to the service controller.", true
	case 1064: // ERROR_EXCEPTION_IN_SERVICE
		return "An exception occurred in the service when handling the control request.", true
	case 1065: // ERROR_DATABASE_DOES_NOT_EXIST
		return "The database specified does not exist.", true
	case 1066: // ERROR_SERVICE_SPECIFIC_ERROR
		return "The service has returned a service-specific error code.", true
	case 1067: // ERROR_PROCESS_ABORTED
		return "The process terminated unexpectedly.", true
	case 1068: // ERROR_SERVICE_DEPENDENCY_FAIL
		return "The dependency service or group failed to start.", true
	case 1069: // ERROR_SERVICE_LOGON_FAILED
		return "The service did not start due to a logon failure.", true
	case 1070: // ERROR_SERVICE_START_HANG
		return "After starting, the service hung in a start-pending state.", true
	case 1071: // ERROR_INVALID_SERVICE_LOCK
		return "The specified service database lock is invalid.", true
	case 1072: // ERROR_SERVICE_MARKED_FOR_DELETE
		return "The specified service has been marked for deletion.", true
	case 1073: // ERROR_SERVICE_EXISTS
		return "The specified service already exists.", true
	case 1075: // ERROR_SERVICE_DEPENDENCY_DELETED
		return "The dependency service does not exist or has been marked for deletion.", true
	case 1077: // ERROR_SERVICE_NEVER_STARTED
		return "No attempts to start the service have been made since the last boot.", true
	case 1078: // ERROR_DUPLICATE_SERVICE_NAME
		return "The name is already in use as either a service name or a service display name.", true
	case 1079: // ERROR_DIFFERENT_SERVICE_ACCOUNT
		return "The account specified for this service is different from the account specified for other services running in the same process.", true
	case 1083: // ERROR_SERVICE_NOT_IN_EXE
		return "The executable program that this service is configured to run in does not implement the service.", true
	case 1115: // ERROR_SHUTDOWN_IN_PROGRESS
		return "A system shutdown is in progress.", true
	case 1168: // ERROR_NOT_FOUND
		return "Element not found.", true
	case 1210: // ERROR_INVALID_COMPUTERNAME
		return "The format of the specified computer name is invalid.", true
	case 1213: // ERROR_INVALID_SERVICENAME
		return "The format of the specified service name is invalid.", true
	case 1243: // ERROR_SERVICE_NOT_FOUND
		return "The specified service does not exist.", true
	case 1297: // ERROR_INCOMPATIBLE_SERVICE_PRIVILEGE
		return "A privilege that the service requires to function properly does not exist in the service account configuration. You may use the Services Microsoft Management Console (MMC) snap-in (services.msc) and the Local Security Settings MMC snap-in (secpol.msc) to view the service configuration and the account configuration.", true
	case 1300: // ERROR_NOT_ALL_ASSIGNED
		return "Not all privileges or groups referenced are assigned to the caller.", true
	case 1314: // ERROR_PRIVILEGE_NOT_HELD
		return "A required privilege is not held by the client.", true
	case 1307: // ERROR_INVALID_OWNER
		return "This security ID may not be assigned as the owner of this object.", true
	case 1308: // ERROR_INVALID_PRIMARY_GROUP
		return "This security ID may not be assigned as the primary group of an object.", true
	case 1313: // ERROR_NO_SUCH_PRIVILEGE
		return "A specified privilege does not exist.", true
	case 1332: // ERROR_NONE_MAPPED
		return "No mapping between account names and security IDs was done.", true
	case 1336: // ERROR_INVALID_ACL
		return "The access control list (ACL) structure is invalid.", true
	case 1337: // ERROR_INVALID_SID
		return "The security ID structure is invalid.", true
	case 1338: // ERROR_INVALID_SECURITY_DESCR
		return "The security descriptor structure is invalid.", true
	case 1350: // ERROR_NO_SECURITY_ON_OBJECT
		return "Unable to perform a security operation on an object that has no associated security.", true
	case 1400: // ERROR_INVALID_WINDOW_HANDLE
		return "Invalid window handle.", true
	case 1450: // ERROR_NO_SYSTEM_RESOURCES
		return "Insufficient system resources exist to complete the requested service.", true
	case 1460: // ERROR_TIMEOUT
		return "This operation returned because the timeout period expired.", true
	case 1639: // ERROR_INVALID_COMMAND_LINE
		return "Invalid command line argument. Consult the Windows Installer SDK for detailed command line help.", true
	case 1722: // RPC_S_SERVER_UNAVAILABLE
		return "The RPC server is unavailable.", true
	case 1734: // RPC_S_INVALID_BOUND
		return "The array bounds are invalid.", true
	case 1502: // ERROR_LOG_FILE_FULL
		return "The event log file is full.", true
	case 7022: // ERROR_CTX_WINSTATION_NOT_FOUND
		return "The specified session cannot be found.", true
	case 15007: // ERROR_EVT_CHANNEL_NOT_FOUND
		return "The specified channel could not be found.", true
	case 15001: // ERROR_EVT_INVALID_QUERY
		return "The specified query is invalid.", true
	case 2404: // ERROR_DEVICE_IN_USE
		return "The device is in use by an active process and cannot be disconnected.", true
	case 1805: // ERROR_INVALID_SECURITY_DESCRIPTOR_FORMAT
		return "The security descriptor format is invalid.", true
	}
	return "", false
}

// Message is what a tool prints for err: Windows' text when it is a Win32
// code (a syscall.Errno), its own otherwise.
func Message(err error) string {
	if code, ok := err.(syscall.Errno); ok {
		return Text(uint32(code))
	}
	return err.Error()
}
