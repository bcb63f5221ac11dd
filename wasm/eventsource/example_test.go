//go:build !js

package eventsource_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/sseshim/sseshim/wasm/eventsource"
)

// The engine with its default net/http transport is a complete SSE client.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: greeting\nid: 1\ndata: hello\ndata: world\n\n")
	}))
	defer srv.Close()

	got := make(chan eventsource.Event, 1)
	src, err := eventsource.New(eventsource.Config{URL: srv.URL}, eventsource.SinkFuncs{
		OnEvents: func(evs []eventsource.Event) {
			for _, e := range evs {
				got <- e
			}
		},
	})
	if err != nil {
		panic(err)
	}
	defer func() {
		src.Close()
		<-src.Done() // the sink has returned from its last call
	}()
	e := <-got
	fmt.Printf("%s #%s: %q\n", e.Type, e.LastEventID, e.Data)
	// Output: greeting #1: "hello\nworld"
}
