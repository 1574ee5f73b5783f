package persistencetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"

	"github.com/gigq-go/gigq/persistence"
)

// bundle is what one test works with: the store under test and a
// read-only connection of its own to the same file, for assertions that
// must not go through the store.
type bundle struct {
	ctx context.Context
	s   *persistence.Store
	raw *sqlite.Conn
}

func setup(t *testing.T, open func(t *testing.T) *persistence.Store) *bundle {
	t.Helper()
	s := open(t)
	raw, err := sqlite.OpenConn(s.Path(), sqlite.OpenReadOnly)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, raw.Close()) })
	return &bundle{ctx: t.Context(), s: s, raw: raw}
}

// write runs fns as the commands of one write transaction, each in its own
// savepoint (the way the store actor batches them), commits, and returns
// each command's error.
func (b *bundle) write(t *testing.T, fns ...func() error) []error {
	t.Helper()
	require.NoError(t, b.s.Begin())
	errs := make([]error, len(fns))
	for i, fn := range fns {
		errs[i] = b.s.Do(fn)
	}
	require.NoError(t, b.s.Commit())
	return errs
}

// must runs fn as the only command of a transaction and requires it to
// succeed.
func (b *bundle) must(t *testing.T, fn func() error) {
	t.Helper()
	require.NoError(t, b.write(t, fn)[0])
}

func (b *bundle) insert(t *testing.T, jobs ...persistence.NewJob) {
	t.Helper()
	b.insertAt(t, time.Now(), jobs...)
}

func (b *bundle) insertAt(t *testing.T, at time.Time, jobs ...persistence.NewJob) {
	t.Helper()
	b.must(t, func() error { _, err := b.s.InsertJobs(jobs, at); return err })
}

// claim claims a job for a new execution and returns the execution id.
func (b *bundle) claim(t *testing.T, id persistence.JobID) persistence.ExecutionID {
	t.Helper()
	exec := newExecID()
	b.must(t, func() error {
		_, err := b.s.Claim(persistence.Claim{JobID: id, ExecutionID: exec, WorkerID: "worker-1"})
		return err
	})
	return exec
}

func (b *bundle) finish(t *testing.T, f persistence.Finish) persistence.Finished {
	t.Helper()
	var out persistence.Finished
	b.must(t, func() (err error) { out, err = b.s.Finish(f); return err })
	return out
}

func (b *bundle) complete(t *testing.T, id persistence.JobID, exec persistence.ExecutionID, result string) {
	t.Helper()
	b.finish(t, persistence.Finish{JobID: id, ExecutionID: exec, Outcome: persistence.OutcomeCompleted, Result: json.RawMessage(result)})
}

func (b *bundle) fail(t *testing.T, id persistence.JobID, exec persistence.ExecutionID, msg string) persistence.Finished {
	t.Helper()
	return b.finish(t, persistence.Finish{JobID: id, ExecutionID: exec, Outcome: persistence.OutcomeFailed, Error: msg})
}

func (b *bundle) timeOut(t *testing.T, id persistence.JobID, exec persistence.ExecutionID, msg string) persistence.Finished {
	t.Helper()
	return b.finish(t, persistence.Finish{JobID: id, ExecutionID: exec, Outcome: persistence.OutcomeTimeout, Error: msg})
}

func (b *bundle) cancel(t *testing.T, id persistence.JobID) {
	t.Helper()
	b.must(t, func() error { _, err := b.s.Cancel(id); return err })
}

func (b *bundle) job(t *testing.T, id persistence.JobID) *persistence.Job {
	t.Helper()
	j, err := b.s.Job(b.ctx, id)
	require.NoError(t, err)
	return j
}

func (b *bundle) executions(t *testing.T, id persistence.JobID) []persistence.Execution {
	t.Helper()
	es, err := b.s.Executions(b.ctx, id)
	require.NoError(t, err)
	return es
}

func (b *bundle) ready(t *testing.T, limit int, functions ...string) []persistence.JobID {
	t.Helper()
	rs, err := b.s.ReadyJobs(b.ctx, limit, functions)
	require.NoError(t, err)
	return readyIDs(rs)
}

func readyIDs(rs []persistence.ReadyJob) []persistence.JobID {
	ids := make([]persistence.JobID, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

// newJob is a job of function "echo" with three attempts and no retry
// delay, changed by opts.
func newJob(opts ...func(*persistence.NewJob)) persistence.NewJob {
	j := persistence.NewJob{
		ID:          newJobID(),
		Name:        "test job",
		Function:    "echo",
		Params:      json.RawMessage(`{"n":1}`),
		MaxAttempts: 3,
		Timeout:     5 * time.Minute,
		Description: "made by persistencetest",
	}
	for _, o := range opts {
		o(&j)
	}
	return j
}

func maxAttempts(n int) func(*persistence.NewJob) {
	return func(j *persistence.NewJob) { j.MaxAttempts = n }
}

func retryDelay(d time.Duration) func(*persistence.NewJob) {
	return func(j *persistence.NewJob) { j.RetryDelay = d }
}

func priority(p int) func(*persistence.NewJob) {
	return func(j *persistence.NewJob) { j.Priority = p }
}

func function(name string) func(*persistence.NewJob) {
	return func(j *persistence.NewJob) { j.Function = name }
}

// newJobID is a time-ordered id, as the root package makes them: ids made
// later sort after earlier ones.
func newJobID() persistence.JobID { return persistence.JobID(uuid.Must(uuid.NewV7()).String()) }

func newExecID() persistence.ExecutionID {
	return persistence.ExecutionID(uuid.Must(uuid.NewV7()).String())
}

// Helpers for dependencies and workflows (dependencies.go).

func dependsOn(ids ...persistence.JobID) func(*persistence.NewJob) {
	return func(j *persistence.NewJob) { j.Dependencies = ids }
}

func inWorkflow(id persistence.WorkflowID) func(*persistence.NewJob) {
	return func(j *persistence.NewJob) { j.WorkflowID = id }
}

func named(name string) func(*persistence.NewJob) {
	return func(j *persistence.NewJob) { j.Name = name }
}

func newWorkflowID() persistence.WorkflowID {
	return persistence.WorkflowID(uuid.Must(uuid.NewV7()).String())
}

// insertJobs inserts jobs in one call and returns what InsertJobs made of
// each.
func (b *bundle) insertJobs(t *testing.T, jobs ...persistence.NewJob) []persistence.Inserted {
	t.Helper()
	var out []persistence.Inserted
	b.must(t, func() (err error) { out, err = b.s.InsertJobs(jobs, time.Now()); return err })
	require.Len(t, out, len(jobs))
	return out
}

// insertWorkflow writes a running workflow (no jobs).
func (b *bundle) insertWorkflow(t *testing.T, id persistence.WorkflowID, name string) {
	t.Helper()
	b.must(t, func() error { return b.s.InsertWorkflow(persistence.NewWorkflow{ID: id, Name: name}, time.Now()) })
}

// run claims a job and completes it with result, returning what Finish
// said.
func (b *bundle) run(t *testing.T, id persistence.JobID, result string) persistence.Finished {
	t.Helper()
	return b.finish(t, persistence.Finish{JobID: id, ExecutionID: b.claim(t, id), Outcome: persistence.OutcomeCompleted,
		Result: json.RawMessage(result)})
}

// cancelCascade cancels a job and returns the cascade.
func (b *bundle) cancelCascade(t *testing.T, id persistence.JobID) persistence.Cascade {
	t.Helper()
	var out persistence.Cascade
	b.must(t, func() (err error) { out, err = b.s.Cancel(id); return err })
	return out
}

// requeue requeues a job and returns the job and the cascade.
func (b *bundle) requeue(t *testing.T, id persistence.JobID) (persistence.Dependent, persistence.Cascade) {
	t.Helper()
	var d persistence.Dependent
	var c persistence.Cascade
	b.must(t, func() (err error) { d, c, err = b.s.Requeue(id); return err })
	return d, c
}

// refresh runs RefreshWorkflow in a transaction of its own.
// refresh settles a workflow's status (SettleWorkflow, the cheap way) and
// checks that a full RefreshWorkflow right after agrees and changes
// nothing.
func (b *bundle) refresh(t *testing.T, id persistence.WorkflowID) (persistence.WorkflowStatus, bool) {
	t.Helper()
	var st, again persistence.WorkflowStatus
	var changed, changedAgain bool
	b.must(t, func() (err error) { st, changed, err = b.s.SettleWorkflow(id); return err })
	b.must(t, func() (err error) { again, changedAgain, err = b.s.RefreshWorkflow(id); return err })
	require.Equal(t, st, again, "SettleWorkflow and RefreshWorkflow disagree")
	require.False(t, changedAgain, "RefreshWorkflow changed what SettleWorkflow left")
	return st, changed
}

func dependentIDs(ds []persistence.Dependent) []persistence.JobID {
	ids := make([]persistence.JobID, 0, len(ds))
	for _, d := range ds {
		ids = append(ids, d.Job.ID)
	}
	return ids
}

// tableCounts counts the rows of every table a submit writes to.
func (b *bundle) tableCounts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"jobs", "job_dependencies", "job_executions", "workflows"} {
		out[table] = b.count(t, `SELECT count(*) FROM `+table)
	}
	return out
}

// text reads one text (or NULL, as "<null>") value through the bundle's
// own connection.
func (b *bundle) text(t *testing.T, q string, args ...any) string {
	t.Helper()
	out := query(t, b.raw, q, args...)
	require.Len(t, out, 1, q)
	if out[0][0] == nil {
		return "<null>"
	}
	s, ok := out[0][0].(string)
	require.True(t, ok, "%s: not text: %v", q, out[0][0])
	return s
}
