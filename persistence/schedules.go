package persistence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"zombiezen.com/go/sqlite"
)

// CatchUp says what a node does with a schedule's due times that passed
// while no node ran it.
type CatchUp string

const (
	// CatchUpOne (the default) enqueues one job for the latest missed time.
	CatchUpOne CatchUp = "one"
	// CatchUpSkip enqueues none: the schedule goes on from the next time.
	CatchUpSkip CatchUp = "skip"
)

// Valid reports whether c is one of the catch-up policies.
func (c CatchUp) Valid() bool { return c == CatchUpOne || c == CatchUpSkip }

// ScheduleOptions are the settings of the jobs a schedule enqueues (stored
// as JSON in schedules.options).
type ScheduleOptions struct {
	Name        string
	Priority    int
	MaxAttempts int
	Timeout     time.Duration
	RetryDelay  time.Duration
	Description string
}

// scheduleOptionsJSON is ScheduleOptions as stored: durations in seconds.
type scheduleOptionsJSON struct {
	Name        string  `json:"name,omitempty"`
	Priority    int     `json:"priority"`
	MaxAttempts int     `json:"max_attempts"`
	Timeout     float64 `json:"timeout"`
	RetryDelay  float64 `json:"retry_delay"`
	Description string  `json:"description,omitempty"`
}

func (o ScheduleOptions) json() string {
	b, _ := json.Marshal(scheduleOptionsJSON{Name: o.Name, Priority: o.Priority, MaxAttempts: o.MaxAttempts,
		Timeout: seconds(o.Timeout), RetryDelay: seconds(o.RetryDelay), Description: o.Description}) // plain fields always encode
	return string(b)
}

func parseScheduleOptions(s string) ScheduleOptions {
	var j scheduleOptionsJSON
	_ = json.Unmarshal([]byte(s), &j) // written by json() above; a hand-edited row gives defaults
	return ScheduleOptions{Name: j.Name, Priority: j.Priority, MaxAttempts: j.MaxAttempts,
		Timeout: fromSeconds(j.Timeout), RetryDelay: fromSeconds(j.RetryDelay), Description: j.Description}
}

// Schedule is a row of schedules: a cron expression in a time zone and the
// template of the jobs it enqueues.
type Schedule struct {
	Name     string
	Cron     string
	Timezone string
	Function string
	Params   json.RawMessage // a JSON object
	Options  ScheduleOptions
	Enabled  bool
	CatchUp  CatchUp
	// LastRun is the due time of the last job enqueued (zero: none yet);
	// NextRun the next due time not enqueued yet (zero while paused with
	// none computed).
	LastRun   time.Time
	NextRun   time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ErrScheduleExists is returned when a schedule is added under a name that
// is taken. Nothing was written.
var ErrScheduleExists = errors.New("a schedule with this name exists")

// scheduleExistsError names the schedule; it matches ErrScheduleExists.
type scheduleExistsError struct{ name string }

func (e *scheduleExistsError) Error() string {
	return fmt.Sprintf("schedule %q exists: remove it first, or choose another name", e.name)
}
func (e *scheduleExistsError) Is(target error) bool { return target == ErrScheduleExists }

// IsScheduleRefusal reports whether err is a refused schedule change that
// wrote nothing (the name is taken, or unknown).
func IsScheduleRefusal(err error) bool {
	return errors.Is(err, ErrScheduleExists) || errors.Is(err, ErrNotFound)
}

const scheduleColumns = `name, cron, timezone, function, params, options, enabled, catch_up,
	coalesce(last_run, ''), coalesce(next_run, ''), created_at, updated_at`

func scanSchedule(stmt *sqlite.Stmt) Schedule {
	return Schedule{
		Name:      stmt.ColumnText(0),
		Cron:      stmt.ColumnText(1),
		Timezone:  stmt.ColumnText(2),
		Function:  stmt.ColumnText(3),
		Params:    json.RawMessage(stmt.ColumnText(4)),
		Options:   parseScheduleOptions(stmt.ColumnText(5)),
		Enabled:   stmt.ColumnInt(6) != 0,
		CatchUp:   CatchUp(stmt.ColumnText(7)),
		LastRun:   parseTime(stmt.ColumnText(8)),
		NextRun:   parseTime(stmt.ColumnText(9)),
		CreatedAt: parseTime(stmt.ColumnText(10)),
		UpdatedAt: parseTime(stmt.ColumnText(11)),
	}
}

func setOptionalTime(stmt *sqlite.Stmt, param string, t time.Time) {
	if t.IsZero() {
		stmt.SetNull(param)
		return
	}
	stmt.SetText(param, formatTime(t))
}

// The writes below run on the write connection, inside the open write
// transaction (the store actor's batch).

// InsertSchedule writes a new schedule, created at now. A taken name gives
// an error that matches ErrScheduleExists, and nothing is written.
func (s *Store) InsertSchedule(sc Schedule, now time.Time) error {
	if !sc.CatchUp.Valid() {
		return fmt.Errorf("insert schedule %q: catch-up %q is not one of one, skip", sc.Name, sc.CatchUp)
	}
	params := string(sc.Params)
	if params == "" {
		params = "{}"
	}
	stmt := s.conn.Prep(`INSERT INTO schedules (name, cron, timezone, function, params, options, enabled, catch_up,
		last_run, next_run, created_at, updated_at)
		VALUES ($name, $cron, $tz, $function, $params, $options, $enabled, $catch_up, NULL, $next, $now, $now)
		ON CONFLICT (name) DO NOTHING`)
	defer stmt.Reset()
	stmt.SetText("$name", sc.Name)
	stmt.SetText("$cron", sc.Cron)
	stmt.SetText("$tz", sc.Timezone)
	stmt.SetText("$function", sc.Function)
	stmt.SetText("$params", params)
	stmt.SetText("$options", sc.Options.json())
	stmt.SetBool("$enabled", sc.Enabled)
	stmt.SetText("$catch_up", string(sc.CatchUp))
	setOptionalTime(stmt, "$next", sc.NextRun)
	stmt.SetText("$now", formatTime(now))
	if _, err := stmt.Step(); err != nil {
		return fmt.Errorf("insert schedule %q: %w", sc.Name, interpretError(err))
	}
	if s.conn.Changes() == 0 {
		return &scheduleExistsError{name: sc.Name}
	}
	return s.bumpSchedules()
}

// DeleteSchedule removes a schedule (the jobs it enqueued stay). An
// unknown name gives ErrNotFound.
func (s *Store) DeleteSchedule(name string) error {
	stmt := s.conn.Prep(`DELETE FROM schedules WHERE name = $name`)
	defer stmt.Reset()
	stmt.SetText("$name", name)
	if _, err := stmt.Step(); err != nil {
		return fmt.Errorf("remove schedule %q: %w", name, interpretError(err))
	}
	if s.conn.Changes() == 0 {
		return &notFoundError{what: fmt.Sprintf("schedule %q", name)}
	}
	return s.bumpSchedules()
}

// LockedSchedule reads a schedule on the write connection (inside the
// write transaction, so it cannot change before the transaction ends). An
// unknown name gives ErrNotFound.
func (s *Store) LockedSchedule(name string) (*Schedule, error) {
	stmt := s.conn.Prep(`SELECT ` + scheduleColumns + ` FROM schedules WHERE name = $name`)
	defer stmt.Reset()
	stmt.SetText("$name", name)
	ok, err := stmt.Step()
	if err != nil {
		return nil, fmt.Errorf("read schedule %q: %w", name, interpretError(err))
	}
	if !ok {
		return nil, &notFoundError{what: fmt.Sprintf("schedule %q", name)}
	}
	sc := scanSchedule(stmt)
	return &sc, nil
}

// SetScheduleEnabled pauses (enabled false) or resumes a schedule, with
// its next due time (a resumed schedule starts from the next time after
// now: what it missed while paused is not caught up). An unknown name
// gives ErrNotFound.
func (s *Store) SetScheduleEnabled(name string, enabled bool, next, now time.Time) error {
	stmt := s.conn.Prep(`UPDATE schedules SET enabled = $enabled, next_run = $next, updated_at = $now WHERE name = $name`)
	defer stmt.Reset()
	stmt.SetText("$name", name)
	stmt.SetBool("$enabled", enabled)
	setOptionalTime(stmt, "$next", next)
	stmt.SetText("$now", formatTime(now))
	if _, err := stmt.Step(); err != nil {
		return fmt.Errorf("update schedule %q: %w", name, interpretError(err))
	}
	if s.conn.Changes() == 0 {
		return &notFoundError{what: fmt.Sprintf("schedule %q", name)}
	}
	return s.bumpSchedules()
}

// AdvanceSchedule enqueues a schedule's due time, guarded: it moves
// next_run from due to next (and last_run to run, unless run is zero: a
// skipped catch-up) only when the schedule is enabled and its next_run is
// still due, and only then inserts job (when not nil) in the same
// transaction. So of several nodes (or a node before and after a restart)
// that enqueue the same due time, one does. fired is false, with nothing
// written, when the guard did not hold: another node did it, or the
// schedule changed or is gone.
func (s *Store) AdvanceSchedule(name string, due, next, run time.Time, job *NewJob, now time.Time) (ins []Inserted, fired bool, err error) {
	stmt := s.conn.Prep(`UPDATE schedules SET last_run = coalesce($run, last_run), next_run = $next, updated_at = $now
		WHERE name = $name AND enabled = 1 AND next_run = $due`)
	stmt.SetText("$name", name)
	stmt.SetText("$due", formatTime(due))
	setOptionalTime(stmt, "$next", next)
	setOptionalTime(stmt, "$run", run)
	stmt.SetText("$now", formatTime(now))
	_, err = stmt.Step()
	stmt.Reset()
	if err != nil {
		return nil, false, fmt.Errorf("advance schedule %q: %w", name, interpretError(err))
	}
	if s.conn.Changes() == 0 {
		return nil, false, nil
	}
	if err := s.bumpSchedules(); err != nil {
		return nil, false, err
	}
	if job == nil {
		return nil, true, nil
	}
	ins, err = s.InsertJobs([]NewJob{*job}, now)
	if err != nil {
		return nil, false, fmt.Errorf("enqueue schedule %q: %w", name, err)
	}
	return ins, true, nil
}

// bumpSchedules counts a change to schedules in gigq_meta.
func (s *Store) bumpSchedules() error {
	stmt := s.conn.Prep(`UPDATE gigq_meta SET value = value + 1 WHERE key = 'schedules_seq'`)
	defer stmt.Reset()
	if _, err := stmt.Step(); err != nil {
		return fmt.Errorf("count schedule change: %w", interpretError(err))
	}
	return nil
}

// SchedulesSeq reads, on the write connection, the counter of changes to
// schedules: when it moved, some process changed a schedule.
func (s *Store) SchedulesSeq() (int64, error) {
	v, err := s.metaValue("schedules_seq")
	if err != nil {
		return 0, fmt.Errorf("read schedules_seq: %w", err)
	}
	return v, nil
}

// Schedules reads every schedule, by name, through the read pool.
func (s *Store) Schedules(ctx context.Context) ([]Schedule, error) {
	var out []Schedule
	err := s.read(ctx, func(conn *sqlite.Conn) error {
		stmt := conn.Prep(`SELECT ` + scheduleColumns + ` FROM schedules ORDER BY name`)
		defer stmt.Reset()
		return eachRow(stmt, func() {
			out = append(out, scanSchedule(stmt))
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read schedules: %w", err)
	}
	return out, nil
}
