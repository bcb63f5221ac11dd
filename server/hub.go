package main

import (
	"strconv"
	"strings"
	"sync"
)

// hub fans frames out to subscribers by topic. Publishers never block: each
// subscriber has a bounded queue, and one that falls behind is dropped (its
// kicked channel closes and its stream ends) rather than slowing the rest.
//
// A topic exists while it has subscribers or is pinned (a running
// simulation pins the topics it feeds, and keeps their history and latest
// state there); publishing to a topic that does not exist is a no-op, and a
// topic that loses its last subscriber and is not pinned is removed. So the
// number of topics is bounded by the open streams plus the running
// simulations, whatever names clients ask for.
type hub struct {
	mu        sync.Mutex
	topics    map[string]*topic
	queueSize int
	history   int
}

type topic struct {
	name    string
	subs    map[*subscriber]struct{}
	pins    int     // simulations feeding it
	history []frame // the last frames with ids, oldest first (bounded)
	nextID  int64
	// latest holds the last frame published under each state key (a room,
	// a count): what a new subscriber is sent first, as a device's current
	// state. keys keeps their first-seen order.
	latest map[string]frame
	keys   []string
}

type subscriber struct {
	ch     chan frame
	kicked chan struct{}
}

func newHub(queueSize, history int) *hub {
	return &hub{topics: map[string]*topic{}, queueSize: queueSize, history: history}
}

// topic returns the named topic, creating it.
func (h *hub) topic(name string) *topic {
	t := h.topics[name]
	if t == nil {
		t = &topic{name: name, subs: map[*subscriber]struct{}{}, nextID: 1}
		h.topics[name] = t
	}
	return t
}

// release removes a topic nobody uses any more.
func (h *hub) release(t *topic) {
	if len(t.subs) == 0 && t.pins == 0 {
		delete(h.topics, t.name)
	}
}

// pin keeps a topic, with its history and latest state, while a simulation
// feeds it; unpin lets it go again.
func (h *hub) pin(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.topic(name).pins++
}

func (h *hub) unpin(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.topics[name]; t != nil && t.pins > 0 {
		t.pins--
		h.release(t)
	}
}

// resume describes where a subscriber starts.
type resume int

const (
	resumeLive  resume = iota // no Last-Event-ID: live frames only
	resumeAfter               // the id was found: replay what came after it
	resumeLost                // the id is older than the history (or unknown)
)

// subscribe adds a subscriber. Without lastID it also returns the topic's
// latest state frames, to send first; with lastID, the frames published after
// that id, and whether the id was still in history.
func (h *hub) subscribe(name, lastID string) (*subscriber, []frame, resume) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topic(name)
	sub := &subscriber{ch: make(chan frame, h.queueSize), kicked: make(chan struct{})}
	t.subs[sub] = struct{}{}
	if lastID == "" {
		var first []frame
		for _, k := range t.keys {
			first = append(first, t.latest[k])
		}
		return sub, first, resumeLive
	}
	for i, f := range t.history {
		if f.id == lastID {
			return sub, append([]frame(nil), t.history[i+1:]...), resumeAfter
		}
	}
	return sub, nil, resumeLost
}

// unsubscribe removes a subscriber; removing one the hub already dropped is
// harmless.
func (h *hub) unsubscribe(name string, sub *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.topics[name]; t != nil {
		delete(t.subs, sub)
		h.release(t)
	}
}

// publish sends a frame to every subscriber of the topic. With withID the
// frame gets the topic's next id and is kept in the bounded history, so that
// reconnecting clients can resume.
func (h *hub) publish(name string, f frame, withID bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.topics[name]; t != nil {
		h.send(t, f, withID)
	}
}

// publishState is publish for a frame that is the current state under key:
// subscribers that come later get the latest one first.
func (h *hub) publishState(name, key string, f frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[name]
	if t == nil {
		return
	}
	if t.latest == nil {
		t.latest = map[string]frame{}
	}
	if _, ok := t.latest[key]; !ok {
		t.keys = append(t.keys, key)
	}
	t.latest[key] = f
	h.send(t, f, false)
}

// broadcast sends a frame to every topic whose name starts with prefix.
func (h *hub) broadcast(prefix string, f frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, t := range h.topics {
		if strings.HasPrefix(name, prefix) {
			h.send(t, f, false)
		}
	}
}

func (h *hub) send(t *topic, f frame, withID bool) {
	if withID {
		f.id = strconv.FormatInt(t.nextID, 10)
		t.nextID++
		t.history = append(t.history, f)
		if len(t.history) > h.history {
			// Copy down rather than reslice, so the array does not grow.
			n := copy(t.history, t.history[len(t.history)-h.history:])
			clear(t.history[n:])
			t.history = t.history[:n]
		}
	}
	for sub := range t.subs {
		select {
		case sub.ch <- f:
		default:
			// Too slow: drop it, never wait for it.
			delete(t.subs, sub)
			close(sub.kicked)
		}
	}
}

// subscribers counts a topic's subscribers.
func (h *hub) subscribers(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.topics[name]; t != nil {
		return len(t.subs)
	}
	return 0
}

// topicCount is how many topics the hub holds.
func (h *hub) topicCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.topics)
}
