package persistence_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/persistence"
)

func TestWorkflowCounts(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPath(t), persistence.Options{})
	ctx := context.Background()
	counts, err := s.WorkflowCounts(ctx)
	require.NoError(t, err)
	require.Empty(t, counts)

	now := time.Now()
	for _, id := range []persistence.WorkflowID{"w1", "w2", "w3"} {
		job := newJob(func(j *persistence.NewJob) { j.WorkflowID = id })
		write(t, s, func() error {
			if err := s.InsertWorkflow(persistence.NewWorkflow{ID: id, Name: string(id)}, now); err != nil {
				return err
			}
			_, err := s.InsertJobs([]persistence.NewJob{job}, now)
			return err
		})
	}
	write(t, s, func() error {
		if _, err := s.CancelWorkflow("w2"); err != nil {
			return err
		}
		_, _, err := s.SettleWorkflow("w2")
		return err
	})
	counts, err = s.WorkflowCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, map[persistence.WorkflowStatus]int{persistence.WorkflowRunning: 2, persistence.WorkflowCancelled: 1}, counts)
}
