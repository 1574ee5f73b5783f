//go:build !unix

package handlers

import "os/exec"

// ownProcessGroup does nothing here: without unix process groups,
// cancellation kills the command's process only (os/exec's default), and
// processes it started may outlive it.
func ownProcessGroup(*exec.Cmd) {}

// killLeftovers does nothing here (see ownProcessGroup).
func killLeftovers(*exec.Cmd) {}
