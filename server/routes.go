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
	mux.Handle("POST /api/publish/{topic...}", s.control(s.losantPublish))
	// Losant REST API.
	mux.HandleFunc("GET /applications/{app}/devices/{device}/stateStream", s.losantStateStream)

	// Disruptive Technologies REST API.
	mux.HandleFunc("GET /v2/projects/{project}/devices:stream", s.dtStream)

	// The seed examples.
	mux.HandleFunc("GET /live-users", s.liveUsersStream)
	mux.HandleFunc("GET /smart-home", s.smartHomeStream)
	mux.HandleFunc("GET /heartbeat", s.heartbeatStream)
	mux.HandleFunc("GET /api/heartbeat", s.heartbeatStream) // the document's relative api/heartbeat

	// Kaazing-style stock prices.
	mux.HandleFunc("GET /stock-prices/{symbol}", s.stockStream)
	mux.HandleFunc("GET /stock-prices", s.stockStream) // every symbol, as the document's first example reads it

	// A streaming POST: a chat-completion style answer, resumable.
	mux.HandleFunc("POST /api/chat", s.chat)

	// Demo controls: stall or kill every open stream. These and publishing
	// answer only JSON requests from the server's own pages (s.control).
	mux.Handle("POST /api/streams/stall", s.control(s.stallStreams))
	mux.Handle("POST /api/streams/kill", s.control(s.killStreams))
	return mux
}
