#!/usr/bin/python3
"""Drives headless Chromium pages inside a network namespace for Colonio's browser tests.

Chromium never gathers loopback ICE candidates, so each harness creates its own network namespace
joined to the root namespace (or to a namespace given) by a veth pair with a private /30 from
10.203.0.0/16, IPv6 off and no default route. Chromium (Debian's `chromium`, headless, no sandbox) runs
inside it and is driven over `--remote-debugging-pipe` (the DevTools protocol on fds 3 and 4), with
the Python standard library only. Pages are served from the root side of the veth: by the Colonio seed
in the real tests, or by `StaticServer` (COOP/COEP headers) for standalone checks.

Importable:

    with Harness(serve_dir="Web") as h:               # namespace + static server + 1 chromium
        page = h.open_page(h.url("index.html"))       # grants camera/microphone to the origin
        page.evaluate("1 + 1")                        # -> 2; awaits promises; bounded by timeouts
        page.screenshot("/tmp/shot.png")
        page.close(abrupt=True)                       # renderer crash, no goodbye packets

CLI (root; run `--help` on each):

    browser_harness.py preflight     exit 0 if this machine can run browser tests (tests skip otherwise)
    browser_harness.py driver ...    JSON-lines driver on stdin/stdout, for test suites in other languages
    browser_harness.py cleanup       delete namespaces left by harness processes that died (kill -9)

See docs/browser-testing.md.
"""

import argparse
import atexit
import base64
import fcntl
import functools
import http.server
import ipaddress
import json
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import weakref
from pathlib import Path

# Namespaces and root-side veths are named "<prefix><owner pid>n<k>" / "<prefix><owner pid>v<k>", so a
# later run can tell which ones belong to a dead process (see cleanup_stale).
NAME_PREFIX = "cbh"
# Only used inside veth pairs this module creates: one /30 per pair (.1 outer side, .2 inside).
ADDRESS_BLOCK = ipaddress.ip_network("10.203.0.0/16")
LOCK_PATH = "/run/colonio-browser-harness.lock"
CHROMIUM_BINARIES = ("/usr/lib/chromium/chromium", "chromium")
MEDIA_PERMISSIONS = ("audioCapture", "videoCapture")
DEFAULT_TIMEOUT = 10.0
WINDOW_SIZE = (1280, 800)

# Debian's /usr/bin/chromium wrapper adds flags we do not want (extensions, API keys); the flags below
# are the whole story. Timer throttling off: background pages must keep their protocol timers running.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--remote-debugging-pipe",
    "--disable-features=WebRtcHideLocalIpsWithMdns,Translate,MediaRouter,OptimizationHints",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-dev-shm-usage",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-ipc-flooding-protection",
    "--mute-audio",
    "--password-store=basic",
    "--use-mock-keychain",
    f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}",
)


class HarnessError(Exception):
    """Anything the harness could not do; the message says what to check."""


class BrowserTimeout(HarnessError, TimeoutError):
    """A bounded wait ended."""


class JavaScriptError(HarnessError):
    """An evaluated expression threw or its promise rejected; `details` is the DevTools exceptionDetails."""

    def __init__(self, message, details=None):
        super().__init__(message)
        self.details = details or {}


class PageCrashed(HarnessError):
    """The page's renderer is gone (crashed or closed)."""


def _log(message):
    print(f"browser-harness: {message}", file=sys.stderr, flush=True)


def _run(*command, check=True, timeout=DEFAULT_TIMEOUT):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise HarnessError(f"`{' '.join(command)}` failed ({result.returncode}): {result.stderr.strip()}")
    return result


# ---------------------------------------------------------------------------------------------------
# Teardown registry: everything with a close() that must go even when the test fails or is interrupted.

_live = weakref.WeakSet()
_live_lock = threading.RLock()  # re-entered by the signal handler
_signals_installed = False


def _register(resource):
    with _live_lock:
        _live.add(resource)
    _install_teardown_hooks()


def _unregister(resource):
    with _live_lock:
        _live.discard(resource)


def close_all():
    """Closes every harness object still open (Harness, Chromium, StaticServer, Namespace), newest first."""
    with _live_lock:
        resources = sorted(_live, key=lambda r: -getattr(r, "_created", 0))
    for resource in resources:
        try:
            resource.close()
        except Exception as error:  # teardown must go on
            _log(f"teardown of {resource!r} failed: {error}")


def _on_signal(signum, frame):
    close_all()
    # Re-deliver with the default action so the exit status says which signal ended us.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_teardown_hooks():
    global _signals_installed
    if _signals_installed:
        return
    _signals_installed = True
    atexit.register(close_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        # Leave handlers someone else installed alone; they are expected to exit, which runs atexit.
        if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(signum, _on_signal)


class _Resource:
    _counter = 0

    def __init__(self):
        _Resource._counter += 1
        self._created = _Resource._counter
        _register(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---------------------------------------------------------------------------------------------------
# Network namespace with a veth pair.


def _lock(timeout=DEFAULT_TIMEOUT):
    """Serialises address allocation between harness processes (released when the handle closes)."""
    handle = open(LOCK_PATH, "w")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise BrowserTimeout(f"{LOCK_PATH} stayed locked for {timeout:g} s")
            time.sleep(0.05)


def _netns_list():
    out = _run("ip", "netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _used_slots(netns_names):
    """/30 slots of ADDRESS_BLOCK already configured in the root namespace or the given namespaces."""
    used = set()
    for ns in [None, *netns_names]:
        netns_option = [] if ns is None else ["-n", ns]
        out = _run("ip", *netns_option, "-4", "-o", "addr", "show", check=False).stdout
        for line in out.split("\n"):
            fields = line.split()
            if "inet" not in fields:
                continue
            address = ipaddress.ip_interface(fields[fields.index("inet") + 1]).ip
            if address in ADDRESS_BLOCK:
                used.add((int(address) - int(ADDRESS_BLOCK.network_address)) // 4)
    return used


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_netns_processes(ns, grace=3.0):
    pids = [int(p) for p in _run("ip", "netns", "pids", ns, check=False).stdout.split()]
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 3.0)):
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            pids = [int(p) for p in _run("ip", "netns", "pids", ns, check=False).stdout.split()]
            if not pids:
                return
            time.sleep(0.05)
    if pids:
        _log(f"processes still alive in {ns}: {pids}")


def cleanup_stale():
    """Deletes namespaces and veths made by harness processes that no longer exist; returns their names."""
    removed = []
    for ns in _netns_list():
        if not ns.startswith(NAME_PREFIX):
            continue
        owner = ns[len(NAME_PREFIX):].split("n", 1)[0]
        if owner.isdigit() and not _pid_alive(int(owner)):
            _kill_netns_processes(ns, grace=0.5)
            _run("ip", "netns", "del", ns, check=False)
            removed.append(ns)
    # A veth whose namespace end is gone disappears with it; root-side leftovers of a half-built pair do not.
    for line in _run("ip", "-o", "link", "show", "type", "veth").stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(NAME_PREFIX):
            owner = name[len(NAME_PREFIX):].split("v", 1)[0]
            if owner.isdigit() and not _pid_alive(int(owner)):
                _run("ip", "link", "del", name, check=False)
                removed.append(name)
    return removed


class Namespace(_Resource):
    """A network namespace joined by a veth pair to the root namespace or to `peer_netns`.

    `address` is the inside end (interface `eth0`), `peer_address` the outside end: the address servers
    in the peer (root) namespace must listen on for the pages to reach them. A /30, so two sides only;
    no default route and IPv6 off inside. The outside namespace is not changed otherwise (no forwarding).
    """

    _sequence = 0

    def __init__(self, peer_netns=None):
        super().__init__()
        Namespace._sequence += 1
        k = Namespace._sequence
        self.name = f"{NAME_PREFIX}{os.getpid()}n{k}"
        self.peer_netns = peer_netns
        self.outer_ifname = f"{NAME_PREFIX}{os.getpid()}v{k}"
        self.inner_ifname = "eth0"
        self.address = None
        self.peer_address = None
        self._closed = False
        try:
            self._create()
        except BaseException:
            self.close()
            raise

    def __repr__(self):
        return f"Namespace({self.name}, {self.address} <-> {self.peer_address})"

    def _peer_ip(self, *args):
        return ("ip", *(("-n", self.peer_netns) if self.peer_netns else ()), *args)

    def _create(self):
        with _lock():
            slots = _used_slots([self.peer_netns] if self.peer_netns else [])
            slot = next((s for s in range(ADDRESS_BLOCK.num_addresses // 4) if s not in slots), None)
            if slot is None:
                raise HarnessError(f"no free /30 left in {ADDRESS_BLOCK}; run `browser_harness.py cleanup`")
            base = int(ADDRESS_BLOCK.network_address) + 4 * slot
            self.peer_address = str(ipaddress.ip_address(base + 1))
            self.address = str(ipaddress.ip_address(base + 2))
            _run("ip", "netns", "add", self.name)
            inside = ("ip", "netns", "exec", self.name)
            if os.path.isdir("/proc/sys/net/ipv6"):
                # Off before any interface appears, so no link-local IPv6 address is ever configured.
                _run(*inside, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                     "net.ipv6.conf.default.disable_ipv6=1")
            _run("ip", "-n", self.name, "link", "set", "lo", "up")
            _run(*self._peer_ip("link", "add", self.outer_ifname, "type", "veth", "peer", "name",
                                self.inner_ifname, "netns", self.name))
            if self.peer_netns is None and os.path.isdir(f"/proc/sys/net/ipv6/conf/{self.outer_ifname}"):
                _run("sysctl", "-qw", f"net.ipv6.conf.{self.outer_ifname}.disable_ipv6=1")
            _run(*self._peer_ip("addr", "add", f"{self.peer_address}/30", "dev", self.outer_ifname))
            _run(*self._peer_ip("link", "set", self.outer_ifname, "up"))
            _run("ip", "-n", self.name, "addr", "add", f"{self.address}/30", "dev", self.inner_ifname)
            _run("ip", "-n", self.name, "link", "set", self.inner_ifname, "up")

    def command(self, *argv):
        """The argv that runs `argv` inside this namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def close(self):
        """Kills every process left inside, deletes the namespace and both veth ends. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.name in _netns_list():
                _kill_netns_processes(self.name)
                _run("ip", "netns", "del", self.name, check=False)
            # Deleting the namespace deletes the pair; this catches a pair whose inside end never moved.
            _run(*self._peer_ip("link", "del", self.outer_ifname), check=False)
        finally:
            _unregister(self)


# ---------------------------------------------------------------------------------------------------
# Static HTTP server with cross-origin isolation headers.


class _IsolatedHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".html": "text/html; charset=utf-8",
        ".json": "application/json",
    }

    def end_headers(self):
        # Cross-origin isolation: performance.now() with 5 us resolution instead of 100 us.
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):
        self.server.request_log.append(format % args)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class StaticServer(_Resource):
    """Serves `directory` on `host:port` (port 0 picks one) with COOP/COEP, in a daemon thread.

    Bind it to a `Namespace.peer_address`, never to a wildcard: nothing outside the pair must reach it.
    """

    def __init__(self, directory, host, port=0):
        super().__init__()
        handler = functools.partial(_IsolatedHandler, directory=str(directory))
        self._server = _Server((host, port), handler)
        self._server.request_log = []
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"static-server-{self.port}", daemon=True)
        self._thread.start()
        self._closed = False

    @property
    def origin(self):
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self):
        """Request log lines (what http.server would print), oldest first."""
        return list(self._server.request_log)

    def url(self, path=""):
        return f"{self.origin}/{path.lstrip('/')}"

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
        finally:
            _unregister(self)


# ---------------------------------------------------------------------------------------------------
# Chromium over the DevTools pipe.


def find_chromium():
    for candidate in CHROMIUM_BINARIES:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    raise HarnessError("chromium is not installed; run COLONIO_SETUP_EXTRAS=browser scripts/setup.sh")


def _above_nine(fd):
    """Moves fd above 9, so that placing two fds at 3 and 4 in a child cannot clobber one with the other."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def _origin_of(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _remote_value(obj):
    """A DevTools RemoteObject as a Python value (or its description when it has none)."""
    if "value" in obj:
        return obj["value"]
    if "unserializableValue" in obj:
        return obj["unserializableValue"]
    if obj.get("type") == "undefined":
        return None
    return obj.get("description", obj.get("type"))


class Chromium(_Resource):
    """One headless Chromium process, in `netns` (a Namespace) or in the current namespace if None.

    `secure_origins`: http origins Chromium must treat as secure contexts (so that camera/microphone
    permissions, hence host ICE candidates, and cross-origin isolation work over plain http).
    """

    def __init__(self, netns=None, secure_origins=(), extra_args=(), timeout=DEFAULT_TIMEOUT,
                 name="chromium"):
        super().__init__()
        self.name = name
        self.netns = netns
        self.timeout = timeout
        self.pages = []
        self._next_id = 0
        self._pending = {}
        self._cond = threading.Condition()
        self._write_lock = threading.RLock()  # re-entered by the signal handler's close()
        self._sessions = {}
        self._closed = False
        self._dead = None
        self._browser_events = []
        self.tempdir = tempfile.mkdtemp(prefix="colonio-chromium-")
        self.log_path = os.path.join(self.tempdir, "chromium.log")
        self.keep_log = False
        self.process = None
        try:
            self._start(secure_origins, extra_args)
        except BaseException:
            self.close()
            raise

    def __repr__(self):
        return f"Chromium({self.name}, pid {self.process.pid if self.process else None})"

    def _start(self, secure_origins, extra_args):
        binary = find_chromium()
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        to_chrome_r, from_chrome_w = _above_nine(to_chrome_r), _above_nine(from_chrome_w)
        # The child gets them as fds 3 (commands in) and 4 (responses out), where --remote-debugging-pipe
        # expects them; bash (dash cannot name fds above 9) moves them there, so no preexec_fn (unsafe
        # with threads) is needed.
        argv = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={os.path.join(self.tempdir, 'profile')}"]
        origins = [o for o in secure_origins if o]
        if origins:
            argv.append(f"--unsafely-treat-insecure-origin-as-secure={','.join(origins)}")
        argv += list(extra_args)
        argv.append("about:blank")
        shell = f'exec 3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-; exec "$@"'
        # setpriv --pdeathsig: chromium dies with the thread that started it, even after kill -9.
        command = ["setpriv", "--pdeathsig", "KILL", "--", "bash", "-c", shell, "bash", *argv]
        if self.netns is not None:
            command = self.netns.command(*command)
        env = dict(os.environ, HOME=self.tempdir, XDG_CONFIG_HOME=self.tempdir, XDG_CACHE_HOME=self.tempdir)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            pass_fds=(to_chrome_r, from_chrome_w), start_new_session=True,
                                            env=env)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._reader = threading.Thread(target=self._read_loop, name=f"{self.name}-devtools", daemon=True)
        self._reader.start()
        try:
            self.version = self.send("Browser.getVersion", timeout=max(self.timeout, 20.0))
        except HarnessError as error:
            raise HarnessError(f"chromium did not start: {error}\n{self.log_tail()}") from error
        self.send("Target.setDiscoverTargets", {"discover": True})

    def log_tail(self, lines=20):
        """The last lines chromium wrote to stdout/stderr."""
        try:
            with open(self.log_path, errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError:
            return ""

    # -- protocol -------------------------------------------------------------------------------------

    def _read_loop(self):
        buffer = b""
        try:
            while True:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    break
                buffer += chunk
                while b"\0" in buffer:
                    raw, buffer = buffer.split(b"\0", 1)
                    self._dispatch(json.loads(raw))
        except OSError:
            pass
        finally:
            code = self.process.poll() if self.process else None
            with self._cond:
                self._dead = f"chromium closed its DevTools pipe (exit code {code}); see {self.log_path}"
                self._cond.notify_all()

    def _dispatch(self, message):
        if "id" in message:
            with self._cond:
                if message["id"] in self._pending:
                    self._pending[message["id"]] = message
                    self._cond.notify_all()
            return
        session = self._sessions.get(message.get("sessionId"))
        if session is not None:
            session._on_event(message["method"], message.get("params", {}))
        else:
            method, params = message.get("method"), message.get("params", {})
            if method == "Target.detachedFromTarget":
                page = self._sessions.get(params.get("sessionId"))
                if page is not None:
                    page._on_event("Inspector.detached", {"reason": "detached"})
            elif method == "Target.targetCrashed":
                for page in self.pages:
                    if page.target_id == params.get("targetId"):
                        page._on_event("Inspector.targetCrashed", params)
            with self._cond:
                self._browser_events.append(message)
                del self._browser_events[:-200]

    def post(self, method, params=None, session_id=None):
        """Sends one DevTools command without waiting for (or ever reading) its answer."""
        with self._cond:
            if self._dead:
                raise HarnessError(self._dead)
            self._next_id += 1
            call_id = self._next_id
        try:
            self._write(call_id, method, params, session_id)
        except OSError as error:
            raise HarnessError(f"cannot write to chromium ({error}); see {self.log_path}") from error

    def _write(self, call_id, method, params, session_id):
        message = {"id": call_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        data = json.dumps(message).encode() + b"\0"
        with self._write_lock:
            view = memoryview(data)
            while view:
                written = os.write(self._to_chrome, view)
                view = view[written:]

    def send(self, method, params=None, session_id=None, timeout=None):
        """Sends one DevTools command and returns its result; raises HarnessError on a protocol error."""
        timeout = self.timeout if timeout is None else timeout
        with self._cond:
            if self._dead:
                raise HarnessError(self._dead)
            self._next_id += 1
            call_id = self._next_id
            self._pending[call_id] = None
        try:
            self._write(call_id, method, params, session_id)
        except OSError as error:
            with self._cond:
                self._pending.pop(call_id, None)
            raise HarnessError(f"cannot write to chromium ({error}); see {self.log_path}") from error
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending.get(call_id) is None:
                remaining = deadline - time.monotonic()
                if self._dead:
                    self._pending.pop(call_id, None)
                    raise HarnessError(self._dead)
                if remaining <= 0:
                    self._pending.pop(call_id, None)
                    raise BrowserTimeout(f"{method} got no answer within {timeout:g} s")
                self._cond.wait(remaining)
            response = self._pending.pop(call_id)
        if "error" in response:
            error = response["error"]
            raise HarnessError(f"{method}: {error.get('message')} {error.get('data', '')}".strip())
        return response.get("result", {})

    # -- pages ----------------------------------------------------------------------------------------

    def grant_permissions(self, origin, permissions=MEDIA_PERMISSIONS):
        """Grants permissions (DevTools names) to an origin; camera+microphone make host candidates appear."""
        try:
            self.send("Browser.grantPermissions", {"origin": origin, "permissions": list(permissions)})
        except HarnessError as error:
            if origin.startswith("http://"):
                raise HarnessError(
                    f"{error}: an http origin needs to be a secure context; start the browser with "
                    f"origins=[{origin!r}] (--unsafely-treat-insecure-origin-as-secure)") from error
            raise

    def new_page(self, url=None, grant_media=True, timeout=None):
        """Opens a tab, attaches to it and navigates to `url` (waits for the load event). Returns a Page."""
        result = self.send("Target.createTarget", {"url": "about:blank"})
        target_id = result["targetId"]
        session_id = self.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"]
        page = Page(self, target_id, session_id, name=f"{self.name}/page{len(self.pages) + 1}")
        self._sessions[session_id] = page
        self.pages.append(page)
        for domain in ("Runtime.enable", "Page.enable", "Log.enable", "Inspector.enable"):
            self.send(domain, session_id=session_id)
        # Lifecycle events carry the loader id, so navigate() waits for its own document's load.
        self.send("Page.setLifecycleEventsEnabled", {"enabled": True}, session_id=session_id)
        if url:
            origin = _origin_of(url)
            if grant_media and origin:
                self.grant_permissions(origin)
            page.navigate(url, timeout=timeout)
        return page

    def pids(self):
        """Pids of this chromium's processes (browser, zygotes, renderers, GPU, utilities)."""
        if not self.process:
            return []
        out = _run("ps", "-o", "pid=", "-g", str(self.process.pid), check=False).stdout
        return [int(p) for p in out.split()]

    def memory_bytes(self):
        """Proportional set size (PSS) of all processes of this chromium: shared pages counted once."""
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/smaps_rollup") as rollup:
                    for line in rollup:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def kill(self):
        """SIGKILLs the whole chromium process group at once (a browser crash)."""
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _log(f"{self!r} did not exit after SIGKILL")

    def close(self):
        """Asks chromium to exit (2 s), then kills its process group and removes its profile. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.process and self.process.poll() is None and not self._dead:
                try:
                    self.send("Browser.close", timeout=2.0)
                except HarnessError:
                    pass
                try:
                    self.process.wait(timeout=2.0)
                except subprocess.TimeoutExpired:
                    pass
            if self.process:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)  # leftover children of the group
                except (ProcessLookupError, PermissionError):
                    pass
                self.kill()
            for fd in (getattr(self, "_to_chrome", None), getattr(self, "_from_chrome", None)):
                if fd is not None:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            if not self.keep_log:
                shutil.rmtree(self.tempdir, ignore_errors=True)
            else:
                shutil.rmtree(os.path.join(self.tempdir, "profile"), ignore_errors=True)
        finally:
            _unregister(self)


class Page:
    """One tab of a Chromium, attached through a flat DevTools session.

    `console` collects console API calls and log entries and `exceptions` uncaught exceptions and
    unhandled rejections, as dicts {"type"/"level", "text", "time" (ms since the epoch), "page"}.
    """

    def __init__(self, browser, target_id, session_id, name):
        self.browser = browser
        self.target_id = target_id
        self.session_id = session_id
        self.name = name
        self.console = []
        self.exceptions = []
        self.crashed = False
        self.closed = False
        self.url = None
        self._cond = threading.Condition()
        self._loaded = set()  # loader ids whose document fired "load"

    def __repr__(self):
        return f"Page({self.name}, {self.url})"

    def _on_event(self, method, params):
        with self._cond:
            if method == "Runtime.consoleAPICalled":
                text = " ".join(str(_remote_value(a)) for a in params.get("args", []))
                self.console.append({"type": params.get("type"), "text": text,
                                     "time": params.get("timestamp"), "page": self.name})
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                exception = details.get("exception", {})
                text = exception.get("description") or details.get("text", "")
                self.exceptions.append({"type": "exception", "text": text, "time": params.get("timestamp"),
                                        "page": self.name, "url": details.get("url")})
            elif method == "Log.entryAdded":
                entry = params.get("entry", {})
                self.console.append({"type": entry.get("level"), "text": entry.get("text"),
                                     "source": entry.get("source"), "url": entry.get("url"),
                                     "time": entry.get("timestamp"), "page": self.name})
            elif method == "Page.lifecycleEvent" and params.get("name") == "load":
                self._loaded.add(params.get("loaderId"))
            elif method == "Inspector.targetCrashed":
                self.crashed = True
            elif method == "Inspector.detached":
                self.closed = True
            self._cond.notify_all()

    def send(self, method, params=None, timeout=None):
        if self.closed:
            raise PageCrashed(f"{self.name} is closed")
        if self.crashed:
            raise PageCrashed(f"{self.name} crashed")
        return self.browser.send(method, params, session_id=self.session_id, timeout=timeout)

    def navigate(self, url, timeout=None):
        """Loads `url` and waits for that document's load event (same-document navigations return at once)."""
        timeout = self.browser.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        result = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise HarnessError(f"{self.name}: loading {url} failed: {result['errorText']}")
        self.url = url
        loader = result.get("loaderId")
        if not loader:
            return
        with self._cond:
            while loader not in self._loaded:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BrowserTimeout(f"{self.name}: {url} fired no load event within {timeout:g} s")
                if self.crashed or self.closed:
                    raise PageCrashed(f"{self.name} crashed while loading {url}")
                self._cond.wait(min(remaining, 0.5))

    def evaluate(self, expression, timeout=None, await_promise=True):
        """Evaluates a JS expression in the page and returns its JSON value (awaiting a returned promise).

        An expression, not statements: for those or `await`, use call() with an (async) function. Raises
        JavaScriptError if it throws or rejects, and
        BrowserTimeout if no result arrives within `timeout` seconds (the page keeps running it).
        """
        timeout = self.browser.timeout if timeout is None else timeout
        params = {"expression": expression, "awaitPromise": await_promise, "returnByValue": True,
                  "userGesture": True, "allowUnsafeEvalBlockedByCSP": True}
        result = self.send("Runtime.evaluate", params, timeout=timeout)
        details = result.get("exceptionDetails")
        if details:
            exception = details.get("exception", {})
            text = exception.get("description") or exception.get("value") or details.get("text")
            raise JavaScriptError(f"{self.name}: {text}", details)
        return _remote_value(result.get("result", {}))

    def call(self, function, *args, timeout=None):
        """Calls a JS function (source text, may be async) with JSON arguments; returns its value."""
        arguments = ", ".join(json.dumps(a) for a in args)
        return self.evaluate(f"({function})({arguments})", timeout=timeout)

    def wait_for(self, expression, timeout=None, interval=0.05):
        """Polls `expression` until it is truthy; returns its value or raises BrowserTimeout."""
        timeout = self.browser.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            value = self.evaluate(expression, timeout=max(remaining, 1.0))
            if value:
                return value
            if time.monotonic() + interval > deadline:
                raise BrowserTimeout(f"{self.name}: `{expression}` still falsy after {timeout:g} s")
            time.sleep(interval)

    def messages(self):
        """Console messages and exceptions so far, oldest first."""
        with self._cond:
            return sorted(self.console + self.exceptions, key=lambda m: m.get("time") or 0)

    def screenshot(self, path, timeout=None):
        """Writes a PNG of the viewport to `path` and returns the absolute path."""
        data = self.send("Page.captureScreenshot", {"format": "png"}, timeout=timeout)["data"]
        path = os.path.abspath(path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))
        return path

    def crash(self, timeout=None):
        """Crashes the page's renderer: its peer connections stop without sending anything."""
        timeout = self.browser.timeout if timeout is None else timeout
        # No answer comes back: the renderer dies while handling it. The crash event is the answer.
        self.browser.post("Page.crash", session_id=self.session_id)
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (self.crashed or self.closed):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise BrowserTimeout(f"{self.name} did not crash within {timeout:g} s")
                self._cond.wait(remaining)

    def close(self, abrupt=False, timeout=None):
        """Closes the tab. abrupt=True crashes the renderer first (like a killed tab: no goodbye packets)."""
        if self.closed:
            return
        if abrupt and not self.crashed:
            self.crash(timeout=timeout)
        try:
            self.browser.send("Target.closeTarget", {"targetId": self.target_id}, timeout=timeout)
        except HarnessError:
            pass
        self.closed = True


# ---------------------------------------------------------------------------------------------------
# Everything together.


class Harness(_Resource):
    """A namespace, optionally a static server on its outer address, and 1-2 Chromium instances in it.

    `serve_dir`: serve this folder (COOP/COEP) at `h.origin` on the veth's outer address.
    `origins`: further http origins pages will load (e.g. the seed's "http://10.203.0.1:8080"); they are
    made secure contexts. Use `h.outer_address` to bind such servers before creating the browsers:
    create the Harness with `browsers=0`, start the server, then call `h.start_browser(origins=[...])`.
    """

    def __init__(self, serve_dir=None, browsers=1, origins=(), peer_netns=None, timeout=DEFAULT_TIMEOUT,
                 keep_logs=False):
        super().__init__()
        if not 0 <= browsers <= 2:
            raise HarnessError("at most 2 chromium instances (about 1 GB each)")
        if serve_dir is not None and peer_netns is not None:
            # The outer address lives in peer_netns; a server in this process cannot bind it.
            raise HarnessError("serve_dir needs the root namespace; with peer_netns, serve from inside it")
        self.timeout = timeout
        self.keep_logs = keep_logs
        self.browsers = []
        self.server = None
        self.netns = None
        self._closed = False
        try:
            for stale in cleanup_stale():
                _log(f"removed stale {stale}")
            self.netns = Namespace(peer_netns=peer_netns)
            if serve_dir is not None:
                self.server = StaticServer(serve_dir, self.netns.peer_address)
            for _ in range(browsers):
                self.start_browser(origins=origins)
        except BaseException:
            self.close()
            raise

    @property
    def inner_address(self):
        """The namespace's own address: the host ICE candidate the pages offer."""
        return self.netns.address

    @property
    def outer_address(self):
        """The root (peer) side of the veth: where servers the pages use must listen."""
        return self.netns.peer_address

    @property
    def origin(self):
        return self.server.origin if self.server else None

    def url(self, path=""):
        if not self.server:
            raise HarnessError("no static server (create the Harness with serve_dir)")
        return self.server.url(path)

    def start_browser(self, origins=(), extra_args=()):
        if len(self.browsers) >= 2:
            raise HarnessError("at most 2 chromium instances (about 1 GB each)")
        secure = [*([self.origin] if self.origin else []), *origins]
        browser = Chromium(self.netns, secure_origins=secure, extra_args=extra_args, timeout=self.timeout,
                           name=f"chromium{len(self.browsers) + 1}")
        browser.keep_log = self.keep_logs
        self.browsers.append(browser)
        return browser

    def open_page(self, url, browser=0, grant_media=True, timeout=None):
        """Opens `url` in a new tab of browser #`browser` (granting camera/microphone to its origin)."""
        if browser >= len(self.browsers):
            raise HarnessError(f"no chromium #{browser}; started {len(self.browsers)}")
        return self.browsers[browser].new_page(url, grant_media=grant_media, timeout=timeout)

    def close(self):
        """Closes browsers, server and namespace (killing whatever still runs inside). Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            for browser in reversed(self.browsers):
                try:
                    browser.close()
                except Exception as error:
                    _log(f"closing {browser!r}: {error}")
            if self.server:
                self.server.close()
            if self.netns:
                self.netns.close()
        finally:
            _unregister(self)


# ---------------------------------------------------------------------------------------------------
# CLI.


def preflight():
    """Returns None if browser tests can run here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "setpriv", "ps"):
        if not shutil.which(tool):
            return f"'{tool}' is missing; run COLONIO_SETUP_EXTRAS=browser scripts/setup.sh"
    try:
        find_chromium()
    except HarnessError as error:
        return str(error)
    probe = f"{NAME_PREFIX}{os.getpid()}probe"
    if _run("ip", "netns", "add", probe, check=False).returncode != 0:
        return "cannot create network namespaces here"
    _run("ip", "netns", "del", probe, check=False)
    return None


class _Driver:
    """JSON-lines protocol for test suites that are not in Python (see docs/browser-testing.md).

    Request: {"id": any, "op": name, ...args}. Response: {"id": same, "ok": true, "result": ...} or
    {"id": same, "ok": false, "error": message, "kind": "timeout"|"javascript"|"crashed"|"harness"}.
    """

    def __init__(self, harness):
        self.h = harness
        self.pages = {}

    def page(self, request):
        name = request.get("page")
        if name not in self.pages:
            raise HarnessError(f"unknown page {name!r}")
        return self.pages[name]

    def handle(self, request):
        op = request.get("op")
        timeout = request.get("timeout")
        if op == "info":
            return self.info()
        if op == "start_browser":
            # "args": extra Chromium flags, such as --ignore-certificate-errors-spki-list=<hash>.
            self.h.start_browser(origins=request.get("origins", []), extra_args=request.get("args", []))
            return {"browsers": len(self.h.browsers)}
        if op == "grant":
            browser = self.h.browsers[request.get("browser", 0)]
            browser.grant_permissions(request["origin"], request.get("permissions", MEDIA_PERMISSIONS))
            return None
        if op == "open":
            page = self.h.open_page(request["url"], browser=request.get("browser", 0),
                                    grant_media=request.get("grantMedia", True), timeout=timeout)
            name = f"p{len(self.pages) + 1}"
            self.pages[name] = page
            return {"page": name}
        if op == "navigate":
            self.page(request).navigate(request["url"], timeout=timeout)
            return None
        if op == "eval":
            return self.page(request).evaluate(request["expression"], timeout=timeout)
        if op == "wait_for":
            return self.page(request).wait_for(request["expression"], timeout=timeout)
        if op == "messages":
            return self.page(request).messages()
        if op == "screenshot":
            return {"path": self.page(request).screenshot(request["path"], timeout=timeout)}
        if op == "close":
            self.page(request).close(abrupt=request.get("abrupt", False), timeout=timeout)
            return None
        if op == "kill_browser":
            self.h.browsers[request.get("browser", 0)].kill()
            return None
        if op == "memory":
            return [b.memory_bytes() for b in self.h.browsers]
        raise HarnessError(f"unknown op {op!r}")

    def info(self):
        return {"netns": self.h.netns.name, "innerAddress": self.h.inner_address,
                "outerAddress": self.h.outer_address, "origin": self.h.origin,
                "browsers": [{"pid": b.process.pid, "version": b.version.get("product"), "log": b.log_path}
                             for b in self.h.browsers]}

    def run(self, stdin, stdout):
        def emit(obj):
            stdout.write(json.dumps(obj) + "\n")
            stdout.flush()

        emit({"event": "ready", **self.info()})
        for line in stdin:
            if not line.strip():
                continue
            try:
                request = json.loads(line)
            except ValueError as error:
                emit({"id": None, "ok": False, "kind": "harness", "error": f"bad JSON: {error}"})
                continue
            if request.get("op") == "shutdown":
                emit({"id": request.get("id"), "ok": True, "result": None})
                return
            try:
                emit({"id": request.get("id"), "ok": True, "result": self.handle(request)})
            except BrowserTimeout as error:
                emit({"id": request.get("id"), "ok": False, "kind": "timeout", "error": str(error)})
            except JavaScriptError as error:
                emit({"id": request.get("id"), "ok": False, "kind": "javascript", "error": str(error)})
            except PageCrashed as error:
                emit({"id": request.get("id"), "ok": False, "kind": "crashed", "error": str(error)})
            except (HarnessError, KeyError, IndexError, TypeError) as error:
                emit({"id": request.get("id"), "ok": False, "kind": "harness",
                      "error": f"{type(error).__name__}: {error}"})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("preflight", help="exit 0 if root, chromium, ip and netns work here")
    commands.add_parser("cleanup", help="delete namespaces/veths of harness processes that died")
    driver = commands.add_parser("driver", help="JSON-lines driver on stdin/stdout (ends on EOF or shutdown)")
    driver.add_argument("--serve", metavar="DIR", help="serve DIR (COOP/COEP) on the outer veth address")
    driver.add_argument("--browsers", type=int, default=1, choices=(0, 1, 2))
    driver.add_argument("--origin", action="append", default=[],
                        help="further http origin to treat as secure (repeatable), e.g. the seed's")
    driver.add_argument("--peer-netns", help="join this namespace instead of the root namespace")
    driver.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="default per-call bound (s)")
    driver.add_argument("--keep-logs", action="store_true", help="keep chromium.log files after shutdown")
    args = parser.parse_args(argv)

    if args.command == "preflight":
        reason = preflight()
        if reason:
            print(f"browser-harness: {reason}", file=sys.stderr)
            return 1
        print("browser-harness: ready")
        return 0
    if os.geteuid() != 0:
        print("browser-harness: needs root (network namespaces)", file=sys.stderr)
        return 2
    if args.command == "cleanup":
        for name in cleanup_stale():
            print(f"removed {name}")
        return 0
    with Harness(serve_dir=args.serve, browsers=args.browsers, origins=args.origin,
                 peer_netns=args.peer_netns,
                 timeout=args.timeout, keep_logs=args.keep_logs) as harness:
        _Driver(harness).run(sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
