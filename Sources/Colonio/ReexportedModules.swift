// What the public API names, importable with `import Colonio` alone: the core's types (`NodeID`,
// `Position`, `KVSValue`, `SpreadOptions`, ...) and `ColonioClock` (`ColonioNodeOptions.clock`).
@_exported import ColonioCore
@_exported import ColonioTime
