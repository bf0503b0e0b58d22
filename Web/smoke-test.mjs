// Loads colonio.wasm in Node.js and calls its exports: fails (exit 1) if the browser build is broken.
import { readFile } from 'node:fs/promises';
import { randomFillSync } from 'node:crypto';

const path = process.argv[2] ?? new URL('./colonio.wasm', import.meta.url);
let memory;
const wasi = {
  // Dictionary hashing seeds itself from random_get.
  random_get(ptr, len) {
    randomFillSync(new Uint8Array(memory.buffer, ptr, len));
    return 0;
  },
};
const imports = new Proxy({}, {
  get: (_, module) => module === 'wasi_snapshot_preview1' ? new Proxy(wasi, {
    get: (target, name) => target[name] ?? (() => { throw new Error(`unexpected WASI call ${String(name)}`); }),
  }) : {},
});
const { instance } = await WebAssembly.instantiate(await readFile(path), imports);
memory = instance.exports.memory;
const { colonio_node_id_compare: compare, colonio_varint_roundtrip: roundTrip } = instance.exports;
const { colonio_kvs_position_abc_high: kvsPositionABC, colonio_kvs_selftest: kvsSelfTest } = instance.exports;
const { colonio_geometry_digest: geometryDigest, colonio_geometry_recorded_digest: recordedDigest } = instance.exports;
const checks = [
  ['compare less', compare(0n, 1n, 0n, 2n), -1],
  ['compare high half', compare(1n, 0n, 0n, 0xffffffffffffffffn), 1],
  ['compare equal', compare(5n, 6n, 5n, 6n), 0],
  ['varint 300', BigInt.asUintN(64, roundTrip(300n)), 300n],
  ['varint max', BigInt.asUintN(64, roundTrip(0xfffffffffffffffen)), 0xfffffffffffffffen],
  ['kvs key position', BigInt.asUintN(64, kvsPositionABC()), 0xba7816bf8f01cfean],
  ['kvs put/get through three instances', BigInt.asUintN(64, kvsSelfTest()), 1n],
  // Distances, site keys, circles, Delaunay graphs and geo links of the degenerate layouts (issue #17):
  // the same digest as the native build, which GeometryCrossCheckTests pins.
  ['geometry = native geometry', BigInt.asUintN(64, geometryDigest(0, 0)), BigInt.asUintN(64, recordedDigest())],
];
let failed = 0;
for (const [name, got, want] of checks) {
  if (got !== want) { failed++; console.error(`FAIL ${name}: got ${got.toString(16)}, want ${want.toString(16)}`); }
}
console.log(`wasm smoke test: ${checks.length - failed} passed, ${failed} failed`);
if (process.argv.includes('--geometry-parts')) {
  // The digest of each part in each space, to compare with GeometryCrossCheckTests' output.
  for (const space of [0, 1, 2]) {
    const parts = [1, 2, 4, 8, 16].map((part) => BigInt.asUintN(64, geometryDigest(part, space)).toString(16));
    console.log(`geometry space ${space}: ${parts.join(' ')}`);
  }
}
process.exit(failed ? 1 : 0);
