"""win32evtlogutil: registering and removing event sources."""

import win32api
import win32con


def AddSourceToRegistry(appName, msgDLL=None, eventLogType="Application", eventLogFlags=None, categoryDLL=None,
                        categoryCount=0):
    if msgDLL is None:
        import servicemanager

        msgDLL = servicemanager.MESSAGE_FILE
    key = win32api.RegCreateKey(win32con.HKEY_LOCAL_MACHINE,
                                "SYSTEM\\CurrentControlSet\\Services\\EventLog\\%s\\%s" % (eventLogType, appName))
    win32api.RegSetValueEx(key, "EventMessageFile", 0, win32con.REG_EXPAND_SZ, msgDLL)
    if eventLogFlags is None:
        eventLogFlags = win32con.EVENTLOG_ERROR_TYPE | win32con.EVENTLOG_WARNING_TYPE | win32con.EVENTLOG_INFORMATION_TYPE
    win32api.RegSetValueEx(key, "TypesSupported", 0, win32con.REG_DWORD, eventLogFlags)
    if categoryCount > 0:
        win32api.RegSetValueEx(key, "CategoryMessageFile", 0, win32con.REG_EXPAND_SZ, categoryDLL or msgDLL)
        win32api.RegSetValueEx(key, "CategoryCount", 0, win32con.REG_DWORD, categoryCount)
    win32api.RegCloseKey(key)


def RemoveSourceFromRegistry(appName, eventLogType="Application"):
    try:
        win32api.RegDeleteKey(win32con.HKEY_LOCAL_MACHINE,
                              "SYSTEM\\CurrentControlSet\\Services\\EventLog\\%s\\%s" % (eventLogType, appName))
    except win32api.error as exc:
        if exc.winerror != 2:  # ERROR_FILE_NOT_FOUND
            raise
