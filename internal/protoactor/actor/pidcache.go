//go:build ignore

// gigq: pidcache adds the field PID.p (the cached process, pid.go) to the
// generated actor.pb.go, as upstream does by hand: protoc cannot generate
// an unexported field. `go generate` runs it after protoc.
package main

import (
	"bytes"
	"fmt"
	"os"
)

func main() {
	const file = "actor.pb.go"
	src, err := os.ReadFile(file)
	if err != nil {
		fail(err)
	}
	start := bytes.Index(src, []byte("\ntype PID struct {\n"))
	if start < 0 {
		fail(fmt.Errorf("%s has no PID struct: did protoc run?", file))
	}
	end := bytes.Index(src[start:], []byte("\n}\n"))
	if end < 0 {
		fail(fmt.Errorf("%s: the PID struct does not end", file))
	}
	at := start + end + 1
	field := []byte("\n\t// gigq: the cached process of the PID (pid.go), added by pidcache.go.\n\tp *Process\n")
	if bytes.Contains(src[start:at], []byte("\tp *Process\n")) {
		return
	}
	out := append(append(append([]byte(nil), src[:at-1]...), field...), src[at:]...)
	if err := os.WriteFile(file, out, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pidcache:", err)
	os.Exit(1)
}
