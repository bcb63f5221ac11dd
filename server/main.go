// Command server is sseshim's dev server: it serves the demo pages and the
// built dist/, and realistic mock streams — Losant, Disruptive Technologies,
// the seed examples, stock prices — with fault injection on every stream.
//
//	go run ./server -addr 127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// config is everything the flags set.
type config struct {
	addr           string
	dist           string
	dev            bool
	basicUser      string
	basicPass      string
	token          string
	experienceAuth bool
	tokenLifetime  time.Duration
	heartbeat      time.Duration
	writeTimeout   time.Duration
	maxStreams     int
	queueSize      int
	history        int
	speed          float64
	losantIDs      bool
}

func defaultConfig() config {
	return config{
		addr:          "127.0.0.1:8080",
		dist:          "dist",
		basicUser:     "demo",
		basicPass:     "demo",
		token:         "demo-token",
		tokenLifetime: time.Hour,
		heartbeat:     15 * time.Second,
		writeTimeout:  10 * time.Second,
		maxStreams:    256,
		queueSize:     256,
		history:       1000,
		speed:         1,
	}
}

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.addr, "addr", cfg.addr, "listen address")
	flag.StringVar(&cfg.dist, "dist", cfg.dist, "the built dist/ folder to serve at /dist/")
	flag.BoolVar(&cfg.dev, "dev", false, "serve the demo pages from ./demo on disk instead of the embedded copy")
	flag.StringVar(&cfg.basicUser, "basic-user", cfg.basicUser, "HTTP Basic user for the Disruptive Technologies mock")
	flag.StringVar(&cfg.basicPass, "basic-pass", cfg.basicPass, "HTTP Basic password for the Disruptive Technologies mock")
	flag.StringVar(&cfg.token, "token", cfg.token, "Bearer token (and token/authorization query value) the mocks accept")
	flag.BoolVar(&cfg.experienceAuth, "experience-auth", false, "require the token on Losant experience streams")
	flag.DurationVar(&cfg.tokenLifetime, "token-lifetime", cfg.tokenLifetime, "Disruptive Technologies streams end after this long")
	flag.DurationVar(&cfg.heartbeat, "heartbeat", cfg.heartbeat, "interval of heartbeat comments on SSE streams")
	flag.DurationVar(&cfg.writeTimeout, "write-timeout", cfg.writeTimeout, "deadline for each write to a stream")
	flag.IntVar(&cfg.maxStreams, "max-streams", cfg.maxStreams, "concurrent streams before 503")
	flag.IntVar(&cfg.queueSize, "queue", cfg.queueSize, "frames queued per subscriber before it is dropped as too slow")
	flag.IntVar(&cfg.history, "history", cfg.history, "events kept per stock symbol for Last-Event-ID resume")
	flag.Float64Var(&cfg.speed, "speed", cfg.speed, "simulation speed factor (2 = events twice as often)")
	flag.BoolVar(&cfg.losantIDs, "losant-ids", false, "send id fields on Losant streams (Losant sends none)")
	flag.Parse()

	if err := run(cfg); err != nil {
		log.Fatal(err)
	}
}

func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	s, err := newServer(cfg)
	if err != nil {
		return err
	}
	printBanner(cfg, ln.Addr().String())
	return s.serve(ctx, ln)
}

func printBanner(cfg config, addr string) {
	fmt.Printf(`sseshim dev server on http://%s/
  demos:        http://%s/
  credentials:  Basic %s:%s   Bearer/token %s   (flags -basic-user -basic-pass -token)
  Losant experience streams are %s
`, addr, addr, cfg.basicUser, cfg.basicPass, cfg.token,
		map[bool]string{true: "protected (-experience-auth)", false: "public (-experience-auth protects them)"}[cfg.experienceAuth])
}

// server holds the state shared by the handlers.
type server struct {
	cfg      config
	hub      *hub
	sim      *simulator
	pages    fs.FS
	handler  http.Handler
	stopping chan struct{} // closed at shutdown: every stream ends
	stopOnce sync.Once
	slots    chan struct{} // stream cap

	mu      sync.Mutex
	streams map[*streamCtl]struct{} // the open streams, for the demo controls
}

func newServer(cfg config) (*server, error) {
	if cfg.speed <= 0 {
		return nil, errors.New("speed must be positive")
	}
	s := &server{
		cfg:      cfg,
		hub:      newHub(cfg.queueSize, cfg.history),
		pages:    demoPages(cfg.dev),
		stopping: make(chan struct{}),
		slots:    make(chan struct{}, cfg.maxStreams),
		streams:  map[*streamCtl]struct{}{},
	}
	s.sim = newSimulator(s.hub, cfg)
	s.handler = logRequests(s.routes())
	return s, nil
}

// serve runs until ctx ends, then closes the open streams itself (a stream is
// never idle, so http.Server.Shutdown alone would wait for ever) and shuts
// down.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	// No WriteTimeout: it would cut every stream; each write has its own
	// deadline instead (serveStream).
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.shutdownStreams()
		return err
	case <-ctx.Done():
	}
	log.Printf("shutting down: closing open streams")
	s.shutdownStreams()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	s.sim.stopAll()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *server) shutdownStreams() { s.stopOnce.Do(func() { close(s.stopping) }) }
