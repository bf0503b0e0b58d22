#!/usr/bin/python3
"""NAT traversal test of real Colonio nodes in the NAT lab (issue 9).

Brings a lab up (scripts/nat-lab) under a prefix unique to this run, runs `colonio seed` on the public
segment and `colonio node --json` processes inside the lab's namespaces (driven over stdin/stdout, no
--loopback-only), and checks:

  host       pub1 <-> pub2 (same segment)        link over host candidates
  srflx      cone1 <-> cone2 (two cone NATs)     link over server-reflexive candidates (STUN)
  relay      sym1 <-> sym2 (two symmetric NATs)  link through the TURN relay
  mixed      6 nodes on all three kinds of host  every link of the kind the NATs allow; request echo
                                                 between every pair, KVS put/get across nodes, pub/sub
  bad-turn   sym1 <-> sym2 with a TURN secret     the link reports TURN 401 and is dropped within the
             that coturn does not know, and with  connect timeout; no link comes up
             an expired TURN credential

--bench repeats the host/srflx/relay pairs and prints connect time and RTT per kind as JSON.
The lab is torn down in every case (finally, and on SIGTERM/SIGHUP/SIGINT). Every wait is bounded.

Usage: scripts/nat-test.py --colonio PATH [--prefix P] [--bench] [--repeat N] [--requests M]
                           [--logs DIR] [--cases host,srflx,...] [--json]
Needs root for network namespaces. Without root it prints a loud SKIPPED banner and exits 0, or 1
when NAT_TEST_REQUIRED=1 (CI). Needs coturn/nftables (COLONIO_SETUP_EXTRAS=nat-lab scripts/setup.sh).
Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import queue
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAT_LAB = HERE / "nat-lab"

TOKEN = "nat-lab-token"
# Kinds of host in the lab, for the expectations below.
KIND = {"seed": "pub", "pub1": "pub", "pub2": "pub", "cone1": "cone", "cone2": "cone", "sym1": "sym",
        "sym2": "sym"}
# Which kind of candidate pair a link between two kinds of host may use (each host in its own NAT).
# Symmetric NAT to cone/symmetric NAT has no direct path; a symmetric node reaches a public host
# directly (its check creates the mapping), though ICE may still pick the relay.
ALLOWED = {
    ("pub", "pub"): {"host"},
    ("pub", "cone"): {"srflx"},
    ("pub", "sym"): {"srflx", "relay"},
    ("cone", "cone"): {"srflx"},
    ("cone", "sym"): {"relay"},
    ("sym", "sym"): {"relay"},
}
PAIR_CASES = {"host": ("pub1", "pub2"), "srflx": ("cone1", "cone2"), "relay": ("sym1", "sym2")}
ALL_CASES = ["host", "srflx", "relay", "mixed", "bad-turn"]
MIXED_HOSTS = ["pub1", "cone1", "sym1", "pub2", "cone2", "sym2"]
# The node's connect timeout (RoutingSettings.connectTimeoutMilliseconds, default 10 s): a link that
# is not up by then is dropped. Bad-TURN links must be reported failing within it plus slack.
CONNECT_TIMEOUT = 10.0


class Failure(Exception):
    """A check did not hold; the message says which and what was seen."""


def log(message):
    print(f"nat-test: {message}", file=sys.stderr, flush=True)


def pair_class(link):
    types = {link.get("localCandidateType"), link.get("remoteCandidateType")}
    if None in types:
        return None
    if "relay" in types:
        return "relay"
    if types & {"srflx", "prflx"}:
        return "srflx"
    return "host"


def summary(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return {"min": round(values[0], 1), "median": round(statistics.median(values), 1),
            "max": round(values[-1], 1), "samples": len(values)}


def turn_credential(secret, name, ttl):
    """coturn use-auth-secret REST credential: username "<expiry>:<name>", HMAC-SHA1 password."""
    username = f"{int(time.time()) + ttl}:{name}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


# ---------------------------------------------------------------------------------------------------
# Processes


class JsonProcess:
    """A child process that prints one JSON object per line; lines are collected by a reader thread."""

    def __init__(self, args, name, log_dir):
        self.name = name
        self.stderr_path = log_dir / f"{name}.stderr"
        self.stdout_path = log_dir / f"{name}.stdout"
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._stderr, start_new_session=True)
        self._lines = []
        self._changed = threading.Condition()
        self._cursors = {"response": 0, "event": 0, "any": 0}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        with open(self.stdout_path, "wb") as copy:
            for raw in self.process.stdout:
                copy.write(raw)
                copy.flush()
                try:
                    value = json.loads(raw)
                except ValueError:
                    value = {"unparsed": raw.decode(errors="replace").rstrip()}
                with self._changed:
                    self._lines.append(value)
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def next(self, matches, timeout, what, cursor="any"):
        """The next line after `cursor` satisfying `matches`; Failure after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index in range(self._cursors[cursor], len(self._lines)):
                    if matches(self._lines[index]):
                        self._cursors[cursor] = index + 1
                        return self._lines[index]
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    state = "exited" if self.process.poll() is not None else "running"
                    raise Failure(f"{self.name}: no {what} within {timeout:.0f} s (process {state}; "
                                  f"see {self.stderr_path})")
                self._changed.wait(min(left, 0.2))

    def lines(self):
        with self._changed:
            return list(self._lines)

    def write(self, line):
        try:
            self.process.stdin.write((line + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError) as error:
            raise Failure(f"{self.name}: cannot write '{line}': {error}") from error

    def stop(self, grace=3.0):
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(2)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(2)
        self._reader.join(2)
        self._stderr.close()


class Node(JsonProcess):
    """`colonio node --json` inside a lab namespace; waits until it has joined."""

    def __init__(self, lab, host, network, name, position=None):
        args = ["ip", "netns", "exec", lab.netns(host), lab.colonio, "node", "--seed", lab.seed_url,
                "--network", network, "--token", TOKEN, "--json", "--log-level", "warning"]
        if position is not None:
            args.append(f"--position={position[0]},{position[1]}")
        super().__init__(args, name, lab.log_dir)
        self.host = host
        self.kind = KIND[host]
        joined = self.next(lambda o: o.get("event") == "joined" or o.get("response") == "join", 20,
                           "joined event")
        if joined.get("event") != "joined":
            raise Failure(f"{name} on {host} could not join '{network}': {joined.get('error')}")
        self.id = joined["nodeID"]
        self.joined_at = time.monotonic()

    def command(self, line, timeout=20):
        self.write(line)
        return self.next(lambda o: "response" in o, timeout, f"response to '{line}'", cursor="response")

    def must(self, line, timeout=20):
        response = self.command(line, timeout)
        if not response.get("ok"):
            raise Failure(f"{self.name} ({self.host}): '{line}' failed: {response.get('error')}")
        return response

    def links(self):
        return self.must("links")["links"]

    def status(self):
        return self.must("status")

    def event(self, matches, timeout, what):
        return self.next(lambda o: o.get("event") is not None and matches(o), timeout, what, cursor="event")


# ---------------------------------------------------------------------------------------------------
# Lab and seed


class Lab:
    def __init__(self, prefix, colonio, log_dir):
        self.prefix = prefix
        self.colonio = colonio
        self.info = None
        self.log_dir = log_dir
        self.seed = None
        self.seed_url = None
        self.processes = []

    def netns(self, host):
        return self.info["hosts"][host]["netns"]

    def up(self):
        started = time.monotonic()
        result = subprocess.run([str(NAT_LAB), "up", "--prefix", self.prefix], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=60)
        if result.returncode != 0:
            raise Failure(f"nat-lab up failed:\n{result.stderr.decode(errors='replace')}")
        self.info = json.loads(result.stdout)
        log(f"lab '{self.prefix}' up in {time.monotonic() - started:.1f} s")

    def down(self):
        for process in self.processes:
            process.stop(grace=1.0)
        self.processes.clear()
        result = subprocess.run([str(NAT_LAB), "down", "--prefix", self.prefix], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=60)
        left = [line for line in subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE,
                                                 text=True).stdout.splitlines()
                if line.startswith(self.prefix + "-")]
        if result.returncode != 0 or left:
            log(f"nat-lab down failed: {result.stdout.decode(errors='replace')} left: {left}")
            return False
        return True

    def start_seed(self):
        turn = self.info["turn"]
        stun_url, turn_url = turn["stunURL"], turn["turnURLs"][0]
        expired_user, expired_password = turn_credential(turn["secret"], "expired", -600)

        def network(name, turn_server):
            return {"name": name, "tokens": [TOKEN], "space": {"kind": "plane", "width": 1000, "height": 1000},
                    "iceServers": [{"urls": [stun_url]}, dict(turn_server, urls=[turn_url])]}

        good = {"turnSecret": turn["secret"], "credentialTTLSeconds": 3600}
        networks = [network(name, good) for name in ("host", "srflx", "relay", "mixed")]
        networks += [network(f"bench-{name}-{i}", good) for name in PAIR_CASES for i in range(50)]
        networks.append(network("wrong-secret", {"turnSecret": secrets.token_hex(32)}))
        networks.append(network("expired", {"username": expired_user, "credential": expired_password}))
        config = {"listen": {"host": self.info["hosts"]["seed"]["address"], "port": 0},
                  "keyFile": "seed.key", "networks": networks}
        path = self.log_dir / "seed.json"
        path.write_text(json.dumps(config, indent=1))
        self.seed = JsonProcess(["ip", "netns", "exec", self.netns("seed"), self.colonio, "seed", "--config",
                                 str(path), "--port", "0", "--log-level", "warning"], "seed", self.log_dir)
        self.processes.append(self.seed)
        listening = self.seed.next(lambda o: "listening" in o, 20, "listening line")["listening"]
        self.seed_url = f"ws://{listening['host']}:{listening['port']}"
        log(f"seed listening on {self.seed_url} in {self.netns('seed')}")

    def node(self, host, network, name, position=None):
        node = Node(self, host, network, name, position)
        self.processes.append(node)
        return node

    def stop(self, *nodes):
        for node in nodes:
            node.stop()
            if node in self.processes:
                self.processes.remove(node)


# ---------------------------------------------------------------------------------------------------
# Checks


def settled_link(node, peer_id, signaled_remote=False, timeout=5.0):
    """The authenticated link to `peer_id` once ICE reports its pair and an RTT. With `signaled_remote`,
    also wait (within the time) until the remote candidate is the signaled one: a host's check can
    arrive before its candidate, and ICE calls it peer-reflexive until then. Through NATs a
    peer-reflexive candidate is often the real thing (a mapping nobody signaled)."""
    deadline = time.monotonic() + timeout
    found = None
    while time.monotonic() < deadline:
        for link in node.links():
            if link["peer"] == peer_id and link["state"] == "authenticated" and pair_class(link):
                found = link
                if link.get("rttMilliseconds") is not None and (
                        not signaled_remote or link["remoteCandidateType"] != "prflx"):
                    return link
        time.sleep(0.1)
    if found is None:
        raise Failure(f"{node.name}: no authenticated link with a selected pair to {peer_id} within {timeout} s")
    return found


def request_rtts(node, peer_id, count):
    """Round trips of `request <peer> echo` in ms; the first few may retry while routes settle."""
    rtts = []
    for i in range(count):
        for attempt in range(10):
            reply = node.command(f"request {peer_id} echo ping {i}", timeout=15)
            if reply.get("ok"):
                break
            time.sleep(0.2)
        else:
            raise Failure(f"{node.name}: request to {peer_id} failed: {reply.get('error')}")
        if reply.get("text") != f"ping {i}":
            raise Failure(f"{node.name}: echo returned {reply.get('text')!r}, expected 'ping {i}'")
        rtts.append(reply["milliseconds"])
    return rtts


def run_pair(lab, case, network, requests, tag=""):
    """Two nodes on the case's hosts: the second joins, links to the first (it offers), and both
    report the selected pair. Returns the measured figures."""
    host_a, host_b = PAIR_CASES[case]
    a = lab.node(host_a, network, f"{case}{tag}-a-{host_a}")
    b = lab.node(host_b, network, f"{case}{tag}-b-{host_b}")
    try:
        b.must(f"wait 1 {CONNECT_TIMEOUT + 5:.0f}", timeout=CONNECT_TIMEOUT + 10)
        a.must("wait 1 5", timeout=10)
        link_b = settled_link(b, a.id, signaled_remote=case == "host")
        link_a = settled_link(a, b.id, signaled_remote=case == "host")
        rtts = request_rtts(b, a.id, requests)
    finally:
        lab.stop(a, b)
    classes = {pair_class(link_a), pair_class(link_b)}
    if classes != {case}:
        raise Failure(f"{case}: expected {case} pairs, got {host_a}: {link_a['localCandidateType']}/"
                      f"{link_a['remoteCandidateType']}, {host_b}: {link_b['localCandidateType']}/"
                      f"{link_b['remoteCandidateType']}")
    offerer = link_b if link_b["offerer"] else link_a
    return {
        "pair": f"{offerer['localCandidateType']}/{offerer['remoteCandidateType']}",
        "connectMilliseconds": offerer.get("setupMilliseconds"),
        "answererConnectMilliseconds": (link_a if offerer is link_b else link_b).get("setupMilliseconds"),
        "iceRttMilliseconds": offerer.get("rttMilliseconds"),
        "requestRttMilliseconds": statistics.median(rtts),
    }


def check_pair(lab, case):
    figures = run_pair(lab, case, case, requests=5)
    log(f"PASS {case}: {PAIR_CASES[case][0]} <-> {PAIR_CASES[case][1]} pair {figures['pair']}, connect "
        f"{figures['connectMilliseconds']:.1f} ms, request RTT {figures['requestRttMilliseconds']:.2f} ms")
    return figures


def check_mixed(lab):
    nodes = []
    for index, host in enumerate(MIXED_HOSTS):
        # Spread over the plane so that pub/sub has a real triangulation to forward along.
        position = (100 + 160 * index, 900 - 150 * index if index % 2 else 100 + 130 * index)
        nodes.append(lab.node(host, "mixed", f"mixed-{index}-{host}", position))
    by_id = {node.id: node for node in nodes}
    ring = sorted(by_id)

    # Ring complete: every node's nearest successor and predecessor are the sorted neighbours.
    deadline = time.monotonic() + 60
    while True:
        wrong = []
        for node in nodes:
            status = node.status()
            position = ring.index(node.id)
            if (status["successors"][:1] != [ring[(position + 1) % len(ring)]]
                    or status["predecessors"][:1] != [ring[position - 1]]):
                wrong.append(node.name)
        if not wrong:
            break
        if time.monotonic() > deadline:
            raise Failure(f"mixed: ring not complete after 60 s at {', '.join(wrong)}")
        time.sleep(0.5)
    formed = time.monotonic() - nodes[-1].joined_at
    log(f"mixed: ring of {len(nodes)} complete {formed:.1f} s after the last join")

    # Every link uses a pair the two NATs allow.
    kinds = {}
    for node in nodes:
        for link in node.links():
            if link["state"] != "authenticated":
                continue
            peer = by_id.get(link["peer"])
            if peer is None:
                raise Failure(f"mixed: {node.name} has a link to unknown node {link['peer']}")
            found = pair_class(link)
            if found is None:
                link = settled_link(node, peer.id)
                found = pair_class(link)
            allowed = ALLOWED[tuple(sorted((node.kind, peer.kind), key=["pub", "cone", "sym"].index))]
            if found not in allowed:
                raise Failure(f"mixed: link {node.host} -> {peer.host} is {found} "
                              f"({link['localCandidateType']}/{link['remoteCandidateType']}), "
                              f"expected {' or '.join(sorted(allowed))}")
            key = "-".join(sorted((node.kind, peer.kind)))
            kinds.setdefault(key, {}).setdefault(found, 0)
            kinds[key][found] += 1
    log(f"mixed: links by host kinds and pair (each link counted from both ends): {kinds}")

    # Messaging: a request from every node to every other node comes back.
    for node in nodes:
        for peer in nodes:
            if peer is not node:
                request_rtts(node, peer.id, 1)
    log(f"mixed: {len(nodes) * (len(nodes) - 1)} requests echoed between every pair")

    # KVS: what one node writes, two others read.
    for index, node in enumerate(nodes):
        for attempt in range(25):
            put = node.command(f"put nat/{index} written on {node.host}")
            if put.get("ok"):
                break
            time.sleep(0.2)
        else:
            raise Failure(f"mixed: put on {node.name} failed: {put.get('error')}")
    for index, node in enumerate(nodes):
        for reader in (nodes[(index + 1) % len(nodes)], nodes[(index + 3) % len(nodes)]):
            got = reader.must(f"get nat/{index}")
            if not got.get("found") or got.get("text") != f"written on {node.host}" or got.get("version") != 1:
                raise Failure(f"mixed: {reader.name} read nat/{index} as {got}")
    log(f"mixed: {len(nodes)} keys written and each read back on two other nodes")

    # Pub/sub: a circle over the whole plane reaches every other subscriber, from two publishers.
    for node in nodes:
        node.must("subscribe lab")
    for publisher in (nodes[0], nodes[2]):
        missing = [n for n in nodes if n is not publisher]
        for round_ in range(40):
            publisher.must(f"publish lab 500,500 1000 from {publisher.host} round {round_}")
            deadline = time.monotonic() + 0.5
            for node in list(missing):
                try:
                    node.event(lambda o: o.get("event") == "delivery" and o.get("from") == publisher.id,
                               max(0.0, deadline - time.monotonic()), "delivery")
                    missing.remove(node)
                except Failure:
                    pass
            if not missing:
                break
        if missing:
            raise Failure(f"mixed: publication from {publisher.name} never reached "
                          f"{', '.join(n.name for n in missing)}")
    log("mixed: publications from a public and a symmetric-NAT node reached every other node")
    lab.stop(*nodes)
    return {"nodes": len(nodes), "ringSeconds": round(formed, 1), "links": kinds}


def check_bad_turn(lab):
    """With TURN credentials coturn refuses, nodes behind two symmetric NATs cannot link: the link must
    report the TURN error at once and be given up within the connect timeout (the ring then tries again,
    which shows as a new link whose age starts over); no link may come up; `wait` names the error."""
    pairs = []
    for network in ("wrong-secret", "expired"):
        a = lab.node("sym1", network, f"{network}-a-sym1")
        b = lab.node("sym2", network, f"{network}-b-sym2")
        pairs.append((network, a, b))
    start = time.monotonic()
    seen = {network: {"error": None, "errorAfter": None, "droppedAfter": None, "oldestMilliseconds": 0}
            for network, _, _ in pairs}
    deadline = start + CONNECT_TIMEOUT + 5
    while time.monotonic() < deadline and any(s["droppedAfter"] is None for s in seen.values()):
        for network, a, b in pairs:
            state = seen[network]
            if state["droppedAfter"] is not None:
                continue
            links = b.links()
            if b.status()["links"] > 0 or any(l["state"] == "authenticated" for l in links):
                raise Failure(f"{network}: a link came up although TURN must refuse the credentials: {links}")
            errors = [e for l in links for e in l["iceServerErrors"]]
            if errors and state["error"] is None:
                state["error"], state["errorAfter"] = errors[0], round(time.monotonic() - start, 2)
            oldest = max((l["ageMilliseconds"] for l in links), default=0)
            # Given up: the attempt is gone, or a new one started (its age went back).
            if state["oldestMilliseconds"] > 0 and oldest < state["oldestMilliseconds"]:
                state["droppedAfter"] = round(time.monotonic() - start, 2)
            state["oldestMilliseconds"] = oldest
        time.sleep(0.2)
    for network, a, b in pairs:
        waited = b.command("wait 1 0.5")
        seen[network]["wait"] = waited.get("error")
    lab.stop(*[node for _, a, b in pairs for node in (a, b)])
    for network, state in seen.items():
        if state["error"] is None or "401" not in state["error"]:
            raise Failure(f"{network}: no link reported a TURN 401 within {deadline - start:.0f} s ({state})")
        if state["droppedAfter"] is None:
            raise Failure(f"{network}: the failing link was not given up within {deadline - start:.0f} s ({state})")
        if state["error"] not in (state["wait"] or ""):
            raise Failure(f"{network}: 'wait' did not name the TURN error: {state['wait']!r}")
        log(f"PASS bad-turn {network}: '{state['error']}' after {state['errorAfter']:.1f} s, "
            f"link given up after {state['droppedAfter']:.1f} s; wait says: {state['wait']}")
    return seen


def bench(lab, repeat, requests):
    result = {"benchmark": "nat", "repeat": repeat, "requestsPerPair": requests, "cases": {}}
    for case in PAIR_CASES:
        runs = [run_pair(lab, case, f"bench-{case}-{i}", requests, tag=f"-{i}") for i in range(repeat)]
        pairs = {}
        for run in runs:
            pairs[run["pair"]] = pairs.get(run["pair"], 0) + 1
        result["cases"][case] = {
            "hosts": list(PAIR_CASES[case]),
            "pairs": pairs,
            "connectMilliseconds": summary(r["connectMilliseconds"] for r in runs),
            "answererConnectMilliseconds": summary(r["answererConnectMilliseconds"] for r in runs),
            "iceRttMilliseconds": summary(r["iceRttMilliseconds"] for r in runs),
            "requestRttMilliseconds": summary(r["requestRttMilliseconds"] for r in runs),
        }
        log(f"bench {case}: {json.dumps(result['cases'][case])}")
    return result


# ---------------------------------------------------------------------------------------------------


def skip(reason):
    banner = "*" * 78
    required = os.environ.get("NAT_TEST_REQUIRED") == "1"
    print(f"{banner}\n*** NAT TEST {'FAILED' if required else 'SKIPPED'}: {reason}\n{banner}",
          file=sys.stderr, flush=True)
    sys.exit(1 if required else 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--colonio", required=True, help="path of the colonio executable")
    parser.add_argument("--prefix", default=f"nt{os.getpid() % 100000}")
    parser.add_argument("--bench", action="store_true", help="measure connect time and RTT per pair kind")
    parser.add_argument("--repeat", type=int, default=10, help="--bench: pairs per kind (at most 50)")
    parser.add_argument("--requests", type=int, default=20, help="--bench: request round trips per pair")
    parser.add_argument("--cases", default=",".join(ALL_CASES), help="comma-separated subset of " + ",".join(ALL_CASES))
    parser.add_argument("--logs", help="keep node and seed logs in this directory")
    parser.add_argument("--json", action="store_true", help="print the checks' report as JSON on stdout")
    args = parser.parse_args()
    cases = args.cases.split(",")
    if unknown := set(cases) - set(ALL_CASES):
        parser.error(f"unknown cases {sorted(unknown)}")
    args.repeat = max(1, min(args.repeat, 50))

    if os.geteuid() != 0:
        skip("needs root for network namespaces (CI runs as root); run `sudo make nat-test`")
    colonio = str(Path(args.colonio).resolve())
    if not os.access(colonio, os.X_OK):
        sys.exit(f"nat-test: {colonio} is not an executable; build with `swift build --product colonio`")
    preflight = subprocess.run([str(NAT_LAB), "preflight"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    if preflight.returncode != 0:
        skip(f"the NAT lab cannot run here: {preflight.stderr.strip()} "
             "(install with COLONIO_SETUP_EXTRAS=nat-lab scripts/setup.sh)")

    temporary = args.logs is None
    log_dir = Path(args.logs) if args.logs else Path(f"/tmp/colonio-nat-test-{args.prefix}")
    if temporary and log_dir.exists():
        shutil.rmtree(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    lab = Lab(args.prefix, colonio, log_dir)

    def on_signal(number, _frame):
        raise KeyboardInterrupt(f"signal {number}")

    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, on_signal)

    started = time.monotonic()
    ok = False
    report = {}
    try:
        lab.up()
        lab.start_seed()
        if args.bench:
            report = bench(lab, args.repeat, args.requests)
        else:
            for case in cases:
                case_started = time.monotonic()
                if case in PAIR_CASES:
                    report[case] = check_pair(lab, case)
                elif case == "mixed":
                    report[case] = check_mixed(lab)
                    log(f"PASS mixed in {time.monotonic() - case_started:.1f} s")
                else:
                    report[case] = check_bad_turn(lab)
        ok = True
    except Failure as failure:
        log(f"FAIL: {failure}")
        for process in lab.processes:
            tail = process.stderr_path.read_text(errors="replace").splitlines()[-8:] \
                if process.stderr_path.exists() else []
            if tail:
                log(f"--- last stderr of {process.name}:\n" + "\n".join(tail))
    except KeyboardInterrupt as interrupt:
        log(f"interrupted ({interrupt}); tearing down")
    finally:
        clean = lab.down()
    if args.bench or args.json:
        print(json.dumps(report, indent=1))
    elapsed = time.monotonic() - started
    if ok and clean:
        log(f"all {'benchmarks' if args.bench else 'checks'} passed in {elapsed:.1f} s; lab torn down")
        if temporary:
            shutil.rmtree(log_dir, ignore_errors=True)
        return 0
    log(f"{'FAILED' if not ok else 'lab teardown failed'} after {elapsed:.1f} s; logs in {log_dir}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
