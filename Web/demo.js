// Demo page of the browser node: a map of this node and its geographic neighbours, pub/sub by
// clicking, a small KVS form. Query: ?network=NAME&token=TOKEN[&seed=ws://host:port][&x=..&y=..].
// The node is exposed as `window.colonio` and the page's state as `window.demo` (for tests).
import { Colonio } from './colonio.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const canvas = $('map');
const context = canvas.getContext('2d');
const demo = { ready: false, received: [], error: null, circles: [] };
window.demo = demo;

async function start(network, token) {
  const seed = params.get('seed') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
  let node;
  try {
    node = await Colonio.connect({ seed, network, token });
  } catch (error) {
    demo.error = `${error.name} ${error.kind}: ${error.message}`;
    // The message can carry text the seed echoes from the request (the network name): never HTML.
    const status = document.createElement('span');
    status.className = 'error';
    status.textContent = demo.error;
    $('status').replaceChildren(status);
    return;
  }
  window.colonio = node;
  node.log = () => {};
  const space = node.space;
  const extent = space.kind === 'sphere' ? { width: 360, height: 180 } : { width: space.width, height: space.height };
  const toCanvas = ({ x, y }) => space.kind === 'sphere'
    ? { cx: ((x + 180) / 360) * canvas.width, cy: ((90 - y) / 180) * canvas.height }
    : { cx: (x / extent.width) * canvas.width, cy: (y / extent.height) * canvas.height };
  const fromCanvas = (cx, cy) => space.kind === 'sphere'
    ? { x: (cx / canvas.width) * 360 - 180, y: 90 - (cy / canvas.height) * 180 }
    : { x: (cx / canvas.width) * extent.width, y: (cy / canvas.height) * extent.height };
  const metresPerPixel = space.kind === 'sphere' ? (2 * Math.PI * space.radius) / canvas.width : extent.width / canvas.width;
  $('radius').value = String(Math.round(metresPerPixel * canvas.width * 0.15 * 100) / 100);

  let position = params.has('x') && params.has('y')
    ? { x: Number(params.get('x')), y: Number(params.get('y')) }
    : fromCanvas(canvas.width * (0.1 + 0.8 * Math.random()), canvas.height * (0.1 + 0.8 * Math.random()));
  node.setPosition(position);
  node.subscribe('demo', (delivery) => {
    demo.received.push({ from: delivery.sender, text: delivery.text(), hops: delivery.hops });
    const item = document.createElement('li');
    item.textContent = `${delivery.sender.slice(0, 8)} (${delivery.hops} hops): ${delivery.text()}`;
    $('messages').prepend(item);
  });
  node.handle('echo', (message) => `echo from ${node.nodeID}: ${message.text()}`);

  canvas.addEventListener('click', async (event) => {
    const rect = canvas.getBoundingClientRect();
    const point = fromCanvas(event.clientX - rect.left, event.clientY - rect.top);
    if (event.shiftKey) {
      position = point;
      node.setPosition(position);
      return;
    }
    const radius = Number($('radius').value);
    demo.circles.push({ ...point, radius, until: performance.now() + 1500 });
    try {
      await node.publish('demo', `hello from ${node.nodeID.slice(0, 8)}`, { ...point, radius, deliverToSelf: true });
    } catch (error) {
      $('kvsResult').textContent = `publish: ${error.kind}`;
    }
  });

  const kvsShow = (text, isError = false) => { $('kvsResult').textContent = text; $('kvsResult').className = isError ? 'error' : ''; };
  const kvsRun = async (operation) => {
    try { kvsShow(await operation()); } catch (error) { kvsShow(`${error.name} ${error.kind}: ${error.message}`, true); }
  };
  $('kvsGet').onclick = () => kvsRun(async () => {
    const value = await node.kvs.get($('kvsKey').value);
    return value ? `${$('kvsKey').value} = "${value.text()}" (version ${value.version})` : `${$('kvsKey').value} has no value`;
  });
  $('kvsPut').onclick = () => kvsRun(async () => `stored version ${(await node.kvs.put($('kvsKey').value, $('kvsValue').value)).version}`);
  $('kvsDelete').onclick = () => kvsRun(async () => { await node.kvs.delete($('kvsKey').value); return 'deleted'; });

  const draw = () => {
    const state = node.state();
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.strokeStyle = '#eee';
    for (let i = 1; i < 8; i++) {
      context.beginPath(); context.moveTo((i * canvas.width) / 8, 0); context.lineTo((i * canvas.width) / 8, canvas.height); context.stroke();
      context.beginPath(); context.moveTo(0, (i * canvas.height) / 8); context.lineTo(canvas.width, (i * canvas.height) / 8); context.stroke();
    }
    const now = performance.now();
    demo.circles = demo.circles.filter((circle) => circle.until > now);
    for (const circle of demo.circles) {
      const { cx, cy } = toCanvas(circle);
      context.beginPath();
      context.arc(cx, cy, circle.radius / metresPerPixel, 0, 2 * Math.PI);
      context.fillStyle = 'rgba(255, 160, 0, 0.15)'; context.fill();
      context.strokeStyle = 'rgba(255, 140, 0, 0.8)'; context.stroke();
    }
    const self = state.position ? toCanvas(state.position) : null;
    // Where the last frame put each node: tests check the canvas pixels there.
    demo.drawn = { self, neighbours: [] };
    for (const neighbour of state.neighbours) {
      const { cx, cy } = toCanvas(neighbour);
      demo.drawn.neighbours.push({ id: neighbour.id, cx, cy });
      if (self) {
        context.strokeStyle = state.links.includes(neighbour.id) ? '#4a8' : '#bbb';
        context.beginPath(); context.moveTo(self.cx, self.cy); context.lineTo(cx, cy); context.stroke();
      }
      context.fillStyle = '#4a8';
      context.beginPath(); context.arc(cx, cy, 6, 0, 2 * Math.PI); context.fill();
      context.fillStyle = '#333'; context.font = '11px monospace';
      context.fillText(neighbour.id.slice(0, 6), cx + 8, cy + 4);
    }
    if (self) {
      context.fillStyle = '#d33';
      context.beginPath(); context.arc(self.cx, self.cy, 8, 0, 2 * Math.PI); context.fill();
      context.fillStyle = '#000'; context.font = 'bold 12px monospace';
      context.fillText(`${node.nodeID.slice(0, 6)} (this node)`, self.cx + 10, self.cy - 8);
    }
    $('status').textContent = [
      `node      ${node.nodeID}`,
      `network   ${network} (${space.kind}${space.kind === 'sphere' ? '' : ` ${space.width}x${space.height}`})`,
      `links     ${state.links.length} of at most ${node.maximumLinks}`,
      ...state.links.map((id) => `  ${id}`),
      `position  ${state.position ? `${state.position.x.toFixed(2)}, ${state.position.y.toFixed(2)}` : '-'}`,
      `geo neighbours ${state.neighbours.length}`,
    ].join('\n');
    demo.state = state;
  };
  draw();
  setInterval(draw, 250);
  demo.ready = true;
}

const network = params.get('network');
if (network) {
  start(network, params.get('token') ?? '');
} else {
  $('connectForm').hidden = false;
  $('status').textContent = 'choose a network';
  $('connectForm').onsubmit = (event) => {
    event.preventDefault();
    $('connectForm').hidden = true;
    start($('network').value, $('token').value);
  };
}
