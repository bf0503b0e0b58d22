import CWebRTC

/// Carries a continuation through a C completion callback's context pointer (retained until called).
final class Completion<Value: Sendable>: @unchecked Sendable {
    let continuation: CheckedContinuation<Value, Never>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation = continuation
    }

    /// The context pointer to pass to C; `resume(_:with:)` balances it.
    var context: UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }

    static func resume(_ context: UnsafeMutableRawPointer?, with value: Value) {
        Unmanaged<Completion<Value>>.fromOpaque(context!).takeRetainedValue().continuation.resume(returning: value)
    }
}

extension WebRTCError {
    init(code: cwrtc_error, message: UnsafePointer<CChar>?) {
        let text = CStrings.string(message)
        switch code {
        case CWRTC_INVALID_SDP: self = .invalidSDP(text)
        case CWRTC_INVALID_CANDIDATE: self = .invalidCandidate(text)
        case CWRTC_CLOSED: self = .closed
        default: self = .engineFailure(text)
        }
    }
}
