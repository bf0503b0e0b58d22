extension Duration {
    /// Whole milliseconds (rounded toward zero), the unit of the state machines' clock and settings.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
