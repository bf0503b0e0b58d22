/// A sequential specification the linearizability checker compares a concurrent history against.
protocol LinearizabilityModel {
    associatedtype State: Hashable
    associatedtype Input
    associatedtype Output

    /// The state before the first operation.
    static var initialState: State { get }

    /// The state after applying `input` to `state`, or `nil` if the operation could not have returned
    /// `output` from that state. `output == nil` means the outcome is unknown (the operation never returned):
    /// it may have taken effect with any result.
    static func step(_ state: State, _ input: Input, _ output: Output?) -> State?
}

/// One operation of a recorded history. Times come from one global counter, so calls and returns are
/// strictly ordered; `returned == nil` means the operation never returned (it may or may not have
/// taken effect).
struct HistoryOperation<Input, Output> {
    var partition: String
    var input: Input
    var output: Output?
    var called: UInt64
    var returned: UInt64?
}
