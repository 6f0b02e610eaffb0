//go:build !linux

package browser

import (
	"errors"
	"os/exec"
	"time"
)

// The runner kills Chromium by process group and finds leftovers in /proc,
// which only Linux has; probes run on Linux. These stubs keep the package
// building elsewhere, and New refuses to start.
var errUnsupported = errors.New("the browser runner needs Linux")

func ownProcessGroup(*exec.Cmd)              {}
func killGroup(int) error                    { return errUnsupported }
func groupAlive(int) bool                    { return false }
func groupLive(int) int                      { return 0 }
func waitGroupGone(int, time.Duration) error { return nil }
func processAlive(int) bool                  { return true }
func killUsing(string) int                   { return 0 }
func platformCheck() error                   { return errUnsupported }
