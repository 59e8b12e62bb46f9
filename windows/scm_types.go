package windows

// The structures the SCM's calls fill, as x/sys declares them. Their
// strings point into the same buffer, after the structures, as Windows
// lays them out: the caller's buffer holds all of it.

// QUERY_SERVICE_CONFIG is a service's configuration, as QueryServiceConfig
// returns it; Dependencies is a list of zero-terminated names ended by one
// more zero, a group's name after SC_GROUP_IDENTIFIER.
type QUERY_SERVICE_CONFIG struct {
	ServiceType      uint32
	StartType        uint32
	ErrorControl     uint32
	BinaryPathName   *uint16
	LoadOrderGroup   *uint16
	TagId            uint32
	Dependencies     *uint16
	ServiceStartName *uint16
	DisplayName      *uint16
}

// SERVICE_DESCRIPTION is SERVICE_CONFIG_DESCRIPTION's structure.
type SERVICE_DESCRIPTION struct {
	Description *uint16
}

// SERVICE_DELAYED_AUTO_START_INFO is SERVICE_CONFIG_DELAYED_AUTO_START_INFO's.
type SERVICE_DELAYED_AUTO_START_INFO struct {
	IsDelayedAutoStartUp uint32
}

// SERVICE_PRESHUTDOWN_INFO is SERVICE_CONFIG_PRESHUTDOWN_INFO's.
type SERVICE_PRESHUTDOWN_INFO struct {
	PreshutdownTimeout uint32
}

// SERVICE_FAILURE_ACTIONS is SERVICE_CONFIG_FAILURE_ACTIONS' structure.
type SERVICE_FAILURE_ACTIONS struct {
	ResetPeriod  uint32
	RebootMsg    *uint16
	Command      *uint16
	ActionsCount uint32
	Actions      *SC_ACTION
}

// SERVICE_FAILURE_ACTIONS_FLAG is SERVICE_CONFIG_FAILURE_ACTIONS_FLAG's.
type SERVICE_FAILURE_ACTIONS_FLAG struct {
	FailureActionsOnNonCrashFailures int32
}

// SC_ACTION is one failure action.
type SC_ACTION struct {
	Type  uint32
	Delay uint32
}

// ENUM_SERVICE_STATUS is one service as EnumDependentServices lists it.
type ENUM_SERVICE_STATUS struct {
	ServiceName   *uint16
	DisplayName   *uint16
	ServiceStatus SERVICE_STATUS
}

// ENUM_SERVICE_STATUS_PROCESS is one service as EnumServicesStatusEx lists
// it at SC_ENUM_PROCESS_INFO.
type ENUM_SERVICE_STATUS_PROCESS struct {
	ServiceName          *uint16
	DisplayName          *uint16
	ServiceStatusProcess SERVICE_STATUS_PROCESS
}

// QUERY_SERVICE_LOCK_STATUS is the database lock's state.
type QUERY_SERVICE_LOCK_STATUS struct {
	IsLocked     uint32
	LockOwner    *uint16
	LockDuration uint32
}

// SC_GROUP_IDENTIFIER marks a load-order group among a service's
// dependencies.
const SC_GROUP_IDENTIFIER = '+'
