// Reference for `colonio bench link`: the same measurements with pion/webrtc v3 (the WebRTC stack of
// Colonio's Go version), two peers in one process over loopback. Build and run: scripts/bench/pion-link.sh
//
// Prints one JSON object: connect_ms (offer to open data channel on both sides, with the steps: offer and
// answer made, ICE connected, DTLS connected, channel open), rtt_us (64-byte echo), throughput_mb_s
// (65,535-byte messages, flow-controlled on the buffered amount) and rss_mb.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v3"
)

// Bytes of throughput messages the answerer received, and when the last one arrived (Unix ns).
var received, lastReceived atomic.Int64

type pair struct {
	offerer, answerer *webrtc.PeerConnection
	channel           *webrtc.DataChannel // the offerer's
	replies           chan []byte
	steps             map[string]time.Duration
}

func api() *webrtc.API {
	var settings webrtc.SettingEngine
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	settings.SetICEMulticastDNSMode(0) // disabled
	// 64 KiB messages stall the association with the default 1 MiB receive buffer (seen with 3.1.56).
	settings.SetSCTPMaxReceiveBufferSize(8 * 1024 * 1024)
	return webrtc.NewAPI(webrtc.WithSettingEngine(settings))
}

// connect makes two peer connections and one data channel; returns once it is open on both sides.
func connect(a *webrtc.API, timeout time.Duration) (*pair, error) {
	start := time.Now()
	p := &pair{replies: make(chan []byte, 1024), steps: map[string]time.Duration{}}
	var mutex sync.Mutex
	mark := func(step string) {
		mutex.Lock()
		if _, seen := p.steps[step]; !seen {
			p.steps[step] = time.Since(start)
		}
		mutex.Unlock()
	}
	var err error
	if p.offerer, err = a.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return nil, err
	}
	if p.answerer, err = a.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return nil, err
	}
	for _, side := range []struct {
		pc, other *webrtc.PeerConnection
	}{{p.offerer, p.answerer}, {p.answerer, p.offerer}} {
		other := side.other
		side.pc.OnICECandidate(func(candidate *webrtc.ICECandidate) {
			if candidate != nil {
				_ = other.AddICECandidate(candidate.ToJSON())
			}
		})
	}
	p.offerer.OnICEConnectionStateChange(func(state webrtc.ICEConnectionState) {
		if state == webrtc.ICEConnectionStateConnected {
			mark("ice_connected")
		}
	})
	p.offerer.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		if state == webrtc.PeerConnectionStateConnected {
			mark("dtls_connected")
		}
	})
	opened := make(chan struct{}, 2)
	p.answerer.OnDataChannel(func(channel *webrtc.DataChannel) {
		channel.OnOpen(func() { opened <- struct{}{} })
		channel.OnMessage(func(message webrtc.DataChannelMessage) {
			if len(message.Data) <= 64 {
				_ = channel.Send(message.Data)
				return
			}
			received.Add(int64(len(message.Data)))
			lastReceived.Store(time.Now().UnixNano())
		})
	})
	if p.channel, err = p.offerer.CreateDataChannel("colonio", nil); err != nil {
		return nil, err
	}
	p.channel.OnOpen(func() { opened <- struct{}{} })
	p.channel.OnMessage(func(message webrtc.DataChannelMessage) { p.replies <- message.Data })
	offer, err := p.offerer.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	if err = p.offerer.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	if err = p.answerer.SetRemoteDescription(offer); err != nil {
		return nil, err
	}
	mark("offer")
	answer, err := p.answerer.CreateAnswer(nil)
	if err != nil {
		return nil, err
	}
	if err = p.answerer.SetLocalDescription(answer); err != nil {
		return nil, err
	}
	if err = p.offerer.SetRemoteDescription(answer); err != nil {
		return nil, err
	}
	mark("answer")
	deadline := time.After(timeout)
	for i := 0; i < 2; i++ {
		select {
		case <-opened:
		case <-deadline:
			return nil, errors.New("the data channel did not open in time")
		}
	}
	mark("open")
	return p, nil
}

func (p *pair) close() {
	_ = p.offerer.Close()
	_ = p.answerer.Close()
}

func (p *pair) roundTrip(payload []byte, timeout time.Duration) error {
	if err := p.channel.Send(payload); err != nil {
		return err
	}
	select {
	case <-p.replies:
		return nil
	case <-time.After(timeout):
		return errors.New("no echo in time")
	}
}

func percentile(sorted []float64, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func residentMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kilobytes float64
		if _, err := fmt.Sscanf(line, "VmRSS: %f kB", &kilobytes); err == nil {
			return kilobytes / 1024
		}
	}
	return 0
}

func run() error {
	connects := flag.Int("connects", 20, "connections to time")
	roundTrips := flag.Int("round-trips", 10000, "64-byte round trips to time")
	messages := flag.Int("messages", 4096, "messages of --block bytes for the throughput figure")
	// 65,535: pion 3.1.56 delivers no message of 65,536 bytes (the transfer stalls).
	blockBytes := flag.Int("block", 65535, "bytes per message for the throughput figure")
	flag.Parse()
	a := api()
	timeout := 10 * time.Second

	var connectMs []float64
	stepMs := map[string][]float64{}
	for i := 0; i < *connects; i++ {
		start := time.Now()
		p, err := connect(a, timeout)
		if err != nil {
			return err
		}
		connectMs = append(connectMs, float64(time.Since(start).Microseconds())/1000)
		for step, at := range p.steps {
			stepMs[step] = append(stepMs[step], float64(at.Microseconds())/1000)
		}
		p.close()
	}

	p, err := connect(a, timeout)
	if err != nil {
		return err
	}
	defer p.close()
	payload := make([]byte, 64)
	for i := 0; i < 200; i++ {
		if err := p.roundTrip(payload, timeout); err != nil {
			return err
		}
	}
	rtt := make([]float64, 0, *roundTrips)
	for i := 0; i < *roundTrips; i++ {
		start := time.Now()
		if err := p.roundTrip(payload, timeout); err != nil {
			return err
		}
		rtt = append(rtt, float64(time.Since(start).Nanoseconds())/1000)
	}

	// Flow control as a browser application would do it: wait while more than 1 MiB is buffered. The
	// receiver counts bytes, so a transfer that stalls (64 KiB messages do with pion 3.1.56 here) still
	// gives a figure: the bytes delivered in the time until the last one arrived, marked as stalled.
	block := make([]byte, *blockBytes)
	low := make(chan struct{}, 1)
	p.channel.SetBufferedAmountLowThreshold(512 * 1024)
	p.channel.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	total := int64(*messages * len(block))
	start := time.Now()
	received.Store(0)
	stalled := false
send:
	for i := 0; i < *messages; i++ {
		for p.channel.BufferedAmount() > 1024*1024 {
			select {
			case <-low:
			case <-time.After(timeout):
				stalled = true
				break send
			}
		}
		if err := p.channel.Send(block); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for received.Load() < total && time.Now().Before(deadline) && !stalled {
		time.Sleep(time.Millisecond)
	}
	delivered := received.Load()
	stalled = stalled || delivered < total
	elapsed := time.Duration(lastReceived.Load()) - time.Duration(start.UnixNano())
	throughput := 0.0
	if elapsed > 0 {
		throughput = float64(delivered) / elapsed.Seconds() / 1e6
	}

	sort.Float64s(connectMs)
	sort.Float64s(rtt)
	steps := map[string]float64{}
	for step, values := range stepMs {
		sort.Float64s(values)
		steps[step] = round(percentile(values, 50), 2)
	}
	report := map[string]any{
		"benchmark":              "pion-link",
		"connect_ms":             map[string]any{"samples": len(connectMs), "p50": round(percentile(connectMs, 50), 2), "steps_p50": steps},
		"rtt_us":                 map[string]any{"samples": len(rtt), "p50": round(percentile(rtt, 50), 1), "p99": round(percentile(rtt, 99), 1)},
		"throughput_mb_s":        round(throughput, 1),
		"throughput_block_bytes": len(block),
		"throughput_stalled":     stalled,
		"rss_mb":                 round(residentMB(), 1),
	}
	return json.NewEncoder(os.Stdout).Encode(report)
}

func round(value float64, places int) float64 {
	scale := 1.0
	for i := 0; i < places; i++ {
		scale *= 10
	}
	return float64(int64(value*scale+0.5)) / scale
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pion-link:", err)
		os.Exit(1)
	}
}
