// Three browser nodes (colonio.js + colonio.wasm) in one Node.js process, joined by an in-memory seed
// and in-memory peer connections (no WebRTC): proves the wasm ABI and the shell end to end — sign-in,
// signaling, the certificate hello with real Ed25519 signatures, the ring, requests both ways, KVS
// put/get/delete from different nodes, pub/sub. Exit 1 on any failure. Usage: node browser-node.test.mjs [colonio.wasm]
import { readFile } from 'node:fs/promises';
import { Colonio, RequestError, KVSError } from './colonio.js';
// The fake seed speaks the wire format and uses a helper wasm instance: internals, not the public API.
import { WasmCore, Op, Command, Fields, decodePairs, encodeFields, hex } from './colonio-internal.js';

const wasmPath = process.argv[2] ?? new URL('./colonio.wasm', import.meta.url);
const wasmModule = await WebAssembly.compile(await readFile(wasmPath));
const NETWORK = 'test';
const TOKEN = 'secret';
const MAXIMUM_LINKS = 5;

// MARK: in-memory seed (frames built by a helper wasm instance, certificates signed with a real Ed25519 key)

class FakeSeed {
  static async create() {
    const seed = new FakeSeed();
    seed.helper = await WasmCore.load(wasmModule);
    seed.key = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
    seed.publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', seed.key.publicKey));
    seed.clients = new Map(); // node hex -> socket
    return seed;
  }

  /** A certificate message for `socket`'s node valid for `seconds` (signedBytes minus the 28-byte domain, then the signature). */
  async certificate(socket, seconds) {
    const expiry = BigInt(Math.floor(Date.now() / 1000) + seconds);
    const [signed] = this.bytesOf(this.helper.call(Op.testCertificateBytes, { 1: NETWORK, 2: socket.id, 3: socket.publicKey, 4: expiry }));
    const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', this.key.privateKey, signed));
    return { expiry, signature, bytes: new Uint8Array([...signed.subarray(28), ...encodeFields({ 5: signature })]) };
  }

  peersOf(nodeHex) {
    return [...this.clients.keys()].filter((h) => h !== nodeHex).map((h) => Uint8Array.from(h.match(/../g), (p) => parseInt(p, 16)));
  }

  /** Closes every node's connection from the seed's side, as a seed restart would. */
  dropAll() { for (const socket of [...this.clients.values()]) socket.close(); }

  bytesOf(commands) { return commands.filter(([k]) => k === Command.bytes).map(([, f]) => f.bytes(1).slice()); }

  async receive(socket, data) {
    for (const [field, body] of decodePairs(data)) {
      if (field === 1) { // signIn
        const request = new Fields(body);
        if (request.str(1) !== NETWORK || request.str(2) !== TOKEN) return socket.close();
        let id = crypto.getRandomValues(new Uint8Array(16));
        if (request.has(4)) { // resume: the node's own signature over network, node ID, time and this connection's challenge
          const resume = new Fields(request.bytes(4));
          const claimed = new Fields(resume.bytes(1)).bytes(2).slice();
          const [signed] = this.bytesOf(this.helper.call(Op.testResumeBytes, { 1: NETWORK, 2: claimed, 3: resume.big(2), 4: socket.challenge }));
          const nodeKey = await crypto.subtle.importKey('raw', request.bytes(3).slice(), { name: 'Ed25519' }, false, ['verify']);
          const valid = await crypto.subtle.verify('Ed25519', nodeKey, resume.bytes(3).slice(), signed);
          if (!valid) this.badClaims = (this.badClaims ?? 0) + 1;
          if (!valid || this.refuseResumes) {
            return socket.deliver(encodeFields({ 19: encodeFields({ 1: 13, 2: 'resume refused' }) }));
          }
          this.resumed = (this.resumed ?? 0) + 1;
          id = claimed;
        }
        // `shortLivedNext`: a certificate that expires in 3 s (the node must renew it to keep linking).
        const expiry = BigInt(Math.floor(Date.now() / 1000) + (this.shortLivedNext ? 3 : 3600));
        this.shortLivedNext = false;
        socket.id = id;
        socket.publicKey = request.bytes(3).slice();
        const [signed] = this.bytesOf(this.helper.call(Op.testCertificateBytes, { 1: NETWORK, 2: id, 3: request.bytes(3), 4: expiry }));
        // `forgeNext`: sign this certificate with a key that is not the seed's (a forged certificate).
        const signingKey = this.forgeNext ? (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign'])).privateKey : this.key.privateKey;
        this.forgeNext = false;
        const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', signingKey, signed));
        // `hideNext`: no bootstrap peers, as if the node were alone (it must ask for peers itself).
        const peers = this.hideNext ? [] : this.peersOf(hex(id));
        this.hideNext = false;
        const [frame] = this.bytesOf(this.helper.call(Op.testSignedInFrame, {
          1: id, 2: request.bytes(3), 3: expiry, 4: signature, 5: this.publicKey, 6: NETWORK, 7: peers, 8: MAXIMUM_LINKS,
        }));
        socket.nodeID = hex(id);
        this.clients.set(socket.nodeID, socket);
        socket.deliver(frame);
      } else if (field === 2) { // renewCertificate
        this.renewals = (this.renewals ?? 0) + 1;
        const renewed = await this.certificate(socket, 3600);
        socket.deliver(encodeFields({ 17: encodeFields({ 1: renewed.bytes }) }));
      } else if (field === 5) { // findPeers
        this.peerSearches = (this.peerSearches ?? 0) + 1;
        socket.deliver(encodeFields({ 21: encodeFields({ 1: this.peersOf(socket.nodeID) }) }));
      } else if (field === 3) { // signal: relay
        const [relayed, to] = this.bytesOf(this.helper.call(Op.testRelay, { 1: Uint8Array.from(socket.nodeID.match(/../g), (p) => parseInt(p, 16)), 2: data }));
        this.clients.get(hex(to))?.deliver(relayed);
      }
    }
  }
}

function makeWebSocket(seed) {
  return class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      // The seed's first frame on every connection: the challenge a resume claim must sign.
      this.challenge = crypto.getRandomValues(new Uint8Array(16));
      setTimeout(() => { this.readyState = 1; this.onopen?.(); this.deliver(encodeFields({ 22: encodeFields({ 1: this.challenge }) })); }, 1);
    }
    send(data) { const copy = new Uint8Array(data); setTimeout(() => seed.receive(this, copy), 0); }
    deliver(bytes) { setTimeout(() => { if (this.readyState === 1) this.onmessage?.({ data: bytes.slice().buffer }); }, 0); }
    close() {
      if (this.readyState === 3) return;
      this.readyState = 3;
      if (this.nodeID) seed.clients.delete(this.nodeID);
      setTimeout(() => this.onclose?.(), 0);
    }
  };
}

// MARK: in-memory peer connections, paired by the DTLS fingerprints in their SDPs

const connections = new Map(); // fingerprint -> FakePeerConnection
class FakeChannel {
  constructor() { this.readyState = 'connecting'; this.bufferedAmount = 0; this.peer = null; }
  send(data) {
    if (this.readyState !== 'open') throw new Error('channel not open');
    const copy = new Uint8Array(data).slice();
    setTimeout(() => { if (this.peer?.readyState === 'open') this.peer.onmessage?.({ data: copy.buffer }); }, 0);
  }
  close() {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    const peer = this.peer;
    setTimeout(() => { if (peer && peer.readyState !== 'closed') { peer.readyState = 'closed'; peer.onclose?.(); } }, 0);
  }
  addEventListener() {}
}
class FakePeerConnection {
  constructor() {
    this.fingerprint = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
    connections.set(this.fingerprint, this);
    this.connectionState = 'new';
  }
  createDataChannel() { this.channel = new FakeChannel(); return this.channel; }
  sdp(type) { return `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\na=fingerprint:sha-256 ${this.fingerprint}\r\na=setup:${type === 'offer' ? 'actpass' : 'active'}\r\n`; }
  async createOffer() { return { type: 'offer', sdp: this.sdp('offer') }; }
  async createAnswer() { return { type: 'answer', sdp: this.sdp('answer') }; }
  async setLocalDescription(description) {
    this.localDescription = description;
    setTimeout(() => this.onicecandidate?.({ candidate: { candidate: 'candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } }), 0);
    this.maybeConnect();
  }
  async setRemoteDescription(description) {
    this.remoteDescription = description;
    this.maybeConnect();
  }
  async addIceCandidate() {}
  maybeConnect() {
    if (!this.localDescription || !this.remoteDescription) return;
    const other = connections.get(/a=fingerprint:sha-256 (\S+)/.exec(this.remoteDescription.sdp)[1]);
    if (!other || !other.localDescription || !other.remoteDescription || other.channel.peer) return;
    this.channel.peer = other.channel;
    other.channel.peer = this.channel;
    for (const pc of [this, other]) {
      setTimeout(() => { pc.channel.readyState = 'open'; pc.connectionState = 'connected'; pc.channel.onopen?.(); }, 0);
    }
  }
  close() {
    this.channel?.close();
    connections.delete(this.fingerprint);
    this.connectionState = 'closed';
  }
}

// MARK: the test

const failures = [];
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures.push(name);
}
async function waitFor(what, predicate, timeoutMs = 10000) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  check(`in time: ${what}`, false);
  return false;
}
async function attempt(operation, tries = 20) {
  for (let i = 1; ; i++) {
    try { return await operation(); } catch (error) {
      if (i >= tries || !(error instanceof RequestError || error instanceof KVSError) || error.kind === 'conditionFailed') throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const seed = await FakeSeed.create();
const common = {
  seed: 'ws://seed.invalid', network: NETWORK, token: TOKEN, wasm: wasmModule, WebSocket: makeWebSocket(seed),
  RTCPeerConnection: FakePeerConnection, retryMilliseconds: 100, maximumRetryMilliseconds: 400,
};
const nodes = [];
const timer = setTimeout(() => { console.error('FAIL: the test took longer than 60 s'); process.exit(1); }, 60000);
try {
  try {
    await Colonio.connect({ ...common, token: 'wrong', timeoutMilliseconds: 500 });
    check('a wrong token is refused', false);
  } catch (error) {
    check('a wrong token is refused', error.name === 'ConnectError', `${error.name} ${error.kind}`);
  }
  for (let i = 0; i < 3; i++) {
    const node = await Colonio.connect(common);
    node.log = () => {};
    node.handle('echo', (message) => `echo from ${node.nodeID}: ${message.text()}`);
    nodes.push(node);
    await waitFor(`node ${i} linked`, () => i === 0 || node.links().length > 0);
  }
  check('three nodes signed in with distinct IDs', new Set(nodes.map((n) => n.nodeID)).size === 3);
  await waitFor('ring formed (every node linked to both others)', () => nodes.every((n) => n.links().length === 2));
  check('links are mutual', nodes.every((n) => n.links().every((peer) => nodes.find((m) => m.nodeID === peer)?.links().includes(n.nodeID))));

  const [a, b, c] = nodes;

  // A node whose certificate the seed did not sign: every link to it is refused after its hello.
  seed.forgeNext = true;
  const mallory = await Colonio.connect(common);
  mallory.log = () => {};
  // Sampled for 1.5 s: no honest node ever counts a link to mallory. Mallory's own side may count one for
  // the few milliseconds between accepting an honest hello and the honest node closing on its forged one.
  let honestLinkedMallory = false;
  for (let sample = 0; sample < 15; sample++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (nodes.some((n) => n.links().includes(mallory.nodeID))) honestLinkedMallory = true;
  }
  const malloryAlone = await waitFor('mallory without links', () => mallory.links().length === 0, 3000);
  check('a node with a forged certificate gets no link', !honestLinkedMallory && malloryAlone,
    `honest nodes linked it: ${honestLinkedMallory}; mallory's links now ${mallory.links().length}`);
  mallory.disconnect();

  // A node whose first certificate expires after 3 s renews it halfway and still links afterwards.
  // Its links were authenticated by that first certificate: the others close them when it expires,
  // and the ring links it again at once (well within the 10 s connect timeout), with a fresh hello.
  let expiredClosures = 0;
  for (const n of [a, b, c]) n.log = (text) => { if (String(text).includes('its certificate expired')) expiredClosures++; };
  seed.shortLivedNext = true;
  const d = await Colonio.connect(common);
  d.log = () => {};
  d.handle('echo', (message) => `echo from ${d.nodeID}: ${message.text()}`);
  nodes.push(d);
  await new Promise((resolve) => setTimeout(resolve, 4000));
  check('the node renewed its certificate', seed.renewals >= 1, `renewals ${seed.renewals}`);
  check('links authenticated by the expired certificate were closed', expiredClosures >= 1, `${expiredClosures} closed`);
  await waitFor('the node linked again with the three others', () => [a, b, c].every((n) => d.links().includes(n.nodeID) && n.links().includes(d.nodeID)), 5000);
  for (const n of [a, b, c]) n.log = () => {};
  const e = await Colonio.connect(common);
  e.log = () => {};
  e.handle('echo', (message) => `echo from ${e.nodeID}: ${message.text()}`);
  nodes.push(e);
  await waitFor('a new node links with the renewed node', () => e.links().includes(d.nodeID) && d.links().includes(e.nodeID));
  const reply = new TextDecoder().decode(await attempt(() => a.request(b.nodeID, 'echo', 'hello')));
  check('request a -> b answered by b', reply === `echo from ${b.nodeID}: hello`, reply);
  const back = new TextDecoder().decode(await attempt(() => c.request(a.nodeID, 'echo', 'back')));
  check('request c -> a answered by a', back === `echo from ${a.nodeID}: back`, back);
  try {
    await a.request(b.nodeID, 'missing', 'x');
    check('request to a missing handler fails', false);
  } catch (error) {
    check('request to a missing handler fails with noHandler', error instanceof RequestError && error.kind === 'noHandler', `${error.name} ${error.kind}`);
  }
  const received = [];
  b.handle('note', (message) => { received.push(message.text()); });
  a.send(b.nodeID, 'note', 'one-way');
  await waitFor('one-way message arrives', () => received.includes('one-way'));

  const stored = await attempt(() => a.kvs.put('room/1', 'open', { condition: 'ifAbsent' }));
  check('kvs put on a stores version 1', stored.version === 1, JSON.stringify({ version: stored.version }));
  const read = await attempt(() => b.kvs.get('room/1'));
  check('kvs get on b reads a\'s value', read?.text() === 'open' && read.version === 1, read?.text());
  try {
    await c.kvs.put('room/1', 'again', { condition: 'ifAbsent' });
    check('kvs ifAbsent on an existing key fails', false);
  } catch (error) {
    check('kvs ifAbsent on an existing key fails with conditionFailed', error instanceof KVSError && error.kind === 'conditionFailed' && error.currentVersion === 1, `${error.kind} ${error.currentVersion}`);
  }
  await attempt(() => c.kvs.put('room/1', 'closed', { condition: { ifVersion: 1 } }));
  check('kvs compare-and-set from c, read on a', (await attempt(() => a.kvs.get('room/1')))?.text() === 'closed');
  await attempt(() => b.kvs.delete('room/1'));
  check('kvs delete from b, get on c is null', (await attempt(() => c.kvs.get('room/1'))) === null);

  a.setPosition({ x: 10, y: 10 });
  b.setPosition({ x: 12, y: 11 });
  c.setPosition({ x: 80, y: 80 });
  const inbox = new Map(nodes.map((n) => [n, []]));
  for (const n of nodes) n.subscribe('chat', (delivery) => inbox.get(n).push(delivery.text()));
  await waitFor('geo neighbours known', () => [a, b, c].every((n) => n.state().neighbours.length >= 1));
  await attempt(() => a.publish('chat', 'near a', { x: 11, y: 10, radius: 5, requireReceiver: true }).catch((e) => { throw new RequestError(e.kind, e.message); }));
  await waitFor('b receives a\'s publication', () => inbox.get(b).includes('near a'));
  await b.publish('chat', 'everywhere', { x: 50, y: 50, radius: 100 });
  await waitFor('a and c receive b\'s publication', () => inbox.get(a).includes('everywhere') && inbox.get(c).includes('everywhere'));
  check('c (outside the circle) did not receive a\'s publication', !inbox.get(c).includes('near a'));

  c.disconnect();
  await waitFor('a and b drop the link to c', () => !a.links().includes(c.nodeID) && !b.links().includes(c.nodeID));
  try {
    await c.request(a.nodeID, 'echo', 'x');
    check('a disconnected node refuses requests', false);
  } catch (error) {
    check('a disconnected node refuses requests with NotConnectedError', error.name === 'NotConnectedError', error.name);
  }

  // The link cap: with 6 nodes and a cap of 5 links (2 successors + 2 predecessors + 1 long link),
  // every node stays within the cap and still reaches every other node.
  for (let i = 0; i < 2; i++) {
    const node = await Colonio.connect(common);
    node.log = () => {};
    node.handle('echo', (message) => `echo from ${node.nodeID}: ${message.text()}`);
    nodes.push(node);
  }
  const live = nodes.filter((n) => n !== c);
  check('six live nodes', live.length === 6, String(live.length));
  check('the network announces the cap', live.every((n) => n.maximumLinks === MAXIMUM_LINKS), String(live[0].maximumLinks));
  let most = 0;
  let wrong = 0;
  for (const [i, from] of live.entries()) {
    for (const to of live) {
      if (to === from) continue;
      const answer = new TextDecoder().decode(await attempt(() => from.request(to.nodeID, 'echo', `${i}`), 50));
      if (answer !== `echo from ${to.nodeID}: ${i}`) { wrong++; check(`request ${from.nodeID} -> ${to.nodeID}`, false, answer); }
      most = Math.max(most, ...live.map((n) => n.links().length));
    }
  }
  check('all pairs of 6 nodes answer requests under the link cap', wrong === 0);
  check(`no node ever held more than ${MAXIMUM_LINKS} links`, most <= MAXIMUM_LINKS, `most ${most}`);

  // The seed connection drops: every node reopens it and signs in again under its own ID, with a claim
  // signed by its key; the network keeps answering.
  const before = live.map((n) => n.nodeID);
  seed.dropAll();
  await waitFor('every node back on the seed under its ID', () => live.every((n) => seed.clients.has(n.nodeID)));
  check('IDs kept after the seed connection dropped', live.every((n, i) => n.nodeID === before[i]));
  check('every resume claim was signed by its node', seed.resumed === live.length && !seed.badClaims, `${seed.resumed} resumed, ${seed.badClaims ?? 0} bad`);
  const [first, second] = live;
  check('requests still answered after the seed came back',
    new TextDecoder().decode(await attempt(() => first.request(second.nodeID, 'echo', 'back'), 50)) === `echo from ${second.nodeID}: back`);

  // The seed cannot restore an ID: that node signs in again under a new one and is reachable by it.
  seed.refuseResumes = true;
  seed.clients.get(first.nodeID).close();
  await waitFor('a refused node signed in again under a new ID', () => first.nodeID !== before[0] && seed.clients.has(first.nodeID));
  seed.refuseResumes = false;
  check('the new ID is reachable',
    new TextDecoder().decode(await attempt(() => second.request(first.nodeID, 'echo', 'new'), 50)) === `echo from ${first.nodeID}: new`);

  // A node the seed gave no bootstrap peers has no link, asks the seed for peers and joins through them.
  seed.hideNext = true;
  const loner = await Colonio.connect(common);
  loner.log = () => {};
  nodes.push(loner);
  await waitFor('a node without bootstrap peers links through peers it asked for', () => loner.links().length > 0);
  check('the node asked the seed for peers', (seed.peerSearches ?? 0) >= 1, String(seed.peerSearches));
} catch (error) {
  check('no unexpected error', false, error.stack);
} finally {
  clearTimeout(timer);
  for (const node of nodes) node.disconnect();
}
console.log(`browser node test: ${failures.length ? `${failures.length} failed` : 'all passed'}`);
process.exit(failures.length ? 1 : 0);
