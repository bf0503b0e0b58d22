#!/usr/bin/env python3
"""One network, four languages: a Swift node (`colonio node`), a Python node (this process, the colonio
package), a Go node (colonio-go-node) and, as root with Chromium, a browser page (colonio.js and
colonio.wasm, served by the seed) join one seed. Checks requests between every pair, a KVS compare-and-set
race from every language (exactly one wins) and pub/sub circles published from each reaching exactly the
nodes inside them, each exactly once. Without root or Chromium the browser part is skipped with a loud
banner and the native languages run on loopback. With --bench: request round trips between two nodes of
each native language, printed as JSON. Every wait is bounded; exit status 0 means all passed."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "scripts"))
from local_seed import NETWORK, TOKEN, LineProcess, LocalSeed, SwiftNode  # noqa: E402

import browser_harness  # noqa: E402
import colonio  # noqa: E402

WEB = ROOT / "Web"
TOPIC = "circles"
# Where each node stands on the seed's 1000 x 1000 plane: far enough apart that a circle of radius 50
# holds exactly one of them, and a circle of radius 1000 around the middle holds all.
POSITIONS = {"swift": (100.0, 100.0), "python": (500.0, 500.0), "go": (900.0, 900.0), "web": (100.0, 900.0)}


class GoNode(LineProcess):
    """colonio-go-node: JSON commands in, JSON replies and delivery events out."""

    def __init__(self, program: str, seed_url: str, interfaces: list[str] | None = None) -> None:
        ice = [arg for name in interfaces or [] for arg in ("-interface", name)]
        super().__init__([program, "-seed", seed_url, "-network", NETWORK, "-token", TOKEN, *ice], "go-node")
        joined = self.next(lambda line: line.get("event") == "joined" or "response" in line, 30, "join")
        if joined.get("event") != "joined":
            raise RuntimeError(f"the Go node could not join: {joined.get('error')}")
        self.node_id: str = joined["nodeID"]

    def command(self, op: str, timeout: float = 25, **fields) -> dict:
        self.write(json.dumps(dict(fields, op=op)))
        return self.next(lambda reply: reply.get("response") == op, timeout, f"reply to '{op}'")


class Check:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def expect(self, condition: bool, what: str) -> None:
        print(("ok   " if condition else "FAIL ") + what, flush=True)
        if not condition:
            self.failures.append(what)


async def in_thread(function, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(None, lambda: function(*args, **kwargs))


async def retry(attempt, seconds: float = 20.0):
    """Retries `attempt` (returning a truthy result) while the links form; the last result after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = await attempt()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.2)


async def swift_request(swift: SwiftNode, to: str, payload: str) -> str | None:
    reply = await in_thread(swift.command, f"request {to} echo {payload}")
    return reply.get("text") if reply.get("ok") else None


async def go_request(go: GoNode, to: str, payload: str) -> str | None:
    reply = await in_thread(go.command, "request", to=to, name="echo", payload=payload)
    return reply.get("text") if reply.get("ok") else None


async def python_request(node: colonio.Node, to: str, payload: str) -> str | None:
    try:
        return (await node.request(to, "echo", payload)).decode()
    except colonio.ColonioError:
        return None


# ---- One participant per language, behind the same calls.
# request() returns the reply's text or None (retried by the caller); put_if_version() True if this node
# won, False if its condition failed; received() the texts delivered on TOPIC so far, in arrival order.


class SwiftPeer:
    """The Swift node: `colonio node --json`, whose console's "echo" answers with the payload."""
    name = "swift"

    def __init__(self, node: SwiftNode) -> None:
        self.node, self.node_id = node, node.node_id

    def answer(self, text: str) -> str:
        return text

    async def request(self, to: str, text: str) -> str | None:
        return await swift_request(self.node, to, text)

    async def put_if_version(self, key: str, value: str, version: int) -> bool:
        return bool((await in_thread(self.node.command, f"put --if-version={version} {key} {value}")).get("ok"))

    async def get(self, key: str) -> str | None:
        return (await in_thread(self.node.command, f"get {key}")).get("text")

    async def join_circles(self, position: tuple[float, float]) -> None:
        await in_thread(self.node.command, "position {},{}".format(*position))
        await in_thread(self.node.command, f"subscribe {TOPIC}")

    async def publish(self, text: str, center: tuple[float, float], radius: float) -> None:
        await in_thread(self.node.command, f"publish {TOPIC} {center[0]},{center[1]} {radius} {text}")

    async def received(self) -> list[str]:
        return [d["text"] for d in self.node.delivered() if d.get("topic") == TOPIC]


class GoPeer:
    """The Go node (colonio-go-node), whose "echo" answers "go:" and the payload."""
    name = "go"

    def __init__(self, node: GoNode) -> None:
        self.node, self.node_id = node, node.node_id

    def answer(self, text: str) -> str:
        return "go:" + text

    async def request(self, to: str, text: str) -> str | None:
        return await go_request(self.node, to, text)

    async def put_if_version(self, key: str, value: str, version: int) -> bool:
        reply = await in_thread(self.node.command, "put", key=key, payload=value, condition="if_version", version=version)
        return bool(reply.get("ok"))

    async def get(self, key: str) -> str | None:
        return (await in_thread(self.node.command, "get", key=key)).get("text")

    async def join_circles(self, position: tuple[float, float]) -> None:
        await in_thread(self.node.command, "position", x=position[0], y=position[1])
        await in_thread(self.node.command, "subscribe", topic=TOPIC)

    async def publish(self, text: str, center: tuple[float, float], radius: float) -> None:
        await in_thread(self.node.command, "publish", topic=TOPIC, payload=text, x=center[0], y=center[1], radius=radius)

    async def received(self) -> list[str]:
        return [d["text"] for d in self.node.delivered() if d.get("topic") == TOPIC]


class PythonPeer:
    """This process's node (the colonio package), whose "echo" answers "py:" and the payload."""
    name = "python"

    def __init__(self, node: colonio.Node) -> None:
        self.node, self.node_id = node, node.node_id
        node.handle("echo", lambda message: b"py:" + message.payload)
        self.deliveries: list[str] = []
        self.collector: asyncio.Task | None = None
        self.subscription = None

    def answer(self, text: str) -> str:
        return "py:" + text

    async def request(self, to: str, text: str) -> str | None:
        return await python_request(self.node, to, text)

    async def put_if_version(self, key: str, value: str, version: int) -> bool:
        try:
            return await self.node.kvs_put(key, value, colonio.Condition.IF_VERSION, version) > 0
        except colonio.ConditionFailedError:
            return False

    async def get(self, key: str) -> str | None:
        stored = await self.node.kvs_get(key)
        return stored.value.decode() if stored else None

    async def join_circles(self, position: tuple[float, float]) -> None:
        await self.node.set_position(*position)
        self.subscription = self.node.subscribe(TOPIC)

        async def collect():
            async for delivery in self.subscription:
                self.deliveries.append(delivery.payload.decode())
        self.collector = asyncio.create_task(collect())

    async def publish(self, text: str, center: tuple[float, float], radius: float) -> None:
        await self.node.publish(TOPIC, text, center, radius)

    async def received(self) -> list[str]:
        return list(self.deliveries)

    def leave_circles(self) -> None:
        if self.subscription is not None:
            self.subscription.close()
        if self.collector is not None:
            self.collector.cancel()


class WebPeer:
    """A page of the seed's demo (colonio.js, colonio.wasm) in headless Chromium, in the harness's network
    namespace; its "echo" is replaced by one answering "web:" and the payload. Every call evaluates
    JavaScript in the page (blocking DevTools calls, so on a worker thread)."""
    name = "web"

    def __init__(self, harness: browser_harness.Harness, origin: str) -> None:
        x, y = POSITIONS["web"]
        self.page = harness.open_page(f"{origin}/?network={NETWORK}&token={TOKEN}&x={x}&y={y}", timeout=30)
        self.page.wait_for("window.demo && (window.demo.ready || window.demo.error)", timeout=30)
        error = self.page.evaluate("window.demo.error")
        if error:
            raise RuntimeError(f"the browser page could not join: {error}")
        self.node_id: str = self.page.evaluate("colonio.nodeID")
        self.page.evaluate("window.circles = []; colonio.handle('echo', (m) => 'web:' + m.text()), true")

    async def run(self, expression: str, timeout: float = 30):
        return await in_thread(self.page.evaluate, expression, timeout=timeout)

    def answer(self, text: str) -> str:
        return "web:" + text

    async def request(self, to: str, text: str) -> str | None:
        return await self.run(f"colonio.request({json.dumps(to)}, 'echo', {json.dumps(text)})"
                              ".then((reply) => new TextDecoder().decode(reply), () => null)")

    async def put_if_version(self, key: str, value: str, version: int) -> bool:
        outcome = await self.run(
            f"colonio.kvs.put({json.dumps(key)}, {json.dumps(value)}, {{ condition: {{ ifVersion: {version} }} }})"
            ".then(() => 'won', (error) => error.kind === 'conditionFailed' ? 'lost' : `${error.kind}: ${error.message}`)")
        if outcome not in ("won", "lost"):
            raise RuntimeError(f"the page's compare-and-set failed: {outcome}")
        return outcome == "won"

    async def get(self, key: str) -> str | None:
        return await self.run(f"colonio.kvs.get({json.dumps(key)}).then((stored) => stored && stored.text())")

    async def join_circles(self, position: tuple[float, float]) -> None:
        await self.run(f"colonio.setPosition({{ x: {position[0]}, y: {position[1]} }}), "
                       f"colonio.subscribe('{TOPIC}', (delivery) => {{ window.circles.push(delivery.text()); }}), true")

    async def publish(self, text: str, center: tuple[float, float], radius: float) -> None:
        await self.run(f"colonio.publish('{TOPIC}', {json.dumps(text)}, {{ x: {center[0]}, y: {center[1]}, radius: {radius} }})"
                       ".then(() => true)")

    async def received(self) -> list[str]:
        return await self.run("window.circles")


async def requests_between_every_pair(check: Check, peers: dict) -> None:
    for source in peers.values():
        for target in peers.values():
            if target is source:
                continue
            text = f"{source.name}-to-{target.name}"
            reply = await retry(lambda: source.request(target.node_id, text))
            check.expect(reply == target.answer(text), f"request {source.name} -> {target.name}: {reply!r}")


async def compare_and_set_race(check: Check, peers: dict, python: colonio.Node) -> None:
    key = f"race-{os.getpid()}"
    first = await retry(lambda: python.kvs_put(key, "start", colonio.Condition.IF_ABSENT))
    check.expect(first == 1, f"KVS {key} created at version 1 ({first})")
    outcomes = await asyncio.gather(*(peer.put_if_version(key, peer.name, 1) for peer in peers.values()))
    winners = [name for name, won in zip(peers, outcomes) if won]
    check.expect(len(winners) == 1, f"KVS compare-and-set race from {len(peers)} languages: exactly one winner ({winners})")
    stored = await python.kvs_get(key)
    check.expect(stored is not None and stored.version == 2 and winners and stored.value.decode() == winners[0],
                 f"KVS {key} holds the winner's value at version 2 ({stored})")
    views = {name: await peer.get(key) for name, peer in peers.items()}
    expected = stored.value.decode() if stored else None
    check.expect(all(view == expected for view in views.values()), f"KVS: every language reads {expected!r} ({views})")


async def arrived(peer, label: str, seconds: float = 1.0) -> bool:
    """Whether `peer` has received a publication labelled `label` (any attempt), polled for `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if any(text.split("#")[0] == label for text in await peer.received()):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)


async def publish_until(peers: dict, publisher: str, label: str, center, radius: float, targets: list[str]) -> int:
    """Publishes `label#1`, `label#2`, ... (at most 20) until every target has one; returns the attempts.
    Pub/sub is best effort while geographic neighbours converge, so a retry is a new publication: each
    must still arrive at most once, and only inside its circle."""
    for attempt in range(1, 21):
        await peers[publisher].publish(f"{label}#{attempt}", center, radius)
        if all([await arrived(peers[target], label) for target in targets]):
            return attempt
    return 0


async def pubsub_circles(check: Check, peers: dict) -> None:
    for name, peer in peers.items():
        await peer.join_circles(POSITIONS[name])
    names = list(peers)
    # Each publishes a small circle around the next node (a cycle through all), and a circle holding everyone.
    plan = [(names[index], names[(index + 1) % len(names)]) for index in range(len(names))]
    for publisher, target in plan:
        attempts = await publish_until(peers, publisher, f"{publisher}-around-{target}", POSITIONS[target], 50, [target])
        check.expect(attempts > 0, f"pub/sub: {publisher}'s circle around {target} reached it (attempts: {attempts})")
    for publisher in names:
        others = [name for name in names if name != publisher]
        attempts = await publish_until(peers, publisher, f"{publisher}-around-all", (500, 500), 1000, others)
        check.expect(attempts > 0, f"pub/sub: {publisher}'s circle around all reached {others} (attempts: {attempts})")
    await asyncio.sleep(1.0)  # lets stray deliveries arrive before judging
    for name, peer in peers.items():
        texts = await peer.received()
        got = {text.split("#")[0] for text in texts}
        expected = {f"{p}-around-{t}" for p, t in plan if t == name} | {f"{p}-around-all" for p in names if p != name}
        check.expect(got == expected, f"pub/sub: {name} received exactly {sorted(expected)} (got {sorted(got)})")
        duplicates = sorted({text for text in texts if texts.count(text) > 1})
        check.expect(not duplicates, f"pub/sub: {name} received each publication once (twice: {duplicates})")


def browser_unavailable() -> str | None:
    """Why the browser page cannot take part here (not root, no Chromium), or None."""
    return browser_harness.preflight()


def banner(text: str) -> None:
    line = "=" * 78
    print(f"{line}\n{text}\n{line}", flush=True)


async def bench_pair(kind: str, seed_url: str, colonio_path: str, go_program: str, count: int) -> dict:
    """Round trip of `count` sequential 32-byte requests between two nodes of one language."""
    payload = "x" * 32
    if kind == "swift":
        a, b = SwiftNode(colonio_path, seed_url), SwiftNode(colonio_path, seed_url)
        try:
            await retry(lambda: swift_request(a, b.node_id, payload))
            samples = [(await in_thread(a.command, f"request {b.node_id} echo {payload}"))["milliseconds"] for _ in range(count)]
        finally:
            a.stop()
            b.stop()
    elif kind == "go":
        a, b = GoNode(go_program, seed_url), GoNode(go_program, seed_url)
        try:
            await retry(lambda: go_request(a, b.node_id, payload))
            reply = await in_thread(a.command, "bench", to=b.node_id, payload=payload, count=count, timeout=120)
            return {"language": kind, "requests": count, "p50Ms": reply["p50Ms"], "p90Ms": reply["p90Ms"]}
        finally:
            a.stop()
            b.stop()
    else:
        a, b = colonio.Node(loopback_only=True), colonio.Node(loopback_only=True)
        try:
            await a.connect(seed_url, NETWORK, TOKEN)
            await b.connect(seed_url, NETWORK, TOKEN)
            b.handle("echo", lambda message: message.payload)
            await retry(lambda: python_request(a, b.node_id, payload))
            samples = []
            for _ in range(count):
                started = time.perf_counter()
                await a.request(b.node_id, "echo", payload)
                samples.append((time.perf_counter() - started) * 1000)
        finally:
            await a.close()
            await b.close()
    samples.sort()
    return {"language": kind, "requests": count, "p50Ms": round(statistics.median(samples), 3),
            "p90Ms": round(samples[int(len(samples) * 0.9)], 3)}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--colonio", required=True, help="the colonio command line (seed, Swift node)")
    parser.add_argument("--go-node", required=True, help="the colonio-go-node program")
    parser.add_argument("--bench", action="store_true", help="measure request round trips instead")
    parser.add_argument("--count", type=int, default=200, help="requests per language in --bench")
    args = parser.parse_args()
    started = time.monotonic()
    # SIGTERM and SIGINT cancel this task, so the teardown below runs (the seed and the node processes are
    # in sessions of their own, and the namespace must go) instead of the process dying at once.
    task = asyncio.current_task()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    if args.bench:
        seed = LocalSeed(args.colonio)
        try:
            results = [await bench_pair(kind, seed.url, args.colonio, args.go_node, args.count)
                       for kind in ("swift", "python", "go")]
            print(json.dumps({"benchmark": "bindings-request-rtt", "payloadBytes": 32, "results": results}))
            return 0
        finally:
            seed.stop()

    skipped = browser_unavailable()
    if skipped:
        banner(f"multilang: browser page SKIPPED ({skipped}); Swift, Python and Go only, on loopback")
    elif not (WEB / "colonio.wasm").is_file():
        raise SystemExit(f"multilang: {WEB / 'colonio.wasm'} is missing; run `make wasm` first")
    # With the browser: Chromium runs in a network namespace joined by a veth pair (it gathers no loopback
    # ICE candidates), the seed listens on the veth's root side and serves the page, and the native nodes
    # restrict WebRTC to that veth, so every node's candidates are ones every other node can reach.
    harness = None if skipped else browser_harness.Harness(browsers=0, timeout=30)
    try:
        seed = LocalSeed(args.colonio, host=harness.outer_address if harness else "127.0.0.1",
                         web_directory=str(WEB) if harness else None)
        interfaces = [harness.netns.outer_ifname] if harness else None
        check = Check()
        swift = go = python = None
        try:
            swift = SwiftNode(args.colonio, seed.url, interfaces=interfaces)
            go = GoNode(args.go_node, seed.url, interfaces)
            python = colonio.Node(loopback_only=not interfaces, allowed_interfaces=interfaces)
            await python.connect(seed.url, NETWORK, TOKEN)
            peers = {"swift": SwiftPeer(swift), "python": PythonPeer(python), "go": GoPeer(go)}
            if harness:
                await in_thread(harness.start_browser, origins=[seed.origin])
                peers["web"] = await in_thread(WebPeer, harness, seed.origin)
            await requests_between_every_pair(check, peers)
            await compare_and_set_race(check, peers, python)
            await pubsub_circles(check, peers)
            if check.failures and "web" in peers:
                for message in peers["web"].page.messages()[-20:]:
                    print(f"page {message.get('type')}: {message.get('text')}")
            peers["python"].leave_circles()
        finally:
            if python is not None:
                await python.close()
            for process in (swift, go):
                if process is not None:
                    process.stop()
            seed.stop()
    finally:
        if harness:
            harness.close()
    languages = "Swift, Python, Go" + (" and a browser page" if harness else "")
    print(f"multilang ({languages}): {'passed' if not check.failures else 'FAILED'} in {time.monotonic() - started:.1f} s")
    if skipped:
        banner(f"multilang: browser page SKIPPED ({skipped})")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
