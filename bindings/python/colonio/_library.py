"""Loads libcolonio.so and declares the functions of colonio.h for ctypes."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, c_char_p, c_double, c_int32, c_size_t, c_uint32, c_uint64, c_void_p)
from pathlib import Path
from typing import Optional

from .errors import error_for

ABI_VERSION = 1


class NodeOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("loopback_only", c_int32),
        ("allowed_interfaces", POINTER(c_char_p)),
        ("allowed_interface_count", c_size_t),
        ("tick_interval_ms", c_uint32),
        ("retry_delay_ms", c_uint32),
        ("maximum_retry_delay_ms", c_uint32),
    ]


HANDLER_FN = CFUNCTYPE(None, c_void_p, c_uint64, c_char_p, c_char_p, c_void_p, c_size_t, c_uint32)
DELIVERY_FN = CFUNCTYPE(None, c_void_p, c_char_p, c_char_p, c_void_p, c_size_t, c_double, c_double, c_double, c_uint32)

_STATUS = c_int32
_PROTOTYPES = {
    "colonio_abi_version": (c_uint32, []),
    "colonio_last_error_message": (c_char_p, []),
    "colonio_status_name": (c_char_p, [c_int32]),
    "colonio_free": (None, [c_void_p]),
    "colonio_node_new": (_STATUS, [POINTER(NodeOptions), POINTER(c_uint64)]),
    "colonio_node_free": (_STATUS, [c_uint64]),
    "colonio_node_connect": (_STATUS, [c_uint64, c_char_p, c_char_p, c_char_p]),
    "colonio_node_disconnect": (_STATUS, [c_uint64]),
    "colonio_node_id": (_STATUS, [c_uint64, POINTER(c_void_p)]),
    "colonio_node_status_json": (_STATUS, [c_uint64, POINTER(c_void_p)]),
    "colonio_node_links_json": (_STATUS, [c_uint64, POINTER(c_void_p)]),
    "colonio_handle": (_STATUS, [c_uint64, c_char_p, HANDLER_FN, c_void_p]),
    "colonio_remove_handler": (_STATUS, [c_uint64, c_char_p]),
    "colonio_reply_bytes": (_STATUS, [c_uint64, c_char_p, c_size_t]),
    "colonio_reply_error": (_STATUS, [c_uint64, c_char_p]),
    "colonio_send": (_STATUS, [c_uint64, c_char_p, c_char_p, c_char_p, c_size_t]),
    "colonio_send_to_owner": (_STATUS, [c_uint64, c_char_p, c_char_p, c_char_p, c_size_t]),
    "colonio_request": (_STATUS, [c_uint64, c_char_p, c_char_p, c_char_p, c_size_t, POINTER(c_void_p), POINTER(c_size_t)]),
    "colonio_request_to_owner": (_STATUS, [c_uint64, c_char_p, c_char_p, c_char_p, c_size_t, POINTER(c_void_p),
                                           POINTER(c_size_t)]),
    "colonio_set_position": (_STATUS, [c_uint64, c_double, c_double]),
    "colonio_publish": (_STATUS, [c_uint64, c_char_p, c_char_p, c_size_t, c_double, c_double, c_double, c_uint32]),
    "colonio_subscribe": (_STATUS, [c_uint64, c_char_p, DELIVERY_FN, c_void_p, POINTER(c_uint64)]),
    "colonio_unsubscribe": (_STATUS, [c_uint64, c_uint64]),
    "colonio_kvs_get": (_STATUS, [c_uint64, c_char_p, POINTER(c_int32), POINTER(c_void_p), POINTER(c_size_t),
                                  POINTER(c_uint64)]),
    "colonio_kvs_put": (_STATUS, [c_uint64, c_char_p, c_char_p, c_size_t, c_int32, c_uint64, POINTER(c_uint64)]),
    "colonio_kvs_delete": (_STATUS, [c_uint64, c_char_p, c_int32, c_uint64, POINTER(c_uint64)]),
}


def _candidates() -> list[str]:
    """Where libcolonio.so may be: $COLONIO_LIBRARY, $COLONIO_PREFIX/lib, the loader's path, /usr/local."""
    found = []
    explicit = os.environ.get("COLONIO_LIBRARY")
    if explicit:
        return [explicit]
    prefix = os.environ.get("COLONIO_PREFIX")
    if prefix:
        found.append(str(Path(prefix) / "lib" / "libcolonio.so"))
    by_name = ctypes.util.find_library("colonio")
    if by_name:
        found.append(by_name)
    found += ["libcolonio.so", "/usr/local/lib/libcolonio.so"]
    return found


def _load() -> ctypes.CDLL:
    errors = []
    for candidate in _candidates():
        try:
            library = ctypes.CDLL(candidate)
            break
        except OSError as error:
            errors.append(f"{candidate}: {error}")
    else:
        raise ImportError("cannot load libcolonio.so; build it (make lib) and set COLONIO_LIBRARY to its path, or "
                          "install it (make install PREFIX=...) and set COLONIO_PREFIX. Tried: " + "; ".join(errors))
    for name, (restype, argtypes) in _PROTOTYPES.items():
        function = getattr(library, name)
        function.restype = restype
        function.argtypes = argtypes
    version = library.colonio_abi_version()
    if version != ABI_VERSION:
        raise ImportError(f"libcolonio.so has ABI version {version}; this package needs {ABI_VERSION}")
    return library


_library: Optional[ctypes.CDLL] = None


def library() -> ctypes.CDLL:
    """The loaded library (loaded on first use, so that importing the package never fails)."""
    global _library
    if _library is None:
        _library = _load()
    return _library


def check(status: int, current_version: int = 0) -> None:
    """Raises the exception of `status` with this thread's last error message; call on the calling thread."""
    if status != 0:
        message = library().colonio_last_error_message() or b""
        raise error_for(status, message.decode("utf-8", "replace"), current_version)


def take_bytes(pointer: c_void_p, length: int) -> bytes:
    """Copies and frees a buffer the library returned."""
    if not pointer.value:
        return b""
    try:
        return ctypes.string_at(pointer.value, length)
    finally:
        library().colonio_free(pointer)


def take_string(pointer: c_void_p) -> str:
    """Copies and frees a NUL-terminated string the library returned."""
    if not pointer.value:
        return ""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        library().colonio_free(pointer)
