package gevent_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/lock"
	"github.com/gevent-go/gevent/pool"
	"github.com/gevent-go/gevent/queue"
)

// publicPackages are the directories of the module's importable packages.
var publicPackages = []string{".", "debug", "event", "geventtest", "lock", "pool", "queue", "server", "socket"}

// issue 11: no internal type in a public signature. Every type that go doc
// shows for an exported name (a function's or method's parameters and
// results, an exported type's definition with its exported fields and
// methods, an exported variable's declaration with its initial value) comes
// from the package itself, the standard library or another public package of
// the module, never from internal/...: a user must see everything of a
// public type with go doc.
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
							check(s.Type) // go doc shows the declaration whole
							for _, v := range s.Values {
								check(v)
							}
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
	geventtest.Run(t, func(ctx context.Context) error {
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

// issue 11: one way to word failures. Every panic message and every error
// text a package writes starts with its name: "gevent: " in the root
// package, "gevent/<pkg>: " in a subpackage (panics built by concatenation
// or fmt.Sprintf are checked on their leading literal; panic(v) of a value
// is not a message of ours).
func TestFailureMessagesNameTheirPackage(t *testing.T) {
	for _, dir := range publicPackages {
		prefix := "gevent: "
		if dir != "." {
			prefix = "gevent/" + dir + ": "
		}
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				var msg ast.Expr
				switch fun := call.Fun.(type) {
				case *ast.Ident:
					switch {
					case fun.Name == "panic":
						msg = call.Args[0]
					case fun.Name == "logf" && len(call.Args) > 1: // server's logf(logger, format, ...)
						msg = call.Args[1]
					}
				case *ast.SelectorExpr:
					switch x, _ := fun.X.(*ast.Ident); {
					case x == nil:
					case x.Name == "errors" && fun.Sel.Name == "New",
						x.Name == "fmt" && fun.Sel.Name == "Errorf":
						msg = call.Args[0]
					case x.Name == "core" && fun.Sel.Name == "MustHub" && len(call.Args) == 2:
						msg = call.Args[1]
					}
				}
				if lit := leadingLiteral(msg); lit != "" {
					if s, _ := strconv.Unquote(lit); !strings.HasPrefix(s, prefix) && !strings.HasPrefix(s, "%w") {
						t.Errorf("%s: %s does not start with %q", fset.Position(call.Pos()), lit, prefix)
					}
				}
				return true
			})
		}
	}
}

// leadingLiteral returns the string literal a message expression starts
// with: the literal itself, the left end of a concatenation, or the format
// of fmt.Sprintf; "" for anything else.
func leadingLiteral(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			return e.Value
		}
	case *ast.BinaryExpr:
		return leadingLiteral(e.X)
	case *ast.CallExpr:
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(e.Args) > 0 {
			return leadingLiteral(e.Args[0])
		}
	case *ast.ParenExpr:
		return leadingLiteral(e.X)
	}
	return ""
}

// issue 11: an available unit, item or slot is taken even when ctx is
// already cancelled (gevent's rule: a call that need not wait does not look
// at its timeout; x/sync's semaphore does the opposite), by every Acquire,
// Get, Put and Spawn; a call that has to wait fails at once.
func TestAvailableIsTakenWithACancelledContext(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		ok := func(name string, err error) {
			t.Helper()
			if err != nil {
				t.Errorf("%s with a cancelled ctx = %v, want nil", name, err)
			}
		}
		sem := lock.NewSemaphore(1)
		ok("Semaphore.Acquire", sem.Acquire(cctx))
		if err := sem.Acquire(cctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Semaphore.Acquire that must wait = %v, want context.Canceled", err)
		}
		ok("BoundedSemaphore.Acquire", lock.NewBoundedSemaphore(1).Acquire(cctx))
		var r lock.Reentrant
		ok("Reentrant.Acquire", r.Acquire(cctx))
		ok("Reentrant.Acquire (re-entry)", r.Acquire(cctx))
		r.Release(ctx)
		r.Release(ctx)
		ok("Dummy.Acquire", lock.Dummy{}.Acquire(cctx))

		q := queue.New[int](1)
		ok("Queue.Put", q.Put(cctx, 1))
		_, err := q.Peek(cctx)
		ok("Queue.Peek", err)
		_, err = q.Get(cctx)
		ok("Queue.Get", err)
		if _, err := q.Get(cctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Queue.Get that must wait = %v, want context.Canceled", err)
		}
		var ch queue.Channel[int]
		getter := gevent.Spawn(ctx, ch.Get)
		gevent.Yield(ctx) // the getter waits
		ok("Channel.Put to a waiting Get", ch.Put(cctx, 7))
		if v, err := getter.Get(ctx); v != 7 || err != nil {
			t.Errorf("waiting Get = %v, %v; want 7, nil", v, err)
		}
		putter := gevent.Go(ctx, func(ctx context.Context) error { return ch.Put(ctx, 8) })
		gevent.Yield(ctx) // the putter waits
		_, err = ch.Peek(cctx)
		ok("Channel.Peek of a waiting Put", err)
		v, err := ch.Get(cctx)
		ok("Channel.Get from a waiting Put", err)
		if err := putter.Join(ctx); err != nil || putter.Err() != nil || v != 8 {
			t.Errorf("waiting Put = %v, %v; Get = %v, want 8", err, putter.Err(), v)
		}

		var ar event.AsyncResult[int]
		ar.Set(3)
		_, err = ar.Get(cctx)
		ok("AsyncResult.Get", err)
		_, err = getter.Get(cctx)
		ok("Greenlet.Get of an ended greenlet", err)

		p := pool.NewPool(1)
		member, err := p.Spawn(cctx, func(context.Context) error { return nil })
		ok("Pool.Spawn", err)
		if _, err := pool.Spawn(cctx, p, func(context.Context) (int, error) { return 0, nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("pool.Spawn that must wait = %v, want context.Canceled", err)
		}
		if err := p.Join(ctx); err != nil || member.Err() != nil {
			t.Errorf("pool member: %v, %v", err, member.Err())
		}
		added := gevent.NewGo(ctx, func(context.Context) error { return nil })
		ok("Pool.Add", p.Add(cctx, added))
		added.Start()
		return p.Join(ctx)
	})
}
