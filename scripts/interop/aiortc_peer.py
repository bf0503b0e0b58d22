#!/usr/bin/python3
"""A WebRTC peer on aiortc (a Python WebRTC stack, not libwebrtc) that speaks Colonio's link framing.

The interop tests (Tests/ColonioWebRTCTests/AiortcInteropTests.swift, `make interop-test`) start it as a
child process and connect a `PeerLink` to it over loopback. It echoes every whole message back.

The link it must match (docs/architecture.md, "WebRTC engine"): one negotiated, ordered, reliable data
channel (stream id 0); every SCTP message on it is one flag byte (0 = last fragment of a message, 1 = more
fragments follow) and then the fragment's bytes; no SCTP message is larger than the receiver's
`a=max-message-size` (64 KiB when its SDP has none). aiortc 1.4 advertises `a=max-message-size:65536` in
its offers and answers but enforces no limit in either direction, so this script checks what arrives
against what it advertised and reports the largest SCTP message of each whole message: a strict peer
(libwebrtc, Safari) would refuse what aiortc silently accepts.

Signaling: one JSON object per line.
  stdin:  {"type": "offer"|"answer", "sdp": ...}
          {"type": "candidate", "candidate": "candidate:...", "sdpMid": "0", "sdpMLineIndex": 0}
          {"type": "close"} (or end of input): close the connection and exit 0.
  stdout: {"type": "offer"|"answer", "sdp": ...}  aiortc's SDPs are gather-complete (candidates inline,
                                                  `a=end-of-candidates`); it never trickles
          {"type": "open", "localMaxMessageSize": n, "remoteMaxMessageSize": n, "fragmentBytes": n}
          {"type": "received", "size": n, "fragments": k, "largestSCTPMessage": m, "limit": l}
                                                  one per whole message, before its echo
          {"type": "closed"} when the channel closes; {"type": "error", "message": ...} on any failure.

Options: --role offer|answer; --max-message-size N advertises N instead of aiortc's 65536 (the SDP line is
rewritten; aiortc itself ignores the value); --fragment-bytes N caps the echo's fragment payload (default:
the peer's advertised limit less the flag byte); --timeout S bounds the whole run (exit 3).

Loopback only: aioice gathers host candidates on every interface except loopback, so its address list is
replaced with 127.0.0.1; no STUN or TURN server (an explicit empty list: aiortc otherwise falls back to a
public Google STUN server).
Runs with Debian's /usr/bin/python3 on purpose: python3-aiortc is a Debian package, not a pyenv one.
"""

import argparse
import asyncio
import json
import os
import re
import sys

import aioice.ice
from aiortc import RTCConfiguration, RTCIceCandidate, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

# RFC 8841: a peer whose SDP has no a=max-message-size accepts 64 KiB.
DEFAULT_MAX_MESSAGE_SIZE = 65536
MAX_MESSAGE_SIZE_LINE = re.compile(r"^a=max-message-size:(\d+)\s*$", re.MULTILINE)


def emit(value):
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def advertised_max_message_size(sdp):
    match = MAX_MESSAGE_SIZE_LINE.search(sdp)
    return int(match.group(1)) if match else DEFAULT_MAX_MESSAGE_SIZE


def advertising(sdp, size):
    """The SDP with its a=max-message-size line saying `size`, after a=sctp-port (aiortc's answers) or
    a=sctpmap (its offers use the older SCTP SDP format, which carries no a=max-message-size)."""
    if not size:
        return sdp
    lines = [line for line in sdp.split("\r\n") if not line.startswith("a=max-message-size:")]
    for index, line in enumerate(lines):
        if line.startswith(("a=sctp-port:", "a=sctpmap:")):
            lines.insert(index + 1, f"a=max-message-size:{size}")
            break
    return "\r\n".join(lines)


def framed(message, fragment_bytes):
    """Colonio's link framing: a flag byte (1 = more follow, 0 = last) before each fragment."""
    offset = 0
    while True:
        piece = message[offset:offset + fragment_bytes]
        offset += len(piece)
        yield (b"\x01" if offset < len(message) else b"\x00") + piece
        if offset >= len(message):
            return


class Echo:
    """Joins fragments into whole messages and sends each back framed for the peer's limit."""

    def __init__(self, channel, limit):
        self.channel = channel
        self.limit = limit  # the a=max-message-size this side advertised
        self.fragment_bytes = None
        self.parts = []
        self.largest = 0

    def on_message(self, data):
        if isinstance(data, str):
            emit({"type": "error", "message": "a text message arrived; Colonio links carry binary only"})
            return
        if not data:
            emit({"type": "error", "message": "an empty SCTP message arrived; every one has a flag byte"})
            return
        if data[0] not in (0, 1):
            emit({"type": "error", "message": f"flag byte {data[0]} (only 0 and 1 are defined)"})
            return
        self.largest = max(self.largest, len(data))
        self.parts.append(data[1:])
        if data[0] == 1:
            return
        message = b"".join(self.parts)
        emit({"type": "received", "size": len(message), "fragments": len(self.parts),
              "largestSCTPMessage": self.largest, "limit": self.limit})
        self.parts, self.largest = [], 0
        for fragment in framed(message, self.fragment_bytes):
            self.channel.send(fragment)


async def stdin_lines():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.strip():
            yield json.loads(line)


async def run(arguments):
    # Host candidates on loopback only (aioice skips 127.0.0.1 by default).
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    local_limit = arguments.max_message_size or None
    echo = None

    def open_channel():
        nonlocal echo
        channel = pc.createDataChannel("colonio", negotiated=True, id=0, ordered=True)
        echo = Echo(channel, local_limit)

        @channel.on("open")
        def on_open():
            remote = advertised_max_message_size(pc.remoteDescription.sdp)
            echo.fragment_bytes = max(1, min(arguments.fragment_bytes or remote - 1, remote - 1))
            emit({"type": "open", "localMaxMessageSize": local_limit, "remoteMaxMessageSize": remote,
                  "fragmentBytes": echo.fragment_bytes})

        channel.on("message", lambda data: echo.on_message(data))
        channel.on("close", lambda: emit({"type": "closed"}))

    async def describe(kind):
        description = await (pc.createOffer() if kind == "offer" else pc.createAnswer())
        await pc.setLocalDescription(description)  # gathers: the SDP carries every candidate
        nonlocal local_limit
        sdp = advertising(pc.localDescription.sdp, arguments.max_message_size)
        local_limit = advertised_max_message_size(sdp)
        if echo is not None:
            echo.limit = local_limit
        emit({"type": kind, "sdp": sdp})

    try:
        if arguments.role == "offer":
            open_channel()
            await describe("offer")
        async for signal in stdin_lines():
            kind = signal.get("type")
            if kind in ("offer", "answer"):
                await pc.setRemoteDescription(RTCSessionDescription(sdp=signal["sdp"], type=kind))
                if kind == "offer":
                    open_channel()
                    await describe("answer")
            elif kind == "candidate":
                line = signal.get("candidate") or ""
                if not line:
                    continue  # end-of-candidates: aioice keeps checking what it has
                candidate: RTCIceCandidate = candidate_from_sdp(line.removeprefix("candidate:"))
                candidate.sdpMid = signal.get("sdpMid")
                candidate.sdpMLineIndex = signal.get("sdpMLineIndex")
                await pc.addIceCandidate(candidate)
            elif kind == "close":
                break
            else:
                emit({"type": "error", "message": f"unknown signal {kind!r}"})
    except Exception as error:  # reported to the test, which fails with the text
        emit({"type": "error", "message": f"{type(error).__name__}: {error}"})
    finally:
        await pc.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=["offer", "answer"], required=True)
    parser.add_argument("--max-message-size", type=int, default=0)
    parser.add_argument("--fragment-bytes", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=60.0)
    arguments = parser.parse_args()

    async def bounded():
        try:
            await asyncio.wait_for(run(arguments), timeout=arguments.timeout)
        except asyncio.TimeoutError:
            emit({"type": "error", "message": f"the peer ran longer than --timeout {arguments.timeout} s"})
            os._exit(3)

    asyncio.run(bounded())


if __name__ == "__main__":
    main()
