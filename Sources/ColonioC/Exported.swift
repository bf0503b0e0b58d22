import CColonio

/// Runs the body of an exported function: its failure becomes the returned status and the thread's last
/// error, so that nothing thrown ever crosses the C boundary.
func exported(_ body: () throws(ABIFailure) -> Void) -> colonio_status {
    do throws(ABIFailure) {
        try body()
        return Status.ok
    } catch {
        LastError.set(error.message)
        return error.status
    }
}
