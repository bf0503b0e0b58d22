#!/usr/bin/python3
"""Standalone proof of the browser harness: two Chromium pages joined by a WebRTC data channel.

In one network namespace (scripts/browser_harness.py), with one Chromium holding both pages or two
Chromium instances: page A offers, page B answers (the driver carries the descriptions), the data channel
opens, messages round-trip (RTT) and a bulk transfer runs (throughput); page A loads the Embedded Swift
build of ColonioCore (scripts/build-wasm.sh) and calls its exports; a page of an origin without the
camera/microphone grant shows which candidates Chromium offers then; page A is screenshotted; page B is
crashed, then a page C is connected twice and closes its connection, then its tab; page A times how long
it takes to notice each loss. Last, the JSON-lines driver (`browser_harness.py driver`) is run as a child
process through one page's life. Prints a JSON summary on stdout, progress on
stderr; exits 1 if any step failed. Always tears everything down and checks that nothing is left.

Usage: scripts/browser-check.py [--browsers 1|2] [--repeat N] [--out DIR] [--keep-logs]
Needs root and Debian's chromium (COLONIO_SETUP_EXTRAS=browser scripts/setup.sh).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import browser_harness as bh  # noqa: E402

PAGE_DIR = HERE / "browser-check"


def log(message):
    print(f"browser-check: {message}", file=sys.stderr, flush=True)


def ms_since(t0):
    return round((time.monotonic() - t0) * 1000.0, 1)


def spread(values):
    values = sorted(values)
    return {"min": round(values[0], 3), "median": round(statistics.median(values), 3),
            "max": round(values[-1], 3)}


def host_addresses(candidates):
    return sorted({c["address"] for c in candidates if c["type"] == "host"})


class Check:
    def __init__(self, args, site):
        self.args = args
        self.site = site
        self.failures = []
        self.report = {"browsers": args.browsers}

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)
            log(f"FAIL {message}")
        return condition

    def run(self):
        args = self.args
        t0 = time.monotonic()
        with bh.Harness(serve_dir=self.site, browsers=args.browsers, keep_logs=args.keep_logs) as h:
            self.harness = h
            self.report.update({
                "startMs": ms_since(t0), "chromium": h.browsers[0].version.get("product"),
                "netns": h.netns.name, "innerAddress": h.inner_address, "outerAddress": h.outer_address,
                "origin": h.origin,
            })
            log(f"namespace {h.netns.name} ({h.inner_address} <-> {h.outer_address}), "
                f"{args.browsers} chromium, up in {self.report['startMs']} ms")
            t1 = time.monotonic()
            a = h.open_page(h.url("index.html"), browser=0)
            b = h.open_page(h.url("index.html"), browser=args.browsers - 1)
            self.report["pagesOpenMs"] = ms_since(t1)
            try:
                self.steps(h, a, b)
            finally:
                self.report["memoryMB"] = [round(x.memory_bytes() / 1e6) for x in h.browsers]
                self.report["pageExceptions"] = [m for x in h.browsers for p in x.pages for m in p.exceptions]
                self.report["requests"] = len(h.server.requests)
                if args.keep_logs:
                    self.report["chromiumLogs"] = [x.log_path for x in h.browsers]
        self.check_teardown(h)
        self.driver_smoke()
        self.report["totalMs"] = ms_since(t0)

    def steps(self, h, a, b):
        args = self.args
        isolated = [a.evaluate("crossOriginIsolated"), b.evaluate("crossOriginIsolated")]
        self.report["crossOriginIsolated"] = isolated
        self.expect(all(isolated), "pages are not cross-origin isolated (COOP/COEP headers)")

        runs = []
        for i in range(args.repeat):
            runs.append(self.connect_once(h, a, b, measure_bulk=(i == args.repeat - 1)))
        self.report["runs"] = runs
        ok_runs = [r for r in runs if "connectMs" in r]
        if ok_runs:
            self.report["connectMs"] = spread([r["connectMs"] for r in ok_runs])
            self.report["rttP50Ms"] = spread([r["rtt"]["p50Ms"] for r in ok_runs if "rtt" in r])

        self.control_without_grant(h)

        t0 = time.monotonic()
        wasm = a.call("(url) => check.wasm(url)", "colonio.wasm", timeout=20)
        wasm["driverMs"] = ms_since(t0)
        wasm["loadMs"] = round(wasm["loadMs"], 2)
        self.report["wasm"] = wasm
        self.expect(wasm["passed"] == 5 and not wasm["failed"], f"wasm exports wrong: {wasm['failed']}")

        a.call("(t, s) => check.render(t, s)", "Colonio browser check: data channel and wasm OK"
               if not self.failures else "Colonio browser check: FAILED", {
                   "chromium": self.report["chromium"], "pages": f"{h.inner_address} (x2)",
                   "connectMs": self.report.get("connectMs"), "rttP50Ms": self.report.get("rttP50Ms"),
                   "throughput": runs[-1].get("throughput"), "wasm": wasm, "failures": self.failures})
        out = Path(args.out)
        self.report["screenshot"] = a.screenshot(str(out / f"browser-check-{args.browsers}.png"))
        log(f"screenshot {self.report['screenshot']}")

        self.report["peerLoss"] = {"crash": self.lose_peer(a, b, "crash")}
        c = h.open_page(h.url("index.html"), browser=self.args.browsers - 1)
        for how in ("pc-close", "tab-close"):
            if "error" not in self.connect_once(h, a, c, measure_bulk=False, label="page C"):
                self.report["peerLoss"][how] = self.lose_peer(a, c, how)

    def connect_once(self, h, a, b, measure_bulk, label="page B"):
        run = {}
        t0 = time.monotonic()
        try:
            offer = a.call("() => check.offer()")
            answer = b.call("(o) => check.answer(o)", {"type": offer["type"], "sdp": offer["sdp"]})
            accepted = a.call("(d) => check.accept(d)", {"type": answer["type"], "sdp": answer["sdp"]},
                              timeout=15)
            b.call("() => check.opened()", timeout=15)
            run["connectMs"] = round(accepted["connectMs"], 3)
            run["signalToOpenMs"] = ms_since(t0)
            run["gatherMs"] = {"offer": round(offer["gatherMs"], 1), "answer": round(answer["gatherMs"], 1)}
            run["hostCandidates"] = {"offer": host_addresses(offer["candidates"]),
                                     "answer": host_addresses(answer["candidates"])}
            run["candidateTypes"] = sorted({c["type"] for c in offer["candidates"] + answer["candidates"]})
            self.expect(run["hostCandidates"]["offer"] == [h.inner_address]
                        and run["hostCandidates"]["answer"] == [h.inner_address],
                        f"host candidates are not exactly the namespace address: {run['hostCandidates']}")
            pair = a.call("() => check.selectedPair()")
            run["pair"] = pair
            self.expect(pair is not None and pair["local"]["address"] == h.inner_address
                        and pair["remote"]["address"] == h.inner_address,
                        f"selected pair is not namespace address to namespace address: {pair}")
            rtt = a.call("(n) => check.rtt(n)", self.args.rtt_count, timeout=30)
            run["rtt"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in rtt.items()}
            if measure_bulk:
                bulk = a.call("(n, c) => check.throughput(n, c)", self.args.bytes, self.args.chunk,
                              timeout=40)
                run["throughput"] = {"bytes": bulk["bytes"], "seconds": round(bulk["seconds"], 3),
                                     "MBps": round(bulk["megabytesPerSecond"], 1)}
            log(f"{label}: connected in {run['connectMs']:.1f} ms "
                f"(signalling included {run['signalToOpenMs']} ms), "
                f"RTT p50 {run['rtt']['p50Ms'] * 1000:.0f} us"
                + (f", {run['throughput']['MBps']} MB/s" if "throughput" in run else ""))
        except bh.HarnessError as error:
            run["error"] = str(error)
            self.expect(False, f"data channel run failed: {error}")
        return run

    def control_without_grant(self, h):
        # Same page from another port: another origin, no camera/microphone grant, not a secure context.
        with bh.StaticServer(self.site, h.outer_address) as other:
            page = h.browsers[0].new_page(other.url("index.html"), grant_media=False)
            try:
                found = page.call("() => check.gatherOnly()")
            finally:
                page.close()
        self.report["withoutGrant"] = {"origin": other.origin, "candidates": found}
        self.expect(h.inner_address not in host_addresses(found),
                    f"without the media grant Chromium still offered {h.inner_address}: control is wrong")

    def lose_peer(self, a, b, how):
        """Ends page b's side ("crash": renderer crash, "tab-close": tab closed, "pc-close": the page calls
        RTCPeerConnection.close()) and times how long page a needs to notice."""
        what = {"crash": "crashed page", "tab-close": "closed tab", "pc-close": "closed connection"}[how]
        t0 = time.monotonic()
        if how == "pc-close":
            b.call("() => check.close()")
        else:
            b.close(abrupt=(how == "crash"))
        result = {"closeMs": ms_since(t0)}
        if how != "pc-close":
            try:
                b.evaluate("1")
                self.expect(False, f"the {what} still evaluates")
            except bh.PageCrashed:
                pass
        try:
            gone = a.call("(ms) => check.peerGone(ms)", self.args.crash_timeout * 1000,
                          timeout=self.args.crash_timeout + 5)
            result.update({"peerGoneMs": round(gone["detectMs"], 1), "iceState": gone["iceState"],
                           "channelState": gone["channelState"]})
            log(f"page A noticed the {what} after {result['peerGoneMs']} ms "
                f"(ICE {gone['iceState']}, channel {gone['channelState']})")
        except bh.HarnessError as error:
            self.expect(False, f"page A did not notice the {what}: {error}")
        self.expect(a.evaluate("1 + 1") == 2, f"page A died with the {what}")
        return result

    def driver_smoke(self):
        """The JSON-lines driver as a Swift test would use it: a child process, one request per line."""
        t0 = time.monotonic()
        command = [sys.executable, str(HERE / "browser_harness.py"), "driver", "--serve", self.site]
        driver = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        result = {}
        try:
            ready = json.loads(driver.stdout.readline() or "{}")
            self.expect(ready.get("event") == "ready", f"driver did not start: {ready}")
            if ready.get("event") != "ready":
                return
            next_id = iter(range(1, 100))

            def call(**request):
                request["id"] = next(next_id)
                driver.stdin.write(json.dumps(request) + "\n")
                driver.stdin.flush()
                return json.loads(driver.stdout.readline() or "{}")

            opened = call(op="open", url=ready["origin"] + "/index.html")
            page = opened.get("result", {}).get("page")
            answers = {
                "open": opened,
                "eval": call(op="eval", page=page,
                             expression="new Promise(r => setTimeout(() => r(crossOriginIsolated), 10))"),
                "throw": call(op="eval", page=page, expression="console.log('driver says hi'); missing()"),
                "timeout": call(op="eval", page=page, expression="new Promise(() => {})", timeout=0.3),
                "messages": call(op="messages", page=page),
                "screenshot": call(op="screenshot", page=page, path=str(Path(self.args.out) / "driver.png")),
                "crash": call(op="close", page=page, abrupt=True),
                "after": call(op="eval", page=page, expression="1"),
                "shutdown": call(op="shutdown"),
            }
            kinds = {k: (v.get("result") if v.get("ok") else v.get("kind")) for k, v in answers.items()}
            self.expect(kinds["eval"] is True and kinds["throw"] == "javascript"
                        and kinds["timeout"] == "timeout"
                        and any(m.get("text") == "driver says hi" for m in kinds["messages"] or [])
                        and answers["screenshot"].get("ok") and answers["crash"].get("ok")
                        and kinds["after"] == "crashed" and answers["shutdown"].get("ok"),
                        f"driver answers wrong: {answers}")
            driver.stdin.close()
            result["exitCode"] = driver.wait(timeout=15)
            self.expect(result["exitCode"] == 0, f"driver exited with {result['exitCode']}")
            self.expect(ready["netns"] not in bh._netns_list(), f"driver left namespace {ready['netns']}")
        except (ValueError, OSError, subprocess.TimeoutExpired) as error:
            self.expect(False, f"driver: {error}")
        finally:
            if driver.poll() is None:
                driver.terminate()
                try:
                    driver.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    driver.kill()
            result["ms"] = ms_since(t0)
            self.report["driver"] = result
            log(f"driver protocol checked in {result['ms']} ms")

    def check_teardown(self, h):
        names = bh._netns_list()
        links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
        left = {"namespace": h.netns.name in names, "veth": h.netns.outer_ifname in links,
                "chromium": [x.process.pid for x in h.browsers if x.process.poll() is None],
                "profiles": [x.tempdir for x in h.browsers
                             if os.path.exists(os.path.join(x.tempdir, "profile"))]}
        self.report["leftAfterTeardown"] = left
        self.expect(not any(left.values()), f"teardown left {left}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--browsers", type=int, choices=(1, 2), default=1,
                        help="1: both pages in one chromium; 2: one chromium per page (same namespace)")
    parser.add_argument("--repeat", type=int, default=3, help="data channel connections to time (default 3)")
    parser.add_argument("--rtt-count", type=int, default=200, help="echoes per connection (default 200)")
    parser.add_argument("--bytes", type=int, default=16 << 20, help="bulk transfer size (default 16 MiB)")
    parser.add_argument("--chunk", type=int, default=64 * 1024,
                        help="bulk transfer message size (default 64 KiB)")
    parser.add_argument("--crash-timeout", type=float, default=20.0, help="bound on noticing the crash (s)")
    parser.add_argument("--out", default=str(ROOT / "out" / "browser-check"), help="screenshot directory")
    parser.add_argument("--wasm", help="use this colonio.wasm instead of building one")
    parser.add_argument("--keep-logs", action="store_true", help="keep the chromium logs")
    args = parser.parse_args()

    reason = bh.preflight()
    if reason:
        log(reason)
        return 2
    site = tempfile.mkdtemp(prefix="colonio-browser-check-")
    check = None
    try:
        for name in ("index.html", "check.js"):
            shutil.copy(PAGE_DIR / name, site)
        wasm = os.path.join(site, "colonio.wasm")
        if args.wasm:
            shutil.copy(args.wasm, wasm)
        else:
            t0 = time.monotonic()
            build = subprocess.run([str(HERE / "build-wasm.sh"), wasm], capture_output=True, text=True,
                                   timeout=600)
            if build.returncode != 0:
                log(f"scripts/build-wasm.sh failed:\n{build.stdout}{build.stderr}")
                return 1
            log(f"{build.stdout.strip()} in {ms_since(t0)} ms")
        check = Check(args, site)
        try:
            check.run()
        except bh.HarnessError as error:
            check.expect(False, f"harness: {error}")
    finally:
        shutil.rmtree(site, ignore_errors=True)
    check.report["failures"] = check.failures
    check.report["ok"] = not check.failures
    print(json.dumps(check.report, indent=2))
    log("OK" if check.report["ok"] else f"{len(check.failures)} failure(s)")
    return 0 if check.report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
