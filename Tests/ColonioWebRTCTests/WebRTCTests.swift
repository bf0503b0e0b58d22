import Testing

/// Every WebRTC suite runs inside this one, one test at a time: the links share the machine's cores, and
/// the leak tests count the whole process's threads and descriptors.
@Suite(.serialized)
enum WebRTCTests {}
