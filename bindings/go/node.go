// Package colonio runs nodes of a Colonio network (WebRTC P2P overlay, KVS, location-based pub/sub) over
// libcolonio.so: the same network as Swift, Python and browser nodes.
//
// The library's blocking calls run on the calling goroutine's thread; every method taking a
// context.Context returns ctx.Err() as soon as the context ends (the network operation itself then
// finishes, bounded by the network's own timeouts, and its result is dropped).
package colonio

/*
#include <stdlib.h>
#include "colonio.h"

// The Go callbacks (callbacks.go), declared as cgo exports them, handed to the library with their
// handles as context.
extern void colonioGoHandler(void *, colonio_reply, char *, char *, uint8_t *, size_t, uint32_t);
extern void colonioGoDelivery(void *, char *, char *, uint8_t *, size_t, double, double, double, uint32_t);

static colonio_status go_colonio_handle(colonio_node node, const char *name, uintptr_t handle) {
	return colonio_handle(node, name, (colonio_handler_fn)colonioGoHandler, (void *)handle);
}

static colonio_status go_colonio_subscribe(colonio_node node, const char *topic, uintptr_t handle,
                                           colonio_subscription *subscription) {
	return colonio_subscribe(node, topic, (colonio_delivery_fn)colonioGoDelivery, (void *)handle, subscription);
}
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// Options of NewNode; the zero value suits production use.
type Options struct {
	// LoopbackOnly restricts WebRTC to loopback addresses (tests, single-machine demos).
	LoopbackOnly bool
	// AllowedInterfaces are the interfaces WebRTC may use (nil: all).
	AllowedInterfaces []string
	// TickInterval, RetryDelay and MaximumRetryDelay: 0 keeps the library's defaults.
	TickInterval, RetryDelay, MaximumRetryDelay time.Duration
}

// Node is one node of a network. Its methods may be called from many goroutines at once.
type Node struct {
	handle C.colonio_node
	id     string

	mu            sync.Mutex
	handlers      map[string]cgo.Handle
	subscriptions map[*Subscription]struct{}
}

// Message is a message or request received by a Handler.
type Message struct {
	Source    string // the sender's node ID (32 hex digits)
	Name      string
	Payload   []byte
	HopCount  uint32
	IsRequest bool
}

// Handler answers messages to one name; for requests, the returned bytes are the response and an error
// reaches the requester as ErrHandlerFailed with its text. It runs on its own goroutine; a panic is
// recovered and reported as a failure.
type Handler func(message Message) ([]byte, error)

// NewNode makes a disconnected node.
func NewNode(options *Options) (*Node, error) {
	var raw C.colonio_node_options
	raw.struct_size = C.uint32_t(unsafe.Sizeof(raw))
	var names []*C.char
	if options != nil {
		if options.LoopbackOnly {
			raw.loopback_only = 1
		}
		raw.tick_interval_ms = C.uint32_t(options.TickInterval.Milliseconds())
		raw.retry_delay_ms = C.uint32_t(options.RetryDelay.Milliseconds())
		raw.maximum_retry_delay_ms = C.uint32_t(options.MaximumRetryDelay.Milliseconds())
		for _, name := range options.AllowedInterfaces {
			names = append(names, cString(name))
		}
	}
	var list unsafe.Pointer
	if len(names) > 0 {
		list = C.malloc(C.size_t(len(names)) * C.size_t(unsafe.Sizeof(names[0])))
		copy(unsafe.Slice((**C.char)(list), len(names)), names)
		raw.allowed_interfaces = (**C.char)(list)
		raw.allowed_interface_count = C.size_t(len(names))
	}
	defer func() {
		for _, name := range names {
			C.free(unsafe.Pointer(name))
		}
		C.free(list)
	}()
	node := &Node{handlers: map[string]cgo.Handle{}, subscriptions: map[*Subscription]struct{}{}}
	err := call(func() C.colonio_status { return C.colonio_node_new(&raw, &node.handle) })
	if err != nil {
		return nil, err
	}
	return node, nil
}

// blocking runs a blocking library call on its own goroutine so that ctx can end the wait.
func blocking(ctx context.Context, f func() C.colonio_status) error {
	done := make(chan error, 1)
	go func() { done <- call(f) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Connect signs in to network through the seed at seedURL (ws://host:port) and joins the overlay.
func (n *Node) Connect(ctx context.Context, seedURL, network, token string) error {
	seed, net, tok := cString(seedURL), cString(network), cString(token)
	err := blocking(ctx, func() C.colonio_status {
		defer C.free(unsafe.Pointer(seed))
		defer C.free(unsafe.Pointer(net))
		defer C.free(unsafe.Pointer(tok))
		return C.colonio_node_connect(n.handle, seed, net, tok)
	})
	if err != nil {
		return err
	}
	var id *C.char
	if err := call(func() C.colonio_status { return C.colonio_node_id(n.handle, &id) }); err != nil {
		return err
	}
	n.mu.Lock()
	n.id = takeString(id)
	n.mu.Unlock()
	return nil
}

// ID is this node's ID (32 hex digits) since its last Connect; "" before.
func (n *Node) ID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.id
}

// Disconnect leaves the network; handlers and subscriptions stay for a later Connect.
func (n *Node) Disconnect(ctx context.Context) error {
	return blocking(ctx, func() C.colonio_status { return C.colonio_node_disconnect(n.handle) })
}

// Close disconnects and frees the node and ends its subscriptions; later calls return ErrInvalidHandle.
func (n *Node) Close() error {
	n.mu.Lock()
	subscriptions := n.subscriptions
	n.subscriptions = map[*Subscription]struct{}{}
	n.mu.Unlock()
	// A callback blocked on a full channel would hold up the free: release them first.
	for subscription := range subscriptions {
		subscription.state.stop()
	}
	err := call(func() C.colonio_status { return C.colonio_node_free(n.handle) })
	for subscription := range subscriptions {
		subscription.finish()
	}
	n.mu.Lock()
	for _, handle := range n.handlers {
		handle.Delete()
	}
	n.handlers = map[string]cgo.Handle{}
	n.mu.Unlock()
	return err
}

// Status is a snapshot of the node.
type Status struct {
	NodeID              *string   `json:"nodeID"`
	Network             *string   `json:"network"`
	IsConnected         bool      `json:"isConnected"`
	IsSeedConnected     bool      `json:"isSeedConnected"`
	HasJoined           bool      `json:"hasJoined"`
	Successors          []string  `json:"successors"`
	Predecessors        []string  `json:"predecessors"`
	LinkCount           int       `json:"linkCount"`
	PendingLinkCount    int       `json:"pendingLinkCount"`
	PendingRequestCount int       `json:"pendingRequestCount"`
	Subscriptions       []string  `json:"subscriptions"`
	Position            *Position `json:"position"`
}

// Position is a point of the network's coordinate space (sphere: X longitude, Y latitude).
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Link is one WebRTC link of the node.
type Link struct {
	Peer                string   `json:"peer"`
	State               string   `json:"state"`
	IsOfferer           bool     `json:"isOfferer"`
	LocalCandidateType  *string  `json:"localCandidateType"`
	RemoteCandidateType *string  `json:"remoteCandidateType"`
	RoundTripTimeMs     *float64 `json:"roundTripTimeMs"`
	BytesSent           uint64   `json:"bytesSent"`
	BytesReceived       uint64   `json:"bytesReceived"`
}

// Status reads the node's status.
func (n *Node) Status() (*Status, error) {
	var text *C.char
	if err := call(func() C.colonio_status { return C.colonio_node_status_json(n.handle, &text) }); err != nil {
		return nil, err
	}
	var status Status
	if err := json.Unmarshal([]byte(takeString(text)), &status); err != nil {
		return nil, err
	}
	return &status, nil
}

// Links lists the node's WebRTC links.
func (n *Node) Links(ctx context.Context) ([]Link, error) {
	var text *C.char
	if err := blocking(ctx, func() C.colonio_status { return C.colonio_node_links_json(n.handle, &text) }); err != nil {
		return nil, err
	}
	var links []Link
	err := json.Unmarshal([]byte(takeString(text)), &links)
	return links, err
}

// Handle registers (or replaces) the handler of messages and requests sent to name.
func (n *Node) Handle(name string, handler Handler) error {
	handle := cgo.NewHandle(handler)
	cName := cString(name)
	defer C.free(unsafe.Pointer(cName))
	if err := call(func() C.colonio_status { return C.go_colonio_handle(n.handle, cName, C.uintptr_t(handle)) }); err != nil {
		handle.Delete()
		return err
	}
	n.mu.Lock()
	if old, ok := n.handlers[name]; ok {
		old.Delete()
	}
	n.handlers[name] = handle
	n.mu.Unlock()
	return nil
}

// RemoveHandler removes the handler of name; later requests to it get ErrNoHandler.
func (n *Node) RemoveHandler(name string) error {
	cName := cString(name)
	defer C.free(unsafe.Pointer(cName))
	err := call(func() C.colonio_status { return C.colonio_remove_handler(n.handle, cName) })
	if err == nil {
		n.mu.Lock()
		if old, ok := n.handlers[name]; ok {
			old.Delete()
			delete(n.handlers, name)
		}
		n.mu.Unlock()
	}
	return err
}

// Send sends a one-way message to the handler name of node destination.
func (n *Node) Send(ctx context.Context, destination, name string, payload []byte) error {
	return n.send(ctx, false, destination, name, payload)
}

// SendToOwner sends a one-way message to the handler name of the node that owns key.
func (n *Node) SendToOwner(ctx context.Context, key, name string, payload []byte) error {
	return n.send(ctx, true, key, name, payload)
}

func (n *Node) send(ctx context.Context, toOwner bool, target, name string, payload []byte) error {
	cTarget, cName := cString(target), cString(name)
	data, length := cBytes(payload)
	return blocking(ctx, func() C.colonio_status {
		defer C.free(unsafe.Pointer(cTarget))
		defer C.free(unsafe.Pointer(cName))
		defer C.free(unsafe.Pointer(data))
		if toOwner {
			return C.colonio_send_to_owner(n.handle, cTarget, cName, (*C.uint8_t)(unsafe.Pointer(data)), length)
		}
		return C.colonio_send(n.handle, cTarget, cName, (*C.uint8_t)(unsafe.Pointer(data)), length)
	})
}

// Request sends payload to the handler name of node destination and returns its response.
func (n *Node) Request(ctx context.Context, destination, name string, payload []byte) ([]byte, error) {
	return n.request(ctx, false, destination, name, payload)
}

// RequestToOwner sends payload to the handler name of the node that owns key and returns its response.
func (n *Node) RequestToOwner(ctx context.Context, key, name string, payload []byte) ([]byte, error) {
	return n.request(ctx, true, key, name, payload)
}

func (n *Node) request(ctx context.Context, toOwner bool, target, name string, payload []byte) ([]byte, error) {
	cTarget, cName := cString(target), cString(name)
	data, length := cBytes(payload)
	result := make(chan []byte, 1)
	err := blocking(ctx, func() C.colonio_status {
		defer C.free(unsafe.Pointer(cTarget))
		defer C.free(unsafe.Pointer(cName))
		defer C.free(unsafe.Pointer(data))
		var response *C.uint8_t
		var responseLength C.size_t
		var status C.colonio_status
		if toOwner {
			status = C.colonio_request_to_owner(n.handle, cTarget, cName, (*C.uint8_t)(unsafe.Pointer(data)), length,
				&response, &responseLength)
		} else {
			status = C.colonio_request(n.handle, cTarget, cName, (*C.uint8_t)(unsafe.Pointer(data)), length,
				&response, &responseLength)
		}
		// Copied here, so that a response nobody waits for any more is still freed.
		result <- takeBytes(response, responseLength)
		return status
	})
	if err != nil {
		return nil, err
	}
	return <-result, nil
}

// SetPosition places the node (plane/torus x, y; sphere longitude, latitude in degrees).
func (n *Node) SetPosition(x, y float64) error {
	return call(func() C.colonio_status { return C.colonio_set_position(n.handle, C.double(x), C.double(y)) })
}

// PublishOptions of Publish.
type PublishOptions struct {
	DeliverToSelf   bool // also deliver to this node when it subscribes and is inside the circle
	RequireReceiver bool // wait until a subscriber received it; ErrNoReceiver otherwise
}

// Publish sends payload to the subscribers of topic inside the circle (x, y, radius).
func (n *Node) Publish(ctx context.Context, topic string, payload []byte, x, y, radius float64, options PublishOptions) error {
	cTopic := cString(topic)
	data, length := cBytes(payload)
	var flags C.uint32_t
	if options.DeliverToSelf {
		flags |= C.COLONIO_PUBLISH_DELIVER_TO_SELF
	}
	if options.RequireReceiver {
		flags |= C.COLONIO_PUBLISH_REQUIRE_RECEIVER
	}
	return blocking(ctx, func() C.colonio_status {
		defer C.free(unsafe.Pointer(cTopic))
		defer C.free(unsafe.Pointer(data))
		return C.colonio_publish(n.handle, cTopic, (*C.uint8_t)(unsafe.Pointer(data)), length,
			C.double(x), C.double(y), C.double(radius), flags)
	})
}

// Delivery is a publication received by a subscription.
type Delivery struct {
	Topic   string
	Sender  string
	Payload []byte
	Center  Position
	Radius  float64
	Hops    uint32
}

// Subscription delivers the publications of one topic on C until Close.
type Subscription struct {
	C      <-chan Delivery
	node   *Node
	id     C.colonio_subscription
	handle cgo.Handle
	state  *subscriber
	once   sync.Once
}

// subscriber is what the library's callback finds behind a subscription's handle.
type subscriber struct {
	deliveries chan Delivery
	done       chan struct{}
	stopOnce   sync.Once
}

// stop makes the callback drop deliveries instead of waiting for room in the channel.
func (s *subscriber) stop() { s.stopOnce.Do(func() { close(s.done) }) }

// Subscribe receives every publication on topic whose circle contains this node. Deliveries wait in a
// buffer of 256; while it is full the library holds the next ones back.
func (n *Node) Subscribe(topic string) (*Subscription, error) {
	state := &subscriber{deliveries: make(chan Delivery, 256), done: make(chan struct{})}
	handle := cgo.NewHandle(state)
	cTopic := cString(topic)
	defer C.free(unsafe.Pointer(cTopic))
	subscription := &Subscription{C: state.deliveries, node: n, handle: handle, state: state}
	err := call(func() C.colonio_status {
		return C.go_colonio_subscribe(n.handle, cTopic, C.uintptr_t(handle), &subscription.id)
	})
	if err != nil {
		handle.Delete()
		return nil, err
	}
	n.mu.Lock()
	n.subscriptions[subscription] = struct{}{}
	n.mu.Unlock()
	return subscription, nil
}

// Close ends the subscription and closes C (a range over it ends).
func (s *Subscription) Close() error {
	s.node.mu.Lock()
	_, open := s.node.subscriptions[s]
	delete(s.node.subscriptions, s)
	s.node.mu.Unlock()
	if !open {
		return nil // ended by Node.Close
	}
	s.state.stop()
	err := call(func() C.colonio_status { return C.colonio_unsubscribe(s.node.handle, s.id) })
	s.finish()
	return err
}

// finish closes C once the library calls the callback no more (unsubscribed, or the node freed).
func (s *Subscription) finish() {
	s.once.Do(func() {
		close(s.state.deliveries)
		s.handle.Delete()
	})
}
