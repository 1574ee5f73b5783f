package bench

import (
	"context"
	"fmt"
	"time"
)

// Planned is one run of a suite: a scenario and its configuration.
type Planned struct {
	Scenario string
	Config   Config
}

// allSizes are the sizes "all" runs each scenario at, in this order: the
// whole set takes a few minutes on 2 cores.
var allSizes = []Planned{
	{"burndown", Config{Jobs: 100_000}},
	{"chain", Config{Steps: 1000}},
	{"fanout", Config{Width: 1000}},
	{"depth", Config{Jobs: 10_000, Queued: 100_000}},
	{"steady", Config{Rate: 500, Duration: 10 * time.Second}},
	{"ceiling", Config{Jobs: 100_000}},
}

// AllPlan is what "all" runs: burndown 100,000 jobs, chain 1,000 steps,
// fanout width 1,000, depth 10,000 jobs behind 100,000 queued, steady 500
// jobs/s for 10 s, ceiling 100,000 jobs; each on a temporary database,
// with the given workers (0: DefaultWorkers; not for ceiling) and sync
// ("": normal).
func AllPlan(workers int, sync string) []Planned {
	plan := make([]Planned, len(allSizes))
	for i, p := range allSizes {
		p.Config.Sync = sync
		if scenarios[p.Scenario].workers {
			p.Config.Workers = workers
		}
		plan[i] = p
	}
	return plan
}

// RunAll validates every run of the plan, then runs them one after
// another and returns their reports, in order.
func RunAll(ctx context.Context, plan []Planned) ([]*Report, error) {
	for _, p := range plan {
		if err := Validate(p.Scenario, p.Config); err != nil {
			return nil, err
		}
	}
	reports := make([]*Report, 0, len(plan))
	for _, p := range plan {
		r, err := Run(ctx, p.Scenario, p.Config)
		if err != nil {
			return nil, fmt.Errorf("bench all: %w", err)
		}
		reports = append(reports, r)
	}
	return reports, nil
}
