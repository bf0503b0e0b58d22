// Colonio browser node: the protocol core (colonio.wasm, the same Swift state machines as the native
// node) plus this shell for I/O: the seed WebSocket, one RTCPeerConnection with one data channel per
// link, Ed25519 keys and signatures from WebCrypto, and timers. No build step, no dependencies.
//
//   import { Colonio } from './colonio.js';
//   const node = await Colonio.connect({ seed: 'ws://host:8080', network: 'demo', token: 'secret' });
//   node.handle('echo', (message) => message.payload);
//   const reply = await node.request(peerID, 'echo', 'hi');
//   await node.kvs.put('room/1', 'open');
//   node.disconnect();
//
// Public API: `Colonio` and the error classes below; their types are in colonio.d.ts, and
// docs/javascript.md sets the names beside the Swift API's. The wire format and the wasm instance live
// in colonio-internal.js (not part of the API; the Node.js tests use it too).

import { Command, Fields, Float, Op, WasmCore, hex } from './colonio-internal.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// MARK: - Errors

/**
 * Base class of every error this module throws or rejects with.
 * `kind` names the cause in camelCase (e.g. `"timeout"`), like the Swift `ColonioError` case.
 */
export class ColonioError extends Error {
  /**
   * @param {string} kind The cause, e.g. `"timeout"`.
   * @param {string} message What happened and what to do about it.
   * @param {object} [details] Extra properties copied onto the error (e.g. `currentVersion`, `limit`, `code`).
   */
  constructor(kind, message, details = {}) {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
    Object.assign(this, details);
  }
}
/** `Colonio.connect` failed: the seed refused the sign-in (`kind` `"seed<code>"`, `code` set) or could not be reached (`seedUnreachable`, `seedClosed`, `timeout`). */
export class ConnectError extends ColonioError {}
/** The node is not connected (never connected, or disconnected): `notConnected`, `alreadyConnected`. */
export class NotConnectedError extends ColonioError {}
/** An argument is invalid: `invalidNodeID`, `invalidDestination`, `invalidPayload`, `invalidCondition`, `invalidName`, `invalidPosition`, `messageTooLarge`, ... */
export class InvalidArgumentError extends ColonioError {}
/** A request failed: `timeout`, `unreachable`, `noHandler`, `handlerFailed`, `hopLimitExceeded`, `messageTooLarge`, `unsupported`, `networkClosed`. */
export class RequestError extends ColonioError {}
/** A KVS operation failed: `conditionFailed` (with `currentVersion`), `unavailable`, `timeout`, `valueTooLarge` and `keyTooLarge` (with `limit`), `networkClosed`. */
export class KVSError extends ColonioError {}
/** A publication failed: `noReceiver` (with `requireReceiver`), `positionNotSet`, `networkClosed` (the node left while the publication waited for a receipt; it may have been delivered). */
export class PublishError extends ColonioError {}
const publishErrorMessages = {
  noReceiver: 'no subscribing node inside the circle received the message',
  networkClosed: 'the node left the network before a subscriber confirmed the message; it may have been delivered',
};

function callError(kind, message) {
  if (kind === 'notConnected' || kind === 'alreadyConnected') return new NotConnectedError(kind, message);
  if (kind === 'positionNotSet' || kind === 'noReceiver') return new PublishError(kind, message);
  return new InvalidArgumentError(kind, message);
}

function unhex(text) {
  if (typeof text !== 'string' || !/^[0-9a-fA-F]{32}$/.test(text)) {
    throw new InvalidArgumentError('invalidNodeID', `not a 32-digit hexadecimal node ID: ${text}`);
  }
  return Uint8Array.from(text.match(/../g), (pair) => parseInt(pair, 16));
}
function toBytes(payload) {
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  if (typeof payload === 'string') return encoder.encode(payload);
  if (payload === undefined || payload === null) return new Uint8Array(0);
  throw new InvalidArgumentError('invalidPayload', 'payload must be a string, Uint8Array or ArrayBuffer');
}
/** RTCIceServer objects from encoded ICEServerConfiguration messages. */
function iceServers(list) {
  return list.map((bytes) => {
    const s = new Fields(bytes);
    const server = { urls: s.all(1).map((u) => decoder.decode(u)) };
    if (s.has(2)) server.username = s.str(2);
    if (s.has(3)) server.credential = s.str(3);
    return server;
  });
}
function randomU64() {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (BigInt(words[0]) << 32n) | BigInt(words[1]);
}

const KVS_MESSAGES = {
  conditionFailed: 'the condition did not hold; nothing changed', unavailable: 'not enough replicas answered; not applied, retry',
  timeout: 'no answer in time after every retry; a put or delete may have been applied: read the key before retrying it', valueTooLarge: 'the value is too large', keyTooLarge: 'the key is too long',
};
// A read changes nothing, so its timeout says something else than a write's.
const KVS_GET_TIMEOUT = "no answer in time after every retry; the key's replicas may be unreachable: retry later";

// MARK: - The node

// Fragments fit in 64 KiB with their flag byte: the smallest limit peers advertise (Safari, aiortc, the
// default when an SDP says nothing); a smaller `a=max-message-size` from the peer lowers it further.
const FRAGMENT_BYTES = 65535;
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/**
 * A node of a Colonio network running in the browser (or Node.js): the Swift `ColonioNode`.
 * Create it with `Colonio.connect`; docs/javascript.md lists the Swift names beside these.
 */
export class Colonio {
  /**
   * Signs in to `network` through the seed at `seed` (`ws://host:port`) with `token` and joins the overlay.
   * Resolves once signed in; links form in the background. A lost seed connection is reopened under the
   * same `nodeID` (`retryMilliseconds` 1000 doubling up to `maximumRetryMilliseconds` 30000); if the seed
   * cannot restore the ID, the node signs in again and `nodeID` changes. A node left without links asks
   * the seed for peers. Options for tests: `wasm` (URL, bytes or module), `WebSocket`, `RTCPeerConnection`,
   * `tickMilliseconds`, `timeoutMilliseconds`.
   * @param {ColonioOptions} options `{seed, network, token, ...}`.
   * @returns {Promise<Colonio>} The signed-in node.
   * @throws {InvalidArgumentError} (rejects) without `seed` or `network`.
   * @throws {ConnectError} (rejects) when the seed refuses the sign-in, cannot be reached or does not answer
   *   within `timeoutMilliseconds`.
   */
  static async connect(options) {
    const node = new Colonio(options);
    await node.#start();
    return node;
  }

  #options; #core; #ws; #keys; #iceServers = []; #links = new Map(); #handlers = new Map();
  #subscribers = new Map(); #requests = new Map(); #kvsOps = new Map(); #publications = new Map();
  #timers = []; #connected = false; #signIn = null; #early = new Map();
  #publicKey; #keepaliveTimer = null;
  /** This node's ID (32 lowercase hexadecimal digits); changes if the seed cannot restore it after a seed reconnection. */
  nodeID = null;
  /** The network's coordinate space: `{kind: 'plane' | 'torus', width, height}` or `{kind: 'sphere', radius}` (metres). */
  space = null;
  /** The network's cap on links per node. */
  maximumLinks = 0;
  /** Console-style logger, called with the node's log lines; replace it to silence or redirect them. */
  log = (...args) => console.debug('[colonio]', ...args);

  /**
   * Use `Colonio.connect` instead: a node made with `new` is not connected and its calls fail.
   * @param {ColonioOptions} options As for `connect`.
   */
  constructor(options) {
    this.#options = { tickMilliseconds: 100, timeoutMilliseconds: 10000, retryMilliseconds: 1000, maximumRetryMilliseconds: 30000, ...options };
    const reject = (operation) => { try { return operation(); } catch (error) { return Promise.reject(error); } };
    /**
     * The network's replicated key-value store (the Swift `ColonioKVS`): linearizable, versioned keys.
     * Every method returns a promise; invalid arguments reject it too.
     */
    this.kvs = Object.freeze({
      /**
       * Reads `key`.
       * @param {string} key The key.
       * @returns {Promise<KVSValue | null>} Its value and version, or `null` when it has none (never written, or deleted).
       */
      get: (key) => reject(() => this.#kvs(key, { 2: 0 })),
      /**
       * Stores `value` under `key` if `options.condition` holds (compare-and-set: `{condition: {ifVersion: n}}`).
       * @param {string} key The key.
       * @param {string | Uint8Array | ArrayBuffer | ArrayBufferView} value The value; a string is stored as UTF-8.
       * @param {{condition?: KVSCondition}} [options] `condition`: `'none'` (default), `'ifAbsent'`, `'ifPresent'` or `{ifVersion: n}`.
       * @returns {Promise<KVSValue>} The stored value with its new version.
       */
      put: (key, value, options = {}) => reject(() => this.#kvs(key, { 2: 1, 3: toBytes(value), ...condition(options.condition) })
        .then((stored) => stored ?? Promise.reject(new KVSError('unavailable', KVS_MESSAGES.unavailable)))),
      /**
       * Deletes `key` if `options.condition` holds. Its version survives, so an old `{ifVersion: n}` never matches a later value.
       * @param {string} key The key.
       * @param {{condition?: KVSCondition}} [options] As for `put`.
       * @returns {Promise<void>} Resolves once deleted (also when the key had no value).
       */
      delete: (key, options = {}) => reject(() => this.#kvs(key, { 2: 2, ...condition(options.condition) }).then(() => undefined)),
    });
  }

  async #start() {
    const { seed, network, token } = this.#options;
    if (!seed || !network) throw new InvalidArgumentError('invalidArgument', 'seed and network are required');
    this.#core = await WasmCore.load(this.#options.wasm);
    // The core paces peer searches (and the grace after a seed return) with the same delays as the shell's reconnection.
    this.#core.call(Op.create, { 1: randomU64(), 2: this.#options.retryMilliseconds, 3: this.#options.maximumRetryMilliseconds });
    this.#keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    this.#publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', this.#keys.publicKey));
    const url = this.#seedURL();
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new ConnectError('timeout', `no sign-in answer from ${url} within ${this.#options.timeoutMilliseconds} ms`)), this.#options.timeoutMilliseconds);
      const fail = (error) => { clearTimeout(timer); this.#signIn = null; try { this.#ws?.close(); } catch {} reject(error); };
      this.#signIn = { resolve: () => { clearTimeout(timer); this.#signIn = null; resolve(); }, reject: fail };
      try {
        this.#openSeed(() => this.#run(Op.signIn, { 1: network, 2: token ?? '', 3: this.#publicKey }));
      } catch (error) {
        fail(new ConnectError('seedUnreachable', `cannot open ${url}: ${error.message}`));
      }
    });
    this.#connected = true;
    this.#timers.push(setInterval(() => this.#run(Op.tick), this.#options.tickMilliseconds));
  }

  #seedURL() { return `${this.#options.seed.replace(/\/+$/, '')}/v1/networks/${encodeURIComponent(this.#options.network)}/ws`; }

  /** Opens the WebSocket to the seed; `opened` runs once it is open. The core asks for a new one when a
   * connection is lost after sign-in (`connectToSeed`), pacing the attempts itself. */
  #openSeed(opened) {
    const WS = this.#options.WebSocket ?? globalThis.WebSocket;
    const url = this.#seedURL();
    const ws = new WS(url);
    this.#ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = opened;
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') return this.log('seed sent a text frame; ignored');
      this.#run(Op.seedFrame, { 1: new Uint8Array(event.data) });
    };
    ws.onerror = () => this.#signIn?.reject(new ConnectError('seedUnreachable', `cannot reach the seed at ${url}`));
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#signIn?.reject(new ConnectError('seedClosed', `the seed at ${url} closed the connection`));
      if (this.#core) this.#run(Op.seedClosed);
    };
  }

  /** Reopens the seed connection (the core's `connectToSeed`) and claims this node's ID back on it. */
  #reconnectSeed() {
    if (!this.#connected) return;
    try {
      this.#openSeed(() => this.#run(Op.resume, { 1: this.#options.token ?? '', 2: this.#publicKey }));
    } catch (error) {
      this.log('cannot reopen the seed connection', error.message);
      this.#run(Op.seedClosed);
    }
  }

  // MARK: API

  /**
   * The nodes this node has authenticated links to: the links that carry overlay traffic. (Swift's
   * `linkedPeers`; Swift's `links()` lists every link with its state instead.)
   * @returns {string[]} Their node IDs.
   */
  links() { return this.state().links; }

  /**
   * The same as `links()`, under the Swift property's name.
   * @returns {string[]} The node IDs of the authenticated links.
   */
  get linkedPeers() { return this.links(); }

  /**
   * A snapshot of this node: ID, authenticated links, position and geographic neighbours with their positions
   * (Swift's `status()` reports other fields: see docs/javascript.md).
   * @returns {NodeState} `{nodeID, links, position, neighbours}`; `nodeID` and `position` are `null` while unknown.
   */
  state() {
    const [, f] = this.#core?.call(Op.state).find(([kind]) => kind === Command.state) ?? [0, new Fields(new Uint8Array(0))];
    return {
      nodeID: f.has(1) ? f.node(1) : null,
      links: f.all(2).map(hex),
      position: f.bool(3) ? { x: f.double(4), y: f.double(5) } : null,
      neighbours: f.all(6).map((bytes) => { const n = new Fields(bytes); return { id: n.node(1), x: n.double(2), y: n.double(3) }; }),
    };
  }

  /**
   * Registers (or replaces) the handler for messages and requests sent to `name`; `null` removes it.
   * A request's response is what the handler returns or resolves with (string or bytes; nothing is an
   * empty response); if it throws or rejects, the requester's promise rejects with `handlerFailed`.
   * @param {string} name The handler's name (1 to 255 bytes of UTF-8).
   * @param {((message: ColonioMessage) => Payload | void | Promise<Payload | void>) | null} handler Called with
   *   `{source, name, payload, hops, isRequest, text()}`.
   * @returns {void}
   * @throws {InvalidArgumentError} `invalidName` for an empty or too long name.
   */
  handle(name, handler) {
    if (handler) this.#handlers.set(name, handler); else this.#handlers.delete(name);
    this.#run(Op.handle, { 1: name, 2: !!handler });
  }

  /**
   * Removes the handler for `name` (as `handle(name, null)`); later requests to it fail with `noHandler`.
   * @param {string} name The handler's name.
   * @returns {void}
   */
  removeHandler(name) { this.handle(name, null); }

  /**
   * Sends one-way `payload` to handler `name` on node `to`, or on the node responsible for a key
   * (`{ownerOf: key}`, the node the KVS places the key on). Returns once handed to the overlay; delivery is
   * not confirmed (use `request` for that).
   * @param {Destination} to A node ID (32 hexadecimal digits) or `{ownerOf: key}`.
   * @param {string} name The handler's name on the destination.
   * @param {Payload} [payload] The message; a string is sent as UTF-8, nothing as empty.
   * @returns {void}
   * @throws {NotConnectedError} when not connected.
   * @throws {InvalidArgumentError} for a bad destination, name or payload, or one over the network's size limit.
   */
  send(to, name, payload) {
    this.#checkConnected();
    this.#run(Op.send, { 1: name, 2: toBytes(payload), ...destination(to) });
  }

  /**
   * Sends `payload` to handler `name` on `to` (as `send`) and waits for the handler's response. Retries and
   * times out as the network's routing settings say.
   * @param {Destination} to A node ID (32 hexadecimal digits) or `{ownerOf: key}`.
   * @param {string} name The handler's name on the destination.
   * @param {Payload} [payload] The request; a string is sent as UTF-8, nothing as empty.
   * @returns {Promise<Uint8Array>} The response's bytes. Rejects with `RequestError` (`timeout`, `unreachable`,
   *   `noHandler`, `handlerFailed`, ...), `NotConnectedError` or `InvalidArgumentError`.
   */
  request(to, name, payload) {
    try {
      this.#checkConnected();
      const { result } = this.#run(Op.request, { 1: name, 2: toBytes(payload), ...destination(to) });
      return this.#awaitCompletion(this.#requests, result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Places this node at `position`; pub/sub messages reach it when it is inside their circle. On a plane
   * or torus `x` and `y` are coordinates in the space. **On a sphere `x` is the longitude and `y` the
   * latitude**, in degrees: longitude first, as in GeoJSON, not "latitude, longitude" as maps often write
   * it. Tokyo is `{x: 139.65, y: 35.68}`.
   * @param {Position} position `{x, y}`.
   * @returns {void}
   * @throws {InvalidArgumentError} `invalidPosition` for coordinates outside the space.
   */
  setPosition({ x, y }) {
    this.#run(Op.setPosition, { 1: new Float(x), 2: new Float(y) });
  }

  /**
   * Calls `callback(delivery)` for every message published to `topic` whose circle contains this node's
   * position, once each. Subscriptions outlive seed reconnections.
   * @param {string} topic The topic.
   * @param {(delivery: SpreadDelivery) => void} callback Called with
   *   `{topic, payload, sender, senderPosition, center, radius, hops, text()}`.
   * @returns {() => void} A function that removes this callback (the topic is unsubscribed with its last one).
   */
  subscribe(topic, callback) {
    if (!this.#subscribers.has(topic)) this.#subscribers.set(topic, new Set());
    this.#subscribers.get(topic).add(callback);
    this.#run(Op.subscribe, { 1: topic, 2: true });
    return () => {
      const set = this.#subscribers.get(topic);
      set?.delete(callback);
      if (set && set.size === 0) { this.#subscribers.delete(topic); this.#run(Op.subscribe, { 1: topic, 2: false }); }
    };
  }

  /**
   * Publishes `payload` to the subscribers of `topic` inside the circle `{x, y, radius}`. On a sphere `x`
   * is the longitude and `y` the latitude in degrees (longitude first), and `radius` is in metres; on a
   * plane or torus all three are in the space's units. Needs this node's position (`setPosition`).
   * @param {string} topic The topic.
   * @param {Payload} payload The message; a string is sent as UTF-8.
   * @param {PublishOptions} options The circle `{x, y, radius}`, and `deliverToSelf` (also to this node when it
   *   subscribes and is inside; default false), `requireReceiver` (wait until a subscriber received it; default false).
   * @returns {Promise<void>} Resolves once sent, or with `requireReceiver` once a subscriber received it.
   *   Rejects with `PublishError` (`noReceiver`, `positionNotSet`, `networkClosed`), `NotConnectedError` or `InvalidArgumentError`.
   */
  async publish(topic, payload, { x, y, radius, deliverToSelf = false, requireReceiver = false }) {
    this.#checkConnected();
    const { result } = this.#run(Op.publish, {
      1: topic, 2: toBytes(payload), 3: new Float(x), 4: new Float(y), 5: new Float(radius), 6: deliverToSelf, 7: requireReceiver,
    });
    if (!requireReceiver) return;
    await this.#awaitCompletion(this.#publications, result);
  }

  /**
   * Leaves the network: closes every link and the seed connection; pending operations fail with
   * `networkClosed`. Safe to call when not connected.
   * @returns {void}
   */
  disconnect() {
    if (!this.#connected) return;
    this.#run(Op.stop);
    this.#connected = false;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    clearInterval(this.#keepaliveTimer);
    for (const link of this.#links.values()) this.#closeLink(link);
    this.#links.clear();
    try { this.#ws?.close(); } catch {}
    for (const pending of [...this.#kvsOps.values()]) pending.reject(new KVSError('networkClosed', 'the node disconnected'));
    this.#kvsOps.clear();
  }

  #checkConnected() {
    if (!this.#connected) throw new NotConnectedError('notConnected', 'connect first');
  }

  #kvs(key, fields) {
    try { this.#checkConnected(); } catch (error) { return Promise.reject(error); }
    const { result } = this.#run(Op.kvs, { 1: key, ...fields });
    const completion = this.#awaitCompletion(this.#kvsOps, result);
    if (fields[2] !== 0) return completion;
    // The completion does not say which operation it ends; only this call knows it was a get.
    return completion.catch((error) => Promise.reject(
      error instanceof KVSError && error.kind === 'timeout' ? new KVSError('timeout', KVS_GET_TIMEOUT) : error));
  }

  /** A promise for the completion `id` of `map`; completions that came with the starting call are kept in #early. */
  #awaitCompletion(map, id) {
    return new Promise((resolve, reject) => {
      const early = this.#early.get(map)?.get(id);
      if (early) { this.#early.get(map).delete(id); early({ resolve, reject }); } else map.set(id, { resolve, reject });
    });
  }

  /** Settles completion `id` of `map` with `settle({resolve, reject})`, or keeps it until it is awaited. */
  #complete(map, id, settle) {
    const pending = map.get(id);
    if (pending) { map.delete(id); settle(pending); return; }
    if (!this.#early.has(map)) this.#early.set(map, new Map());
    this.#early.get(map).set(id, settle);
  }

  // MARK: Commands

  /** Runs an operation and carries out its commands; returns `{result, pending}` (pending: promises to await, e.g. hello verification). Throws the call's error. */
  #run(op, fields) {
    if (!this.#core) throw new NotConnectedError('notConnected', 'create the node with Colonio.connect');
    let result = null, failure = null;
    const pending = [];
    for (const [kind, f] of this.#core.call(op, fields)) {
      switch (kind) {
        case Command.result: result = f.num(1); break;
        case Command.error: failure = callError(f.str(1), f.str(2)); break;
        default:
          try {
            const promise = this.#execute(kind, f);
            if (promise) pending.push(promise);
          } catch (error) { this.log('command failed', kind, error); }
      }
    }
    if (failure) throw failure;
    return { result, pending };
  }

  #execute(kind, f) {
    switch (kind) {
      case Command.seedSend:
        if (this.#ws?.readyState === 1) this.#ws.send(f.bytes(1).slice());
        return;
      case Command.signedIn: {
        this.nodeID = f.node(1);
        this.#iceServers = iceServers(f.all(4));
        const spaceKind = f.str(5);
        this.space = spaceKind === 'sphere' ? { kind: spaceKind, radius: f.double(6) } : { kind: spaceKind, width: f.double(6), height: f.double(7) };
        this.maximumLinks = f.num(8);
        const keepalive = Math.max(1000, f.num(3));
        clearInterval(this.#keepaliveTimer);
        this.#keepaliveTimer = setInterval(() => this.#run(Op.keepalive), keepalive);
        this.#signIn?.resolve();
        return;
      }
      case Command.seedRestored:
        this.log('seed connection restored');
        return;
      case Command.connectToSeed:
        this.#reconnectSeed();
        return;
      case Command.seedSignAndSend: {
        const signed = f.bytes(1).slice(), frame = f.bytes(2).slice(), ws = this.#ws;
        crypto.subtle.sign('Ed25519', this.#keys.privateKey, signed).then((signature) => {
          frame.set(new Uint8Array(signature), frame.length - 64);
          if (ws?.readyState === 1) ws.send(frame);
        });
        return;
      }
      case Command.signInFailed:
        this.#signIn?.reject(new ConnectError(`seed${f.num(1)}`, `the seed refused the sign-in: ${f.str(2)}`, { code: f.num(1) }));
        return;
      case Command.openLink: return this.#openLink(f.node(1), f.big(2), f.bool(3), f.str(4));
      case Command.remoteAnswer: {
        const link = this.#link(f);
        if (link) link.pc.setRemoteDescription({ type: 'answer', sdp: f.str(3) })
          .then(() => this.#flushCandidates(link)).catch((error) => this.#linkFailed(link, error));
        return;
      }
      case Command.remoteCandidate: {
        const link = this.#link(f);
        if (!link) return;
        const candidate = { candidate: f.str(3), sdpMid: f.has(4) ? f.str(4) : null, sdpMLineIndex: f.has(5) ? f.num(5) : 0 };
        if (link.remoteSet) link.pc.addIceCandidate(candidate).catch((error) => this.log('ignored an ICE candidate', error.message));
        else link.candidates.push(candidate);
        return;
      }
      case Command.closeLink: {
        const link = this.#link(f);
        if (link) { this.#links.delete(link.peer); this.#closeLink(link); }
        return;
      }
      case Command.linkSend: {
        const link = this.#link(f);
        if (link) { const frame = f.bytes(3).slice(); link.sending = link.sending.then(() => this.#sendFrame(link, frame)); }
        return;
      }
      case Command.signAndSend: {
        const link = this.#link(f);
        if (!link) return;
        const signed = f.bytes(3).slice(), frame = f.bytes(4).slice();
        link.sending = link.sending.then(async () => {
          const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', this.#keys.privateKey, signed));
          frame.set(signature, frame.length - 64);
          await this.#sendFrame(link, frame);
        });
        return;
      }
      case Command.verifyHello: {
        const ids = { 1: f.bytes(1).slice(), 2: f.big(2) };
        return this.#verifyCertified(f).then((valid) => this.#report(Op.linkVerified, { ...ids, 3: valid }));
      }
      case Command.signSignal: {
        // Not awaited (frames go on meanwhile): the core relays the signals in the order it made them,
        // and acts on verified ones in the order they came, whatever order the answers take.
        const id = f.big(1);
        crypto.subtle.sign('Ed25519', this.#keys.privateKey, f.bytes(2).slice()).then(
          (signature) => this.#report(Op.signalSigned, { 1: id, 2: new Uint8Array(signature) }),
          (error) => { this.log('could not sign a signal', error.message); this.#report(Op.signalSigned, { 1: id }); },
        ).catch((error) => this.log('signal signing failed', error));
        return;
      }
      case Command.verifySignal: {
        const id = f.big(1);
        this.#verifyCertified(f).then((valid) => this.#report(Op.signalVerified, { 1: id, 2: valid }))
          .catch((error) => this.log('signal verification failed', error));
        return;
      }
      case Command.message: return this.#deliver(f);
      case Command.requestDone: {
        const outcome = f.bool(2) ? f.bytes(3).slice() : new RequestError(f.str(4), f.str(5));
        this.#complete(this.#requests, f.num(1), (p) => (outcome instanceof Error ? p.reject(outcome) : p.resolve(outcome)));
        return;
      }
      case Command.spread: {
        const delivery = {
          topic: f.str(1), payload: f.bytes(2).slice(), sender: f.node(3), senderPosition: { x: f.double(4), y: f.double(5) },
          center: { x: f.double(6), y: f.double(7) }, radius: f.double(8), hops: f.num(9),
        };
        delivery.text = () => decoder.decode(delivery.payload);
        for (const callback of this.#subscribers.get(delivery.topic) ?? []) {
          try { callback(delivery); } catch (error) { this.log('subscriber failed', error); }
        }
        return;
      }
      case Command.publishDone: {
        const error = f.has(2) ? new PublishError(f.str(2), publishErrorMessages[f.str(2)] ?? f.str(2)) : null;
        this.#complete(this.#publications, f.num(1), (p) => (error ? p.reject(error) : p.resolve()));
        return;
      }
      case Command.kvsDone: {
        const id = f.num(1);
        if (f.bool(2)) {
          // `bytes` is the same array as `value`, under the Swift `KVSValue` property's name.
          const bytes = f.bytes(4).slice();
          const value = f.bool(3) ? { value: bytes, bytes, version: f.num(5), text() { return decoder.decode(this.value); } } : null;
          return this.#complete(this.#kvsOps, id, (p) => p.resolve(value));
        }
        const errorKind = f.str(6);
        const details = {};
        if (errorKind === 'conditionFailed') details.currentVersion = f.num(7) === 0 ? null : f.num(7) - 1;
        else if (f.has(7)) details.limit = f.num(7);
        const error = new KVSError(errorKind, KVS_MESSAGES[errorKind] ?? errorKind, details);
        this.#complete(this.#kvsOps, id, (p) => p.reject(error));
        return;
      }
      case Command.log: this.log(f.str(1)); return;
      // Renewed TURN credentials: for the peer connections made from now on.
      case Command.iceServers: this.#iceServers = iceServers(f.all(1)); return;
      default: return;
    }
  }

  // MARK: Links

  #link(f) {
    const link = this.#links.get(f.node(1));
    return link && link.session === f.big(2) ? link : null;
  }

  #openLink(peer, session, offerer, offerSDP) {
    const old = this.#links.get(peer);
    if (old) this.#closeLink(old);
    const PC = this.#options.RTCPeerConnection ?? globalThis.RTCPeerConnection;
    const pc = new PC({ iceServers: this.#iceServers });
    // Negotiated channel 0, ordered and reliable: exactly what the native node creates.
    const channel = pc.createDataChannel('colonio', { negotiated: true, id: 0, ordered: true });
    channel.binaryType = 'arraybuffer';
    const link = { peer, session, pc, channel, remoteSet: false, candidates: [], fragments: [], sending: Promise.resolve(), receiving: Promise.resolve(), closed: false };
    this.#links.set(peer, link);
    const ids = { 1: unhex(peer), 2: session };
    const alive = () => !link.closed && this.#links.get(peer) === link;
    pc.onicecandidate = (event) => {
      if (!alive() || !event.candidate || !event.candidate.candidate) return;
      const c = event.candidate;
      this.#run(Op.linkCandidate, { ...ids, 3: c.candidate, 4: c.sdpMid ?? undefined, 5: c.sdpMLineIndex ?? undefined });
    };
    pc.onconnectionstatechange = () => {
      if (alive() && (pc.connectionState === 'failed' || pc.connectionState === 'closed')) this.#linkFailed(link, new Error(pc.connectionState));
    };
    channel.onopen = () => { if (alive()) this.#run(Op.linkOpen, ids); };
    channel.onclose = () => { if (alive()) this.#linkFailed(link, new Error('channel closed')); };
    channel.onmessage = (event) => {
      if (!alive()) return;
      const data = new Uint8Array(event.data);
      if (data.length === 0) return;
      link.fragments.push(data.subarray(1));
      if (data[0] !== 0) return;
      const parts = link.fragments;
      link.fragments = [];
      const frame = parts.length === 1 ? parts[0].slice() : concat(parts);
      // Frames are handled in order; a hello's signature check (async WebCrypto) holds back later frames.
      link.receiving = link.receiving.then(async () => {
        if (!alive()) return;
        const { pending } = this.#run(Op.linkFrame, { ...ids, 3: frame });
        await Promise.all(pending);
      }).catch((error) => this.log('frame handling failed', error));
    };
    (async () => {
      if (offerer) {
        await pc.setLocalDescription(await pc.createOffer());
      } else {
        await pc.setRemoteDescription({ type: 'offer', sdp: offerSDP });
        await this.#flushCandidates(link);
        await pc.setLocalDescription(await pc.createAnswer());
      }
      if (alive()) this.#run(Op.linkDescription, { ...ids, 3: pc.localDescription.sdp });
    })().catch((error) => this.#linkFailed(link, error));
  }

  async #flushCandidates(link) {
    link.remoteSet = true;
    const candidates = link.candidates;
    link.candidates = [];
    for (const candidate of candidates) {
      await link.pc.addIceCandidate(candidate).catch((error) => this.log('ignored an ICE candidate', error.message));
    }
  }

  async #sendFrame(link, frame) {
    if (link.closed || link.channel.readyState !== 'open') return;
    if (link.channel.bufferedAmount > HIGH_WATER_BYTES) {
      link.channel.bufferedAmountLowThreshold = HIGH_WATER_BYTES / 2;
      await new Promise((resolve) => link.channel.addEventListener('bufferedamountlow', resolve, { once: true }));
    }
    const peerLimit = link.pc.sctp?.maxMessageSize;
    const limit = peerLimit > 1 ? Math.min(FRAGMENT_BYTES, Math.floor(peerLimit) - 1) : FRAGMENT_BYTES;
    let offset = 0;
    do {
      const length = Math.min(limit, frame.length - offset);
      const fragment = new Uint8Array(length + 1);
      fragment[0] = offset + length < frame.length ? 1 : 0;
      fragment.set(frame.subarray(offset, offset + length), 1);
      link.channel.send(fragment);
      offset += length;
    } while (offset < frame.length);
  }

  #linkFailed(link, error) {
    if (link.closed || this.#links.get(link.peer) !== link) return;
    this.log('link closed', link.peer, error?.message ?? error);
    // Forgotten before the core hears of it: the core may link the peer again at once (a ring neighbour
    // whose link closed), and that new link must not be the one forgotten here.
    this.#links.delete(link.peer);
    this.#closeLink(link);
    this.#run(Op.linkClosed, { 1: unhex(link.peer), 2: link.session });
  }

  #closeLink(link) {
    if (link.closed) return;
    link.closed = true;
    // Let queued frames (a link-state "closing" notice) go first.
    link.sending.finally(() => {
      try { link.channel.close(); } catch {}
      try { link.pc.close(); } catch {}
    });
  }

  /** Reports the outcome of an asynchronous step (signing, verifying) unless the node is gone by then. */
  #report(op, fields) {
    if (this.#core) this.#run(op, fields);
  }

  /** Fields 3-8 of `verifyHello` and `verifySignal`: the seed's signature over a certificate, and the
   * certificate key's over the signed bytes. Resolves to whether both verify (never rejects). */
  async #verifyCertified(f) {
    try {
      const seedKey = await crypto.subtle.importKey('raw', f.bytes(8).slice(), { name: 'Ed25519' }, false, ['verify']);
      const signerKey = await crypto.subtle.importKey('raw', f.bytes(7).slice(), { name: 'Ed25519' }, false, ['verify']);
      return await crypto.subtle.verify('Ed25519', seedKey, f.bytes(4).slice(), f.bytes(3).slice())
        && await crypto.subtle.verify('Ed25519', signerKey, f.bytes(6).slice(), f.bytes(5).slice());
    } catch (error) {
      this.log('signature verification failed', error.message);
      return false;
    }
  }

  #deliver(f) {
    const replyID = f.has(5) ? f.num(5) : 0;
    const message = { source: f.node(1), name: f.str(2), payload: f.bytes(3).slice(), hops: f.num(4), isRequest: replyID !== 0 };
    message.text = () => decoder.decode(message.payload);
    const handler = this.#handlers.get(message.name);
    if (!handler) {
      if (replyID) this.#run(Op.respond, { 1: replyID, 3: 'noHandler' });
      return;
    }
    Promise.resolve().then(() => handler(message)).then(
      (answer) => { if (replyID && this.#connected) this.#run(Op.respond, { 1: replyID, 2: toBytes(answer) }); },
      (error) => { if (replyID && this.#connected) this.#run(Op.respond, { 1: replyID, 3: String(error?.message ?? error) }); },
    );
  }
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}

function destination(to) {
  if (typeof to === 'string') return { 3: unhex(to) };
  if (to && typeof to.ownerOf === 'string') return { 4: to.ownerOf };
  throw new InvalidArgumentError('invalidDestination', 'send to a node ID (32 hex digits) or {ownerOf: key}');
}

function condition(value) {
  if (!value || value === 'none') return {};
  if (value === 'ifAbsent') return { 4: 1 };
  if (value === 'ifPresent') return { 4: 2 };
  if (typeof value === 'object' && value.ifVersion !== undefined) return { 4: 3, 5: BigInt(value.ifVersion) };
  throw new InvalidArgumentError('invalidCondition', "condition: 'none', 'ifAbsent', 'ifPresent' or {ifVersion: n}");
}
