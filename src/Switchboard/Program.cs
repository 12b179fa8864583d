// Socket continuations run on the epoll thread instead of hopping to the thread pool: one context switch
// fewer per I/O, which is most of a proxy's cost on few cores (see docs/benchmarks.md). Our request path never
// blocks, which this requires. An explicit setting in the environment wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

return await Switchboard.Cli.CommandLine.RunAsync(args);
