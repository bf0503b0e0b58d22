import CColonio
import ColonioCore

/// Reading what C hands in: every pointer checked, every string validated as UTF-8, everything copied.
enum BoundaryInput {
    static func string(_ pointer: UnsafePointer<CChar>?, _ what: String) throws(ABIFailure) -> String {
        guard let pointer else { throw .invalidArgument("\(what) is NULL") }
        guard let string = String(validatingCString: pointer) else { throw .invalidArgument("\(what) is not valid UTF-8") }
        return string
    }

    static func bytes(_ pointer: UnsafePointer<UInt8>?, _ length: Int, _ what: String) throws(ABIFailure) -> [UInt8] {
        if length == 0 { return [] }
        guard length > 0 else { throw .invalidArgument("\(what): the length is negative as a signed size") }
        guard let pointer else { throw .invalidArgument("\(what) is NULL with a length of \(length)") }
        return Array(UnsafeBufferPointer(start: pointer, count: length))
    }

    static func nodeID(_ pointer: UnsafePointer<CChar>?, _ what: String) throws(ABIFailure) -> NodeID {
        let text = try string(pointer, what)
        guard let id = NodeID(hex: text) else { throw .invalidArgument("\(what) '\(text)' is not 32 hexadecimal digits") }
        return id
    }

    static func required<Pointee>(_ pointer: UnsafeMutablePointer<Pointee>?, _ what: String) throws(ABIFailure)
        -> UnsafeMutablePointer<Pointee>
    {
        guard let pointer else { throw .invalidArgument("\(what) is NULL") }
        return pointer
    }
}
