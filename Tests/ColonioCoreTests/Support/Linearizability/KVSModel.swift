@testable import ColonioCore

/// The sequential specification of one KVS key, written independently of `KVSRegister` so the checker
/// does not share the implementation's mistakes.
enum KVSModel: LinearizabilityModel {
    struct State: Hashable {
        var version: UInt64 = 0
        var bytes: [UInt8]?
    }

    static let initialState = State()

    static func step(_ state: State, _ input: KVSCommand, _ output: Result<KVSValue?, KVSError>?) -> State? {
        let current = state.bytes.map { KVSValue(bytes: $0, version: state.version) }
        let next: State
        let expected: Result<KVSValue?, KVSError>
        switch input {
        case .get, .repair:
            next = state
            expected = .success(current)
        case .put(let bytes, let condition):
            if holds(condition, current) {
                next = State(version: state.version + 1, bytes: bytes)
                expected = .success(KVSValue(bytes: bytes, version: state.version + 1))
            } else {
                next = state
                expected = .failure(.conditionFailed(currentVersion: current?.version))
            }
        case .delete(let condition):
            if holds(condition, current) {
                next = current == nil ? state : State(version: state.version + 1, bytes: nil)
                expected = .success(nil)
            } else {
                next = state
                expected = .failure(.conditionFailed(currentVersion: current?.version))
            }
        }
        guard let output else { return next }
        return output == expected ? next : nil
    }

    private static func holds(_ condition: KVSCondition, _ current: KVSValue?) -> Bool {
        switch condition {
        case .none: return true
        case .ifAbsent: return current == nil
        case .ifPresent: return current != nil
        case .ifVersion(let version): return current != nil && current!.version == version
        }
    }
}
