#!/usr/bin/python3
"""Checks the NAT lab (scripts/nat-lab) with two standard WebRTC peers (aiortc) per case.

Brings a lab up under its own prefix, runs an offerer and an answerer as separate processes inside two
lab namespaces, exchanges offer and answer through files in the lab's state dir, opens a data channel,
round-trips messages and reports the selected candidate pair and the timings as JSON. Always tears the
lab down. Every wait is bounded.

Usage: scripts/nat-lab-check.py [--prefix P] [--repeat N] [--out FILE] [--logs DIR] [--keep-going]
Needs root (or sudo) and Debian's python3-aiortc (COLONIO_SETUP_EXTRAS=nat scripts/setup.sh).
The script runs with /usr/bin/python3 on purpose: aiortc comes from Debian, not from a pyenv.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAT_LAB = HERE / "nat-lab"

# Each case: offerer host, answerer host, which ICE servers each side gets, what must come out.
# "ice" is one of: stun, stun+turn-udp, stun+turn-tcp, turn-udp-wrong, turn-udp-expired.
CASES = [
    {"name": "host", "offer": "pub1", "answer": "pub2", "ice": "stun+turn-udp", "expect": "host"},
    {"name": "srflx", "offer": "cone1", "answer": "cone2", "ice": "stun", "expect": "srflx"},
    {"name": "relay", "offer": "sym1", "answer": "sym2", "ice": "stun+turn-udp", "expect": "relay"},
    {"name": "relay-tcp", "offer": "sym1", "answer": "sym2", "ice": "stun+turn-tcp", "expect": "relay"},
    {"name": "cone-sym", "offer": "cone1", "answer": "sym1", "ice": "stun+turn-udp", "expect": "relay"},
    {"name": "cone-full", "offer": "cone1", "answer": "cone2", "ice": "stun+turn-udp",
     "expect": "connected"},
    # Negative controls: they must fail, clearly and within the bound.
    # STUN alone never crosses symmetric NATs; aioice needs ~30 s to declare ICE failed, so a bounded
    # wait ending in "timeout" is the expected outcome as much as "ice-failed".
    {"name": "sym-stun-only", "offer": "sym1", "answer": "sym2", "ice": "stun",
     "expect": "not-connected", "timeout": 10},
    {"name": "turn-wrong-credential", "offer": "sym1", "answer": "sym2", "ice": "turn-udp-wrong",
     "expect": "turn-auth-failed", "timeout": 15},
    {"name": "turn-expired-credential", "offer": "sym1", "answer": "sym2", "ice": "turn-udp-expired",
     "expect": "turn-auth-failed", "timeout": 15},
]
PEER_TIMEOUT = 30.0
PINGS = 5


def ms(seconds):
    return round(seconds * 1000.0, 1)


# ---------------------------------------------------------------------------------------------------
# Peer side: runs inside a lab namespace.


def pair_class(local_type, remote_type):
    types = {local_type, remote_type}
    if "relay" in types:
        return "relay"
    if types & {"srflx", "prflx"}:
        return "srflx"
    return "host"


def selected_pair(pc):
    # aiortc 1.4 has no getStats() entry for the selected pair; the nominated aioice pair is the truth.
    try:
        connection = pc.sctp.transport.transport._connection
        pair = connection._nominated.get(1)
        if pair is None:
            return None
        local, remote = pair.local_candidate, pair.remote_candidate
        return {
            "class": pair_class(local.type, remote.type),
            "local": local.type,
            "remote": remote.type,
            "localAddress": f"{local.host}:{local.port}",
            "remoteAddress": f"{remote.host}:{remote.port}",
            "transport": local.transport.lower(),
        }
    except AttributeError:
        return None


async def wait_file(path, deadline):
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no {path.name} before the deadline")


def write_atomic(path, value):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value))
    tmp.rename(path)


def classify_error(exc):
    text = f"{type(exc).__name__}: {exc}"
    if "401" in text or "Unauthorized" in text:
        return "turn-auth-failed", text
    if isinstance(exc, TimeoutError):
        return "timeout", text
    return "error", text


async def run_peer(role, exchange, ice_servers, timeout):
    from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

    start = time.monotonic()
    deadline = start + timeout
    servers = [RTCIceServer(**server) for server in ice_servers]
    # An explicit (possibly empty) list: aiortc would otherwise fall back to a public Google STUN server.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
    result = {"role": role, "ok": False}
    ice_failed = asyncio.Event()

    @pc.on("iceconnectionstatechange")
    def on_ice_state():
        if pc.iceConnectionState == "failed":
            ice_failed.set()

    async def bounded(awaitable, what):
        remaining = deadline - time.monotonic()
        task = asyncio.ensure_future(awaitable)
        failed = asyncio.ensure_future(ice_failed.wait())
        done, _ = await asyncio.wait({task, failed}, timeout=max(remaining, 0.01),
                                     return_when=asyncio.FIRST_COMPLETED)
        failed.cancel()
        if task in done:
            return task.result()
        task.cancel()
        if failed in done:
            raise ConnectionError(f"ICE failed while waiting for {what}")
        raise TimeoutError(f"timed out waiting for {what}")

    try:
        if role == "offer":
            channel = pc.createDataChannel("check")
            opened = asyncio.get_running_loop().create_future()
            replies = asyncio.Queue()
            channel.on("open", lambda: opened.done() or opened.set_result(time.monotonic()))
            channel.on("message", replies.put_nowait)
            gather_start = time.monotonic()
            try:
                await bounded(pc.setLocalDescription(await pc.createOffer()), "candidate gathering")
            except BaseException as exc:
                kind, detail = classify_error(exc)
                write_atomic(exchange / "offer.json", {"error": kind})
                result.update(error=kind, detail=detail)
                return result
            result["gatherMs"] = ms(time.monotonic() - gather_start)
            result["candidates"] = sorted({line.split()[7] for line in pc.localDescription.sdp.splitlines()
                                           if line.startswith("a=candidate:")})
            write_atomic(exchange / "offer.json",
                         {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type})
            answer = await bounded(wait_file(exchange / "answer.json", deadline), "the answer")
            if "error" in answer:
                result.update(error="peer-failed", detail=answer["error"])
                return result
            connect_start = time.monotonic()
            await pc.setRemoteDescription(RTCSessionDescription(**answer))
            open_time = await bounded(opened, "the data channel to open")
            result["connectMs"] = ms(open_time - connect_start)
            rtts = []
            for i in range(PINGS):
                sent = time.monotonic()
                channel.send(f"ping {i}")
                reply = await bounded(replies.get(), "an echo")
                if reply != f"pong {i}":
                    raise ValueError(f"unexpected echo {reply!r}")
                rtts.append(time.monotonic() - sent)
            result["rttMs"] = {"first": ms(rtts[0]), "median": ms(statistics.median(rtts))}
            result["selected"] = selected_pair(pc)
            result["ok"] = True
            write_atomic(exchange / "done.json", {"ok": True})
        else:
            offer = await bounded(wait_file(exchange / "offer.json", deadline), "the offer")
            if "error" in offer:
                result.update(error="peer-failed", detail=offer["error"])
                return result
            echoed = asyncio.Event()

            @pc.on("datachannel")
            def on_channel(channel):
                @channel.on("message")
                def on_message(message):
                    channel.send(message.replace("ping", "pong", 1))
                    echoed.set()

            await pc.setRemoteDescription(RTCSessionDescription(**offer))
            try:
                await bounded(pc.setLocalDescription(await pc.createAnswer()), "candidate gathering")
            except BaseException as exc:
                kind, detail = classify_error(exc)
                write_atomic(exchange / "answer.json", {"error": kind})
                result.update(error=kind, detail=detail)
                return result
            write_atomic(exchange / "answer.json",
                         {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type})
            await bounded(wait_file(exchange / "done.json", deadline), "the offerer to finish")
            result["selected"] = selected_pair(pc)
            result["ok"] = echoed.is_set()
    except Exception as exc:  # reported, never raised: the controller reads one JSON line
        kind, detail = classify_error(exc)
        if isinstance(exc, ConnectionError):
            kind = "ice-failed"
        result.update(error=kind, detail=detail, state=pc.iceConnectionState)
        if role == "offer" and not (exchange / "done.json").exists():
            write_atomic(exchange / "done.json", {"ok": False})
    finally:
        result["elapsedMs"] = ms(time.monotonic() - start)
        await asyncio.wait_for(pc.close(), 5)
    return result


def peer_main(args):
    if os.environ.get("NAT_LAB_CHECK_DEBUG"):
        import logging
        logging.basicConfig(level=logging.DEBUG, format="%(relativeCreated)8.1f %(name)s %(message)s")
    ice = json.loads(args.ice)
    result = asyncio.run(run_peer(args.role, Path(args.exchange), ice, args.timeout))
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


# ---------------------------------------------------------------------------------------------------
# Controller side: runs in the root namespace and only drives scripts/nat-lab.


def nat_lab(prefix, *args, timeout=60):
    return subprocess.run([str(NAT_LAB), "--prefix", prefix, *args], check=True, capture_output=True,
                          text=True, timeout=timeout).stdout


def ice_servers(prefix, lab, kind, name):
    turn = lab["turn"]
    stun = [{"urls": turn["stunURL"]}]
    if kind == "stun":
        return stun
    if kind == "turn-udp-wrong":
        good = json.loads(nat_lab(prefix, "turn-credentials", name))
        return [{"urls": turn["turnURLs"][0], "username": good["username"],
                 "credential": "d3JvbmcgcGFzc3dvcmQ="}]
    if kind == "turn-udp-expired":
        expired = json.loads(nat_lab(prefix, "turn-credentials", name, "-60"))
        return [{"urls": turn["turnURLs"][0], "username": expired["username"],
                 "credential": expired["credential"]}]
    credentials = json.loads(nat_lab(prefix, "turn-credentials", name))
    url = turn["turnURLs"][0] if kind == "stun+turn-udp" else turn["turnURLs"][1]
    return stun + [{"urls": url, "username": credentials["username"],
                    "credential": credentials["credential"]}]


def run_case(prefix, lab, case, round_index, running):
    timeout = case.get("timeout", PEER_TIMEOUT)
    exchange = Path(lab["stateDir"]) / "check" / f"{case['name']}-{round_index}"
    exchange.mkdir(parents=True)
    procs = {}
    for role in ("offer", "answer"):
        ice = ice_servers(prefix, lab, case["ice"], f"{case['name']}-{role}")
        command = [str(NAT_LAB), "--prefix", prefix, "exec", case[role], sys.executable, str(Path(__file__)),
                   "peer", "--role", role, "--exchange", str(exchange), "--ice", json.dumps(ice),
                   "--timeout", str(timeout)]
        procs[role] = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running.append(procs[role])
    results = {}
    for role, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=timeout + 15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate(timeout=5)
            results[role] = {"ok": False, "error": "peer-hung", "stderr": err[-2000:]}
            continue
        running.remove(proc)
        try:
            results[role] = json.loads(out.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            results[role] = {"ok": False, "error": "no-result", "stderr": err[-2000:]}
    offer = results["offer"]
    report = {
        "case": case["name"], "round": round_index, "pair": f"{case['offer']}<->{case['answer']}",
        "ice": case["ice"], "expect": case["expect"],
        "selected": offer.get("selected"), "gatherMs": offer.get("gatherMs"),
        "connectMs": offer.get("connectMs"), "rttMs": offer.get("rttMs"),
        "error": offer.get("error"), "detail": offer.get("detail"), "elapsedMs": offer.get("elapsedMs"),
        "offerCandidates": offer.get("candidates"),
        "answerSelected": results["answer"].get("selected"),
    }
    if case["expect"] in ("host", "srflx", "relay", "connected"):
        connected = offer.get("ok") and results["answer"].get("ok")
        chosen = (offer.get("selected") or {}).get("class")
        report["ok"] = bool(connected and (case["expect"] == "connected" or chosen == case["expect"]))
    elif case["expect"] == "not-connected":
        report["ok"] = offer.get("error") in ("ice-failed", "timeout") and not offer.get("ok")
    else:
        report["ok"] = offer.get("error") == case["expect"] and not offer.get("ok")
    if not report["ok"]:
        report["peers"] = results
    return report


def summarize(reports):
    summary = {}
    for report in reports:
        if report.get("connectMs") is None:
            continue
        entry = summary.setdefault(report["case"], {"connectMs": [], "rttMedianMs": []})
        entry["connectMs"].append(report["connectMs"])
        entry["rttMedianMs"].append(report["rttMs"]["median"])
    return {name: {"connectMsMedian": statistics.median(v["connectMs"]), "connectMs": v["connectMs"],
                   "rttMsMedian": statistics.median(v["rttMedianMs"])} for name, v in summary.items()}


def controller_main(args):
    prefix = args.prefix or f"chk{os.getpid() % 100000}"
    running = []

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    reports = []
    try:
        lab = json.loads(nat_lab(prefix, "up"))
        for round_index in range(args.repeat):
            for case in CASES:
                report = run_case(prefix, lab, case, round_index, running)
                reports.append(report)
                print(json.dumps({k: report[k] for k in ("case", "round", "ok", "selected", "connectMs",
                                                           "rttMs", "error", "elapsedMs")}),
                      file=sys.stderr, flush=True)
                if not report["ok"] and not args.keep_going:
                    break
            else:
                continue
            break
        turn_log = Path(lab["turn"]["log"])
        # "user <>" lines are the normal first challenge; the others are rejected credentials.
        auth_errors = sum("error 401" in line and "user <>" not in line
                          for line in turn_log.read_text(errors="replace").splitlines())
        if args.logs:
            Path(args.logs).mkdir(parents=True, exist_ok=True)
            shutil.copy(turn_log, Path(args.logs) / "turnserver.log")
    finally:
        for proc in running:
            proc.kill()
        subprocess.run([str(NAT_LAB), "--prefix", prefix, "down"], timeout=60, check=False)
    leftover = [line for line in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                                                 timeout=10).stdout.splitlines()
                if line.startswith(f"{prefix}-")]
    ok = all(r["ok"] for r in reports) and len(reports) == len(CASES) * args.repeat and not leftover
    output = {"ok": ok, "prefix": prefix, "summary": summarize(reports), "turnAuthRejections": auth_errors,
              "leftoverNamespaces": leftover, "cases": reports}
    text = json.dumps(output, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    peer = sub.add_parser("peer", help="internal: one WebRTC peer inside a lab namespace")
    peer.add_argument("--role", choices=["offer", "answer"], required=True)
    peer.add_argument("--exchange", required=True)
    peer.add_argument("--ice", required=True)
    peer.add_argument("--timeout", type=float, default=PEER_TIMEOUT)
    parser.add_argument("--prefix", help="lab prefix (default: chk<pid>)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds over all cases")
    parser.add_argument("--out", help="also write the JSON report to this file")
    parser.add_argument("--logs", help="copy the turnserver log into this directory before teardown")
    parser.add_argument("--keep-going", action="store_true", help="run every case even after a failure")
    args = parser.parse_args()
    if args.command == "peer":
        return peer_main(args)
    if os.geteuid() != 0:
        os.execvp("sudo", ["sudo", sys.executable, *sys.argv])
    return controller_main(args)


if __name__ == "__main__":
    sys.exit(main())
