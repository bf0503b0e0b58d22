/// This release of Colonio for Swift (`colonio --version`; the same in native and browser builds).
public enum ColonioVersion {
    public static let current = "0.2.0"
}
