import ArgumentParser
import Foundation

/// A `colonio seed` child process of `colonio bench seed`; learns its port from the JSON line it
/// prints, and reads its memory and CPU time from `/proc` so they are the seed's alone.
final class SeedProcess {
    let process = Process()
    /// The port the seed listens on.
    let port: Int

    init(executable: String, arguments: [String]) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
        struct Listening: Decodable {
            struct Address: Decodable { var port: Int }
            var listening: Address
        }
        // Skip lines a wrapper (a profiler, say) may print before the seed's own.
        let handle = output.fileHandleForReading
        var found: Int?
        var line = Data()
        while found == nil {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty { break }
            if byte == Data([0x0A]) {
                found = (try? JSONDecoder().decode(Listening.self, from: line))?.listening.port
                line = Data()
            } else {
                line.append(byte)
            }
        }
        guard let found else {
            process.terminate()
            throw ValidationError("the seed process did not start; run it alone with the same configuration to see why")
        }
        port = found
    }

    /// Resident memory now, in bytes.
    func residentBytes() -> Int { ProcessStatus.bytes("VmRSS", pid: "\(process.processIdentifier)") }

    /// Peak resident memory so far, in bytes.
    func peakResidentBytes() -> Int { ProcessStatus.bytes("VmHWM", pid: "\(process.processIdentifier)") }

    /// User plus system CPU time of the seed so far, in seconds.
    func cpuSeconds() -> Double { ProcessStatus.cpuSeconds(pid: "\(process.processIdentifier)") }

    /// Terminates the seed and waits for it to exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
