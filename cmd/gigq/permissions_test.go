//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/internal/testdb"
)

// nobody is the unprivileged user the permission tests run gigq as when
// they run as root.
const nobody = 65534

// asUser runs the gigq binary as the unprivileged user (cred nil: as this
// process's own, a normal user) and returns its exit code and output.
type asUser struct {
	bin  string
	cred *syscall.Credential
}

func (u asUser) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, u.bin, args...)
	if u.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: u.cred}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		require.NoError(t, err, "gigq %v", args)
	}
	require.NoError(t, ctx.Err(), "gigq %v did not exit within %s: it must fail at start", args, testTimeout)
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// unprivileged returns how to run gigq as a user that the file
// permissions bind: this process's own user when it is not root, else
// nobody (uid and gid 65534), when root may switch to it. It skips the test
// when neither is possible. dirs are made reachable by that user.
func unprivileged(t *testing.T, bin string, dirs ...string) asUser {
	t.Helper()
	if os.Geteuid() != 0 {
		return asUser{bin: bin}
	}
	u := asUser{bin: bin, cred: &syscall.Credential{Uid: nobody, Gid: nobody}}
	for _, d := range append(dirs, filepath.Dir(bin)) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	probe := exec.Command(bin, "version")
	probe.SysProcAttr = &syscall.SysProcAttr{Credential: u.cred}
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("the test runs as root and cannot run gigq as uid %d (needed so that file permissions apply): %v %s", nobody, err, out)
	}
	return u
}

// permDir is a folder of the test's own that the unprivileged user can
// reach (t.TempDir's parent is private to the test's user).
func permDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gigq-perm-")
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = os.Chmod(dir, 0o755)
		_ = os.RemoveAll(dir)
	})
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}

// TestPermissions: on a read-only file, and in a read-only folder, gigq
// worker (with --once too) and gigq node fail at start, exit 1, and name
// the file or folder and the permission; status, list and stats still
// read the database. The file is left byte for byte as it was.
func TestPermissions(t *testing.T) {
	t.Parallel()
	bin := gigqBinary(t)
	for _, tc := range []struct {
		name     string
		fileMode os.FileMode
		dirMode  os.FileMode
		says     func(dir, db string) string
	}{
		{"ReadOnlyFile", 0o444, 0o777, func(_, db string) string { return "gigq: cannot write " + db + ": permission denied" }},
		{"ReadOnlyFolder", 0o666, 0o755, func(dir, db string) string {
			return "gigq: cannot write the folder " + dir + " of " + db + ", where SQLite creates its -wal and -shm files: permission denied"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := permDir(t)
			db := filepath.Join(dir, "gigq.db")
			id := binSubmit(t, bin, db, "echo", "-p", "n=1")
			u := unprivileged(t, bin)
			if u.cred == nil {
				// A normal user: read-only modes bind it.
				tc.dirMode &^= 0o222
				if tc.name == "ReadOnlyFile" {
					tc.dirMode = 0o755
				}
			}
			require.NoError(t, os.Chmod(db, tc.fileMode))
			require.NoError(t, os.Chmod(dir, tc.dirMode))
			t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
			before := testdb.Take(t, db)

			for _, args := range [][]string{
				{"worker", "--once"},
				{"worker"},
				{"node", "--http", "127.0.0.1:0"},
			} {
				r := u.run(t, append(args, "--db", db)...)
				require.Equal(t, exitRuntime, r.code, "%v: %s", args, r.stderr)
				require.Contains(t, r.stderr, tc.says(dir, db), "%v", args)
				require.Contains(t, r.stderr, "worker and node do", "%v", args)
				require.Contains(t, r.stderr, "status, list and stats", "%v", args)
				require.Equal(t, before.Sum, testdb.Take(t, db).Sum, "%v changed the file", args)
			}

			r := u.run(t, "stats", "--json", "--db", db)
			require.Equal(t, 0, r.code, r.stderr)
			var st gigq.Stats
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
			require.Equal(t, gigq.Stats{Pending: 1, Total: 1}, st)
			r = u.run(t, "list", "--db", db)
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stdout, string(id))
			r = u.run(t, "status", string(id), "--db", db)
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stdout, "pending")
			r = u.run(t, "check", "--db", db)
			require.Equal(t, 0, r.code, r.stderr)
			require.Equal(t, "ok\n", r.stdout)
			r = u.run(t, "submit", "echo", "--db", db)
			require.Equal(t, exitRuntime, r.code)
			require.True(t, strings.HasPrefix(r.stderr, "gigq: cannot write"), r.stderr)
			require.Equal(t, before.Sum, testdb.Take(t, db).Sum, "reading changed the file")
		})
	}
}
