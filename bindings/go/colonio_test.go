package colonio

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seedURL is the seed TestMain starts: `colonio seed` from $COLONIO_CLI (default: this checkout's debug build).
var seedURL string

func TestMain(m *testing.M) {
	stop, err := startSeed()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start a seed:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

func startSeed() (func(), error) {
	cli := os.Getenv("COLONIO_CLI")
	if cli == "" {
		cli = "../../.build/debug/colonio"
	}
	folder, err := os.MkdirTemp("", "colonio-go-seed-")
	if err != nil {
		return nil, err
	}
	config := `{"listen":{"host":"127.0.0.1","port":0},"keyFile":"seed.key","networks":[{"name":"demo",` +
		`"tokens":["demo-token"],"space":{"kind":"plane","width":1000,"height":1000}}]}`
	path := filepath.Join(folder, "seed.json")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return nil, err
	}
	command := exec.Command(cli, "seed", "--config", path, "--log-level", "warning")
	stdout, err := command.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := command.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = command.Process.Kill()
		_ = command.Wait()
		os.RemoveAll(folder)
	}
	lines := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if strings.Contains(scanner.Text(), "listening") {
				lines <- scanner.Text()
			}
		}
	}()
	select {
	case line := <-lines:
		var listening struct {
			Listening struct {
				Host string `json:"host"`
				Port int    `json:"port"`
			} `json:"listening"`
		}
		if err := json.Unmarshal([]byte(line), &listening); err != nil {
			stop()
			return nil, err
		}
		seedURL = fmt.Sprintf("ws://%s:%d", listening.Listening.Host, listening.Listening.Port)
		return stop, nil
	case <-time.After(30 * time.Second):
		stop()
		return nil, errors.New("no listening line within 30 s")
	}
}

func connectedNodes(t *testing.T, count int) []*Node {
	t.Helper()
	var nodes []*Node
	for i := 0; i < count; i++ {
		node, err := NewNode(&Options{LoopbackOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err = node.Connect(ctx, seedURL, "demo", "demo-token")
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = node.Close() })
		nodes = append(nodes, node)
	}
	return nodes
}

// untilLinked retries f while the first links form (bounded: 15 s).
func untilLinked(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if !(errors.Is(err, ErrTimeout) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrDeliveryFailed)) ||
			time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestABIVersion(t *testing.T) {
	if libraryABIVersion() != ABIVersion {
		t.Fatalf("library ABI %d, package %d", libraryABIVersion(), ABIVersion)
	}
}

func TestBadInputAndUseAfterClose(t *testing.T) {
	ctx := context.Background()
	node, err := NewNode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.RequestToOwner(ctx, "k", "echo", nil); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("request before connect: %v", err)
	}
	if _, err := node.Request(ctx, "not-hex", "echo", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad node ID: %v", err)
	}
	if err := node.Connect(ctx, seedURL, "demo", "wrong"); !errors.Is(err, ErrSeedFailed) {
		t.Fatalf("wrong token: %v", err)
	}
	if err := node.Connect(ctx, seedURL, "de\xffmo", "demo-token"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if err := node.Close(); err != nil {
		t.Fatal(err)
	}
	if err := node.Connect(ctx, seedURL, "demo", "demo-token"); !errors.Is(err, ErrInvalidHandle) {
		t.Fatalf("after close: %v", err)
	}
	if err := node.Close(); !errors.Is(err, ErrInvalidHandle) {
		t.Fatalf("second close: %v", err)
	}
}

func TestRequestsAndHandlers(t *testing.T) {
	nodes := connectedNodes(t, 2)
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	must(t, b.Handle("echo", func(m Message) ([]byte, error) { return append([]byte("b:"), m.Payload...), nil }))
	must(t, b.Handle("fail", func(m Message) ([]byte, error) { return nil, errors.New("refused on purpose") }))
	must(t, b.Handle("panic", func(m Message) ([]byte, error) { panic("boom") }))
	var reply []byte
	untilLinked(t, func() (err error) { reply, err = a.Request(ctx, b.ID(), "echo", []byte("hi")); return })
	if string(reply) != "b:hi" {
		t.Fatalf("reply %q", reply)
	}
	if _, err := a.Request(ctx, b.ID(), "fail", nil); !errors.Is(err, ErrHandlerFailed) ||
		!strings.Contains(err.Error(), "refused on purpose") {
		t.Fatalf("failing handler: %v", err)
	}
	if _, err := a.Request(ctx, b.ID(), "panic", nil); !errors.Is(err, ErrHandlerFailed) ||
		!strings.Contains(err.Error(), "boom") {
		t.Fatalf("panicking handler: %v", err)
	}
	// Many goroutines at once.
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func(i int) {
			reply, err := a.Request(ctx, b.ID(), "echo", []byte(fmt.Sprint(i)))
			if err == nil && string(reply) != fmt.Sprintf("b:%d", i) {
				err = fmt.Errorf("reply %q", reply)
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 20; i++ {
		must(t, <-errs)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Request(cancelled, b.ID(), "echo", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	must(t, b.RemoveHandler("echo"))
	if _, err := a.Request(ctx, b.ID(), "echo", nil); !errors.Is(err, ErrNoHandler) {
		t.Fatalf("removed handler: %v", err)
	}
	status, err := a.Status()
	must(t, err)
	if status.NodeID == nil || *status.NodeID != a.ID() || !status.IsConnected {
		t.Fatalf("status %+v", status)
	}
}

func TestKVSConditions(t *testing.T) {
	nodes := connectedNodes(t, 2)
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	key := "go-test/key"
	var version uint64
	untilLinked(t, func() (err error) { version, err = a.Put(ctx, key, []byte("one"), IfAbsent); return })
	if version != 1 {
		t.Fatalf("version %d", version)
	}
	_, err := b.Put(ctx, key, []byte("two"), IfAbsent)
	var failure *Error
	if !errors.As(err, &failure) || failure.Code != CodeConditionFailed || failure.CurrentVersion != 1 {
		t.Fatalf("if absent: %v", err)
	}
	value, err := b.Get(ctx, key)
	must(t, err)
	if value == nil || string(value.Bytes) != "one" || value.Version != 1 {
		t.Fatalf("get %+v", value)
	}
	if version, err = b.Put(ctx, key, []byte("two"), IfVersion(1)); err != nil || version != 2 {
		t.Fatalf("compare-and-set: %d %v", version, err)
	}
	if _, err = a.Put(ctx, key, []byte("x"), IfPresent); err != nil {
		t.Fatal(err)
	}
	if err = a.Delete(ctx, key, IfVersion(1)); !errors.Is(err, ErrConditionFailed) {
		t.Fatalf("delete if version: %v", err)
	}
	must(t, a.Delete(ctx, key, Always))
	if value, err = a.Get(ctx, key); err != nil || value != nil {
		t.Fatalf("after delete: %+v %v", value, err)
	}
}

func TestPubSub(t *testing.T) {
	nodes := connectedNodes(t, 2)
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	must(t, a.SetPosition(10, 10))
	must(t, b.SetPosition(500, 500))
	subscription, err := b.Subscribe("go")
	must(t, err)
	defer subscription.Close()
	deadline := time.After(15 * time.Second)
	for {
		must(t, a.Publish(ctx, "go", []byte("hello"), 500, 500, 20, PublishOptions{}))
		select {
		case delivery := <-subscription.C:
			if string(delivery.Payload) != "hello" || delivery.Sender != a.ID() {
				t.Fatalf("delivery %+v", delivery)
			}
			must(t, subscription.Close())
			for range subscription.C { // ends: Close closed the channel
			}
			return
		case <-time.After(300 * time.Millisecond):
		case <-deadline:
			t.Fatal("no delivery within 15 s")
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
