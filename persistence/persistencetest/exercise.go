package persistencetest

import (
	"testing"

	"github.com/gigq-go/gigq/persistence"
)

// Exercise runs the store contract against stores made by open. open is
// called once per test; it must return a new, empty store on its own file
// and close it when the test ends (t.Cleanup).
func Exercise(t *testing.T, open func(t *testing.T) *persistence.Store) {
	t.Helper()
	run := func(name string, test func(t *testing.T, b *bundle)) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, setup(t, open))
		})
	}

	// transitions.go
	run("AllowedTransitions", testAllowedTransitions)
	run("ForbiddenTransitions", testForbiddenTransitions)
	run("StaleReports", testStaleReports)
	run("UnknownJob", testUnknownJob)

	// attempts.go
	run("ClaimRecordsExecution", testClaimRecordsExecution)
	run("AttemptsKeepTheirOwnErrors", testAttemptsKeepTheirOwnErrors)

	// retry.go
	run("RetryDelay", testRetryDelay)
	run("DelayedJobsOrder", testDelayedJobsOrder)

	// ready.go
	run("ReadyJobsOrder", testReadyJobsOrder)
	run("ReadyJobsLimitAndFunctions", testReadyJobsLimitAndFunctions)
	run("ReadyJobsExcludes", testReadyJobsExcludes)

	// batches.go
	run("FailedCommandIsUndoneAlone", testFailedCommandIsUndoneAlone)
	run("InsertIsAllOrNothing", testInsertIsAllOrNothing)
	run("RollbackUndoesBatch", testRollbackUndoesBatch)
	run("TransactionMisuse", testTransactionMisuse)

	// reads.go
	run("InsertedJobReadsBack", testInsertedJobReadsBack)
	run("Stats", testStats)
	run("ListJobs", testListJobs)
	run("ClearCompleted", testClearCompleted)
	run("ConcurrentReads", testConcurrentReads)

	// dependencies.go
	run("WaitingJobNotReady", testWaitingJobNotReady)
	run("ReleaseCounts", testReleaseCounts)
	run("ReleasedDependents", testReleasedDependents)
	run("UnknownDependency", testUnknownDependency)
	run("InvalidDependencies", testInvalidDependencies)
	run("DependenciesInSameCall", testDependenciesInSameCall)
	run("InsertUnderDeadParent", testInsertUnderDeadParent)
	run("CascadeOnFailure", testCascadeOnFailure)
	run("CascadeOnCancel", testCascadeOnCancel)
	run("RequeueRevivesChain", testRequeueRevivesChain)
	run("RequeueBlocked", testRequeueBlocked)
	run("ReviveWithAnotherDeadParent", testReviveWithAnotherDeadParent)
	run("DependenciesColumn", testDependenciesColumn)
	run("ParentResults", testParentResults)
	run("ParentResultsAfterClear", testParentResultsAfterClear)
	run("ReviveAfterParentCleared", testReviveAfterParentCleared)
	run("WorkflowStatus", testWorkflowStatus)
	run("CancelWorkflow", testCancelWorkflow)
	run("WorkflowGraph", testWorkflowGraph)
	run("UnfinishedWorkflows", testUnfinishedWorkflows)
	run("ClearCompletedWorkflows", testClearCompletedWorkflows)
	run("ClearKeepsRevivable", testClearKeepsRevivable)
}
