package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// MQTT behind the Losant streams, as Losant does it: devices publish their
// state to an MQTT broker (losant/{deviceId}/state, JSON), and an
// Experience stream relays the messages of the topics it subscribes to as
// mqttMessage events.
//
//	device ──MQTT──▶ broker ──MQTT──▶ dev server ──SSE──▶ sseshim ──▶ page
//
// The broker is the one embedded in the server (mochi-mqtt, -mqtt-listen,
// 127.0.0.1:1883 by default), an external one (-mqtt tcp://host:port, through
// the paho client, reconnecting with backoff), or none (-mqtt-listen off:
// the simulated devices hand their messages to the streams directly). Each
// MQTT topic that has an open stream is subscribed once; the hub fans its
// messages out to the streams, on hub topic "mqtt/"+topic.

// mqttHubPrefix prefixes the hub topics fed by MQTT subscriptions.
const mqttHubPrefix = "mqtt/"

// maxMQTTMessage bounds a relayed message (and the embedded broker's
// packets): Losant's own limit for a message is 32767 characters, its
// broker's payloads 256 KiB.
const maxMQTTMessage = 256 << 10

// mqttBus is a broker as the relay sees it. Subscriptions are exact topics;
// their messages go to the deliver function the bus was made with.
type mqttBus interface {
	publish(topic string, payload []byte) error
	subscribe(topic string) error
	unsubscribe(topic string)
	connected() bool
	close()
}

// mqttRelay subscribes the broker to the topics that open streams read, once
// each, and publishes for the server.
type mqttRelay struct {
	bus      mqttBus
	desc     string // what the banner says: where the broker is
	addr     string // the embedded broker's listening address, "" for none
	external bool

	// mu serialises the subscription changes, so that a topic's subscribe
	// and unsubscribe reach the broker in the order the streams made them.
	mu   sync.Mutex
	refs map[string]int
}

var errBrokerDown = errors.New("not connected to the MQTT broker")

// acquire subscribes a stream to a topic: the broker's subscription is made
// by the first one. An error means the broker is not reachable now; the
// subscription is made when it is.
func (m *mqttRelay) acquire(topic string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refs[topic]++
	if m.refs[topic] > 1 {
		return nil
	}
	return m.bus.subscribe(topic)
}

// release ends a stream's subscription; the last one ends the broker's.
func (m *mqttRelay) release(topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refs[topic]--
	if m.refs[topic] <= 0 {
		delete(m.refs, topic)
		m.bus.unsubscribe(topic)
	}
}

// resubscribe makes every wanted subscription again (after a reconnect: the
// session is clean).
func (m *mqttRelay) resubscribe() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for topic := range m.refs {
		if err := m.bus.subscribe(topic); err != nil {
			return
		}
	}
}

func (m *mqttRelay) publish(topic string, payload []byte) error { return m.bus.publish(topic, payload) }

// startMQTT sets up the broker the config asks for.
func (s *server) startMQTT() (*mqttRelay, error) {
	m := &mqttRelay{refs: map[string]int{}}
	switch {
	case s.cfg.mqttURL != "":
		u, err := url.Parse(s.cfg.mqttURL)
		if err != nil || u.Host == "" || !slices.Contains([]string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}, u.Scheme) {
			return nil, fmt.Errorf("-mqtt %q: want a broker URL such as tcp://127.0.0.1:1883", s.cfg.mqttURL)
		}
		m.external = true
		m.desc = "external broker " + redactURL(u)
		m.bus = dialExternal(s, m, u)
	case s.cfg.mqttListen == "" || s.cfg.mqttListen == "off":
		m.desc = "none (-mqtt-listen off): simulated devices feed the streams directly"
		m.bus = localBus{s.mqttDeliver}
	default:
		b, err := startEmbedded(s, s.cfg.mqttListen)
		note := ""
		if err != nil && errors.Is(err, syscall.EADDRINUSE) && !s.cfg.mqttListenSet {
			// The default address is taken (another broker, or another dev
			// server): say so and take a free port rather than fail.
			note = fmt.Sprintf(" (%s is in use, by another MQTT broker? -mqtt tcp://%s would use it)", s.cfg.mqttListen, s.cfg.mqttListen)
			b, err = startEmbedded(s, loopbackAnyPort(s.cfg.mqttListen))
		}
		if err != nil {
			return nil, fmt.Errorf("mqtt: the embedded broker cannot listen on %s: %w (-mqtt-listen sets another address, off none)", s.cfg.mqttListen, err)
		}
		m.bus, m.addr = b, b.addr
		m.desc = "embedded broker on " + b.addr + note
		if note != "" {
			s.log.Print("mqtt: " + m.desc)
		}
	}
	return m, nil
}

// loopbackAnyPort is addr's host with port 0.
func loopbackAnyPort(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[:i] + ":0"
	}
	return "127.0.0.1:0"
}

// redactURL is a broker URL without its password.
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

// mqttDeliver relays a message from the broker to the streams reading its
// topic: an mqttMessage whose message is the payload as it was published.
func (s *server) mqttDeliver(topic string, payload []byte) {
	if len(payload) > maxMQTTMessage {
		return
	}
	f := frame{event: "mqttMessage", data: mqttMessage(topic, string(payload))}
	if trimmed := strings.TrimSpace(string(payload)); strings.HasPrefix(trimmed, "{") && json.Valid(payload) {
		f.meta = losantState(payload) // a device state, for the REST stateStream
	}
	s.hub.publish(mqttHubPrefix+topic, f, s.cfg.losantIDs)
}

// mqttStatus tells the log and every open MQTT stream (as an SSE comment)
// that the broker went away or came back.
func (s *server) mqttStatus(msg string) {
	s.log.Print(msg)
	s.hub.broadcast(mqttHubPrefix, frame{comment: msg})
}

// serveMQTT streams an MQTT topic's messages: the Experience streams and the
// REST stateStream. onSubscribed, when set, runs once the subscription is
// made (it starts a simulated device on demand).
func (s *server) serveMQTT(w http.ResponseWriter, r *http.Request, f faults, topic string, o streamOptions, onSubscribed func()) {
	hubTopic := mqttHubPrefix + topic
	sub, _, _ := s.hub.subscribe(hubTopic, "")
	defer s.hub.unsubscribe(hubTopic, sub)
	if err := s.mqtt.acquire(topic); err != nil {
		o.initial = append(o.initial, frame{comment: "mqtt: " + err.Error() + " (" + s.mqtt.desc + "); the stream goes on and relays its messages once it is back"})
	}
	defer s.mqtt.release(topic)
	if onSubscribed != nil {
		onSubscribed()
	}
	s.serveStream(w, r, f, o, sub.ch, sub.kicked)
}

// localBus is no broker at all: a publication goes straight to the streams.
type localBus struct{ deliver func(string, []byte) }

func (b localBus) publish(topic string, payload []byte) error {
	b.deliver(topic, payload)
	return nil
}
func (localBus) subscribe(string) error { return nil }
func (localBus) unsubscribe(string)     {}
func (localBus) connected() bool        { return true }
func (localBus) close()                 {}

// embeddedBus is the mochi-mqtt broker inside the server. The server
// publishes and subscribes as its inline client; devices, mosquitto_pub and
// mosquitto_sub connect over TCP.
type embeddedBus struct {
	srv     *mqtt.Server
	addr    string
	deliver func(string, []byte)
}

func startEmbedded(s *server, addr string) (*embeddedBus, error) {
	logger := slog.New(slog.NewTextHandler(s.log.Writer(), &slog.HandlerOptions{Level: slog.LevelError}))
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Logger: logger})
	srv.Options.Capabilities.MaximumPacketSize = maxMQTTMessage + 1024
	// The broker listens on loopback for a developer's own tools: anyone
	// there may connect, publish and subscribe.
	if err := srv.AddHook(new(allowAll), nil); err != nil {
		return nil, err
	}
	l := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(l); err != nil {
		_ = srv.Close()
		return nil, err
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, err
	}
	return &embeddedBus{srv: srv, addr: l.Address(), deliver: s.mqttDeliver}, nil
}

// allowAll lets every client connect, publish and subscribe (the broker
// listens on loopback, for a developer's own tools).
type allowAll struct{ mqtt.HookBase }

func (*allowAll) ID() string { return "allow-all" }
func (*allowAll) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}
func (*allowAll) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }
func (*allowAll) OnACLCheck(*mqtt.Client, string, bool) bool              { return true }

// inlineSubID is the inline client's one subscription id per topic.
const inlineSubID = 1

func (b *embeddedBus) publish(topic string, payload []byte) error {
	return b.srv.Publish(topic, payload, false, 0)
}

func (b *embeddedBus) subscribe(topic string) error {
	return b.srv.Subscribe(topic, inlineSubID, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		b.deliver(pk.TopicName, pk.Payload)
	})
}

func (b *embeddedBus) unsubscribe(topic string) { _ = b.srv.Unsubscribe(topic, inlineSubID) }
func (b *embeddedBus) connected() bool          { return true }
func (b *embeddedBus) close()                   { _ = b.srv.Close() }

// externalBus is a connection to another broker through the paho client:
// MQTT 3.1.1, a clean session, QoS 0. When the broker goes away it
// reconnects with backoff (immediately, then 1 s, 2 s, 4 s … up to
// mqttMaxBackoff), makes the streams' subscriptions again, and says so in
// the log and in a comment on every open MQTT stream.
type externalBus struct {
	client paho.Client
	url    string
	up     atomic.Bool
	stop   chan struct{}
	done   chan struct{}
}

// mqttMaxBackoff is the longest wait between two connection attempts.
const mqttMaxBackoff = 15 * time.Second

func dialExternal(s *server, m *mqttRelay, u *url.URL) *externalBus {
	b := &externalBus{url: redactURL(u), stop: make(chan struct{}), done: make(chan struct{})}
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	handler := func(_ paho.Client, msg paho.Message) { s.mqttDeliver(msg.Topic(), msg.Payload()) }
	broker := *u
	broker.User = nil
	opts := paho.NewClientOptions().
		AddBroker(broker.String()).
		SetClientID("sseshim-dev-" + hex.EncodeToString(id)).
		SetUsername(s.cfg.mqttUser).
		SetPassword(s.cfg.mqttPass).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(false). // the first connection retries below, with the same backoff
		SetMaxReconnectInterval(mqttMaxBackoff).
		SetConnectTimeout(5 * time.Second).
		SetKeepAlive(10 * time.Second).
		SetPingTimeout(5 * time.Second).
		SetDefaultPublishHandler(handler)
	if u.User != nil {
		// Credentials in the URL, when the flags give none.
		if s.cfg.mqttUser == "" {
			opts.SetUsername(u.User.Username())
		}
		if p, ok := u.User.Password(); ok && s.cfg.mqttPass == "" {
			opts.SetPassword(p)
		}
	}
	var ever atomic.Bool
	opts.SetOnConnectHandler(func(paho.Client) {
		b.up.Store(true)
		again := ""
		if ever.Swap(true) {
			again = " again"
		}
		s.mqttStatus("mqtt: connected to the broker " + b.url + again)
		go m.resubscribe()
	})
	opts.SetConnectionLostHandler(func(_ paho.Client, err error) {
		b.up.Store(false)
		s.mqttStatus(fmt.Sprintf("mqtt: lost the broker %s (%v); reconnecting with backoff", b.url, err))
	})
	opts.SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) {
		s.log.Printf("mqtt: reconnecting to %s", b.url)
	})
	b.client = paho.NewClient(opts)
	go b.connect(s.log)
	return b
}

// connect makes the first connection, retrying with backoff; after it the
// client's own reconnection takes over.
func (b *externalBus) connect(l *log.Logger) {
	defer close(b.done)
	delay := time.Second
	for {
		tok := b.client.Connect()
		select {
		case <-tok.Done():
		case <-b.stop:
			return
		}
		if tok.Error() == nil {
			return
		}
		l.Printf("mqtt: cannot reach the broker %s (%v); retrying in %s", b.url, tok.Error(), delay)
		select {
		case <-b.stop:
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, mqttMaxBackoff)
	}
}

func (b *externalBus) connected() bool { return b.up.Load() && b.client.IsConnectionOpen() }

func (b *externalBus) publish(topic string, payload []byte) error {
	if !b.connected() {
		return errBrokerDown
	}
	tok := b.client.Publish(topic, 0, false, payload)
	if !tok.WaitTimeout(5 * time.Second) {
		return errors.New("the MQTT broker did not take the message in time")
	}
	return tok.Error()
}

func (b *externalBus) subscribe(topic string) error {
	if !b.connected() {
		return errBrokerDown
	}
	tok := b.client.Subscribe(topic, 0, nil)
	if !tok.WaitTimeout(3 * time.Second) {
		return errors.New("the MQTT broker did not confirm the subscription in time")
	}
	return tok.Error()
}

func (b *externalBus) unsubscribe(topic string) {
	if b.connected() {
		b.client.Unsubscribe(topic) // no need to wait
	}
}

func (b *externalBus) close() {
	close(b.stop)
	<-b.done
	b.client.Disconnect(250)
}
