// `ColonioNodeOptions.clock` and `SeedClient.Options.clock` take a `ColonioClock`: an application that
// imports Colonio can name it without a second import.
@_exported import ColonioTime
