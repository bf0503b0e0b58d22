#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// What the library hands out: `malloc`ed copies the caller releases with `colonio_free`.
enum BoundaryOutput {
    /// A copy of `bytes`; never NULL, even for no bytes, so that NULL always means "nothing returned".
    static func bytes(_ bytes: [UInt8]) throws(ABIFailure) -> UnsafeMutablePointer<UInt8> {
        guard let buffer = malloc(max(bytes.count, 1))?.assumingMemoryBound(to: UInt8.self) else {
            throw .internalError("out of memory for \(bytes.count) bytes")
        }
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { buffer.update(from: base, count: source.count) }
        }
        return buffer
    }

    static func string(_ string: String) throws(ABIFailure) -> UnsafeMutablePointer<CChar> {
        guard let copy = strdup(string) else { throw .internalError("out of memory for a string") }
        return copy
    }
}
