package bench

import (
	"context"

	"github.com/gigq-go/gigq"
)

// diamond runs one workflow of cfg.Layers layers of cfg.Width no-op steps;
// each step depends on every step of the layer before, and the first
// layer's steps depend on nothing (there is no root). release_ms takes
// every step after the first layer: its start minus the latest completion
// of its parents (see shape.run).
func diamond(ctx context.Context, cfg Config, path string) (*Report, error) {
	return layered("bench_diamond", cfg.Layers, cfg.Width).run(ctx, cfg, path)
}

// layered builds a workflow of layers layers of width no-op steps, each
// depending on every step of the layer before (a chain is one step wide).
func layered(name string, layers, width int) *shape {
	s := newShape(name)
	var prev []*gigq.Step
	for range layers {
		layer := make([]*gigq.Step, width)
		for i := range layer {
			layer[i] = s.add(prev...)
		}
		prev = layer
	}
	return s
}
