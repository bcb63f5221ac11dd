//go:build !js

package browsertest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPUSnapshot is the CPU time each thread of the browser's process tree has
// run, by thread id: from /proc/<pid>/task/<tid>/schedstat in nanoseconds
// (the kernel's exact runtime; /proc/<pid>/stat rounds to 10 ms ticks, as
// much as a whole fast run costs), or from stat when schedstat is missing.
type CPUSnapshot map[int]time.Duration

// BrowserTree lists the processes under root (root included).
func BrowserTree(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		rest := statFields(b)
		if len(rest) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(rest[1])
		children[ppid] = append(children[ppid], pid)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		out = append(out, p)
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(root)
	return out
}

// statFields are the fields of a stat file after the command, which is in
// parentheses and may hold spaces: state is [0], ppid [1], utime [11].
func statFields(b []byte) []string {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 > len(b) {
		return nil
	}
	return strings.Fields(string(b[i+2:]))
}

// TakeCPU reads every thread's CPU time under root.
func TakeCPU(root int) CPUSnapshot {
	snap := CPUSnapshot{}
	if root == 0 {
		return snap
	}
	for _, pid := range BrowserTree(root) {
		dir := filepath.Join("/proc", strconv.Itoa(pid), "task")
		tasks, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, task := range tasks {
			tid, err := strconv.Atoi(task.Name())
			if err != nil {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(dir, task.Name(), "schedstat")); err == nil {
				if f := strings.Fields(string(b)); len(f) > 0 {
					if ns, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						snap[tid] = time.Duration(ns)
						continue
					}
				}
			}
			if b, err := os.ReadFile(filepath.Join(dir, task.Name(), "stat")); err == nil {
				if f := statFields(b); len(f) >= 13 {
					ut, _ := strconv.ParseInt(f[11], 10, 64)
					st, _ := strconv.ParseInt(f[12], 10, 64)
					snap[tid] = time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
				}
			}
		}
	}
	return snap
}

// Since is the CPU the tree used from before to now: each thread's growth,
// a thread that started since counted whole. (A thread that ended between
// the two loses its share; Chromium's busy threads live as long as the
// browser.)
func (now CPUSnapshot) Since(before CPUSnapshot) time.Duration {
	var d time.Duration
	for tid, t := range now {
		if t0, ok := before[tid]; ok && t >= t0 {
			d += t - t0
		} else if !ok {
			d += t
		}
	}
	return d
}
