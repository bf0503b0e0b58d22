/// The protobuf wire types Colonio uses. Groups (3, 4) are deprecated in protobuf and rejected.
public enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}
