package main

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sseshim/sseshim/wasm/sse"
)

// mqttClient connects a paho client to a broker, for the test to publish and
// subscribe as a device or a developer's tool would.
func mqttClient(t *testing.T, addr string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("test-" + t.Name()).
		SetConnectTimeout(5 * time.Second).SetAutoReconnect(false))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second), "connect to %s", addr)
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// mqttEvents reads a stream's events into a channel as they come.
func mqttEvents(t *testing.T, resp *http.Response) <-chan sse.Event {
	t.Helper()
	require.Equal(t, 200, resp.StatusCode)
	ch := make(chan sse.Event, 1000)
	go func() {
		forEachEvent(resp.Body, func(e sse.Event) { ch <- e })
		close(ch)
	}()
	return ch
}

// waitMessage waits for an mqttMessage whose message satisfies ok.
func waitMessage(t *testing.T, ch <-chan sse.Event, within time.Duration, ok func(topic, message string) bool) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e, open := <-ch:
			require.True(t, open, "the stream stays open")
			var m struct{ Topic, Message string }
			require.NoError(t, json.Unmarshal([]byte(e.Data), &m), e.Data)
			if ok(m.Topic, m.Message) {
				return
			}
		case <-deadline:
			t.Fatalf("the message did not arrive within %s", within)
		}
	}
}

// TestEmbeddedBrokerEndToEnd: the simulated devices publish their state to
// the embedded broker over MQTT (an outside subscriber sees it); a message an
// outside client publishes to a device's state topic appears on the
// Experience stream at once; POST /api/publish goes through the broker (an
// outside subscriber sees it too).
func TestEmbeddedBrokerEndToEnd(t *testing.T) {
	t.Parallel()
	s, ts := startServer(t, testConfig(t))
	require.NotEmpty(t, s.mqtt.addr)
	client := mqttClient(t, s.mqtt.addr)

	// Devices publish over MQTT: an outside subscriber sees their state.
	got := make(chan []byte, 100)
	tok := client.Subscribe("losant/generator-1/state", 0, func(_ paho.Client, m paho.Message) {
		select {
		case got <- m.Payload():
		default:
		}
	})
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	select {
	case p := <-got:
		var st struct {
			Time string
			Data map[string]float64
		}
		require.NoError(t, json.Unmarshal(p, &st), "%s", p)
		assert.Contains(t, st.Data, "temperature")
		assert.NotEmpty(t, st.Time)
	case <-time.After(5 * time.Second):
		t.Fatal("no device state on the broker")
	}

	// An outside publisher, as mosquitto_pub -t losant/generator-1/state -m '{"data":{"temperature":99}}'.
	events := mqttEvents(t, get(t, ts, "/api/device/stream", nil))
	start := time.Now()
	pub := client.Publish("losant/generator-1/state", 0, false, `{"data":{"temperature":99}}`)
	require.True(t, pub.WaitTimeout(5*time.Second))
	waitMessage(t, events, 5*time.Second, func(topic, msg string) bool {
		return topic == "losant/generator-1/state" && msg == `{"data":{"temperature":99}}`
	})
	assert.Less(t, time.Since(start), time.Second, "at once")

	// The REST stateStream reads the same topic.
	state := get(t, ts, "/applications/demo/devices/demo-gen/stateStream", map[string]string{"Authorization": "Bearer demo-token"})
	require.Equal(t, 200, state.StatusCode)

	// Publishing through the server reaches outside subscribers.
	custom := make(chan paho.Message, 10)
	tok = client.Subscribe("plant/line-1/alarms", 0, func(_ paho.Client, m paho.Message) { custom <- m })
	require.True(t, tok.WaitTimeout(5*time.Second))
	res, err := http.Post(ts.URL+"/api/publish/plant/line-1/alarms", "application/json", strings.NewReader(`{"message":"overheat"}`))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	select {
	case m := <-custom:
		assert.Equal(t, "overheat", string(m.Payload()))
	case <-time.After(5 * time.Second):
		t.Fatal("the published message did not reach the broker's subscriber")
	}
	stateEvents := mqttEvents(t, state)
	select {
	case e := <-stateEvents:
		assert.Equal(t, "deviceState", e.Type)
		assert.Equal(t, "demo-gen", decodeJSON(t, e.Data)["deviceId"])
	case <-time.After(5 * time.Second):
		t.Fatal("no deviceState")
	}
}

// TestNoBroker: with -mqtt-listen off the simulated devices and the publish
// endpoint feed the streams directly.
func TestNoBroker(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.mqttListen = "off"
	s, ts := startServer(t, cfg)
	assert.Empty(t, s.mqtt.addr)
	events := mqttEvents(t, get(t, ts, "/api/stream/devices/generator-3", nil))
	waitMessage(t, events, 5*time.Second, func(topic, msg string) bool { return strings.Contains(msg, `"temperature"`) })
	res, err := http.Post(ts.URL+"/api/publish/losant/generator-3/state", "application/json", strings.NewReader(`{"data":{"temperature":12}}`))
	require.NoError(t, err)
	res.Body.Close()
	waitMessage(t, events, 5*time.Second, func(_, msg string) bool { return msg == `{"data":{"temperature":12}}` })
}

// TestBusyBrokerAddress: when the default address is taken the embedded
// broker takes a free port and says so; an address given with -mqtt-listen
// must be free.
func TestBusyBrokerAddress(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()

	cfg := testConfig(t)
	cfg.mqttListen, cfg.mqttListenSet = busy.Addr().String(), false // as the default is
	s, _ := startServer(t, cfg)
	assert.NotEqual(t, busy.Addr().String(), s.mqtt.addr)
	assert.Contains(t, s.mqtt.desc, busy.Addr().String()+" is in use", "the banner says so")
	mqttClient(t, s.mqtt.addr)

	cfg.mqttListenSet = true // as -mqtt-listen ADDR is
	_, err = newServer(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-mqtt-listen")
}

// TestSimDevicesFlag: -sim-devices auto simulates the demo fleet and any
// device a stream asks for, but nothing against an external broker, whose
// devices are real; a list simulates exactly those.
func TestSimDevicesFlag(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		v        string
		external bool
		want     losantSims
		bad      bool
	}{
		{v: "auto", want: losantSims{fleet: defaultLosantFleet, onDemand: true}},
		{v: "auto", external: true, want: losantSims{}},
		{v: "none", want: losantSims{}},
		{v: "pump-1, pump-2", external: true, want: losantSims{fleet: []string{"pump-1", "pump-2"}}},
		{v: "pump 1", bad: true},
	} {
		got, err := parseSimDevices(c.v, c.external)
		if c.bad {
			assert.Error(t, err, c.v)
			continue
		}
		require.NoError(t, err, c.v)
		assert.Equal(t, c.want, got, "%q external=%v", c.v, c.external)
	}

	// With -mqtt-listen off and -sim-devices none, a device stream shows
	// only what is published.
	cfg := testConfig(t)
	cfg.mqttListen, cfg.simDevices = "off", "none"
	s, ts := startServer(t, cfg)
	events := mqttEvents(t, get(t, ts, "/api/stream/devices/generator-1", nil))
	assert.False(t, s.sim.runs("losant/generator-1"))
	res, err := http.Post(ts.URL+"/api/publish/losant/generator-1/state", "application/json", strings.NewReader(`{"data":{"temperature":1}}`))
	require.NoError(t, err)
	res.Body.Close()
	select {
	case e := <-events:
		assert.Contains(t, e.Data, `{\"data\":{\"temperature\":1}}`, "the first message is the published one")
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
}
