package main

import "net/http"

// routes is the route table: every method and pattern the server answers,
// and its handler.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()

	// The demo pages and the build output.
	mux.Handle("GET /", s.servePages())
	mux.Handle("GET /dist/", s.serveDist())

	// Losant Experience streaming endpoints.
	mux.HandleFunc("GET /api/stream/devices/{deviceId}", s.losantDeviceStream)
	mux.HandleFunc("GET /api/device/stream", s.losantDeviceStream) // the docs' Generator Temperatures page
	mux.HandleFunc("GET /api/stream/topics/{topic...}", s.losantTopicStream)
	mux.HandleFunc("POST /api/publish/{topic...}", s.losantPublish)
	// Losant REST API.
	mux.HandleFunc("GET /applications/{app}/devices/{device}/stateStream", s.losantStateStream)

	// Disruptive Technologies REST API.
	mux.HandleFunc("GET /v2/projects/{project}/devices:stream", s.dtStream)

	// The seed examples.
	mux.HandleFunc("GET /live-users", s.liveUsersStream)
	mux.HandleFunc("GET /smart-home", s.smartHomeStream)
	mux.HandleFunc("GET /heartbeat", s.heartbeatStream)

	// Kaazing-style stock prices.
	mux.HandleFunc("GET /stock-prices/{symbol}", s.stockStream)

	// Demo controls: stall or kill every open stream.
	mux.HandleFunc("POST /api/streams/stall", s.stallStreams)
	mux.HandleFunc("POST /api/streams/kill", s.killStreams)
	return mux
}
