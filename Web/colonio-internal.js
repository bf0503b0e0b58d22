// Internals of the Colonio browser node, shared by colonio.js and the Node.js tests: the core's wire
// format and the colonio.wasm instance with its operation and command numbers. Not part of the public API
// (package.json does not export this file): names and behaviour may change in any release.
//
// The ABI with the wasm module is described in Web/Exports/BrowserExports.swift (inputs) and
// Web/Exports/ShellCommand.swift (output commands); both are messages in the core's wire format.
// scripts/check-browser-abi.py checks that `Op` and `Command` below agree with them.

// MARK: - Wire format (protobuf-compatible, as the core's WireWriter/WireReader)

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes one flat message: `fields` maps field numbers to values (or arrays for repeated fields). */
export function encodeFields(fields) {
  const out = [];
  const varint = (value) => {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v) byte |= 0x80;
      out.push(byte);
    } while (v);
  };
  const bytes = (field, data) => {
    varint((field << 3) | 2);
    varint(data.length);
    for (const b of data) out.push(b);
  };
  for (const [key, raw] of Object.entries(fields)) {
    const field = Number(key);
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (value === undefined || value === null) continue;
      if (typeof value === 'boolean') { varint(field << 3); varint(value ? 1 : 0); }
      else if (typeof value === 'bigint') { varint(field << 3); varint(value); }
      else if (value instanceof Float) {
        varint((field << 3) | 1);
        const view = new DataView(new ArrayBuffer(8));
        view.setFloat64(0, value.value, true);
        for (let i = 0; i < 8; i++) out.push(view.getUint8(i));
      } else if (typeof value === 'number') { varint(field << 3); varint(value); }
      else if (typeof value === 'string') bytes(field, encoder.encode(value));
      else bytes(field, value);
    }
  }
  return new Uint8Array(out);
}

/** Marks a number to be encoded as a `double` field. */
export class Float { constructor(value) { this.value = Number(value); } }

/** Decodes a message into `[field, value]` pairs in order: varints as BigInt, fixed64 as 8-byte arrays, the rest as bytes. */
export function decodePairs(data) {
  const pairs = [];
  let i = 0;
  const varint = () => {
    let result = 0n, shift = 0n;
    for (;;) {
      if (i >= data.length) throw new Error('truncated varint');
      const byte = data[i++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
    }
  };
  while (i < data.length) {
    const key = Number(varint());
    const field = key >>> 3, type = key & 7;
    if (type === 0) pairs.push([field, varint()]);
    else if (type === 1) { pairs.push([field, data.subarray(i, i + 8)]); i += 8; }
    else if (type === 2) { const n = Number(varint()); pairs.push([field, data.subarray(i, i + n)]); i += n; }
    else if (type === 5) i += 4;
    else throw new Error(`unknown wire type ${type}`);
  }
  return pairs;
}

/** Field access over one decoded message. */
export class Fields {
  constructor(data) {
    this.map = new Map();
    for (const [field, value] of decodePairs(data)) {
      if (!this.map.has(field)) this.map.set(field, []);
      this.map.get(field).push(value);
    }
  }
  has(f) { return this.map.has(f); }
  big(f) { return this.map.get(f)?.[0] ?? 0n; }
  num(f) { return Number(this.big(f)); }
  bool(f) { return this.big(f) !== 0n; }
  bytes(f) { return this.map.get(f)?.[0] ?? new Uint8Array(0); }
  all(f) { return this.map.get(f) ?? []; }
  str(f) { return decoder.decode(this.bytes(f)); }
  double(f) { const b = this.map.get(f)?.[0]; return b ? new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true) : 0; }
  node(f) { return hex(this.bytes(f)); }
}

export function hex(bytes) { return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''); }

// MARK: - The wasm core

/** Operations of `colonio_call` (BrowserInput in Swift). */
export const Op = Object.freeze({
  create: 0, signIn: 1, seedFrame: 2, keepalive: 3, seedClosed: 4, tick: 5, linkDescription: 6,
  linkCandidate: 7, linkOpen: 8, linkFrame: 9, linkVerified: 10, linkClosed: 11, handle: 12, send: 13,
  request: 14, respond: 15, setPosition: 16, subscribe: 17, publish: 18, kvs: 19, state: 20, stop: 21,
  testCertificateBytes: 22, testSignedInFrame: 23, testRelay: 24, resume: 25, testResumeBytes: 26,
  signalSigned: 27, signalVerified: 28,
});
/** Output commands (ShellCommand in Swift). */
export const Command = Object.freeze({
  seedSend: 1, signedIn: 2, signInFailed: 3, openLink: 4, remoteAnswer: 5, remoteCandidate: 6, closeLink: 7,
  linkSend: 8, signAndSend: 9, verifyHello: 10, message: 11, requestDone: 12, spread: 13, publishDone: 14,
  kvsDone: 15, result: 16, error: 17, state: 18, bytes: 19, log: 20, iceServers: 21, seedSignAndSend: 22,
  seedRestored: 23, connectToSeed: 24, signSignal: 25, verifySignal: 26,
});

/** One instance of colonio.wasm: one node's state machines. */
export class WasmCore {
  static async load(source = new URL('./colonio.wasm', import.meta.url)) {
    let memory;
    const wasi = {
      // Dictionary hashing seeds itself from random_get.
      random_get(pointer, length) { crypto.getRandomValues(new Uint8Array(memory.buffer, pointer, length)); return 0; },
    };
    const imports = new Proxy({}, {
      get: (_, module) => (module === 'wasi_snapshot_preview1' ? new Proxy(wasi, {
        get: (target, name) => target[name] ?? (() => { throw new Error(`unexpected WASI call ${String(name)}`); }),
      }) : {}),
    });
    let result;
    if (source instanceof WebAssembly.Module) {
      result = { instance: await WebAssembly.instantiate(source, imports) };
    } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
      result = await WebAssembly.instantiate(source, imports);
    } else if (typeof fetch === 'function' && WebAssembly.instantiateStreaming) {
      result = await WebAssembly.instantiateStreaming(fetch(source), imports);
    } else {
      const { readFile } = await import('node:fs/promises');
      result = await WebAssembly.instantiate(await readFile(source), imports);
    }
    memory = result.instance.exports.memory;
    return new WasmCore(result.instance.exports, result.module);
  }

  constructor(exports, module) {
    this.exports = exports;
    this.module = module;
    this.clockOrigin = performance.now();
  }

  /** Runs one operation; returns the output commands as `[kind, Fields]` pairs (throws if the input did not decode). */
  call(op, fields = {}) {
    const input = encodeFields(fields);
    const { exports } = this;
    const pointer = exports.colonio_alloc(input.length);
    new Uint8Array(exports.memory.buffer, pointer, input.length).set(input);
    const status = exports.colonio_call(op, pointer, input.length, performance.now() - this.clockOrigin, Date.now() / 1000);
    exports.colonio_free(pointer);
    if (status !== 0) throw new Error(`colonio.wasm rejected operation ${op}`);
    const length = exports.colonio_output_length();
    const output = length ? new Uint8Array(exports.memory.buffer, exports.colonio_output_pointer(), length).slice() : new Uint8Array(0);
    return decodePairs(output).map(([kind, body]) => [kind, new Fields(body)]);
  }
}
