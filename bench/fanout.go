package bench

import (
	"context"

	"github.com/gigq-go/gigq"
)

// fanout runs one workflow of a root, cfg.Width no-op steps that depend on
// it, and a sink that depends on all of them: cfg.Width+2 jobs. release_ms
// takes the root → middle edges and the sink's release after its last
// parent (see shape.run).
func fanout(ctx context.Context, cfg Config, path string) (*Report, error) {
	s := newShape("bench_fanout")
	root := s.add()
	mid := make([]*gigq.Step, cfg.Width)
	for i := range mid {
		mid[i] = s.add(root)
	}
	s.add(mid...)
	return s.run(ctx, cfg, path)
}
