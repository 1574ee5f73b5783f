package gigq

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"time"

	"github.com/gigq-go/gigq/actors"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// CatchUp says what happens to a schedule's due times that passed while no
// node ran: the nodes were all down (or the schedule's timer could not
// fire). It is a string type (an alias of the engine's) with two values,
// CatchUpOne ("one", the default) and CatchUpSkip ("skip"); the CLI's
// --catch-up takes the same words.
//
// Methods: Valid reports whether the value is one of the two.
type CatchUp = persistence.CatchUp

// The catch-up policies of a schedule (Schedule.CatchUp).
const (
	// CatchUpOne (the default) enqueues one job, for the latest missed due
	// time, however many were missed.
	CatchUpOne = persistence.CatchUpOne
	// CatchUpSkip enqueues none; the schedule goes on from the next due
	// time.
	CatchUpSkip = persistence.CatchUpSkip
)

// ErrScheduleExists is returned by AddSchedule for a name that is taken.
// Nothing was written.
var ErrScheduleExists = persistence.ErrScheduleExists

// ErrInvalidSchedule matches the error of an AddSchedule refused for its
// input (a bad cron expression, time zone, catch-up policy, name, or job
// template); the error says what to change. Nothing was written.
var ErrInvalidSchedule = actors.ErrInvalidSchedule

// Schedule is a cron schedule: at each due time of Cron, in Timezone, one
// job of Function with Params and Opts is enqueued, once, however many
// nodes share the database file.
type Schedule struct {
	// Name identifies the schedule (letters, digits, '_', '.', ':', '-').
	Name string
	// Cron is the expression, in robfig/cron syntax: five fields (minute
	// hour day-of-month month day-of-week), six with seconds first, or a
	// descriptor (@hourly, @daily, @every 10m). It may start with
	// CRON_TZ=<zone> instead of setting Timezone.
	Cron string
	// Timezone is an IANA time zone name the expression is read in.
	// Default "UTC".
	Timezone string
	// Function is the name of the task the jobs run.
	Function string
	// Params are the jobs' params, as for Node.Submit: a struct, a map,
	// json.RawMessage, or nil for {}.
	Params any
	// Opts are the jobs' settings: Name (default: the schedule's name),
	// Priority, MaxAttempts, Timeout, RetryDelay and Description. Other
	// fields are refused. Nil means defaults.
	Opts *SubmitOpts
	// CatchUp is CatchUpOne (default) or CatchUpSkip.
	CatchUp CatchUp
}

// ScheduleInfo is a stored schedule, as Schedules lists it (and the CLI
// prints with --json: snake_case, durations in seconds, times in UTC RFC
// 3339, null when unset).
type ScheduleInfo struct {
	Name        string          // the schedule's name
	Cron        string          // its cron expression, as given
	Timezone    string          // the IANA zone Cron is read in
	Function    string          // the task its jobs run
	Params      json.RawMessage // its jobs' params, a JSON object
	JobName     string          // its jobs' name (default: the schedule's)
	Priority    int             // its jobs' priority
	MaxAttempts int             // its jobs' MaxAttempts
	Timeout     time.Duration   // its jobs' Timeout
	RetryDelay  time.Duration   // its jobs' RetryDelay
	Description string          // its jobs' description
	Enabled     bool            // false while paused (PauseSchedule)
	CatchUp     CatchUp         // what it does with due times missed while no node ran
	LastRun     time.Time       // the due time of the last job enqueued; zero: none yet
	NextRun     time.Time       // the next due time; zero while paused
	CreatedAt   time.Time       // when it was added
	UpdatedAt   time.Time       // when it last changed (added, paused, resumed, or fired)
}

type scheduleJSON struct {
	Name        string          `json:"name"`
	Cron        string          `json:"cron"`
	Timezone    string          `json:"timezone"`
	Function    string          `json:"function"`
	Params      json.RawMessage `json:"params"`
	JobName     string          `json:"job_name"`
	Priority    int             `json:"priority"`
	MaxAttempts int             `json:"max_attempts"`
	Timeout     float64         `json:"timeout"`
	RetryDelay  float64         `json:"retry_delay"`
	Description string          `json:"description"`
	Enabled     bool            `json:"enabled"`
	CatchUp     CatchUp         `json:"catch_up"`
	LastRun     *time.Time      `json:"last_run"`
	NextRun     *time.Time      `json:"next_run"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// MarshalJSON writes the schedule in the CLI's --json shape.
func (s ScheduleInfo) MarshalJSON() ([]byte, error) {
	return json.Marshal(scheduleJSON{Name: s.Name, Cron: s.Cron, Timezone: s.Timezone, Function: s.Function,
		Params: s.Params, JobName: s.JobName, Priority: s.Priority, MaxAttempts: s.MaxAttempts,
		Timeout: s.Timeout.Seconds(), RetryDelay: s.RetryDelay.Seconds(), Description: s.Description,
		Enabled: s.Enabled, CatchUp: s.CatchUp, LastRun: timeOrNil(s.LastRun), NextRun: timeOrNil(s.NextRun),
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt})
}

func scheduleFromRow(r *persistence.Schedule) ScheduleInfo {
	o := r.Options
	params := r.Params
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	return ScheduleInfo{Name: r.Name, Cron: r.Cron, Timezone: r.Timezone, Function: r.Function, Params: params,
		JobName: o.Name, Priority: o.Priority, MaxAttempts: o.MaxAttempts, Timeout: o.Timeout,
		RetryDelay: o.RetryDelay, Description: o.Description, Enabled: r.Enabled, CatchUp: r.CatchUp,
		LastRun: r.LastRun, NextRun: r.NextRun, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// scheduleNameRE is what a schedule's name may be.
var scheduleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$`)

// newScheduleRow validates s and makes the row to store: the job template
// is checked as Submit checks a job.
func (n *Node) newScheduleRow(s Schedule) (persistence.Schedule, error) {
	if !scheduleNameRE.MatchString(s.Name) {
		return persistence.Schedule{}, fmt.Errorf("gigq: %w: name %q: use a letter or digit, then letters, digits, '_', '.', ':' or '-' (at most 200)",
			ErrInvalidSchedule, s.Name)
	}
	fail := func(err error) (persistence.Schedule, error) {
		return persistence.Schedule{}, fmt.Errorf("gigq: schedule %q: %w", s.Name, err)
	}
	if s.CatchUp == "" {
		s.CatchUp = CatchUpOne
	}
	if !s.CatchUp.Valid() {
		return fail(fmt.Errorf("%w: catch-up %q: use %q or %q", ErrInvalidSchedule, s.CatchUp, CatchUpOne, CatchUpSkip))
	}
	if _, err := actors.ParseCron(s.Cron, s.Timezone); err != nil {
		return fail(err)
	}
	tz := s.Timezone
	if tz == "" {
		tz = "UTC"
		if zone, ok := cronZone(s.Cron); ok {
			tz = zone
		}
	}
	var o SubmitOpts
	if s.Opts != nil {
		o = SubmitOpts{Name: s.Opts.Name, Priority: s.Opts.Priority, MaxAttempts: s.Opts.MaxAttempts,
			Timeout: s.Opts.Timeout, RetryDelay: s.Opts.RetryDelay, Description: s.Opts.Description}
		if !reflect.DeepEqual(o, *s.Opts) {
			return fail(fmt.Errorf("%w: a schedule's jobs take only Name, Priority, MaxAttempts, Timeout, RetryDelay and Description in Opts (no dependencies, delays or unique keys)",
				ErrInvalidSchedule))
		}
	}
	if o.Name == "" {
		o.Name = s.Name
	}
	job, err := newJob(s.Function, s.Params, &o)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrInvalidSchedule, err))
	}
	if limit := n.cfg.MaxParamsBytes; limit > 0 && len(job.Params) > limit {
		return fail(fmt.Errorf("%w: params of %d bytes are over the limit of %d bytes (Config.MaxParamsBytes)", ErrInvalidSchedule, len(job.Params), limit))
	}
	return persistence.Schedule{Name: s.Name, Cron: s.Cron, Timezone: tz, Function: job.Function, Params: job.Params,
		Options: persistence.ScheduleOptions{Name: job.Name, Priority: job.Priority, MaxAttempts: job.MaxAttempts,
			Timeout: job.Timeout, RetryDelay: job.RetryDelay, Description: job.Description},
		Enabled: true, CatchUp: s.CatchUp}, nil
}

// cronZone is the zone of a CRON_TZ= (or TZ=) prefix.
func cronZone(expr string) (string, bool) {
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if len(expr) > len(p) && expr[:len(p)] == p {
			zone := expr[len(p):]
			for i, r := range zone {
				if r == ' ' || r == '\t' {
					return zone[:i], true
				}
			}
		}
	}
	return "", false
}

// AddSchedule stores a cron schedule, enabled; its first job is enqueued at
// the first due time after now (by a node that runs jobs: this one, or
// another process on the same file). A name that is taken gives an error
// matching ErrScheduleExists; input that cannot be used one matching
// ErrInvalidSchedule. It works on a ClientOnly node too. It returns the
// schedule as stored, with its next run, once it is committed.
func (n *Node) AddSchedule(ctx context.Context, s Schedule) (*ScheduleInfo, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	row, err := n.newScheduleRow(s)
	if err != nil {
		return nil, err
	}
	return n.changeSchedule(ctx, &messages.ChangeSchedule{Op: messages.OpAddSchedule, Schedule: row})
}

// RemoveSchedule deletes a schedule; the jobs it enqueued stay. An unknown
// name gives ErrNotFound.
func (n *Node) RemoveSchedule(ctx context.Context, name string) error {
	_, err := n.changeSchedule(ctx, &messages.ChangeSchedule{Op: messages.OpRemoveSchedule, Name: name})
	return err
}

// PauseSchedule stops a schedule from enqueueing jobs until it is resumed.
// An unknown name gives ErrNotFound.
func (n *Node) PauseSchedule(ctx context.Context, name string) error {
	_, err := n.changeSchedule(ctx, &messages.ChangeSchedule{Op: messages.OpPauseSchedule, Name: name})
	return err
}

// ResumeSchedule enables a paused schedule from its next due time after
// now: the due times that passed while it was paused are not caught up.
// Resuming a running schedule changes nothing. An unknown name gives
// ErrNotFound.
func (n *Node) ResumeSchedule(ctx context.Context, name string) error {
	_, err := n.changeSchedule(ctx, &messages.ChangeSchedule{Op: messages.OpResumeSchedule, Name: name})
	return err
}

func (n *Node) changeSchedule(ctx context.Context, c *messages.ChangeSchedule) (*ScheduleInfo, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	if err := n.writable(); err != nil {
		return nil, err
	}
	row, err := n.sys.ChangeSchedule(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("gigq: %w", err)
	}
	if row == nil {
		return nil, nil
	}
	info := scheduleFromRow(row)
	return &info, nil
}

// Schedules lists the stored schedules by name, paused ones too.
func (n *Node) Schedules(ctx context.Context) ([]ScheduleInfo, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := n.store.Schedules(ctx)
	if err != nil {
		return nil, fmt.Errorf("gigq: %w", err)
	}
	out := make([]ScheduleInfo, len(rows))
	for i := range rows {
		out[i] = scheduleFromRow(&rows[i])
	}
	return out, nil
}
