"""The Python binding against a real seed on loopback: messaging, handlers, KVS, pub/sub, bad input."""
import asyncio
import time

import pytest

import colonio
from colonio import Condition, Node
from colonio.errors import (ConditionFailedError, HandlerFailedError, InvalidArgumentError, InvalidHandleError,
                            NoHandlerError, NotConnectedError, SeedFailedError, error_for)


async def until_linked(call, seconds=15.0):
    """Retries `call` while the first links form (bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await call()
        except (colonio.errors.ColonioTimeoutError, colonio.errors.UnreachableError,
                colonio.errors.DeliveryFailedError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def two_nodes(seed_url):
    a, b = Node(loopback_only=True), Node(loopback_only=True)
    await a.connect(seed_url, "demo", "demo-token")
    await b.connect(seed_url, "demo", "demo-token")
    return a, b


def test_every_status_code_has_its_exception():
    for code in list(range(1, 22)) + [99]:
        error = error_for(code, "why")
        assert error.code == code and type(error) is not colonio.ColonioError
    assert isinstance(error_for(8, "x"), TimeoutError)
    assert error_for(17, "x", 4).current_version == 4
    assert type(error_for(1234, "x")) is colonio.ColonioError


def test_bad_input_and_use_after_close(seed_url):
    async def main():
        node = Node(loopback_only=True)
        with pytest.raises(NotConnectedError):
            await node.request_to_owner("k", "echo", b"")
        with pytest.raises(SeedFailedError):
            await node.connect(seed_url, "demo", "wrong-token")
        with pytest.raises(InvalidArgumentError):
            await node.request("not-a-node-id", "echo")
        with pytest.raises(TypeError):
            await node.connect(seed_url, None, "demo-token")  # type: ignore[arg-type]
        await node.close()
        with pytest.raises(InvalidHandleError):
            await node.connect(seed_url, "demo", "demo-token")
        await node.close()  # twice is fine
    asyncio.run(main())


def test_requests_handlers_and_errors(seed_url):
    async def main():
        a, b = await two_nodes(seed_url)
        try:
            b.handle("echo", lambda message: b"b:" + message.payload)

            async def slow(message):
                await asyncio.sleep(0.05)
                return message.payload.upper()
            b.handle("slow", slow)

            def broken(message):
                raise RuntimeError("refused on purpose")
            b.handle("broken", broken)
            assert await until_linked(lambda: a.request(b.node_id, "echo", b"hi")) == b"b:hi"
            assert await a.request(b.node_id, "slow", "abc") == b"ABC"
            with pytest.raises(HandlerFailedError, match="refused on purpose"):
                await a.request(b.node_id, "broken")
            with pytest.raises(NoHandlerError):
                await a.request(b.node_id, "nobody")
            # Many at once from one loop.
            replies = await asyncio.gather(*(a.request(b.node_id, "echo", str(i)) for i in range(20)))
            assert replies == [f"b:{i}".encode() for i in range(20)]
            b.remove_handler("echo")
            with pytest.raises(NoHandlerError):
                await a.request(b.node_id, "echo")
            status = await a.status()
            assert status["nodeID"] == a.node_id and status["isConnected"]
            assert isinstance(await a.links(), list)
        finally:
            await a.close()
            await b.close()
    asyncio.run(main())


def test_kvs_conditions(seed_url):
    async def main():
        a, b = await two_nodes(seed_url)
        try:
            key = "python-test/key"
            assert await until_linked(lambda: a.kvs_put(key, b"one", Condition.IF_ABSENT)) == 1
            with pytest.raises(ConditionFailedError) as failed:
                await b.kvs_put(key, b"two", Condition.IF_ABSENT)
            assert failed.value.current_version == 1
            assert await b.kvs_get(key) == colonio.KVSValue(b"one", 1)
            assert await b.kvs_put(key, b"two", Condition.IF_VERSION, 1) == 2
            assert await a.kvs_put(key, b"three", Condition.IF_PRESENT) == 3
            with pytest.raises(ConditionFailedError):
                await a.kvs_delete(key, Condition.IF_VERSION, 1)
            await a.kvs_delete(key)
            assert await a.kvs_get(key) is None
        finally:
            await a.close()
            await b.close()
    asyncio.run(main())


def test_pubsub(seed_url):
    async def main():
        a, b = await two_nodes(seed_url)
        try:
            await a.set_position(10, 10)
            await b.set_position(500, 500)
            async with b.subscribe("python") as deliveries:
                deadline = time.monotonic() + 15
                while True:
                    await a.publish("python", b"hello", (500, 500), 20)
                    try:
                        delivery = await deliveries.get(timeout=0.3)
                        break
                    except asyncio.TimeoutError:
                        assert time.monotonic() < deadline
                assert delivery.payload == b"hello" and delivery.sender == a.node_id
            # Closed (by leaving `async with`): iterating ends instead of waiting forever.
            assert [rest async for rest in deliveries if rest.payload != b"hello"] == []
        finally:
            await a.close()
            await b.close()
    asyncio.run(main())
