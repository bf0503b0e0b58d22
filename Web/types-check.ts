// A sample that uses every public call of colonio.js, for `tsc --noEmit --strict` in `make wasm-test`:
// it checks that colonio.d.ts is valid, complete enough to write an application against, and reachable
// through package.json (`import ... from 'colonio-swift'` resolves through its "exports"). Never run.
// Web/api-surface.test.mjs checks that the declarations name exactly what colonio.js exports.
import * as colonio from 'colonio-swift';
import {
  Colonio, ColonioError, ConnectError, InvalidArgumentError, KVSError, NotConnectedError, PublishError, RequestError,
} from 'colonio-swift';
import type {
  Circle, ColonioHandler, ColonioKVS, ColonioMessage, ColonioOptions, Destination, IceServer, KVSCondition, KVSValue,
  KVSWriteOptions, Neighbour, NodeID, NodeState, Payload, Position, PublishOptions, Space, SpreadDelivery,
} from 'colonio-swift';

// Every value export and every member is listed: adding one to colonio.d.ts fails here until the sample
// covers it (and api-surface.test.mjs until colonio.js has it).
const exported: Record<keyof typeof colonio, true> = {
  Colonio: true, ColonioError: true, ConnectError: true, InvalidArgumentError: true, KVSError: true,
  NotConnectedError: true, PublishError: true, RequestError: true,
};
const members: Record<keyof Colonio, true> = {
  nodeID: true, space: true, maximumLinks: true, log: true, kvs: true, links: true, linkedPeers: true, state: true,
  handle: true, removeHandler: true, send: true, request: true, setPosition: true, subscribe: true, publish: true,
  disconnect: true,
};
const kvsMembers: Record<keyof ColonioKVS, true> = { get: true, put: true, delete: true };

async function sample(): Promise<void> {
  const options: ColonioOptions = {
    seed: 'ws://127.0.0.1:8080', network: 'demo', token: 'secret', retryMilliseconds: 500,
    maximumRetryMilliseconds: 5000, timeoutMilliseconds: 3000, tickMilliseconds: 100,
    wasm: new URL('./colonio.wasm', import.meta.url),
  };
  let node: Colonio;
  try {
    node = await Colonio.connect(options);
  } catch (error) {
    if (error instanceof ConnectError) console.log(error.kind, error.code, error.message);
    throw error;
  }
  node.log = (...args: unknown[]) => console.log(...args);
  const me: NodeID = node.nodeID;
  const space: Space = node.space;
  const radius = space.kind === 'sphere' ? space.radius : Math.min(space.width, space.height);
  const cap: number = node.maximumLinks;

  // Links and state.
  const peers: NodeID[] = node.links();
  const same: NodeID[] = node.linkedPeers;
  const state: NodeState = node.state();
  const where: Position | null = state.position;
  const near: Neighbour[] = state.neighbours;
  console.log(me, radius, cap, peers, same, state.nodeID, state.links, where, near.map((n) => [n.id, n.x, n.y]));

  // Messages and requests.
  const echo: ColonioHandler = (message: ColonioMessage) =>
    `${message.source} ${message.name} ${message.hops} ${message.isRequest} ${message.text()} ${message.payload.length}`;
  node.handle('echo', echo);
  node.handle('async', async (message) => message.payload);
  node.handle('note', (message) => { console.log(message.text()); });
  node.handle('echo', null);
  node.removeHandler('async');
  const to: Destination = peers[0] ?? me;
  node.send(to, 'note', 'hello');
  node.send({ ownerOf: 'room/1' }, 'note', new Uint8Array([1, 2, 3]));
  node.send(to, 'note');
  try {
    const reply: Uint8Array = await node.request(to, 'echo', new TextEncoder().encode('hi').buffer);
    const owner: Uint8Array = await node.request({ ownerOf: 'room/1' }, 'echo');
    console.log(reply, owner);
  } catch (error) {
    if (error instanceof RequestError && error.kind === 'noHandler') console.log('no handler there');
    else if (error instanceof NotConnectedError || error instanceof InvalidArgumentError) console.log(error.kind);
  }

  // Location-based pub/sub: on a sphere x is the longitude, y the latitude.
  const tokyo: Position = { x: 139.65, y: 35.68 };
  node.setPosition(tokyo);
  const unsubscribe: () => void = node.subscribe('chat', (delivery: SpreadDelivery) => {
    const centre: Position = delivery.center;
    console.log(delivery.topic, delivery.text(), delivery.payload, delivery.sender, delivery.senderPosition,
      centre, delivery.radius, delivery.hops);
  });
  const circle: Circle = { ...tokyo, radius: 5000 };
  await node.publish('chat', 'hello, Tokyo', circle);
  const publishOptions: PublishOptions = { ...circle, deliverToSelf: true, requireReceiver: true };
  try {
    await node.publish('chat', new Uint8Array(0), publishOptions);
  } catch (error) {
    if (error instanceof PublishError && error.kind === 'noReceiver') console.log('nobody there');
  }
  unsubscribe();

  // KVS, with compare-and-set.
  const kvs: ColonioKVS = node.kvs;
  const stored: KVSValue = await kvs.put('room/1', 'open', { condition: 'ifAbsent' });
  const read: KVSValue | null = await kvs.get('room/1');
  console.log(read?.text(), read?.value, read?.bytes, read?.version);
  const cas: KVSCondition = { ifVersion: stored.version };
  try {
    await kvs.put('room/1', 'closed', { condition: cas });
  } catch (error) {
    if (error instanceof KVSError && error.kind === 'conditionFailed') console.log('now at', error.currentVersion);
    else if (error instanceof KVSError && error.kind === 'valueTooLarge') console.log('limit', error.limit);
  }
  await kvs.put('room/1', new Uint8Array([1]));
  await kvs.put('room/1', 'x', { condition: { ifVersion: 3n } });
  const write: KVSWriteOptions = { condition: 'ifPresent' };
  const deleted: void = await kvs.delete('room/1', write);
  await kvs.delete('room/1');
  await kvs.delete('room/1', { condition: 'none' });
  console.log(deleted);

  node.disconnect();

  // Errors: every class is a ColonioError with a kind.
  const error: ColonioError = new KVSError('timeout', 'no answer in time', { limit: 1 });
  console.log(error.kind, error.name, error.message, error instanceof Error);
  const payloads: Payload[] = ['text', new Uint8Array(1), new ArrayBuffer(1), new DataView(new ArrayBuffer(1)), null, undefined];
  const servers: IceServer[] = [{ urls: ['stun:127.0.0.1:3478'], username: 'u', credential: 'c' }];
  console.log(payloads, servers);
}

// Mistakes the declarations must refuse.
async function refused(node: Colonio): Promise<void> {
  // @ts-expect-error: a node is made by Colonio.connect, not new.
  new Colonio({ seed: 'ws://x', network: 'n' });
  // @ts-expect-error: seed and network are required.
  await Colonio.connect({ token: 'secret' });
  // @ts-expect-error: a position is {x, y}, not latitude and longitude.
  node.setPosition({ latitude: 35.68, longitude: 139.65 });
  // @ts-expect-error: publish needs the circle's radius.
  await node.publish('chat', 'hi', { x: 1, y: 2 });
  // @ts-expect-error: compare-and-set is {condition: {ifVersion: n}}.
  await node.kvs.put('k', 'v', { ifVersion: 1 });
  // @ts-expect-error: not a condition.
  await node.kvs.delete('k', { condition: 'ifNewer' });
  // @ts-expect-error: the node ID is read-only.
  node.nodeID = 'x';
  // @ts-expect-error: a request's response is bytes, not a string.
  const text: string = await node.request(node.nodeID, 'echo');
  console.log(text);
}

export { exported, members, kvsMembers, sample, refused };
