"""Exceptions for the status codes of colonio.h: one class per code, all subclasses of ColonioError."""
from __future__ import annotations

import builtins
from typing import Optional


class ColonioError(Exception):
    """A failed call: `code` is the status of colonio.h, `message` the library's explanation."""

    code = 0

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgumentError(ColonioError, ValueError):
    code = 1


class InvalidHandleError(ColonioError):
    """The node was closed (or a subscription ended, or a request answered already)."""
    code = 2


class NotConnectedError(ColonioError):
    code = 3


class AlreadyConnectedError(ColonioError):
    code = 4


class SeedFailedError(ColonioError, ConnectionError):
    code = 5


class LinksUnavailableError(ColonioError):
    code = 6


class UnreachableError(ColonioError):
    code = 7


class ColonioTimeoutError(ColonioError, builtins.TimeoutError):
    """No answer in time; a KVS write that timed out may have been applied: read before retrying."""
    code = 8


class NoHandlerError(ColonioError):
    code = 9


class HandlerFailedError(ColonioError):
    code = 10


class MessageTooLargeError(ColonioError):
    code = 11


class InvalidNameError(ColonioError, ValueError):
    code = 12


class NetworkClosedError(ColonioError):
    code = 13


class InvalidPositionError(ColonioError, ValueError):
    code = 14


class PublishFailedError(ColonioError):
    code = 15


class NoReceiverError(ColonioError):
    code = 16


class ConditionFailedError(ColonioError):
    """A KVS condition did not hold; `current_version` is the key's version then (0: no value)."""
    code = 17

    def __init__(self, message: str, code: Optional[int] = None, current_version: int = 0) -> None:
        super().__init__(message, code)
        self.current_version = current_version


class UnavailableError(ColonioError):
    code = 18


class KeyTooLargeError(ColonioError):
    code = 19


class ValueTooLargeError(ColonioError):
    code = 20


class DeliveryFailedError(ColonioError):
    code = 21


class InternalError(ColonioError):
    code = 99


_BY_CODE = {cls.code: cls for cls in [
    InvalidArgumentError, InvalidHandleError, NotConnectedError, AlreadyConnectedError, SeedFailedError,
    LinksUnavailableError, UnreachableError, ColonioTimeoutError, NoHandlerError, HandlerFailedError,
    MessageTooLargeError, InvalidNameError, NetworkClosedError, InvalidPositionError, PublishFailedError,
    NoReceiverError, ConditionFailedError, UnavailableError, KeyTooLargeError, ValueTooLargeError,
    DeliveryFailedError, InternalError]}


def error_for(code: int, message: str, current_version: int = 0) -> ColonioError:
    """The exception of a status code (ColonioError itself for a code this version does not know)."""
    cls = _BY_CODE.get(code)
    if cls is ConditionFailedError:
        return ConditionFailedError(message, code, current_version)
    if cls is None:
        return ColonioError(message, code)
    return cls(message, code)
