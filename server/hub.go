package main

import (
	"strconv"
	"sync"
)

// hub fans frames out to subscribers by topic. Publishers never block: each
// subscriber has a bounded queue, and one that falls behind is dropped (its
// kicked channel closes and its stream ends) rather than slowing the rest.
type hub struct {
	mu        sync.Mutex
	topics    map[string]*topic
	queueSize int
	history   int
}

type topic struct {
	name    string
	subs    map[*subscriber]struct{}
	history []frame // the last frames with ids, oldest first (bounded)
	nextID  int64
}

type subscriber struct {
	ch     chan frame
	kicked chan struct{}
}

func newHub(queueSize, history int) *hub {
	return &hub{topics: map[string]*topic{}, queueSize: queueSize, history: history}
}

func (h *hub) topic(name string) *topic {
	t := h.topics[name]
	if t == nil {
		t = &topic{name: name, subs: map[*subscriber]struct{}{}, nextID: 1}
		h.topics[name] = t
	}
	return t
}

// resume describes where a subscriber starts.
type resume int

const (
	resumeLive  resume = iota // no Last-Event-ID: live frames only
	resumeAfter               // the id was found: replay what came after it
	resumeLost                // the id is older than the history (or unknown)
)

// subscribe adds a subscriber. With lastID non-empty it also returns the
// frames published after that id, and whether the id was still in history.
func (h *hub) subscribe(name, lastID string) (*subscriber, []frame, resume) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topic(name)
	sub := &subscriber{ch: make(chan frame, h.queueSize), kicked: make(chan struct{})}
	t.subs[sub] = struct{}{}
	if lastID == "" {
		return sub, nil, resumeLive
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
	}
}

// publish sends a frame to every subscriber of the topic. With withID the
// frame gets the topic's next id and is kept in the bounded history, so that
// reconnecting clients can resume.
func (h *hub) publish(name string, f frame, withID bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topic(name)
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
