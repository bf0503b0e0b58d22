"""An asyncio node of a Colonio network over libcolonio.so."""
from __future__ import annotations

import asyncio
import ctypes
import enum
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from ctypes import c_int32, c_size_t, c_uint64, c_void_p
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Optional, Sequence, TypeVar, Union

from . import _library as lib
from .errors import InvalidHandleError

T = TypeVar("T")
Bytes = Union[bytes, bytearray, memoryview, str]


def _bytes(payload: Bytes) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)


def _text(value: str, what: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str")
    return value.encode("utf-8")


@dataclass(frozen=True)
class Message:
    """A message or request received by a handler."""
    source: str
    name: str
    payload: bytes
    hop_count: int
    is_request: bool


@dataclass(frozen=True)
class Delivery:
    """A publication received by a subscription."""
    topic: str
    sender: str
    payload: bytes
    center: tuple[float, float]
    radius: float
    hops: int


@dataclass(frozen=True)
class KVSValue:
    value: bytes
    version: int


class Condition(enum.IntEnum):
    """When a KVS put or delete applies (IF_VERSION: compare-and-set against `version`)."""
    ALWAYS = 0
    IF_ABSENT = 1
    IF_PRESENT = 2
    IF_VERSION = 3


Handler = Callable[[Message], Union[Bytes, None, Awaitable[Union[Bytes, None]]]]

# Put in a subscription's queue by close(), so that a waiting iteration ends.
_CLOSED: Any = object()


class Subscription:
    """Publications of one topic, as an async iterator; `close()` (or leaving `async with`) ends it."""

    def __init__(self, node: "Node", topic: str) -> None:
        self._node = node
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._callback = lib.DELIVERY_FN(self._on_delivery)
        handle = c_uint64()
        lib.check(lib.library().colonio_subscribe(node._handle_value(), _text(topic, "topic"), self._callback, None,
                                                  ctypes.byref(handle)))
        self._handle: Optional[int] = handle.value

    def _on_delivery(self, _context, topic, sender, payload, length, center_x, center_y, radius, hops) -> None:
        # A library thread: copy everything, then hand it to the loop.
        delivery = Delivery(topic.decode(), sender.decode(), ctypes.string_at(payload, length) if length else b"",
                            (center_x, center_y), radius, hops)
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, delivery)
        except RuntimeError:
            pass  # the loop closed: nobody is listening any more

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self

    async def __anext__(self) -> Delivery:
        delivery = await self._queue.get()
        if delivery is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # for any other waiter
            raise StopAsyncIteration
        return delivery

    async def get(self, timeout: Optional[float] = None) -> Delivery:
        """The next delivery, waiting at most `timeout` seconds (asyncio.TimeoutError); StopAsyncIteration
        once closed."""
        return await asyncio.wait_for(self.__anext__(), timeout)

    def close(self) -> None:
        """Ends the subscription: no delivery arrives after this returns, and iterations end."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            self._queue.put_nowait(_CLOSED)
            if self._node._handle is not None:
                lib.check(lib.library().colonio_unsubscribe(self._node._handle, handle))

    async def __aenter__(self) -> "Subscription":
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        self.close()


class Node:
    """A node: `await connect(...)`, then messaging, pub/sub and the KVS; `await close()` when done.

    Blocking library calls run on this node's worker threads, so the event loop never waits on the network.
    Handlers run on the event loop that was running when they were registered.
    """

    def __init__(self, *, loopback_only: bool = False, allowed_interfaces: Optional[Sequence[str]] = None,
                 tick_interval_ms: int = 0, retry_delay_ms: int = 0, maximum_retry_delay_ms: int = 0,
                 max_workers: int = 32) -> None:
        options = lib.NodeOptions()
        options.struct_size = ctypes.sizeof(lib.NodeOptions)
        options.loopback_only = 1 if loopback_only else 0
        interfaces = [_text(name, "interface") for name in allowed_interfaces or []]
        array = (ctypes.c_char_p * max(len(interfaces), 1))(*interfaces)
        options.allowed_interfaces = ctypes.cast(array, ctypes.POINTER(ctypes.c_char_p))
        options.allowed_interface_count = len(interfaces)
        options.tick_interval_ms = tick_interval_ms
        options.retry_delay_ms = retry_delay_ms
        options.maximum_retry_delay_ms = maximum_retry_delay_ms
        handle = c_uint64()
        lib.check(lib.library().colonio_node_new(ctypes.byref(options), ctypes.byref(handle)))
        self._handle: Optional[int] = handle.value
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="colonio")
        # Keeps the ctypes callbacks alive while the library may call them.
        self._handlers: dict[str, Any] = {}
        self.node_id: Optional[str] = None

    def _handle_value(self) -> int:
        if self._handle is None:
            raise InvalidHandleError("the node is closed (Node.close was called)")
        return self._handle

    async def _call(self, work: Callable[[], T]) -> T:
        """Runs a blocking library call (and the read of its error, on the same thread) off the loop."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    # ---- lifecycle

    async def connect(self, seed_url: str, network: str, token: str) -> None:
        handle = self._handle_value()
        args = (_text(seed_url, "seed_url"), _text(network, "network"), _text(token, "token"))
        await self._call(lambda: lib.check(lib.library().colonio_node_connect(handle, *args)))
        self.node_id = await self._call(lambda: self._read_id(handle))

    @staticmethod
    def _read_id(handle: int) -> str:
        out = c_void_p()
        lib.check(lib.library().colonio_node_id(handle, ctypes.byref(out)))
        return lib.take_string(out)

    async def disconnect(self) -> None:
        handle = self._handle_value()
        await self._call(lambda: lib.check(lib.library().colonio_node_disconnect(handle)))

    async def close(self) -> None:
        """Disconnects and frees the node; every later call raises InvalidHandleError."""
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        await self._call(lambda: lib.check(lib.library().colonio_node_free(handle)))
        self._handlers.clear()
        self._executor.shutdown(wait=False)

    async def __aenter__(self) -> "Node":
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        await self.close()

    async def status(self) -> dict:
        handle = self._handle_value()

        def read() -> dict:
            out = c_void_p()
            lib.check(lib.library().colonio_node_status_json(handle, ctypes.byref(out)))
            return json.loads(lib.take_string(out))
        return await self._call(read)

    async def links(self) -> list:
        handle = self._handle_value()

        def read() -> list:
            out = c_void_p()
            lib.check(lib.library().colonio_node_links_json(handle, ctypes.byref(out)))
            return json.loads(lib.take_string(out))
        return await self._call(read)

    # ---- messaging

    def handle(self, name: str, handler: Handler) -> None:
        """Registers `handler` for messages and requests to `name`; for requests its returned bytes (or
        str) are the response and an exception fails the request (HandlerFailedError at the sender)."""
        loop = asyncio.get_running_loop()

        def on_message(_context, reply, source, raw_name, payload, length, hops) -> None:
            # A library thread: copy the message, then run the handler on the loop.
            message = Message(source.decode(), raw_name.decode(), ctypes.string_at(payload, length) if length else b"",
                              hops, reply != 0)
            try:
                loop.call_soon_threadsafe(lambda: loop.create_task(self._run_handler(handler, message, reply)))
            except RuntimeError:
                if reply:
                    lib.library().colonio_reply_error(reply, b"the Python event loop is closed")

        callback = lib.HANDLER_FN(on_message)
        lib.check(lib.library().colonio_handle(self._handle_value(), _text(name, "name"), callback, None))
        self._handlers[name] = callback

    @staticmethod
    async def _run_handler(handler: Handler, message: Message, reply: int) -> None:
        try:
            result = handler(message)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                result = await result
            if reply:
                payload = _bytes(result) if result is not None else b""
                lib.library().colonio_reply_bytes(reply, payload, len(payload))
        except Exception as error:  # the requester gets it as HandlerFailedError
            if reply:
                lib.library().colonio_reply_error(reply, f"{type(error).__name__}: {error}".encode("utf-8", "replace"))

    def remove_handler(self, name: str) -> None:
        lib.check(lib.library().colonio_remove_handler(self._handle_value(), _text(name, "name")))
        self._handlers.pop(name, None)

    async def send(self, destination: str, name: str, payload: Bytes = b"") -> None:
        """One-way message to the handler `name` of node `destination` (32 hex digits)."""
        handle, args = self._handle_value(), (_text(destination, "destination"), _text(name, "name"), _bytes(payload))
        await self._call(lambda: lib.check(lib.library().colonio_send(handle, *args, len(args[2]))))

    async def send_to_owner(self, key: str, name: str, payload: Bytes = b"") -> None:
        handle, args = self._handle_value(), (_text(key, "key"), _text(name, "name"), _bytes(payload))
        await self._call(lambda: lib.check(lib.library().colonio_send_to_owner(handle, *args, len(args[2]))))

    async def request(self, destination: str, name: str, payload: Bytes = b"") -> bytes:
        """Request to the handler `name` of node `destination`; returns its response."""
        return await self._request(lib.library().colonio_request, _text(destination, "destination"), name, payload)

    async def request_to_owner(self, key: str, name: str, payload: Bytes = b"") -> bytes:
        """Request to the handler `name` of the node that owns `key`."""
        return await self._request(lib.library().colonio_request_to_owner, _text(key, "key"), name, payload)

    async def _request(self, function: Any, target: bytes, name: str, payload: Bytes) -> bytes:
        handle, raw_name, raw = self._handle_value(), _text(name, "name"), _bytes(payload)

        def call() -> bytes:
            out, length = c_void_p(), c_size_t()
            lib.check(function(handle, target, raw_name, raw, len(raw), ctypes.byref(out), ctypes.byref(length)))
            return lib.take_bytes(out, length.value)
        return await self._call(call)

    # ---- position and pub/sub

    async def set_position(self, x: float, y: float) -> None:
        handle = self._handle_value()
        await self._call(lambda: lib.check(lib.library().colonio_set_position(handle, float(x), float(y))))

    async def publish(self, topic: str, payload: Bytes, center: tuple[float, float], radius: float, *,
                      deliver_to_self: bool = False, require_receiver: bool = False) -> None:
        handle, raw_topic, raw = self._handle_value(), _text(topic, "topic"), _bytes(payload)
        flags = (1 if deliver_to_self else 0) | (2 if require_receiver else 0)
        x, y = float(center[0]), float(center[1])
        await self._call(lambda: lib.check(
            lib.library().colonio_publish(handle, raw_topic, raw, len(raw), x, y, float(radius), flags)))

    def subscribe(self, topic: str) -> Subscription:
        """`async for delivery in node.subscribe(topic)`: publications whose circle contains this node."""
        return Subscription(self, topic)

    # ---- KVS

    async def kvs_get(self, key: str) -> Optional[KVSValue]:
        handle, raw_key = self._handle_value(), _text(key, "key")

        def call() -> Optional[KVSValue]:
            found, out, length, version = c_int32(), c_void_p(), c_size_t(), c_uint64()
            lib.check(lib.library().colonio_kvs_get(handle, raw_key, ctypes.byref(found), ctypes.byref(out),
                                                    ctypes.byref(length), ctypes.byref(version)))
            if not found.value:
                return None
            return KVSValue(lib.take_bytes(out, length.value), version.value)
        return await self._call(call)

    async def kvs_put(self, key: str, value: Bytes, condition: Condition = Condition.ALWAYS, version: int = 0) -> int:
        """Stores `value` if `condition` holds; returns the new version. ConditionFailedError otherwise."""
        handle, raw_key, raw = self._handle_value(), _text(key, "key"), _bytes(value)

        def call() -> int:
            written = c_uint64()
            status = lib.library().colonio_kvs_put(handle, raw_key, raw, len(raw), int(condition), version,
                                                   ctypes.byref(written))
            lib.check(status, written.value)
            return written.value
        return await self._call(call)

    async def kvs_delete(self, key: str, condition: Condition = Condition.ALWAYS, version: int = 0) -> None:
        handle, raw_key = self._handle_value(), _text(key, "key")

        def call() -> None:
            current = c_uint64()
            status = lib.library().colonio_kvs_delete(handle, raw_key, int(condition), version, ctypes.byref(current))
            lib.check(status, current.value)
        await self._call(call)
