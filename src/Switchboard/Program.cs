return await Switchboard.Cli.CommandLine.RunAsync(args);
