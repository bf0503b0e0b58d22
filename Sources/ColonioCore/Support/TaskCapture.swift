/// A value handed to a `Task` inside a reference.
///
/// Swift 6.3 on x86-64 miscompiles an async closure that captures a 16-byte-aligned value (a
/// `NodeID`, or anything holding one) next to other captures: see "Toolchain pitfall" in
/// docs/architecture.md. Capturing this box instead keeps the closure's context to pointers.
package final class TaskCapture<Value: Sendable>: Sendable {
    package let value: Value

    package init(_ value: Value) {
        self.value = value
    }
}
