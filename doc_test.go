package gigq_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// docAliases maps each type alias of the root package to its target, for
// TestDocs: go doc shows an alias's own comment and nothing of the target,
// so that comment must name every exported field and method of it.
var docAliases = map[string]reflect.Type{
	"JobID":           reflect.TypeOf(gigq.JobID("")),
	"ExecutionID":     reflect.TypeOf(gigq.ExecutionID("")),
	"WorkflowID":      reflect.TypeOf(gigq.WorkflowID("")),
	"Status":          reflect.TypeOf(gigq.Status("")),
	"EventKind":       reflect.TypeOf(gigq.EventKind("")),
	"WorkflowStatus":  reflect.TypeOf(gigq.WorkflowStatus("")),
	"CatchUp":         reflect.TypeOf(gigq.CatchUp("")),
	"TransitionError": reflect.TypeOf(gigq.TransitionError{}),
	"SnoozeError":     reflect.TypeOf(gigq.SnoozeError{}),
}

// TestDocs keeps the public API documented, as go doc shows it: every
// exported name of the root package has a doc comment, every exported
// field of its structs (and method of its interfaces) a comment, and every
// alias's comment names what go doc would not show of its target.
func TestDocs(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		require.NoError(t, err)
		files = append(files, f)
	}
	require.NotEmpty(t, files)
	pkg, err := doc.NewFromFiles(fset, files, "github.com/gigq-go/gigq", doc.PreserveAST)
	require.NoError(t, err)
	at := func(n ast.Node) string { return fset.Position(n.Pos()).String() }

	t.Run("Names", func(t *testing.T) {
		if strings.TrimSpace(pkg.Doc) == "" {
			t.Error("package gigq has no package comment (doc.go)")
		}
		values := func(kind string, vs []*doc.Value) {
			for _, v := range vs {
				if strings.TrimSpace(v.Doc) != "" {
					continue // a documented group covers its names
				}
				for _, s := range v.Decl.Specs {
					s := s.(*ast.ValueSpec)
					if s.Doc.Text() != "" || s.Comment.Text() != "" {
						continue
					}
					for _, n := range s.Names {
						if n.IsExported() {
							t.Errorf("%s: %s %s has no doc comment (nor has its group)", at(n), kind, n.Name)
						}
					}
				}
			}
		}
		funcs := func(fs []*doc.Func) {
			for _, f := range fs {
				if f.Level > 0 {
					continue // promoted from an embedded type: documented there
				}
				name := f.Name
				if f.Recv != "" {
					name = strings.TrimPrefix(f.Recv, "*") + "." + f.Name
				}
				switch {
				case strings.TrimSpace(f.Doc) == "":
					t.Errorf("%s: func %s has no doc comment", at(f.Decl), name)
				case !startsWithName(f.Doc, f.Name):
					t.Errorf("%s: the doc comment of func %s does not start with %s: %.40q", at(f.Decl), name, f.Name, f.Doc)
				}
			}
		}
		values("const", pkg.Consts)
		values("var", pkg.Vars)
		funcs(pkg.Funcs)
		for _, typ := range pkg.Types {
			switch {
			case strings.TrimSpace(typ.Doc) == "":
				t.Errorf("%s: type %s has no doc comment", at(typ.Decl), typ.Name)
			case !startsWithName(typ.Doc, typ.Name):
				t.Errorf("%s: the doc comment of type %s does not start with %s: %.40q", at(typ.Decl), typ.Name, typ.Name, typ.Doc)
			}
			values("const", typ.Consts)
			values("var", typ.Vars)
			funcs(typ.Funcs)
			funcs(typ.Methods)
		}
	})

	t.Run("Fields", func(t *testing.T) {
		for _, typ := range pkg.Types {
			spec := typeSpec(typ)
			if spec.Assign.IsValid() {
				continue // an alias: see Aliases
			}
			var fields *ast.FieldList
			what := "field"
			switch x := spec.Type.(type) {
			case *ast.StructType:
				fields = x.Fields
			case *ast.InterfaceType:
				fields, what = x.Methods, "method"
			default:
				continue
			}
			for _, f := range fields.List {
				if f.Doc.Text() != "" || f.Comment.Text() != "" {
					continue
				}
				for _, name := range fieldNames(f) {
					if ast.IsExported(name) {
						t.Errorf("%s: %s %s.%s has no comment (a doc comment above it or a line comment after it)",
							at(f), what, typ.Name, name)
					}
				}
			}
		}
	})

	t.Run("Aliases", func(t *testing.T) {
		seen := map[string]bool{}
		for _, typ := range pkg.Types {
			spec := typeSpec(typ)
			if !spec.Assign.IsValid() {
				continue
			}
			seen[typ.Name] = true
			target, ok := docAliases[typ.Name]
			if !ok {
				t.Errorf("%s: type %s is an alias that TestDocs does not know: add it to the map docAliases in doc_test.go "+
					"(%q: reflect.TypeOf(gigq.%s...)) so its comment is checked", at(spec), typ.Name, typ.Name, typ.Name)
				continue
			}
			named := func(kind, name string) {
				if !regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`).MatchString(typ.Doc) {
					t.Errorf("%s: the doc comment of alias %s does not name %s %s of %s: go doc shows only that comment, so say what %s is",
						at(spec), typ.Name, kind, name, target, name)
				}
			}
			if target.Kind() == reflect.Struct {
				for f := range target.Fields() {
					if f.IsExported() {
						named("field", f.Name)
					}
				}
			}
			for m := range reflect.PointerTo(target).Methods() { // T's methods and *T's
				named("method", m.Name)
			}
		}
		for name := range docAliases {
			if !seen[name] {
				t.Errorf("docAliases in doc_test.go lists %s, which is no longer an alias in the root package: remove it from the map", name)
			}
		}
	})
}

// startsWithName reports whether a doc comment starts with the name it
// documents, perhaps after "A", "An" or "The".
func startsWithName(text, name string) bool {
	for _, article := range []string{"A ", "An ", "The "} {
		text = strings.TrimPrefix(text, article)
	}
	rest, ok := strings.CutPrefix(text, name)
	return ok && (rest == "" || !regexp.MustCompile(`^[\pL\pN_]`).MatchString(rest))
}

// typeSpec is the declaration of a documented type.
func typeSpec(typ *doc.Type) *ast.TypeSpec {
	for _, s := range typ.Decl.Specs {
		if s := s.(*ast.TypeSpec); s.Name.Name == typ.Name {
			return s
		}
	}
	panic("no declaration of type " + typ.Name)
}

// fieldNames are the names a struct field (or interface method) declares;
// an embedded field is named by its type.
func fieldNames(f *ast.Field) []string {
	if len(f.Names) > 0 {
		out := make([]string, len(f.Names))
		for i, n := range f.Names {
			out[i] = n.Name
		}
		return out
	}
	x := f.Type
	if s, ok := x.(*ast.StarExpr); ok {
		x = s.X
	}
	switch x := x.(type) {
	case *ast.Ident:
		return []string{x.Name}
	case *ast.SelectorExpr:
		return []string{x.Sel.Name}
	}
	return nil
}
