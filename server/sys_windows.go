package server

import (
	"runtime"
	"time"

	"golang.org/x/sys/windows"
)

// osString is INFO's os field.
func osString() string {
	v := windows.RtlGetVersion()
	return "Windows " + itoa(int64(v.MajorVersion)) + "." + itoa(int64(v.MinorVersion)) + "." + itoa(int64(v.BuildNumber)) + " " + runtime.GOARCH
}

// totalSystemMemory is INFO's total_system_memory; 0, Redis's "unknown",
// on Windows.
func totalSystemMemory() int64 { return 0 }

// cpuTimes is the CPU time the process used, in the kernel and in user
// space.
func cpuTimes() (sys, user time.Duration) {
	var creation, exit, kernel, usr windows.Filetime
	if err := windows.GetProcessTimes(windows.CurrentProcess(), &creation, &exit, &kernel, &usr); err != nil {
		return 0, 0
	}
	// Filetimes count 100 ns intervals.
	ticks := func(f windows.Filetime) time.Duration {
		return time.Duration(int64(f.HighDateTime)<<32|int64(f.LowDateTime)) * 100
	}
	return ticks(kernel), ticks(usr)
}
