import CWebRTC

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Helpers to hand Swift strings to the C API for the duration of one call.
enum CStrings {
    /// Calls `body` with C arrays of the interface names and ICE servers; all valid during the call.
    static func withArrays<R>(
        _ names: [String], _ servers: [ICEServer],
        _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>, UnsafeBufferPointer<cwrtc_ice_server>) -> R
    ) -> R {
        var owned: [UnsafeMutablePointer<CChar>] = []
        defer { owned.forEach { free($0) } }
        func duplicate(_ string: String) -> UnsafePointer<CChar> {
            let copy = strdup(string)!
            owned.append(copy)
            return UnsafePointer(copy)
        }
        let namePointers: [UnsafePointer<CChar>?] = names.map { duplicate($0) }
        let urlArrays: [[UnsafePointer<CChar>?]] = servers.map { $0.urls.map { duplicate($0) } }
        let urlBuffers = urlArrays.map { urls in
            let buffer = UnsafeMutableBufferPointer<UnsafePointer<CChar>?>.allocate(capacity: max(urls.count, 1))
            _ = buffer.initialize(from: urls)
            return buffer
        }
        defer { urlBuffers.forEach { $0.deallocate() } }
        let cServers: [cwrtc_ice_server] = zip(servers, urlBuffers).map { server, urls in
            cwrtc_ice_server(
                urls: UnsafePointer(urls.baseAddress),
                url_count: server.urls.count,
                username: server.username.map { duplicate($0) },
                credential: server.credential.map { duplicate($0) }
            )
        }
        return namePointers.withUnsafeBufferPointer { names in
            cServers.withUnsafeBufferPointer { servers in body(names, servers) }
        }
    }

    /// Calls `body` with an error buffer; returns its result and the error text C wrote.
    static func withErrorBuffer<T>(
        _ body: (UnsafeMutablePointer<CChar>, Int) -> T?
    ) -> (value: T?, error: String) {
        var buffer = [CChar](repeating: 0, count: 512)
        let value = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        let error = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (value, error.isEmpty ? "unknown error" : error)
    }

    static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }
}
