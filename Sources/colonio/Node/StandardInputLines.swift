import Foundation

/// Lines of standard input as an async stream, read on a dedicated thread so that a blocking read never
/// holds one of the few cooperative threads. The stream ends at end of input.
enum StandardInputLines {
    static func stream() -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let reader = Thread {
            while let line = readLine(strippingNewline: true) {
                continuation.yield(line)
            }
            continuation.finish()
        }
        reader.name = "colonio.stdin"
        reader.start()
        return lines
    }
}
