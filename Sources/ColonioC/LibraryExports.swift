import CColonio

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The ABI version; raise it with `COLONIO_ABI_VERSION` in colonio.h on every incompatible change.
let abiVersion: UInt32 = 1

@_cdecl("colonio_abi_version")
public func colonio_abi_version() -> UInt32 {
    abiVersion
}

@_cdecl("colonio_last_error_message")
public func colonio_last_error_message() -> UnsafePointer<CChar> {
    // A thread that has not failed yet gets a static empty C string (string literals end in NUL).
    LastError.message ?? UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("colonio_status_name")
public func colonio_status_name(_ status: colonio_status) -> UnsafePointer<CChar> {
    UnsafeRawPointer(Status.name(status).utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("colonio_free")
public func colonio_free(_ buffer: UnsafeMutableRawPointer?) {
    free(buffer)
}
