package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTick is the unit of the times in /proc/<pid>/stat: USER_HZ, which
// Linux fixes at 100 per second on every architecture Go supports
// (sysconf(_SC_CLK_TCK) without cgo).
const clockTick = 10 * time.Millisecond

// pidCPU returns the CPU time (user and system, all its threads, living
// and ended) the process pid has used so far, from /proc/<pid>/stat, to
// the clock tick (10 ms).
func pidCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime, fields 14 and 15 of a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may hold spaces and parentheses itself, so fields count from the last
// ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no command name")
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, errors.New("proc stat: too few fields")
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("proc stat: CPU time %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// treeCPU returns the CPU time a process and its children have used so
// far: its own, that of its children it has reaped (cutime, cstime), and
// that of each living child with what it has reaped. A child that ends
// during a measurement moves from the one to the other, so that the
// difference of two readings counts it once.
func treeCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	_, total, err := parseStatTree(b)
	if err != nil {
		return 0, err
	}
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, d := range dir {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue // ended meanwhile
		}
		ppid, cpu, err := parseStatTree(b)
		if err == nil && ppid == pid {
			total += cpu
		}
	}
	return total, nil
}

// parseStatTree reads the parent's pid (field 4) and utime, stime, cutime
// and cstime (fields 14 to 17) of a /proc/<pid>/stat line.
func parseStatTree(b []byte) (ppid int, cpu time.Duration, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("proc stat: no command name")
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3
	if len(f) < 15 {
		return 0, 0, errors.New("proc stat: too few fields")
	}
	if ppid, err = strconv.Atoi(string(f[1])); err != nil {
		return 0, 0, fmt.Errorf("proc stat: parent %q", f[1])
	}
	var ticks int64
	for _, s := range f[11:15] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("proc stat: CPU time %q", s)
		}
		ticks += n
	}
	return ppid, time.Duration(ticks) * clockTick, nil
}
