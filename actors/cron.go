package actors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/gigq-go/gigq/internal/protoactor/actor"
	"github.com/gigq-go/gigq/messages"
	"github.com/gigq-go/gigq/persistence"
)

// cronActor enqueues the jobs of cron schedules. It keeps the enabled
// schedules in memory with one timer (Deps.Clock) armed for the earliest
// next run; on the tick it asks the store to enqueue each due schedule
// (FireSchedules), which does so only if the schedule's next_run is still
// that due time, in the transaction that inserts the job. So with several
// nodes on one file each due time is enqueued once: the others are told
// the schedule moved on, and follow.
//
// Due times missed while no node ran (found at start: next_run is in the
// past), or several passed at once: with catch-up "one", one job for the
// latest of them; with "skip", none. Either way next_run moves to the
// first due time after now, guarded the same way.
//
// State: the schedules and the timer. On NodeStarted (at start and after a
// restart) it reloads them from the database; on SchedulesChanged (this
// node changed one, or the store saw another process do so) it reloads
// them too. Nothing polls.
type cronActor struct {
	deps    *Deps
	log     zerolog.Logger
	entries map[string]*cronEntry
	stop    func() bool // the armed timer
	armed   time.Time   // when it fires; zero when not armed
	gen     int         // the armed timer's generation: older ticks are ignored
	busy    bool        // a FireSchedules is waiting for its reply
	retry   bool        // the last FireSchedules failed: try again at the next tick
}

// cronEntry is one enabled schedule, parsed.
type cronEntry struct {
	sc   persistence.Schedule
	spec CronSchedule
	// startup: loaded at NodeStarted; a next_run in the past then means
	// runs were missed while no node ran.
	startup bool
}

// cronTick is sent by the cron actor's timer to the cron actor.
type cronTick struct{ gen int }

// cronReply carries the store's answer (or the request's failure) back
// into the cron actor.
type cronReply struct {
	fires []messages.FireSchedule
	reply *messages.FireSchedulesReply
	err   error
}

// cronRetry is how long the cron actor waits before it tries again after
// the store failed to enqueue.
const cronRetry = time.Second

// cronLate is how long ago a due time found at start must have passed to
// count as missed while no node ran: one that passed just now is run, not
// skipped (another node may be enqueueing it as this one starts).
const cronLate = 5 * time.Second

// cronRequestTimeout bounds a FireSchedules request (a store that restarted
// drops its batch and never answers).
const cronRequestTimeout = 30 * time.Second

func newCronProps(d *Deps) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &cronActor{deps: d, log: d.Logger.With().Str("actor", "cron").Logger()}
	})
}

func (c *cronActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *messages.NodeStarted:
		c.load(true)
		c.fire(ctx)
	case *messages.SchedulesChanged:
		c.load(false)
		c.fire(ctx)
	case *cronTick:
		if msg.gen != c.gen {
			return
		}
		c.armed, c.stop, c.retry = time.Time{}, nil, false
		c.fire(ctx)
	case *cronReply:
		c.handleReply(msg)
		c.fire(ctx)
	case *actor.Stopping, *actor.Restarting:
		c.disarm()
	case actor.SystemMessage, actor.AutoReceiveMessage:
	default:
		c.log.Warn().Str("type", fmt.Sprintf("%T", msg)).Msg("unhandled message")
	}
}

// load reads the schedules and keeps the enabled ones.
func (c *cronActor) load(startup bool) {
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := c.deps.Reader.Schedules(rctx)
	if err != nil {
		// Nothing is lost: the next change or restart reads them again,
		// and a late run is caught up.
		c.deps.unlessDamaged(c.log.Error(), err).Err(err).Msg("load schedules")
		return
	}
	entries := make(map[string]*cronEntry, len(rows))
	for _, sc := range rows {
		if !sc.Enabled || sc.NextRun.IsZero() {
			continue
		}
		spec, err := ParseCron(sc.Cron, sc.Timezone)
		if err != nil {
			c.deps.unlessDamaged(c.log.Error(), err).Err(err).Str("schedule", sc.Name).Msg("schedule not armed")
			continue
		}
		e := &cronEntry{sc: sc, spec: spec, startup: startup}
		if old, ok := c.entries[sc.Name]; ok && !startup && old.startup && old.sc.NextRun.Equal(sc.NextRun) {
			e.startup = true // its catch-up is still to be done
		}
		entries[sc.Name] = e
	}
	c.entries = entries
}

// fire asks the store to enqueue every due schedule and arms the timer for
// the next one. One request at a time: the reply fires again.
func (c *cronActor) fire(ctx actor.Context) {
	if c.busy {
		return
	}
	now := c.deps.Clock.Now()
	var fires []messages.FireSchedule
	if !c.retry {
		for _, e := range c.entries {
			if e.sc.NextRun.After(now) {
				continue
			}
			f, err := c.due(e, now)
			if err != nil {
				c.deps.unlessDamaged(c.log.Error(), err).Err(err).Str("schedule", e.sc.Name).Msg("schedule not enqueued")
				continue
			}
			fires = append(fires, f)
		}
	}
	if len(fires) > 0 {
		c.busy = true
		c.disarm()
		f := ctx.RequestFuture(c.deps.store, &messages.FireSchedules{Fires: fires}, cronRequestTimeout)
		ctx.ReenterAfter(f, func(res any, err error) {
			r, _ := res.(*messages.FireSchedulesReply)
			if err == nil && r == nil {
				err = fmt.Errorf("unexpected reply %T", res)
			}
			ctx.Send(ctx.Self(), &cronReply{fires: fires, reply: r, err: err})
		})
		return
	}
	c.arm(ctx, now)
}

// due builds the command that enqueues e's due time (or the latest of the
// due times that passed) and moves it on.
func (c *cronActor) due(e *cronEntry, now time.Time) (messages.FireSchedule, error) {
	sc := e.sc
	f := messages.FireSchedule{Name: sc.Name, Due: sc.NextRun}
	latest := latestDue(e.spec, sc.NextRun, now)
	missed := latest.After(sc.NextRun) || (e.startup && now.Sub(sc.NextRun) > cronLate)
	switch {
	case !missed:
		f.Run = sc.NextRun
	case sc.CatchUp == persistence.CatchUpSkip:
		c.log.Info().Str("schedule", sc.Name).Time("missed_since", sc.NextRun).Msg("missed runs skipped")
	default:
		f.Run = latest
		c.log.Info().Str("schedule", sc.Name).Time("missed_since", sc.NextRun).Time("run", latest).Msg("missed runs caught up with one job")
	}
	f.Next = e.spec.Next(latest)
	if f.Run.IsZero() {
		return f, nil
	}
	id, err := uuid.NewV7()
	if err != nil {
		return f, fmt.Errorf("new job id: %w", err)
	}
	o := sc.Options
	name := o.Name
	if name == "" {
		name = sc.Name
	}
	f.Job = &persistence.NewJob{ID: persistence.JobID(id.String()), Name: name, Function: sc.Function, Params: sc.Params,
		Priority: o.Priority, MaxAttempts: o.MaxAttempts, Timeout: o.Timeout, RetryDelay: o.RetryDelay, Description: o.Description}
	return f, nil
}

// maxCatchUpSteps bounds the walk to the latest missed due time.
const maxCatchUpSteps = 100_000

// latestDue is the latest of spec's times from due (itself due, so not
// after now) up to now. It searches back from now in growing windows, so a
// long outage of a frequent schedule costs a few steps, not one per missed
// run.
func latestDue(spec CronSchedule, due, now time.Time) time.Time {
	start := due
	for w := time.Second; now.Sub(due) > w; w *= 2 {
		if n := spec.Next(now.Add(-w)); !n.IsZero() && !n.After(now) {
			start = now.Add(-w)
			break
		}
	}
	latest := due
	for i, n := 0, spec.Next(start); i < maxCatchUpSteps && !n.IsZero() && !n.After(now); i, n = i+1, spec.Next(n) {
		latest = n
	}
	return latest
}

// handleReply takes in what the store did with a FireSchedules.
func (c *cronActor) handleReply(r *cronReply) {
	c.busy = false
	if r.err != nil {
		c.deps.unlessDamaged(c.log.Warn(), r.err).Err(r.err).Msg("enqueue due schedules; retrying")
		c.retry = true
		return
	}
	for i, res := range r.reply.Results {
		f := r.fires[i]
		e := c.entries[f.Name]
		switch {
		case res.Err != nil:
			c.deps.unlessDamaged(c.log.Warn(), res.Err).Err(res.Err).Str("schedule", f.Name).Msg("enqueue due schedule; retrying")
			c.retry = true
		case res.Fired:
			if e == nil || !e.sc.NextRun.Equal(f.Due) {
				continue // reloaded meanwhile, from after the commit
			}
			e.sc.NextRun, e.startup = f.Next, false
			if !f.Run.IsZero() {
				e.sc.LastRun = f.Run
				c.log.Debug().Str("schedule", f.Name).Str("job_id", string(f.Job.ID)).Time("due", f.Run).Msg("schedule enqueued")
			}
			if f.Next.IsZero() {
				delete(c.entries, f.Name)
			}
		case res.Schedule == nil || !res.Schedule.Enabled || res.Schedule.NextRun.IsZero():
			delete(c.entries, f.Name) // removed or paused meanwhile
		default:
			// Another node enqueued it (or it was changed): follow the row.
			sc := *res.Schedule
			if spec, err := ParseCron(sc.Cron, sc.Timezone); err == nil {
				c.entries[f.Name] = &cronEntry{sc: sc, spec: spec}
			} else {
				delete(c.entries, f.Name)
			}
		}
	}
}

// arm sets the timer for the earliest next run (or, after a failure, for
// a retry).
func (c *cronActor) arm(ctx actor.Context, now time.Time) {
	var next time.Time
	if c.retry {
		next = now.Add(cronRetry)
	} else {
		for _, e := range c.entries {
			if next.IsZero() || e.sc.NextRun.Before(next) {
				next = e.sc.NextRun
			}
		}
	}
	if next.IsZero() {
		c.disarm()
		return
	}
	if !c.armed.IsZero() && c.armed.Equal(next) {
		return // already armed for it
	}
	c.disarm()
	c.gen++
	gen, self, root := c.gen, ctx.Self(), ctx.ActorSystem().Root
	c.armed = next
	c.stop = c.deps.Clock.AfterFunc(next.Sub(now), func() { root.Send(self, &cronTick{gen: gen}) })
}

func (c *cronActor) disarm() {
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.armed = time.Time{}
}

// CronSchedule is a parsed cron expression: Next is the first due time
// after t (zero when there is none).
type CronSchedule interface {
	Next(t time.Time) time.Time
}

// cronParser reads standard cron expressions (minute hour day-of-month
// month day-of-week), with an optional leading seconds field, and
// descriptors (@hourly, @every 5m).
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// inZone computes a schedule's times in its time zone.
type inZone struct {
	spec cron.Schedule
	loc  *time.Location
}

func (z inZone) Next(t time.Time) time.Time {
	n := z.spec.Next(t.In(z.loc))
	if n.IsZero() {
		return n
	}
	return n.UTC()
}

// ErrInvalidSchedule matches the errors of ParseCron: a cron expression or
// time zone that cannot be used.
var ErrInvalidSchedule = errors.New("invalid schedule")

// ParseCron parses a cron expression (robfig/cron syntax: five fields, or
// six with seconds first, or a descriptor such as @hourly or @every 1h30m)
// in a time zone (an IANA name; "" means UTC). The expression may start
// with CRON_TZ=<zone> instead, which must then agree with timezone when
// that is given. Errors match ErrInvalidSchedule and say what to fix.
func ParseCron(expr, timezone string) (CronSchedule, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, fmt.Errorf("%w: the cron expression is empty: give five fields (minute hour day-of-month month day-of-week), e.g. \"0 * * * *\"", ErrInvalidSchedule)
	}
	if strings.HasPrefix(expr, "CRON_TZ=") || strings.HasPrefix(expr, "TZ=") {
		prefix, rest, _ := strings.Cut(expr, " ")
		_, zone, _ := strings.Cut(prefix, "=")
		if timezone != "" && timezone != zone {
			return nil, fmt.Errorf("%w: the cron expression names time zone %q but the schedule's time zone is %q: give the time zone once",
				ErrInvalidSchedule, zone, timezone)
		}
		timezone, expr = zone, strings.TrimSpace(rest)
	}
	if timezone == "" {
		timezone = "UTC"
	}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return nil, fmt.Errorf("%w: unknown time zone %q: use an IANA name such as \"UTC\" or \"Europe/Berlin\"", ErrInvalidSchedule, timezone)
	}
	spec, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("%w: cron expression %q: %v: use five fields (minute hour day-of-month month day-of-week), six with seconds first, or a descriptor such as @hourly",
			ErrInvalidSchedule, expr, err)
	}
	z := inZone{spec: spec, loc: loc}
	if z.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("%w: cron expression %q never matches a date: check the day of month and month", ErrInvalidSchedule, expr)
	}
	return z, nil
}
