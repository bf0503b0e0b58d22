// Page side of scripts/browser-check.py: one RTCPeerConnection per page, signalled by the driver
// (non-trickle: each description carries all candidates), plus a wasm load. Every wait is bounded.
'use strict';

const bounded = (promise, ms, what) => Promise.race([
  promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)),
]);

const state = { pc: null, dc: null, opened: null, inbox: [], waiters: [] };

function gathered(pc) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
}

// a=candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> ...
function candidates(sdp) {
  return sdp.split('\r\n').filter((line) => line.startsWith('a=candidate:')).map((line) => {
    const f = line.split(' ');
    return { protocol: f[2].toLowerCase(), address: f[4], port: Number(f[5]), type: f[7] };
  });
}

function channelOpen(dc) {
  return new Promise((resolve, reject) => {
    if (dc.readyState === 'open') return resolve();
    dc.addEventListener('open', () => resolve());
    dc.addEventListener('close', () => reject(new Error('data channel closed before opening')));
  });
}

// Offerer side: every message lands in the inbox, or goes to whoever waits for the next one.
function listen(dc) {
  dc.binaryType = 'arraybuffer';
  dc.onmessage = (event) => {
    const waiter = state.waiters.shift();
    if (waiter) waiter(event.data); else state.inbox.push(event.data);
  };
}

function nextMessage(ms) {
  if (state.inbox.length) return Promise.resolve(state.inbox.shift());
  return bounded(new Promise((resolve) => state.waiters.push(resolve)), ms, 'reply');
}

// Answerer side: echoes strings starting with "p", counts bytes announced by "t<total>", answers "done".
function echo(dc) {
  dc.binaryType = 'arraybuffer';
  let expected = 0;
  let received = 0;
  dc.onmessage = (event) => {
    if (typeof event.data === 'string') {
      if (event.data.startsWith('p')) dc.send(event.data);
      else if (event.data.startsWith('t')) { expected = Number(event.data.slice(1)); received = 0; }
      return;
    }
    received += event.data.byteLength;
    if (expected && received >= expected) { expected = 0; dc.send('done'); }
  };
}

function reset() {
  if (state.pc) state.pc.close();
  Object.assign(state, { pc: null, dc: null, opened: null, inbox: [], waiters: [] });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

window.check = {
  async offer() {
    reset();
    const t0 = performance.now();
    const pc = state.pc = new RTCPeerConnection();
    const dc = state.dc = pc.createDataChannel('check', { ordered: true });
    listen(dc);
    state.opened = channelOpen(dc);
    state.opened.catch(() => {});
    await pc.setLocalDescription(await pc.createOffer());
    await bounded(gathered(pc), 5000, 'ICE gathering');
    const d = pc.localDescription;
    return { type: d.type, sdp: d.sdp, gatherMs: performance.now() - t0, candidates: candidates(d.sdp) };
  },

  async answer(offer) {
    reset();
    const t0 = performance.now();
    const pc = state.pc = new RTCPeerConnection();
    state.opened = new Promise((resolve, reject) => {
      pc.ondatachannel = (event) => {
        state.dc = event.channel;
        echo(event.channel);
        channelOpen(event.channel).then(resolve, reject);
      };
    });
    state.opened.catch(() => {});
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await bounded(gathered(pc), 5000, 'ICE gathering');
    const d = pc.localDescription;
    return { type: d.type, sdp: d.sdp, gatherMs: performance.now() - t0, candidates: candidates(d.sdp) };
  },

  // Connect time: answer applied at the offerer until its data channel is open (ICE + DTLS + SCTP).
  async accept(answer) {
    const t0 = performance.now();
    await state.pc.setRemoteDescription(answer);
    await bounded(state.opened, 10000, 'data channel open');
    return { connectMs: performance.now() - t0 };
  },

  async opened() {
    await bounded(state.opened, 10000, 'data channel open');
    return true;
  },

  async gatherOnly() {
    reset();
    const pc = state.pc = new RTCPeerConnection();
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await bounded(gathered(pc), 5000, 'ICE gathering');
    const found = candidates(pc.localDescription.sdp);
    reset();
    return found;
  },

  async selectedPair() {
    const stats = await state.pc.getStats();
    let pairId = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = pairId && stats.get(pairId);
    if (!pair) return null;
    const side = (id) => {
      const c = stats.get(id);
      return { type: c.candidateType, address: c.address, port: c.port, protocol: c.protocol };
    };
    return { local: side(pair.localCandidateId), remote: side(pair.remoteCandidateId) };
  },

  async rtt(count) {
    const samples = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      state.dc.send(`p${i}`);
      const reply = await nextMessage(2000);
      if (reply !== `p${i}`) throw new Error(`echo ${i}: got ${reply}`);
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    const maxMs = samples[samples.length - 1];
    return { count, p50Ms: percentile(samples, 0.5), p90Ms: percentile(samples, 0.9), maxMs };
  },

  async throughput(total, chunkSize) {
    const dc = state.dc;
    const chunk = new Uint8Array(chunkSize);
    dc.bufferedAmountLowThreshold = 1 << 20;
    const t0 = performance.now();
    dc.send(`t${total}`);
    for (let sent = 0; sent < total; sent += chunkSize) {
      if (dc.bufferedAmount > (4 << 20)) {
        const drained = new Promise((resolve) => { dc.onbufferedamountlow = resolve; });
        await bounded(drained, 10000, 'send buffer drain');
      }
      dc.send(sent + chunkSize <= total ? chunk : chunk.subarray(0, total - sent));
    }
    const reply = await nextMessage(30000);
    if (reply !== 'done') throw new Error(`throughput: got ${reply}`);
    const seconds = (performance.now() - t0) / 1000;
    return { bytes: total, seconds, megabytesPerSecond: total / seconds / 1e6 };
  },

  // Time until this side notices the peer is gone: ICE "disconnected"/"failed" or the channel closing.
  async peerGone(ms) {
    const pc = state.pc;
    const t0 = performance.now();
    const down = () => ['disconnected', 'failed', 'closed'].includes(pc.iceConnectionState)
      || state.dc.readyState !== 'open';
    await bounded(new Promise((resolve) => {
      const poll = () => (down() ? resolve() : setTimeout(poll, 20));
      poll();
    }), ms, 'peer loss detection');
    return {
      detectMs: performance.now() - t0, iceState: pc.iceConnectionState, channelState: state.dc.readyState,
    };
  },

  // Loads the Embedded Swift build of ColonioCore the way Web/smoke-test.mjs does in Node.
  async wasm(url) {
    let memory;
    const wasi = {
      random_get(ptr, len) {
        const view = new Uint8Array(memory.buffer, ptr, len);
        // getRandomValues fills at most 65536 bytes per call.
        for (let o = 0; o < len; o += 65536) {
          crypto.getRandomValues(view.subarray(o, Math.min(len, o + 65536)));
        }
        return 0;
      },
    };
    const imports = new Proxy({}, {
      get: (_, module) => (module === 'wasi_snapshot_preview1' ? new Proxy(wasi, {
        get: (target, name) => target[name]
          ?? (() => { throw new Error(`unexpected WASI call ${String(name)}`); }),
      }) : {}),
    });
    const t0 = performance.now();
    const response = await fetch(url);
    const bytes = Number(response.headers.get('content-length'));
    // instantiateStreaming also proves the server sends application/wasm.
    const { instance } = await WebAssembly.instantiateStreaming(response, imports);
    const loadMs = performance.now() - t0;
    memory = instance.exports.memory;
    const { colonio_node_id_compare: compare, colonio_varint_roundtrip: roundTrip } = instance.exports;
    const checks = [
      ['compare less', compare(0n, 1n, 0n, 2n), -1],
      ['compare high half', compare(1n, 0n, 0n, 0xffffffffffffffffn), 1],
      ['compare equal', compare(5n, 6n, 5n, 6n), 0],
      ['varint 300', BigInt.asUintN(64, roundTrip(300n)), 300n],
      ['varint max', BigInt.asUintN(64, roundTrip(0xfffffffffffffffen)), 0xfffffffffffffffen],
    ];
    const failed = checks.filter(([, got, want]) => got !== want)
      .map(([name, got, want]) => `${name}: got ${got}, want ${want}`);
    return { bytes, loadMs, passed: checks.length - failed.length, failed };
  },

  render(title, summary) {
    document.getElementById('title').textContent = title;
    document.getElementById('summary').textContent = JSON.stringify(summary, null, 2);
    return true;
  },

  close() { reset(); return true; },
};
