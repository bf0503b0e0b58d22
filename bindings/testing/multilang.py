#!/usr/bin/env python3
"""One network, several languages: a Swift node (`colonio node`), a Python node (this process, the colonio
package) and a Go node (colonio-go-node) join one seed on loopback. Checks requests between every pair, a
KVS compare-and-set race from every language (exactly one wins) and pub/sub circles published from each
reaching exactly the nodes inside them. With --bench: request round trips between two nodes of each
language, printed as JSON. Every wait is bounded; exit status 0 means all passed."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_seed import NETWORK, TOKEN, LineProcess, LocalSeed, SwiftNode  # noqa: E402

import colonio  # noqa: E402

# Where each node stands: far enough apart that a circle of radius 50 holds exactly one of them.
POSITIONS = {"swift": (100.0, 100.0), "python": (500.0, 500.0), "go": (900.0, 900.0)}


class GoNode(LineProcess):
    """colonio-go-node: JSON commands in, JSON replies and delivery events out."""

    def __init__(self, program: str, seed_url: str) -> None:
        super().__init__([program, "-seed", seed_url, "-network", NETWORK, "-token", TOKEN], "go-node")
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


async def requests_between_every_pair(check: Check, swift: SwiftNode, python: colonio.Node, go: GoNode) -> None:
    # What each node's "echo" answers to "x": Swift's console echoes, Python and Go add their name.
    answer = {"swift": lambda text: text, "python": lambda text: "py:" + text, "go": lambda text: "go:" + text}
    ids = {"swift": swift.node_id, "python": python.node_id, "go": go.node_id}
    senders = {"swift": lambda to, text: swift_request(swift, to, text),
               "python": lambda to, text: python_request(python, to, text),
               "go": lambda to, text: go_request(go, to, text)}
    for source, send in senders.items():
        for target, target_id in ids.items():
            if target == source:
                continue
            text = f"{source}-to-{target}"
            expected = answer[target](text)
            reply = await retry(lambda: send(target_id, text))
            check.expect(reply == expected, f"request {source} -> {target}: {reply!r}")


async def compare_and_set_race(check: Check, swift: SwiftNode, python: colonio.Node, go: GoNode) -> None:
    key = f"race-{os.getpid()}"
    first = await retry(lambda: python.kvs_put(key, "start", colonio.Condition.IF_ABSENT))
    check.expect(first == 1, f"KVS {key} created at version 1 ({first})")

    async def python_put():
        try:
            return await python.kvs_put(key, "python", colonio.Condition.IF_VERSION, 1) > 0
        except colonio.ConditionFailedError:
            return False

    async def swift_put():
        return bool((await in_thread(swift.command, f"put --if-version=1 {key} swift")).get("ok"))

    async def go_put():
        return bool((await in_thread(go.command, "put", key=key, payload="go", condition="if_version", version=1)).get("ok"))

    won = dict(zip(["python", "swift", "go"], await asyncio.gather(python_put(), swift_put(), go_put())))
    winners = [name for name, ok in won.items() if ok]
    check.expect(len(winners) == 1, f"KVS compare-and-set race: exactly one winner ({winners})")
    stored = await python.kvs_get(key)
    check.expect(stored is not None and stored.version == 2 and winners and stored.value.decode() == winners[0],
                 f"KVS {key} holds the winner's value at version 2 ({stored})")
    go_view = await in_thread(go.command, "get", key=key)
    swift_view = await in_thread(swift.command, f"get {key}")
    check.expect(go_view.get("text") == swift_view.get("text") == (stored.value.decode() if stored else None),
                 "KVS: Go and Swift read the same value")


async def pubsub_circles(check: Check, swift: SwiftNode, python: colonio.Node, go: GoNode) -> None:
    topic = "circles"
    python_deliveries: list[dict] = []
    await python.set_position(*POSITIONS["python"])
    await in_thread(swift.command, "position {},{}".format(*POSITIONS["swift"]))
    await in_thread(go.command, "position", x=POSITIONS["go"][0], y=POSITIONS["go"][1])
    await in_thread(swift.command, f"subscribe {topic}")
    await in_thread(go.command, "subscribe", topic=topic)
    subscription = python.subscribe(topic)

    async def collect():
        async for delivery in subscription:
            python_deliveries.append({"from": delivery.sender, "text": delivery.payload.decode()})
    collector = asyncio.create_task(collect())

    def received(name: str) -> list[str]:
        if name == "python":
            return [d["text"] for d in python_deliveries]
        return [d["text"] for d in (swift if name == "swift" else go).delivered() if d.get("topic") == topic]

    async def publish(name: str, text: str, center, radius: float) -> None:
        if name == "python":
            await python.publish(topic, text, center, radius)
        elif name == "swift":
            await in_thread(swift.command, f"publish {topic} {center[0]},{center[1]} {radius} {text}")
        else:
            await in_thread(go.command, "publish", topic=topic, payload=text, x=center[0], y=center[1], radius=radius)

    # Each publishes a small circle around the next node, and a circle holding everyone.
    plan = [("swift", "python"), ("python", "go"), ("go", "swift")]
    for publisher, target in plan:
        label = f"{publisher}-around-{target}"

        async def reached(publisher=publisher, target=target, label=label):
            await publish(publisher, label, POSITIONS[target], 50)
            await asyncio.sleep(0.2)
            return any(text == label for text in received(target))
        await retry(reached)
    for publisher in POSITIONS:
        label = f"{publisher}-around-all"

        async def everyone(publisher=publisher, label=label):
            await publish(publisher, label, (500, 500), 1000)
            await asyncio.sleep(0.2)
            return all(label in received(name) for name in POSITIONS if name != publisher)
        await retry(everyone)
    await asyncio.sleep(1.0)  # lets stray deliveries arrive before judging
    for name in POSITIONS:
        got = set(received(name))
        expected = {f"{p}-around-{t}" for p, t in plan if t == name} | {f"{p}-around-all" for p in POSITIONS if p != name}
        check.expect(got == expected, f"pub/sub: {name} received exactly {sorted(expected)} (got {sorted(got)})")
    subscription.close()
    collector.cancel()


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
    seed = LocalSeed(args.colonio)
    try:
        if args.bench:
            results = [await bench_pair(kind, seed.url, args.colonio, args.go_node, args.count)
                       for kind in ("swift", "python", "go")]
            print(json.dumps({"benchmark": "bindings-request-rtt", "payloadBytes": 32, "results": results}))
            return 0
        check = Check()
        swift = SwiftNode(args.colonio, seed.url)
        go = GoNode(args.go_node, seed.url)
        python = colonio.Node(loopback_only=True)
        try:
            await python.connect(seed.url, NETWORK, TOKEN)
            python.handle("echo", lambda message: b"py:" + message.payload)
            await requests_between_every_pair(check, swift, python, go)
            await compare_and_set_race(check, swift, python, go)
            await pubsub_circles(check, swift, python, go)
        finally:
            await python.close()
            swift.stop()
            go.stop()
        print(f"multilang: {'passed' if not check.failures else 'FAILED'} in {time.monotonic() - started:.1f} s")
        return 1 if check.failures else 0
    finally:
        seed.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
