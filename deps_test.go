package gigq_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDependencyRules checks the layering: cmd → root only; gigqtest runs
// handlers without the actors; messages and persistence never import
// actors or protoactor; actors never import the root package; bench uses
// the public API only (and SQLite itself, for the ceiling); and no package
// imports upstream protoactor-go, whose unpatched remote transport gigq
// replaces with internal/protoactor.
func TestDependencyRules(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not available")
	}
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	require.NoError(t, err)
	const mod = "github.com/gigq-go/gigq"
	const upstream = "github.com/asynkron/protoactor-go" // only tests may import it
	forbidden := map[string][]string{
		mod + "/cmd/gigq":    {mod + "/actors", mod + "/persistence", mod + "/messages", mod + "/internal/protoactor"},
		mod + "/messages":    {mod + "/actors", mod, mod + "/internal/protoactor"},
		mod + "/persistence": {mod + "/actors", mod + "/messages", mod, mod + "/internal/protoactor"},
		mod + "/actors":      {mod},
		mod + "/bench":       {mod + "/actors", mod + "/persistence", mod + "/messages", mod + "/internal/protoactor"},
		mod + "/gigqtest":    {mod + "/actors", mod + "/messages", mod + "/internal/protoactor"},
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		require.NoError(t, dec.Decode(&p))
		for _, imp := range p.Imports {
			if imp == upstream || strings.HasPrefix(imp, upstream+"/") {
				t.Errorf("%s imports %s: use gigq's patched copy under internal/protoactor (PATCHES.md)", p.ImportPath, imp)
			}
		}
		bad, ok := forbidden[p.ImportPath]
		if !ok {
			continue
		}
		seen++
		for _, imp := range p.Imports {
			for _, b := range bad {
				if imp == b || (b != mod && strings.HasPrefix(imp, b+"/")) {
					t.Errorf("%s imports %s, which the layering forbids", p.ImportPath, imp)
				}
			}
		}
	}
	require.Equal(t, len(forbidden), seen, "every checked package was listed")
}
