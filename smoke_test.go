package gigq_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gigq-go/gigq"
	"github.com/stretchr/testify/require"
)

type addArgs struct{ A, B int }

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	add := gigq.NewTask("add", func(ctx context.Context, a addArgs) (int, error) { return a.A + a.B, nil })
	boom := gigq.NewTask("boom", func(ctx context.Context, a struct{}) (int, error) { panic("kaboom") })
	bad := gigq.NewTask("bad", func(ctx context.Context, a struct{}) (int, error) { return 0, errors.New("nope") })
	reg := gigq.NewRegistry().MustAdd(add, boom, bad)
	n, err := gigq.Open(ctx, gigq.Config{Path: filepath.Join(t.TempDir(), "x.db"), Registry: reg, Workers: 2})
	require.NoError(t, err)
	defer n.Close(ctx)
	id, err := add.Submit(ctx, n, addArgs{2, 3}, nil)
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	j, err := n.Wait(wctx, id)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	r, err := add.Result(ctx, n, id)
	require.NoError(t, err)
	require.Equal(t, 5, r)
	id2, err := boom.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 2})
	require.NoError(t, err)
	j, err = n.Wait(wctx, id2)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusFailed, j.Status, j.Error)
	require.Len(t, j.Executions, 2)
	id3, err := bad.Submit(ctx, n, struct{}{}, &gigq.SubmitOpts{MaxAttempts: 1})
	require.NoError(t, err)
	j, err = n.Wait(wctx, id3)
	require.NoError(t, err)
	require.Equal(t, "nope", j.Error)
	id4, err := add.Submit(ctx, n, addArgs{2, 3}, nil)
	require.NoError(t, err)
	j, err = n.Wait(wctx, id4)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCompleted, j.Status)
	require.NoError(t, n.Close(ctx))
}
