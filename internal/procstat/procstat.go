// Package procstat reads fields of a Linux process's /proc status file, for
// the load and scale programs' memory figures.
package procstat

import (
	"os"
	"strconv"
	"strings"
)

// Field returns the value of a field of /proc/PID/status ("VmRSS",
// "VmHWM"), or "n/a" where it cannot be read; pid 0 is this process.
func Field(pid int, name string) string {
	p := "self"
	if pid != 0 {
		p = strconv.Itoa(pid)
	}
	b, err := os.ReadFile("/proc/" + p + "/status")
	if err != nil {
		return "n/a"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}
