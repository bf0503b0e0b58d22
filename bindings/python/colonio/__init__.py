"""Colonio nodes in Python: the same network as Swift, Go and browser nodes, over libcolonio.so.

    import asyncio, colonio
    async def main():
        async with colonio.Node(loopback_only=True) as node:
            await node.connect("ws://127.0.0.1:8080", "demo", "demo-token")
            print(await node.request_to_owner("greeting", "echo", b"hi"))
    asyncio.run(main())
"""
from ._library import ABI_VERSION
from .errors import *  # noqa: F401,F403
from .errors import ColonioError, ConditionFailedError, HandlerFailedError, NoHandlerError
from .node import Condition, Delivery, KVSValue, Message, Node, Subscription

__all__ = ["ABI_VERSION", "ColonioError", "ConditionFailedError", "Condition", "Delivery", "HandlerFailedError",
           "KVSValue", "Message", "NoHandlerError", "Node", "Subscription"]
