// Command server is sseshim's dev server: it serves the demo pages and the
// built dist/, and realistic mock streams — Losant, Disruptive Technologies,
// the seed examples, stock prices — with fault injection on every stream.
//
//	go run ./server -addr 127.0.0.1:8080
package main

import (
	"cmp"
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
	readTimeout    time.Duration
	sendBuffer     int
	maxStreams     int
	queueSize      int
	history        int
	speed          float64
	losantIDs      bool
	seed           uint64        // the simulations' seed; 0: from the clock
	simDevices     string        // -sim-devices
	simIdle        time.Duration // how long an unused on-demand simulation runs on (tests shorten it)
	mqttListen     string        // the embedded broker's address, or off
	mqttListenSet  bool          // -mqtt-listen was given: a busy address is an error, not a fallback
	mqttURL        string        // an external broker instead
	mqttUser       string
	mqttPass       string
	log            *log.Logger // where the server logs; nil: the standard logger
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
		readTimeout:   10 * time.Second,
		sendBuffer:    32 << 10,
		maxStreams:    256,
		queueSize:     256,
		history:       1000,
		speed:         1,
		simDevices:    "auto",
		mqttListen:    "127.0.0.1:1883",
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
	flag.DurationVar(&cfg.writeTimeout, "write-timeout", cfg.writeTimeout, "deadline for each write to a stream; a client that reads nothing is dropped after it")
	flag.DurationVar(&cfg.readTimeout, "read-timeout", cfg.readTimeout, "deadline for a request's headers, and for the body of any request that has one")
	flag.IntVar(&cfg.sendBuffer, "send-buffer", cfg.sendBuffer, "socket send buffer per connection, bytes (0: the system's): bounds what a client that does not read holds")
	flag.IntVar(&cfg.maxStreams, "max-streams", cfg.maxStreams, "concurrent streams before 503")
	flag.IntVar(&cfg.queueSize, "queue", cfg.queueSize, "frames queued per subscriber before it is dropped as too slow")
	flag.IntVar(&cfg.history, "history", cfg.history, "events kept per stock symbol for Last-Event-ID resume")
	flag.Float64Var(&cfg.speed, "speed", cfg.speed, "simulation speed factor (2 = events twice as often)")
	flag.BoolVar(&cfg.losantIDs, "losant-ids", false, "send id fields on Losant streams (Losant sends none)")
	flag.Uint64Var(&cfg.seed, "seed", 0, "seed of the simulations, for a reproducible run (0: from the clock; the banner prints the one in use)")
	flag.StringVar(&cfg.simDevices, "sim-devices", cfg.simDevices, "Losant devices to simulate over MQTT: auto (generator-1..3 and any device a stream asks for; none with -mqtt), none, or id,id,...")
	flag.StringVar(&cfg.mqttListen, "mqtt-listen", cfg.mqttListen, "address of the embedded MQTT broker, or off")
	flag.StringVar(&cfg.mqttURL, "mqtt", "", "use this MQTT broker instead of the embedded one, e.g. tcp://127.0.0.1:1883")
	flag.StringVar(&cfg.mqttUser, "mqtt-user", "", "user name for -mqtt")
	flag.StringVar(&cfg.mqttPass, "mqtt-pass", "", "password for -mqtt")
	flag.Parse()
	flag.Visit(func(f *flag.Flag) { cfg.mqttListenSet = cfg.mqttListenSet || f.Name == "mqtt-listen" })

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
		ln.Close()
		return err
	}
	printBanner(s, ln.Addr().String())
	return s.serve(ctx, ln)
}

func printBanner(s *server, addr string) {
	cfg := s.cfg
	fmt.Printf(`sseshim dev server on http://%s/
  demos:        http://%s/
  credentials:  Basic %s:%s   Bearer/token %s   (flags -basic-user -basic-pass -token)
  Losant experience streams are %s
  MQTT:         %s
  simulations:  seed %d (-seed %d repeats this run); Losant devices: %s
`, addr, addr, cfg.basicUser, cfg.basicPass, cfg.token,
		map[bool]string{true: "protected (-experience-auth)", false: "public (-experience-auth protects them)"}[cfg.experienceAuth],
		s.mqtt.desc, cfg.seed, cfg.seed, s.losant)
	if s.mqtt.addr != "" {
		host, port, _ := net.SplitHostPort(s.mqtt.addr)
		fmt.Printf("  try:          mosquitto_pub -h %s -p %s -t losant/generator-1/state -m '{\"data\":{\"temperature\":99}}'\n", host, port)
	}
}

// server holds the state shared by the handlers.
type server struct {
	cfg      config
	hub      *hub
	sim      *simulator
	mqtt     *mqttRelay
	losant   losantSims
	pages    fs.FS
	handler  http.Handler
	stopping chan struct{} // closed at shutdown: every stream ends
	stopOnce sync.Once
	stopMQTT sync.Once
	slots    chan struct{} // stream cap

	log *log.Logger

	mu      sync.Mutex
	streams map[*streamCtl]struct{} // the open streams, for the demo controls
}

func newServer(cfg config) (*server, error) {
	if cfg.speed <= 0 {
		return nil, errors.New("speed must be positive")
	}
	if cfg.seed == 0 {
		cfg.seed = uint64(time.Now().UnixNano())
	}
	losant, err := parseSimDevices(cfg.simDevices, cfg.mqttURL != "")
	if err != nil {
		return nil, err
	}
	s := &server{
		cfg:      cfg,
		hub:      newHub(cfg.queueSize, cfg.history),
		pages:    demoPages(cfg.dev),
		stopping: make(chan struct{}),
		slots:    make(chan struct{}, cfg.maxStreams),
		streams:  map[*streamCtl]struct{}{},
		log:      cmp.Or(cfg.log, log.Default()),
		losant:   losant,
	}
	s.handler = s.guard(s.logRequests(s.routes()))
	if s.mqtt, err = s.startMQTT(); err != nil {
		return nil, err
	}
	// The simulations run from now on, whether or not anyone listens.
	s.sim = newSimulator(s.hub, cfg)
	s.sim.publishMQTT = s.mqtt.publish
	s.sim.startSeeds()
	s.sim.startStocks()
	s.sim.startDT()
	s.startLosant()
	return s, nil
}

// stop ends everything the server runs besides its listener: the open
// streams, the simulations, the MQTT broker or connection.
func (s *server) stop() {
	s.shutdownStreams()
	s.sim.stopAll()
	s.stopMQTT.Do(s.mqtt.bus.close)
}

// serve runs until ctx ends, then closes the open streams itself (a stream is
// never idle, so http.Server.Shutdown alone would wait for ever) and shuts
// down.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	srv := s.httpServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.listener(ln)) }()
	select {
	case err := <-errc:
		s.stop()
		return err
	case <-ctx.Done():
	}
	log.Printf("shutting down: closing open streams")
	s.shutdownStreams()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	s.stop()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// httpServer is the http.Server that serves s, with its timeouts.
func (s *server) httpServer() *http.Server {
	return &http.Server{
		Handler: s.handler,
		// Headers must arrive within the read timeout; so must a body (guard
		// sets that deadline per request). No ReadTimeout or WriteTimeout:
		// either would cut every stream. Each write to a stream has its own
		// deadline instead (serveStream).
		ReadHeaderTimeout: s.cfg.readTimeout,
		IdleTimeout:       2 * time.Minute,
		// The connection, for the stream cap to cut a stuck stream's write.
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
	}
}

// connKey is the request context's key for the connection.
type connKey struct{}

// listener wraps the listening socket so that every accepted connection has
// a small send buffer: what the kernel holds for a client that does not read
// is bounded (by default Linux grows a socket's buffer to megabytes, and
// the write deadline would never fire while it fills).
func (s *server) listener(ln net.Listener) net.Listener {
	if s.cfg.sendBuffer <= 0 {
		return ln
	}
	return sendBufferListener{ln, s.cfg.sendBuffer}
}

type sendBufferListener struct {
	net.Listener
	size int
}

func (l sendBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		_ = tc.SetWriteBuffer(l.size)
	}
	return c, err
}

func (s *server) shutdownStreams() { s.stopOnce.Do(func() { close(s.stopping) }) }
