package bench_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/bench"
)

// recorder is a Progress that records the phases it is told of.
type recorder struct {
	mu       sync.Mutex
	phases   []string
	totals   map[string]int
	added    map[string]int
	current  string
	finishes int
}

func newRecorder() *recorder { return &recorder{totals: map[string]int{}, added: map[string]int{}} }

func (r *recorder) Start(what string, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phases, r.totals[what], r.current = append(r.phases, what), total, what
}

func (r *recorder) Add(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.added[r.current] += n
}

func (r *recorder) Finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finishes++
	r.current = ""
}

func TestProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		cfg      bench.Config
		phases   []string
		steps    int
	}{
		{"burndown", bench.Config{Jobs: 50}, []string{"insert", "work"}, 50},
		{"depth", bench.Config{Jobs: 20, Queued: 30}, []string{"queue", "insert", "work"}, 20},
		{"fanout", bench.Config{Width: 8}, []string{"work"}, 10},
		{"ceiling", bench.Config{Jobs: 1500}, []string{"insert", "claim+complete"}, 1500},
	} {
		rec := newRecorder()
		tc.cfg.Progress = rec
		tc.cfg.DB = filepath.Join(t.TempDir(), "bench.db")
		r, err := bench.Run(context.Background(), tc.scenario, tc.cfg)
		require.NoError(t, err, tc.scenario)
		require.Nil(t, r.Config.Progress, "the report does not keep the hook")
		var want []string
		for _, p := range tc.phases {
			want = append(want, tc.scenario+": "+p)
		}
		require.Equal(t, want, rec.phases, tc.scenario)
		last := want[len(want)-1]
		require.Equal(t, tc.steps, rec.totals[last], tc.scenario)
		require.Equal(t, tc.steps, rec.added[last], tc.scenario)
		require.Equal(t, 1, rec.finishes, "Run finishes the progress once")
		if tc.scenario == "depth" {
			require.Equal(t, 30, rec.added["depth: queue"])
		}
	}
}

func TestProgressSteady(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	r := runScenario(t, "steady", bench.Config{Rate: 100, Duration: bench.MinDuration, Progress: rec})
	require.Equal(t, []string{"steady: submit"}, rec.phases)
	require.Equal(t, 100, rec.totals["steady: submit"])
	require.Equal(t, r.Jobs, rec.added["steady: submit"], "one step a submit")
	require.Equal(t, 1, rec.finishes)
}

func TestProgressFinishedOnError(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := bench.Run(ctx, "burndown", bench.Config{Jobs: 10, Progress: rec,
		DB: filepath.Join(t.TempDir(), "bench.db")})
	require.Error(t, err)
	require.Equal(t, 1, rec.finishes)
}

func TestProgressBar(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer // the bar writes under its own lock
	bar := bench.NewProgressBar(&out)
	bar.Start("insert", 100)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				bar.Add(1)
			}
		})
	}
	wg.Wait()
	bar.Start("work", 10) // ends the phase before
	bar.Add(3)
	bar.Finish()
	bar.Finish() // a no-op
	bar.Add(1)   // after Finish: ignored
	s := out.String()
	require.Contains(t, s, "insert")
	require.Contains(t, s, "work")
	require.Contains(t, s, "\r", "it redraws its line")
	require.True(t, strings.HasSuffix(s, "\r"), "it erases its line at the end: %q", s)
	last := s[strings.LastIndex(strings.TrimSuffix(s, "\r"), "\r")+1:]
	require.Empty(t, strings.TrimSpace(last), "the last thing drawn is blanks: %q", s)
}
