// TypeScript declarations of colonio.js, the browser node of Colonio for Swift: the public API only
// (colonio-internal.js is not part of it). docs/javascript.md sets these names beside the Swift API's.
// Uses `URL`, `WebAssembly.Module` and `ArrayBufferView` from the DOM library (or @types/node).
// `make wasm-test` compiles Web/types-check.ts, which uses every declaration here, with `tsc --strict`.

// MARK: - Values

/**
 * A node ID: 32 lowercase hexadecimal digits (128 bits), as `Colonio.nodeID` and `links()` give them.
 * Any case is accepted as input. (Swift: `NodeID`, `NodeID(hex:)` and `.description`.)
 */
export type NodeID = string;

/**
 * A point in the network's coordinate space. On a plane or torus, coordinates in the space.
 * **On a sphere `x` is the longitude and `y` the latitude**, in degrees: longitude first, as in GeoJSON,
 * not "latitude, longitude" as maps often write it. Tokyo is `{x: 139.65, y: 35.68}`. (Swift: `Position`.)
 */
export interface Position {
  /** Horizontal coordinate; on a sphere the longitude in degrees, east positive, in [-180, 180]. */
  x: number;
  /** Vertical coordinate; on a sphere the latitude in degrees, north positive, in [-90, 90]. */
  y: number;
}

/** What a message, request, response or KVS value carries: a string is sent as UTF-8, nothing as empty bytes. */
export type Payload = string | Uint8Array | ArrayBuffer | ArrayBufferView | null | undefined;

/** Where `send` and `request` go: a node ID, or the node responsible for a key (the node the KVS places the key on). */
export type Destination = NodeID | { ownerOf: string };

/**
 * The network's coordinate space, from the seed at sign-in (Swift: `configuration.space`, a `CoordinateSpace`).
 * `plane`: `[0, width) x [0, height)`; `torus`: the same, wrapping on both axes; `sphere`: longitude and
 * latitude in degrees on a sphere of `radius` metres.
 */
export type Space =
  | { kind: 'plane' | 'torus'; width: number; height: number }
  | { kind: 'sphere'; radius: number };

// MARK: - Connecting

/** The options of `Colonio.connect`. */
export interface ColonioOptions {
  /** The seed's URL, `ws://host:port` or `wss://...`. */
  seed: string;
  /** The network to join, as named in the seed's configuration. */
  network: string;
  /** The network's token; default empty. */
  token?: string;
  /** The first wait before reopening a lost seed connection, or asking the seed for peers once the node has no link; doubled after each fruitless try. Default 1000. (Swift: `retryDelay`.) */
  retryMilliseconds?: number;
  /** The longest such wait. Default 30000. (Swift: `maximumRetryDelay`.) */
  maximumRetryMilliseconds?: number;
  /** How long `connect` waits for the seed's sign-in answer. Default 10000. */
  timeoutMilliseconds?: number;
  /** How often the node's protocol timers run. Default 100. (Swift: `tickInterval`.) */
  tickMilliseconds?: number;
  /** Where colonio.wasm comes from: a URL, its bytes or a compiled module. Default: `colonio.wasm` beside colonio.js. */
  wasm?: string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module;
  /** For tests: the WebSocket class to reach the seed with. Default: the global `WebSocket`. */
  WebSocket?: new (url: string) => object;
  /** For tests: the RTCPeerConnection class for links. Default: the global `RTCPeerConnection`. */
  RTCPeerConnection?: new (configuration: { iceServers: IceServer[] }) => object;
}

/** A STUN or TURN server as the seed hands it out (an `RTCIceServer`). */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** A snapshot of a node, from `state()`. */
export interface NodeState {
  /** This node's ID; `null` before sign-in. */
  nodeID: NodeID | null;
  /** The nodes this node has authenticated links to (as `links()`). */
  links: NodeID[];
  /** This node's position; `null` until `setPosition`. */
  position: Position | null;
  /** The geographic neighbours the node knows, with their positions. */
  neighbours: Neighbour[];
}

/** A geographic neighbour in `NodeState.neighbours`. */
export interface Neighbour extends Position {
  /** The neighbour's node ID. */
  id: NodeID;
}

// MARK: - Messages

/** A message or request delivered to a handler registered with `handle` (Swift: `ColonioMessage`). */
export interface ColonioMessage {
  /** The sending node. */
  source: NodeID;
  /** The handler name it was sent to. */
  name: string;
  /** The message's bytes. */
  payload: Uint8Array;
  /** How many node-to-node hops it took (Swift: `hopCount`). */
  hops: number;
  /** Whether the sender waits for a response (`request`) rather than not (`send`). */
  isRequest: boolean;
  /**
   * The payload decoded as UTF-8.
   * @returns The text.
   */
  text(): string;
}

/**
 * Handles messages and requests sent to one name. A request's response is what it returns or resolves with
 * (nothing is an empty response); if it throws or rejects, the request fails with `handlerFailed`.
 */
export type ColonioHandler = (message: ColonioMessage) => Payload | void | Promise<Payload | void>;

// MARK: - Pub/sub

/** A published message delivered to a subscriber inside its circle (Swift: `SpreadDelivery`). */
export interface SpreadDelivery {
  /** The topic the publisher chose. */
  topic: string;
  /** The published bytes. */
  payload: Uint8Array;
  /** The publishing node. */
  sender: NodeID;
  /** The publisher's position when it published. */
  senderPosition: Position;
  /** The circle's centre. */
  center: Position;
  /** The circle's radius (metres on a sphere). */
  radius: number;
  /** How many node-to-node hops the message took to reach this node. */
  hops: number;
  /**
   * The payload decoded as UTF-8.
   * @returns The text.
   */
  text(): string;
}

/** A circle in the coordinate space: centre `{x, y}` (on a sphere longitude and latitude) and `radius` (on a sphere metres). */
export interface Circle extends Position {
  /** The radius, in the space's units (metres on a sphere). */
  radius: number;
}

/** The circle and choices of `publish` (Swift: `center`, `radius` and `SpreadOptions`). */
export interface PublishOptions extends Circle {
  /** Also deliver the message to this node when it subscribes to the topic and is inside the circle. Default false. */
  deliverToSelf?: boolean;
  /** Resolve only once another node received the message; reject with `PublishError` `noReceiver` when none did. Default false. */
  requireReceiver?: boolean;
}

// MARK: - KVS

/** A stored value and its version (Swift: `KVSValue`). */
export interface KVSValue {
  /** The value's bytes. */
  value: Uint8Array;
  /** The same bytes, under the Swift property's name. */
  bytes: Uint8Array;
  /** The version the write that stored these bytes gave the key (the first write gives 1); each write raises it by one. */
  version: number;
  /**
   * The bytes decoded as UTF-8.
   * @returns The text.
   */
  text(): string;
}

/**
 * A precondition of `put` and `delete` (Swift: `KVSCondition`): `'none'` (always applies, the default),
 * `'ifAbsent'` (the key has no value), `'ifPresent'` (it has one), `{ifVersion: n}` (compare-and-set: its
 * value has exactly version `n`).
 */
export type KVSCondition = 'none' | 'ifAbsent' | 'ifPresent' | { ifVersion: number | bigint };

/** The options of `kvs.put` and `kvs.delete`. */
export interface KVSWriteOptions {
  /** The write applies only if this holds; otherwise it rejects with `KVSError` `conditionFailed` and changes nothing. Default `'none'`. */
  condition?: KVSCondition;
}

/**
 * The network's replicated key-value store, seen from one node (Swift: `ColonioKVS`). Every key is a
 * linearizable register replicated on several nodes; each write raises its version by one.
 * Every method returns a promise; invalid arguments reject it too.
 */
export interface ColonioKVS {
  /**
   * Reads `key`.
   * @param key The key.
   * @returns Its value and version, or `null` when it has none (never written, or deleted). Rejects with
   *   `KVSError` (`unavailable`; `timeout`: no answer after every retry, the key's replicas may be unreachable,
   *   retry later; `keyTooLarge`, `networkClosed`) or `NotConnectedError`.
   */
  get(key: string): Promise<KVSValue | null>;
  /**
   * Stores `value` under `key` if `options.condition` holds, e.g. compare-and-set with `{condition: {ifVersion: n}}`.
   * @param key The key.
   * @param value The value; a string is stored as UTF-8.
   * @param options `condition` (default `'none'`).
   * @returns The stored value with its new version. Rejects with `KVSError`: `conditionFailed` (nothing changed;
   *   `currentVersion` says why), `unavailable` (certainly not applied: retry), `timeout` (may have been applied:
   *   read before retrying), `valueTooLarge`, `keyTooLarge`; or `NotConnectedError`, `InvalidArgumentError`.
   */
  put(key: string, value: Payload, options?: KVSWriteOptions): Promise<KVSValue>;
  /**
   * Deletes `key` if `options.condition` holds. Its version survives, so an old `{ifVersion: n}` never matches
   * a later value. Deleting a key without a value succeeds.
   * @param key The key.
   * @param options `condition` (default `'none'`).
   * @returns Resolves once deleted; rejects as `put`.
   */
  delete(key: string, options?: KVSWriteOptions): Promise<void>;
}

// MARK: - Errors

/** Base class of every error colonio.js throws or rejects with; `kind` names the cause (Swift: the `ColonioError` case). */
export declare class ColonioError extends Error {
  /**
   * @param kind The cause, e.g. `"timeout"`.
   * @param message What happened and what to do about it.
   * @param details Extra properties copied onto the error.
   */
  constructor(kind: string, message: string, details?: object);
  /** The cause in camelCase, e.g. `"timeout"`. */
  kind: string;
}

/** `Colonio.connect` failed: the seed refused the sign-in (`seed<code>`, with `code`) or could not be reached. */
export declare class ConnectError extends ColonioError {
  kind: 'seedUnreachable' | 'seedClosed' | 'timeout' | `seed${number}`;
  /** The seed's error code when it refused the sign-in. */
  code?: number;
}

/** The node is not connected (never connected, or disconnected). */
export declare class NotConnectedError extends ColonioError {
  kind: 'notConnected' | 'alreadyConnected';
}

/** An argument is invalid. */
export declare class InvalidArgumentError extends ColonioError {
  kind:
    | 'invalidArgument' | 'invalidNodeID' | 'invalidDestination' | 'invalidPayload' | 'invalidCondition'
    | 'invalidName' | 'invalidPosition' | 'messageTooLarge' | 'invalidInput';
}

/** A request failed. */
export declare class RequestError extends ColonioError {
  kind:
    | 'timeout' | 'unreachable' | 'noHandler' | 'handlerFailed' | 'hopLimitExceeded' | 'messageTooLarge'
    | 'unsupported' | 'networkClosed';
}

/** A KVS operation failed. */
export declare class KVSError extends ColonioError {
  kind: 'conditionFailed' | 'unavailable' | 'timeout' | 'valueTooLarge' | 'keyTooLarge' | 'networkClosed';
  /** With `conditionFailed`: the key's version when the condition was checked, `null` if it had no value. */
  currentVersion?: number | null;
  /** With `valueTooLarge` and `keyTooLarge`: the network's limit in bytes. */
  limit?: number;
}

/** A publication failed. */
export declare class PublishError extends ColonioError {
  kind: 'noReceiver' | 'positionNotSet' | 'networkClosed';
}

// MARK: - The node

/** A node of a Colonio network running in the browser or Node.js (Swift: `ColonioNode`). Create it with `Colonio.connect`. */
export declare class Colonio {
  /**
   * Signs in to `options.network` through the seed at `options.seed` with `options.token` and joins the
   * overlay. Resolves once signed in; links form in the background. A lost seed connection is reopened under
   * the same `nodeID` (if the seed cannot restore it, the node signs in again and `nodeID` changes), and a node
   * left without links asks the seed for peers.
   * @param options The seed, network and token, and optional timings.
   * @returns The signed-in node. Rejects with `ConnectError` or `InvalidArgumentError`.
   */
  static connect(options: ColonioOptions): Promise<Colonio>;

  /** Use `Colonio.connect`. */
  private constructor(options: ColonioOptions);

  /** This node's ID; it changes if the seed cannot restore it after a seed reconnection. */
  readonly nodeID: NodeID;
  /** The network's coordinate space. */
  readonly space: Space;
  /** The network's cap on links per node. */
  readonly maximumLinks: number;
  /** Called with the node's log lines (default `console.debug`); replace it to silence or redirect them. */
  log: (...args: unknown[]) => void;
  /** The network's key-value store. */
  readonly kvs: ColonioKVS;

  /**
   * The nodes this node has authenticated links to (Swift: `linkedPeers`; Swift's `links()` lists every link with its state).
   * @returns Their node IDs.
   */
  links(): NodeID[];
  /** The same as `links()`, under the Swift property's name. */
  readonly linkedPeers: NodeID[];
  /**
   * A snapshot of this node (Swift's `status()` reports other fields).
   * @returns Its ID, authenticated links, position and geographic neighbours.
   */
  state(): NodeState;

  /**
   * Registers (or replaces) the handler for messages and requests sent to `name`; `null` removes it.
   * @param name The handler's name (1 to 255 bytes of UTF-8).
   * @param handler Called with each message; a request's response is what it returns.
   * @throws InvalidArgumentError `invalidName`.
   */
  handle(name: string, handler: ColonioHandler | null): void;
  /**
   * Removes the handler for `name`; later requests to it fail with `noHandler`.
   * @param name The handler's name.
   */
  removeHandler(name: string): void;

  /**
   * Sends one-way `payload` to handler `name` on `to`. Returns once handed to the overlay; delivery is not
   * confirmed (use `request` for that).
   * @param to A node ID, or `{ownerOf: key}` for the node responsible for a key.
   * @param name The handler's name on the destination.
   * @param payload The message.
   * @throws NotConnectedError, InvalidArgumentError.
   */
  send(to: Destination, name: string, payload?: Payload): void;
  /**
   * Sends `payload` to handler `name` on `to` and waits for the handler's response.
   * @param to A node ID, or `{ownerOf: key}` for the node responsible for a key.
   * @param name The handler's name on the destination.
   * @param payload The request.
   * @returns The response's bytes. Rejects with `RequestError`, `NotConnectedError` or `InvalidArgumentError`.
   */
  request(to: Destination, name: string, payload?: Payload): Promise<Uint8Array>;

  /**
   * Places this node at `position`; pub/sub messages reach it when it is inside their circle.
   * On a sphere `x` is the longitude and `y` the latitude (longitude first).
   * @param position `{x, y}`.
   * @throws InvalidArgumentError `invalidPosition` for coordinates outside the space.
   */
  setPosition(position: Position): void;
  /**
   * Calls `callback` for every message published to `topic` whose circle contains this node's position, once each.
   * @param topic The topic.
   * @param callback Called with each delivery.
   * @returns A function that removes this callback.
   */
  subscribe(topic: string, callback: (delivery: SpreadDelivery) => void): () => void;
  /**
   * Publishes `payload` to the subscribers of `topic` inside the circle `{x, y, radius}` (on a sphere `x` is the
   * longitude, `y` the latitude, `radius` in metres). Needs this node's position (`setPosition`).
   * @param topic The topic.
   * @param payload The message.
   * @param options The circle, `deliverToSelf` and `requireReceiver`.
   * @returns Resolves once sent, or with `requireReceiver` once a subscriber received it. Rejects with
   *   `PublishError` (`noReceiver`, `positionNotSet`, `networkClosed`), `NotConnectedError` or `InvalidArgumentError`.
   */
  publish(topic: string, payload: Payload, options: PublishOptions): Promise<void>;

  /** Leaves the network: closes every link and the seed connection; pending operations fail with `networkClosed`. Safe to call when not connected. */
  disconnect(): void;
}
