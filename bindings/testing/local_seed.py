"""A seed and `colonio node --json` processes on loopback, for the bindings' tests and benchmarks.

Stdlib only. `colonio` is the command line built by `swift build` (its path comes from the caller).
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
import time
from pathlib import Path

NETWORK = "demo"
TOKEN = "demo-token"


class LineProcess:
    """A child process printing one JSON object per line; a reader thread queues the parsed lines."""

    def __init__(self, args: list[str], name: str) -> None:
        self.name = name
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=None if os.environ.get("COLONIO_TEST_VERBOSE") else subprocess.DEVNULL,
                                        start_new_session=True)
        self.lines: queue.Queue[dict] = queue.Queue()
        # Pub/sub deliveries, kept apart so that waiting for a response never loses one.
        self.deliveries: list[dict] = []
        self._deliveries_lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if line.get("event") == "delivery":
                with self._deliveries_lock:
                    self.deliveries.append(line)
            else:
                self.lines.put(line)

    def delivered(self) -> list[dict]:
        """The deliveries so far (`topic`, `from`, `text`)."""
        with self._deliveries_lock:
            return list(self.deliveries)

    def next(self, matches, timeout: float, what: str) -> dict:
        """The next line satisfying `matches` (earlier ones are dropped); RuntimeError after `timeout`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if matches(line):
                return line
        raise RuntimeError(f"{self.name}: no {what} within {timeout:.0f} s")

    def write(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())
        self.process.stdin.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class LocalSeed(LineProcess):
    """`colonio seed` on `host` (127.0.0.1) with a free port, network `demo` (token `demo-token`), 1000 x 1000
    plane. `web_directory`: the folder whose demo page, colonio.js and colonio.wasm it serves (None: the
    seed's default)."""

    def __init__(self, colonio: str, host: str = "127.0.0.1", web_directory: str | None = None) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="colonio-seed-")
        config = {
            "listen": {"host": host, "port": 0},
            "keyFile": "seed.key",
            "networks": [{"name": NETWORK, "tokens": [TOKEN], "space": {"kind": "plane", "width": 1000, "height": 1000}}],
        }
        if web_directory is not None:
            config["webDirectory"] = web_directory
        path = Path(self._folder.name) / "seed.json"
        path.write_text(json.dumps(config))
        super().__init__([colonio, "seed", "--config", str(path), "--log-level", "warning"], "seed")
        listening = self.next(lambda line: "listening" in line, 30, "listening line")["listening"]
        self.url = f"ws://{listening['host']}:{listening['port']}"
        self.origin = f"http://{listening['host']}:{listening['port']}"

    def stop(self) -> None:
        super().stop()
        self._folder.cleanup()


class SwiftNode(LineProcess):
    """`colonio node --json --loopback-only`: a Swift node driven through its console (echo handler built in).
    `interfaces`: the interfaces WebRTC may use instead of loopback (`--interface`)."""

    def __init__(self, colonio: str, seed_url: str, position: tuple[float, float] | None = None,
                 interfaces: list[str] | None = None) -> None:
        ice = [arg for name in interfaces for arg in ("--interface", name)] if interfaces else ["--loopback-only"]
        args = [colonio, "node", "--seed", seed_url, "--network", NETWORK, "--token", TOKEN, "--json",
                *ice, "--log-level", "error"]
        if position is not None:
            args.append(f"--position={position[0]},{position[1]}")
        super().__init__(args, "swift-node")
        joined = self.next(lambda line: line.get("event") == "joined" or line.get("response") == "join", 30, "join")
        if joined.get("event") != "joined":
            raise RuntimeError(f"the Swift node could not join: {joined.get('error')}")
        self.node_id: str = joined["nodeID"]

    def command(self, line: str, timeout: float = 20) -> dict:
        """Runs one console command and returns its response line."""
        verb = line.split()[0]
        self.write(line)
        return self.next(lambda reply: reply.get("response") == verb, timeout, f"response to '{verb}'")
