package messages

import (
	"time"

	"github.com/gigq-go/gigq/persistence"
)

// ScheduleOp is the change a ChangeSchedule makes.
type ScheduleOp int

const (
	// OpAddSchedule writes ChangeSchedule.Schedule (its next run is
	// computed by the store from its cron expression).
	OpAddSchedule ScheduleOp = iota + 1
	// OpRemoveSchedule deletes the schedule named Name.
	OpRemoveSchedule
	// OpPauseSchedule disables it: no job is enqueued until resumed.
	OpPauseSchedule
	// OpResumeSchedule enables it again from the next due time after now.
	OpResumeSchedule
)

// ChangeSchedule is sent by the node (root package) to the store actor to
// add, remove, pause or resume a cron schedule. Reply:
// *ChangeScheduleReply after COMMIT; the node then tells its cron actor
// (SchedulesChanged).
type ChangeSchedule struct {
	Op       ScheduleOp
	Name     string               // the schedule, for every op but add
	Schedule persistence.Schedule // for add: the new schedule
}

// ChangeScheduleReply answers ChangeSchedule: the schedule as written (nil
// for remove), or Err (matching persistence.ErrScheduleExists or
// persistence.ErrNotFound for a refused change).
type ChangeScheduleReply struct {
	Schedule *persistence.Schedule
	Err      error
}

// FireSchedules is sent by the cron actor to the store actor when
// schedules are due: enqueue each one's job, guarded by its next run.
// Reply: *FireSchedulesReply after COMMIT.
type FireSchedules struct {
	Fires []FireSchedule
}

// FireSchedule is one due schedule. The store moves the schedule's
// next_run from Due to Next, and last_run to Run, and inserts Job, only if
// the schedule is enabled and its next_run is still Due. Job is nil (and
// Run zero) for missed runs that are skipped.
type FireSchedule struct {
	Name string
	Due  time.Time
	Run  time.Time
	Next time.Time
	Job  *persistence.NewJob
}

// FireSchedulesReply answers FireSchedules, one result per fire, in order.
type FireSchedulesReply struct {
	Results []FireResult
}

// FireResult is what became of one FireSchedule. Fired: this node moved
// the schedule (and enqueued its job). Otherwise the guard did not hold
// (another node did it, or the schedule changed) and Schedule is the row
// as it is now (nil when it is gone); or Err says why nothing was written.
type FireResult struct {
	Name     string
	Fired    bool
	Schedule *persistence.Schedule
	Err      error
}

// SchedulesChanged is sent to the cron actor when schedules may have
// changed: by the node after its own ChangeSchedule committed, and by the
// store actor when another process changed them. The cron actor reloads
// them. No reply.
type SchedulesChanged struct{}
