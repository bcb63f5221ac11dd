//go:build !js

package enginedriver

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// ScriptPath is where a registered Control serves the page's half of the
// driver (driver.js): a page includes it to be driven.
const ScriptPath = "/ctl/driver.js"

//go:embed driver.js
var driverJS string

// Control is the server's half of the driver: it hands the page script to
// run, one job per long poll, and waits for what the script returns.
type Control struct {
	name    string // the engine's, for messages
	jobs    chan job
	mu      sync.Mutex
	waiting map[int]chan result
	nextID  int
}

type job struct {
	ID   int    `json:"id"`
	Code string `json:"code"`
}

type result struct {
	ID     int             `json:"id"`
	OK     bool            `json:"ok"`
	Value  json.RawMessage `json:"value"`
	Error  string          `json:"error"`
	Errors []string        `json:"errors"` // uncaught errors since the last job
}

// NewControl returns a Control for a page in the engine called name, its
// endpoints registered on mux.
func NewControl(name string, mux *http.ServeMux) *Control {
	c := &Control{name: name, jobs: make(chan job), waiting: map[int]chan result{}}
	mux.HandleFunc("/ctl/next", c.serveNext)
	mux.HandleFunc("/ctl/result", c.serveResult)
	mux.HandleFunc(ScriptPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, driverJS)
	})
	return c
}

// serveNext hands the page its next job, or 204 after a while so that the
// page asks again.
func (c *Control) serveNext(w http.ResponseWriter, r *http.Request) {
	select {
	case j := <-c.jobs:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(j)
	case <-time.After(20 * time.Second):
		w.WriteHeader(http.StatusNoContent)
	case <-r.Context().Done():
	}
}

func (c *Control) serveResult(w http.ResponseWriter, r *http.Request) {
	var res result
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&res); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	ch := c.waiting[res.ID]
	delete(c.waiting, res.ID)
	c.mu.Unlock()
	if ch != nil {
		ch <- res
	}
	w.WriteHeader(http.StatusNoContent)
}

// EvalInto runs code as the body of an async function in the page and
// decodes what it returns into out. The page's uncaught errors fail the test.
func (c *Control) EvalInto(t testing.TB, timeout time.Duration, code string, out any) {
	t.Helper()
	c.mu.Lock()
	c.nextID++
	j := job{ID: c.nextID, Code: code}
	ch := make(chan result, 1)
	c.waiting[j.ID] = ch
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	select {
	case c.jobs <- j:
	case <-ctx.Done():
		t.Fatalf("%s: the page did not ask for work within %s", c.name, timeout)
	}
	select {
	case res := <-ch:
		for _, e := range res.Errors {
			t.Errorf("%s: uncaught in the page: %s", c.name, e)
		}
		if !res.OK {
			t.Fatalf("%s: the script threw: %s\n%.300s", c.name, res.Error, code)
		}
		if out != nil {
			if err := json.Unmarshal(res.Value, out); err != nil {
				t.Fatalf("%s: result %.300s: %v", c.name, res.Value, err)
			}
		}
	case <-ctx.Done():
		t.Fatalf("%s: no result within %s for\n%.300s", c.name, timeout, code)
	}
}

// Eval runs code, formatted with args, in the page (60 s at most) and
// decodes its result.
func Eval[T any](t testing.TB, c *Control, code string, args ...any) T {
	t.Helper()
	var v T
	c.EvalInto(t, 60*time.Second, fmt.Sprintf(code, args...), &v)
	return v
}
