//go:build linux

package browser

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// ownProcessGroup starts Chromium as the leader of a new process group, so
// that killing the group takes every helper (zygotes, renderers, GPU and
// network services) with it. It also keeps chromedp's default: the kernel
// kills the browser when the thread that started it (locked by chromedp)
// goes away with the probe.
func ownProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// killGroup sends SIGKILL to the process group led by pgid. A group that
// is already gone is not an error.
func killGroup(pgid int) error {
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", pgid, err)
	}
	return nil
}

// groupAlive reports whether any process of the group pgid exists, zombies
// included.
func groupAlive(pgid int) bool {
	err := syscall.Kill(-pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// groupLive counts the processes of the group pgid that are not zombies.
// A killed helper stays a zombie until its parent reaps it: chromedp reaps
// the main process, the system's init the orphaned helpers (in a container,
// run the probe under an init such as tini). A zombie holds no memory and
// no files, so it counts as gone.
func groupLive(pgid int) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 3 || string(f[0]) == "Z" || string(f[0]) == "X" {
			continue
		}
		if g, err := strconv.Atoi(string(f[2])); err == nil && g == pgid {
			n++
		}
	}
	return n
}

// waitGroupGone waits until the process group pgid has no live process
// left, killing stragglers, for at most timeout.
func waitGroupGone(pgid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for groupAlive(pgid) && groupLive(pgid) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("process group %d still has processes after %s", pgid, timeout)
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// processAlive reports whether a process with pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// killUsing kills the processes whose command line names dir (as
// --user-data-dir=dir, or a path under it) and returns how many it found.
func killUsing(dir string) int {
	exact := []byte("--user-data-dir=" + dir)
	under := []byte(dir + string(os.PathSeparator))
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		for arg := range bytes.SplitSeq(cmdline, []byte{0}) {
			if bytes.Equal(arg, exact) || bytes.Contains(arg, under) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				n++
				break
			}
		}
	}
	return n
}

// platformCheck reports whether the runner can work here.
func platformCheck() error { return nil }
