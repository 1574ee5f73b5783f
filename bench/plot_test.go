package bench_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq/bench"
)

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// requirePlotFile checks that path holds an SVG or a PNG image, by its
// extension.
func requirePlotFile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	switch filepath.Ext(path) {
	case ".svg":
		require.True(t, bytes.HasPrefix(data, []byte("<?xml")) || bytes.HasPrefix(data, []byte("<svg")), "%.100q", data)
		require.Contains(t, string(data), "</svg>")
	case ".png":
		require.True(t, bytes.HasPrefix(data, pngMagic), "%.20q", data)
	default:
		t.Fatalf("unexpected plot file %s", path)
	}
}

func TestWritePlot(t *testing.T) {
	t.Parallel()
	burndown := runScenario(t, "burndown", bench.Config{Jobs: 50})
	chain := runScenario(t, "chain", bench.Config{Steps: 5})
	dir := t.TempDir()
	for _, tc := range []struct {
		r    *bench.Report
		file string
	}{
		{burndown, "burndown.svg"}, {burndown, "burndown.PNG"}, {chain, "chain.svg"}, {chain, "chain.png"},
	} {
		path := filepath.Join(dir, tc.file)
		require.NoError(t, tc.r.WritePlot(path), tc.file)
		if filepath.Ext(tc.file) == ".PNG" {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(data, pngMagic))
			continue
		}
		requirePlotFile(t, path)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "chain.svg"))
	require.NoError(t, err)
	require.Contains(t, string(svg), "release_ms", "chain's plot has the release histogram")
}

func TestWritePlotErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"plot.pdf", "plot", "plot.svg.gz", "svg"} {
		err := bench.CheckPlotPath(filepath.Join(dir, name))
		require.ErrorContains(t, err, "must end in .svg or .png", name)
	}
	require.NoError(t, bench.CheckPlotPath("x.SVG"))

	r := &bench.Report{Scenario: "burndown", Jobs: 1, Series: &bench.Series{}}
	require.ErrorContains(t, r.WritePlot(filepath.Join(dir, "plot.jpg")), "must end in .svg or .png")
	require.ErrorContains(t, (&bench.Report{}).WritePlot(filepath.Join(dir, "none.svg")), "no series")
	require.NoFileExists(t, filepath.Join(dir, "plot.jpg"))
	require.NoFileExists(t, filepath.Join(dir, "none.svg"))

	empty := filepath.Join(dir, "empty.svg")
	require.NoError(t, r.WritePlot(empty), "no completions: an empty panel")
	requirePlotFile(t, empty)
	require.Error(t, r.WritePlot(filepath.Join(dir, "missing", "plot.svg")), "a directory that does not exist")
}
