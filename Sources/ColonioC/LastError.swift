#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The calling thread's last error message, as C reads it (`colonio_last_error_message`): a `strdup`ed
/// copy per thread, freed when replaced or when the thread exits.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in free(pointer) }
        return key
    }()

    static func set(_ message: String) {
        free(pthread_getspecific(key))
        pthread_setspecific(key, strdup(message))
    }

    /// The message, or `nil` when this thread has not failed yet.
    static var message: UnsafePointer<CChar>? {
        pthread_getspecific(key).map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
    }
}
