package gevent_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gevent-go/gevent"
)

// publicPackages are the directories of the module's importable packages.
var publicPackages = []string{".", "event", "geventtest", "lock", "pool", "queue", "server", "socket"}

// issue 11: no internal type in a public signature. Every type that go doc
// shows for an exported name (a function's or method's parameters and
// results, an exported type's definition with its exported fields and
// methods, an exported variable's declared type) comes from the package
// itself, the standard library or another public package of the module,
// never from internal/...: a user must see everything of a public type with
// go doc.
func TestNoInternalTypeInPublicAPI(t *testing.T) {
	for _, dir := range publicPackages {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range internalRefs(f) {
				t.Errorf("%s: %s in a public declaration", fset.Position(bad.Pos()), src[fset.Position(bad.Pos()).Offset:fset.Position(bad.End()).Offset])
			}
		}
	}
}

// internalRefs returns the references to internal packages in the exported
// declarations of f that go doc shows.
func internalRefs(f *ast.File) []ast.Node {
	internal := map[string]bool{} // local names of internal imports
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if !strings.Contains(path, "/internal/") {
			continue
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		internal[name] = true
	}
	var bad []ast.Node
	check := func(n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && internal[id.Name] {
					bad = append(bad, sel)
				}
			}
			return true
		})
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || (d.Recv != nil && !exportedRecv(d.Recv)) {
				continue
			}
			if d.Recv != nil {
				check(d.Recv)
			}
			check(d.Type)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if s.TypeParams != nil {
						check(s.TypeParams)
					}
					checkType(s.Type, check)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() {
							check(s.Type)
							break
						}
					}
				}
			}
		}
	}
	return bad
}

// checkType checks what go doc shows of a type definition: a struct's
// exported fields, an interface's exported methods (unexported ones only
// show as "Has unexported methods"), anything else whole.
func checkType(t ast.Expr, check func(ast.Node)) {
	switch t := t.(type) {
	case *ast.StructType:
		for _, f := range t.Fields.List {
			exported := false
			for _, n := range f.Names {
				exported = exported || n.IsExported()
			}
			if len(f.Names) == 0 { // embedded: shown when its name is exported
				exported = ast.IsExported(embeddedName(f.Type))
			}
			if exported {
				check(f.Type)
			}
		}
	case *ast.InterfaceType:
		for _, m := range t.Methods.List {
			if len(m.Names) == 0 || m.Names[0].IsExported() {
				check(m.Type)
			}
		}
	default:
		check(t)
	}
}

func embeddedName(t ast.Expr) string {
	switch t := t.(type) {
	case *ast.StarExpr:
		return embeddedName(t.X)
	case *ast.SelectorExpr:
		return t.Sel.Name
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return embeddedName(t.X)
	case *ast.IndexListExpr:
		return embeddedName(t.X)
	}
	return ""
}

func exportedRecv(recv *ast.FieldList) bool {
	if len(recv.List) == 0 {
		return false
	}
	return ast.IsExported(embeddedName(recv.List[0].Type))
}

// The zero HubOption configures nothing (HubOption is opaque: a struct whose
// only field is unexported, so go doc shows no internal type).
func TestZeroHubOption(t *testing.T) {
	ran := false
	err := gevent.Run(context.Background(), func(context.Context) error {
		ran = true
		return nil
	}, gevent.HubOption{})
	if err != nil || !ran {
		t.Fatalf("Run with a zero HubOption = %v, ran = %v", err, ran)
	}
}

// NewGo makes Go's greenlet without starting it (what package pool uses to
// admit a member before it runs): it runs once started, in Go's size, and a
// failure is reported under fn's own name.
func TestNewGoRunsOnlyOnceStarted(t *testing.T) {
	buf := captureLog(t)
	run(t, func(ctx context.Context) error {
		ran := false
		g := gevent.NewGo(ctx, func(context.Context) error { ran = true; return nil })
		gevent.Yield(ctx)
		if ran || g.Alive() || g.Dead() {
			t.Errorf("before Start: ran = %v, Alive = %v, Dead = %v; want all false", ran, g.Alive(), g.Dead())
		}
		g.Start()
		if err := g.Join(ctx); err != nil {
			return err
		}
		if !ran || !g.Successful() {
			t.Errorf("after Start and Join: ran = %v, Successful = %v", ran, g.Successful())
		}
		failed := gevent.NewGo(ctx, failC)
		failed.Start()
		return failed.Join(ctx)
	})
	if !strings.Contains(buf.String(), "greenlet=gevent_test.failC ") {
		t.Errorf("report = %q, want it to name failC", buf)
	}
}
