package optspec

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/eventsource"
)

const root = "../.."

// The generated files are what the table makes of them now: run
// go generate ./wasm/optspec after changing it.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	js, err := RenderJS()
	require.NoError(t, err)
	onDisk, err := os.ReadFile(filepath.Join(root, JSFile))
	require.NoError(t, err)
	assert.Equal(t, string(js), string(onDisk), "%s is stale: go generate ./wasm/optspec", JSFile)

	onDisk, err = os.ReadFile(filepath.Join(root, DTSFile))
	require.NoError(t, err)
	dts, err := RenderDTS(onDisk)
	require.NoError(t, err)
	assert.Equal(t, string(dts), string(onDisk), "%s is stale: go generate ./wasm/optspec", DTSFile)
}

// engineOptions lists the table's options the engine reads, as the bridge
// names them: a group and each of its members ("ping", "ping.interval").
func engineOptions() []string {
	var names []string
	for _, o := range Options {
		if o.ShimOnly {
			continue
		}
		names = append(names, o.Name)
		for _, m := range o.Members {
			names = append(names, o.Name+"."+m.Name)
		}
	}
	slices.Sort(names)
	return names
}

// The bridge's setters (the keys of the options map literal in
// jsbridge/config.go, which builds for js/wasm only and so is read as
// source here) are exactly the options the shim sends the engine, and
// setOption there has a case for the constant each of them maps to.
func TestBridgeSettersCoverTheTable(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, "wasm/internal/jsbridge/config.go"), nil, 0)
	require.NoError(t, err)
	var setters, consts, cases []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			if len(n.Names) != 1 || n.Names[0].Name != "options" || len(n.Values) != 1 {
				return true
			}
			lit, ok := n.Values[0].(*ast.CompositeLit)
			require.True(t, ok, "options is a map literal")
			for _, e := range lit.Elts {
				kv := e.(*ast.KeyValueExpr)
				key, ok := kv.Key.(*ast.BasicLit)
				require.True(t, ok, "every key of options is a string literal")
				name, err := strconv.Unquote(key.Value)
				require.NoError(t, err)
				setters = append(setters, name)
				c, ok := kv.Value.(*ast.Ident)
				require.True(t, ok, "every value of options is a constant")
				consts = append(consts, c.Name)
			}
			return false
		case *ast.FuncDecl:
			if n.Name.Name != "setOption" {
				return false
			}
			ast.Inspect(n.Body, func(n ast.Node) bool {
				sw, ok := n.(*ast.SwitchStmt)
				if !ok || sw.Tag == nil {
					return true
				}
				for _, s := range sw.Body.List {
					for _, e := range s.(*ast.CaseClause).List {
						c, ok := e.(*ast.Ident)
						require.True(t, ok, "every case of setOption's switch is a constant")
						cases = append(cases, c.Name)
					}
				}
				return false
			})
			return false
		}
		return true
	})
	require.NotEmpty(t, setters, "the options map of jsbridge/config.go")
	slices.Sort(setters)
	assert.Equal(t, engineOptions(), setters)
	slices.Sort(consts)
	slices.Sort(cases)
	assert.Equal(t, consts, cases, "setOption has one case for each option")
}

// Every option is well formed: documented and typed, a Number has bounds, an Enum values, a Group members; every rule names
// options of the table.
func TestTableIsWellFormed(t *testing.T) {
	var check func(o Option, path string)
	check = func(o Option, path string) {
		assert.NotEmpty(t, o.Doc, path)
		assert.NotEmpty(t, o.TS, path)
		switch o.Kind {
		case Number:
			assert.Greater(t, o.Max, o.Min, path)
		case Enum:
			assert.NotEmpty(t, o.Values, path)
			assert.Contains(t, o.Values, o.Default, path)
		case Group:
			assert.NotEmpty(t, o.Members, path)
		}
		for _, m := range o.Members {
			check(m, path+"."+m.Name)
		}
	}
	for _, o := range Options {
		check(o, o.Name)
	}
	for _, r := range Rules {
		for _, p := range []string{r.Option, r.Other} {
			assert.NotNil(t, find(p), "rule %s names %s", r.Kind, p)
		}
	}
}

func find(path string) *Option {
	table := Options
	var found *Option
	for len(path) > 0 {
		name, rest, _ := cut(path)
		found = nil
		for i := range table {
			if table[i].Name == name {
				found = &table[i]
			}
		}
		if found == nil {
			return nil
		}
		table, path = found.Members, rest
	}
	return found
}

func cut(path string) (string, string, bool) {
	for i := range len(path) {
		if path[i] == '.' {
			return path[:i], path[i+1:], true
		}
	}
	return path, "", false
}

// The engine refuses, for Go users, what each rule makes the shim refuse:
// one configuration breaking each rule, with the other option at its
// default where the shim would read the default too.
func TestEngineEnforcesTheRules(t *testing.T) {
	breaking := map[string][]eventsource.Config{
		"body": {
			{URL: "http://x/", Body: "x"},
			{URL: "http://x/", Method: "HEAD", Body: "x"},
			{URL: "http://x/", Method: "get", Body: "x"},
		},
		"retry.max": {
			{URL: "http://x/", Retry: &eventsource.Retry{Initial: 5 * time.Second, Max: time.Second}},
			{URL: "http://x/", Retry: &eventsource.Retry{Initial: 2 * eventsource.DefaultRetryMax}},
		},
	}
	for _, r := range Rules {
		cfgs, ok := breaking[r.Option]
		require.True(t, ok, "no configuration breaks the rule on %s: add one here", r.Option)
		for _, c := range cfgs {
			_, err := eventsource.New(c, nil)
			var e *eventsource.Error
			require.ErrorAs(t, err, &e, "%s: %+v", r.Kind, c)
			assert.Equal(t, eventsource.KindConfig, e.Kind)
		}
	}
}
