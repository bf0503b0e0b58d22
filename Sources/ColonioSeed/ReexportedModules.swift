// What the seed's public API names (`RoutingSettings`, `NodeID`, `ColonioClock`, ...), importable with
// `import ColonioSeed` alone.
@_exported import ColonioCore
@_exported import ColonioTime
