package gigq_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/internal/testdb"
)

// TestOpenRefusesFilesNotGigqs: gigq.Open (with and without ReadOnly)
// refuses another program's database, GigQ's and a damaged gigq file with
// an error matching ErrNotGigq that says what the file is, and leaves it
// byte for byte as it was.
func TestOpenRefusesFilesNotGigqs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		build func(testing.TB, string)
		says  string
	}{
		"Foreign":    {func(t testing.TB, p string) { testdb.Foreign(t, p, true) }, "an SQLite database of another program"},
		"GigQPython": {func(t testing.TB, p string) { testdb.GigQPython(t, p) }, "a GigQ (Python) database"},
		"Damaged":    {testdb.Truncated, "a damaged SQLite database"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := dbPath(t)
			tc.build(t, path)
			before := testdb.Take(t, path)
			for _, ro := range []bool{false, true} {
				_, err := gigq.Open(context.Background(), gigq.Config{Path: path, ClientOnly: true, ReadOnly: ro})
				require.ErrorIs(t, err, gigq.ErrNotGigq)
				require.ErrorContains(t, err, "gigq: "+path+" is "+tc.says)
				testdb.RequireUntouched(t, path, before)
			}
		})
	}
}

// TestReadOnlyNode: a node opened with Config.ReadOnly reads what another
// node wrote, and every write returns ErrReadOnly and writes nothing; the
// file is not changed.
func TestReadOnlyNode(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	path := dbPath(t)
	w := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	id, err := w.Submit(ctx, "echo", map[string]any{"n": 1}, nil)
	require.NoError(t, err)
	_, err = w.AddSchedule(ctx, gigq.Schedule{Name: "hourly", Cron: "@hourly", Function: "echo"})
	require.NoError(t, err)
	closeNode(t, w)
	before := testdb.Take(t, path)

	n := openNode(t, gigq.Config{Path: path, ReadOnly: true})
	j, err := n.Status(ctx, id)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusPending, j.Status)
	jobs, err := n.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	st, err := n.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, gigq.Stats{Pending: 1, Total: 1}, st)
	sch, err := n.Schedules(ctx)
	require.NoError(t, err)
	require.Len(t, sch, 1)
	_, err = n.Nodes(ctx)
	require.NoError(t, err)
	require.Empty(t, n.RemoteAddress())

	_, err = n.Submit(ctx, "echo", nil, nil)
	require.ErrorIs(t, err, gigq.ErrReadOnly)
	require.ErrorContains(t, err, path)
	require.ErrorIs(t, n.Cancel(ctx, id), gigq.ErrReadOnly)
	require.ErrorIs(t, n.Requeue(ctx, id), gigq.ErrReadOnly)
	_, err = n.ClearCompleted(ctx, time.Time{})
	require.ErrorIs(t, err, gigq.ErrReadOnly)
	require.ErrorIs(t, n.PauseSchedule(ctx, "hourly"), gigq.ErrReadOnly)
	wf := gigq.NewWorkflow("wf")
	wf.Add("a", gigq.Call("echo", nil, nil))
	_, _, err = wf.Submit(ctx, n)
	require.ErrorIs(t, err, gigq.ErrReadOnly)
	closeNode(t, n)
	require.Equal(t, before.Sum, testdb.Take(t, path).Sum, "a read-only node changes nothing")

	missing := filepath.Join(t.TempDir(), "missing.db")
	_, err = gigq.Open(ctx, gigq.Config{Path: missing, ReadOnly: true})
	require.ErrorContains(t, err, missing)
	require.NoFileExists(t, missing)

	_, err = gigq.Open(ctx, gigq.Config{Path: path, ReadOnly: true, Remote: &gigq.RemoteConfig{Listen: "127.0.0.1:0"}})
	require.ErrorContains(t, err, "ReadOnly")
}

// TestCheckAndBackup: Check says ok on a sound database and reports a
// damaged one; Backup's copy opens as a gigq database with the same jobs.
func TestCheckAndBackup(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	path := dbPath(t)
	n := openNode(t, gigq.Config{Path: path, ClientOnly: true})
	for range 5 {
		_, err := n.Submit(ctx, "echo", nil, nil)
		require.NoError(t, err)
	}
	rep, err := gigq.Check(ctx, path, nil)
	require.NoError(t, err)
	require.True(t, rep.OK, "%v", rep.Problems)

	dest := filepath.Join(t.TempDir(), "copy.db")
	info, err := gigq.Backup(ctx, path, dest, nil)
	require.NoError(t, err)
	require.Equal(t, gigq.BackupInfo{Dest: dest, Bytes: info.Bytes, Jobs: 5}, *info)
	_, err = gigq.Backup(ctx, path, dest, nil)
	require.ErrorContains(t, err, "already exists")
	_, err = gigq.Backup(ctx, path, dest, &gigq.BackupOptions{Overwrite: true})
	require.NoError(t, err)
	closeNode(t, n)

	c := openNode(t, gigq.Config{Path: dest, ClientOnly: true})
	st, err := c.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, 5, st.Pending)

	bad := dbPath(t)
	testdb.ZeroRootPage(t, bad, "jobs", 200)
	rep, err = gigq.Check(ctx, bad, &gigq.CheckOptions{Quick: true})
	require.NoError(t, err)
	require.False(t, rep.OK)
	require.NotEmpty(t, rep.Problems)

	foreign := dbPath(t)
	testdb.Foreign(t, foreign, false)
	_, err = gigq.Check(ctx, foreign, nil)
	require.ErrorIs(t, err, gigq.ErrNotGigq)
}
