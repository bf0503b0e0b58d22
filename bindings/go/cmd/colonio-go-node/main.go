// Command colonio-go-node is a Go node driven by JSON lines, for the multi-language test and the
// benchmark (bindings/testing/multilang.py): it joins a network, answers "echo" with "go:" and the
// payload, prints each delivery, and runs one command per input line, printing one JSON reply each.
// WebRTC stays on loopback unless -interface names the interfaces it may use (the test's browser veth).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"colonio.example/colonio"
)

// command is one input line.
type command struct {
	Op        string  `json:"op"`
	To        string  `json:"to"`
	Key       string  `json:"key"`
	Name      string  `json:"name"`
	Payload   string  `json:"payload"`
	Condition string  `json:"condition"`
	Version   uint64  `json:"version"`
	Topic     string  `json:"topic"`
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	Radius    float64 `json:"radius"`
	Count     int     `json:"count"`
}

// interfaceList collects repeated -interface flags.
type interfaceList []string

func (list *interfaceList) String() string { return fmt.Sprint([]string(*list)) }

func (list *interfaceList) Set(name string) error {
	*list = append(*list, name)
	return nil
}

var output = struct {
	sync.Mutex
	encoder *json.Encoder
}{encoder: json.NewEncoder(os.Stdout)}

func emit(value map[string]any) {
	output.Lock()
	defer output.Unlock()
	_ = output.encoder.Encode(value)
}

func main() {
	seed := flag.String("seed", "", "the seed's URL")
	network := flag.String("network", "demo", "the network")
	token := flag.String("token", "demo-token", "the network's token")
	var interfaces interfaceList
	flag.Var(&interfaces, "interface", "an interface WebRTC may use (repeatable); default: loopback only")
	flag.Parse()
	// Loopback only unless interfaces are named: the multi-language test names the veth of its browser
	// namespace, since Chromium there cannot reach loopback candidates.
	node, err := colonio.NewNode(&colonio.Options{LoopbackOnly: len(interfaces) == 0, AllowedInterfaces: interfaces})
	if err != nil {
		fail(err)
	}
	defer node.Close()
	must(node.Handle("echo", func(m colonio.Message) ([]byte, error) { return append([]byte("go:"), m.Payload...), nil }))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = node.Connect(ctx, *seed, *network, *token)
	cancel()
	if err != nil {
		fail(err)
	}
	emit(map[string]any{"event": "joined", "nodeID": node.ID()})
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		var c command
		if err := json.Unmarshal(scanner.Bytes(), &c); err != nil {
			emit(map[string]any{"response": "?", "ok": false, "error": err.Error()})
			continue
		}
		if c.Op == "quit" {
			break
		}
		reply, err := run(node, c)
		if err != nil {
			var failure *colonio.Error
			code := 0
			if errors.As(err, &failure) {
				code = int(failure.Code)
			}
			emit(map[string]any{"response": c.Op, "ok": false, "error": err.Error(), "code": code})
			continue
		}
		reply["response"], reply["ok"] = c.Op, true
		emit(reply)
	}
}

func run(node *colonio.Node, c command) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	switch c.Op {
	case "request":
		var reply []byte
		var err error
		if c.Key != "" {
			reply, err = node.RequestToOwner(ctx, c.Key, c.Name, []byte(c.Payload))
		} else {
			reply, err = node.Request(ctx, c.To, c.Name, []byte(c.Payload))
		}
		return map[string]any{"text": string(reply)}, err
	case "put":
		condition := colonio.Always
		switch c.Condition {
		case "if_absent":
			condition = colonio.IfAbsent
		case "if_present":
			condition = colonio.IfPresent
		case "if_version":
			condition = colonio.IfVersion(c.Version)
		}
		version, err := node.Put(ctx, c.Key, []byte(c.Payload), condition)
		return map[string]any{"version": version}, err
	case "get":
		value, err := node.Get(ctx, c.Key)
		if err != nil || value == nil {
			return map[string]any{"found": false}, err
		}
		return map[string]any{"found": true, "text": string(value.Bytes), "version": value.Version}, nil
	case "position":
		return map[string]any{}, node.SetPosition(c.X, c.Y)
	case "subscribe":
		subscription, err := node.Subscribe(c.Topic)
		if err != nil {
			return nil, err
		}
		go func() {
			for delivery := range subscription.C {
				emit(map[string]any{"event": "delivery", "topic": delivery.Topic, "from": delivery.Sender,
					"text": string(delivery.Payload)})
			}
		}()
		return map[string]any{}, nil
	case "publish":
		return map[string]any{}, node.Publish(ctx, c.Topic, []byte(c.Payload), c.X, c.Y, c.Radius, colonio.PublishOptions{})
	case "bench":
		return bench(ctx, node, c)
	}
	return nil, fmt.Errorf("unknown op %q", c.Op)
}

// bench times c.Count sequential requests to c.To's "echo" and reports the median and 90th percentile.
func bench(ctx context.Context, node *colonio.Node, c command) (map[string]any, error) {
	payload := []byte(c.Payload)
	var samples []float64
	for i := 0; i < c.Count; i++ {
		started := time.Now()
		if _, err := node.Request(ctx, c.To, "echo", payload); err != nil {
			return nil, err
		}
		samples = append(samples, float64(time.Since(started).Microseconds())/1000)
	}
	sort.Float64s(samples)
	if len(samples) == 0 {
		return nil, errors.New("count must be positive")
	}
	return map[string]any{"p50Ms": samples[len(samples)/2], "p90Ms": samples[len(samples)*9/10], "count": len(samples)}, nil
}

func must(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	emit(map[string]any{"response": "join", "ok": false, "error": err.Error()})
	os.Exit(1)
}
