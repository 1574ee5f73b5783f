package handlers

import (
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// pipes connect a command's stdin, stdout and stderr to the handler.
//
// They are *os.File pipes, not the io.Reader/io.Writer copying that
// os/exec offers, so that Cmd.Wait returns as soon as the command exits:
// the handler then kills what is left of its process group, and only then
// waits for the output to end. (With os/exec's copying, Wait would first
// wait for every process holding the output open.)
type pipes struct {
	parent []*os.File // the handler's ends
	child  []*os.File // the command's ends, closed once it started
	copies []func()
	wg     sync.WaitGroup
}

// startWithPipes starts cmd with stdout and stderr copied to the given
// writers and stdin (if not empty) written to its standard input.
func startWithPipes(cmd *exec.Cmd, stdin string, stdout, stderr io.Writer) (*pipes, error) {
	p := &pipes{}
	defer func() { closeFiles(p.child) }()
	var err error
	if cmd.Stdout, err = p.output(stdout); err == nil {
		cmd.Stderr, err = p.output(stderr)
	}
	if err == nil && stdin != "" {
		cmd.Stdin, err = p.input(stdin)
	}
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		closeFiles(p.parent)
		return nil, err
	}
	for _, f := range p.copies {
		p.wg.Go(f)
	}
	return p, nil
}

// output makes a pipe whose read end is copied to w; it returns the
// command's end.
func (p *pipes) output(w io.Writer) (*os.File, error) {
	r, cw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.parent, p.child = append(p.parent, r), append(p.child, cw)
	p.copies = append(p.copies, func() { _, _ = io.Copy(w, r) })
	return cw, nil
}

// input makes a pipe that s is written to, then closed; it returns the
// command's end. A command that exits without reading all of s ends the
// write with an error, which is ignored.
func (p *pipes) input(s string) (*os.File, error) {
	cr, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.parent, p.child = append(p.parent, w), append(p.child, cr)
	p.copies = append(p.copies, func() {
		_, _ = io.WriteString(w, s)
		_ = w.Close()
	})
	return cr, nil
}

// drain waits for the copies to end, at most delay: then it closes the
// handler's ends, which ends them.
func (p *pipes) drain(delay time.Duration) {
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		closeFiles(p.parent)
		<-done
	}
	closeFiles(p.parent)
}

// closeFiles closes files, ignoring errors (a file may be closed already).
func closeFiles(files []*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}
