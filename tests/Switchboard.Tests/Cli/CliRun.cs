using Switchboard.Cli;

namespace Switchboard.Tests.Cli;

/// <summary>Runs the <c>switchboard</c> command line in-process with its own terminal, environment and directories.</summary>
internal sealed class CliRun
{
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);
    public string WorkingDirectory { get; } = Directory.CreateTempSubdirectory("switchboard-cli-").FullName;
    public string HomeDirectory { get; } = Directory.CreateTempSubdirectory("switchboard-home-").FullName;
    /// <summary>Whether the command is told its output is a terminal (it is a <c>StringWriter</c> either way).</summary>
    public bool OutputIsTerminal { get; set; }

    /// <summary>Talking to <paramref name="gateway"/> through <c>OPENAI_BASE_URL</c> (admin commands: <c>SWITCHBOARD_URL</c>), as a user would set them.</summary>
    public static CliRun Against(Fixtures.GatewayHost gateway)
    {
        var run = new CliRun();
        run.Point(gateway);
        return run;
    }

    public void Point(Fixtures.GatewayHost gateway)
    {
        Environment["OPENAI_BASE_URL"] = gateway.BaseUrl + "/v1";
        Environment["SWITCHBOARD_URL"] = gateway.BaseUrl + "/v1";
    }

    /// <summary>Runs the command; <paramref name="input"/> is standard input (piped when <paramref name="piped"/>).</summary>
    public async Task<(int Exit, string Output, string Error)> RunAsync(string? input = null, bool piped = false, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(new StringReader(input ?? ""), output, error, piped, Environment, WorkingDirectory, HomeDirectory) { OutputIsTerminal = OutputIsTerminal };
        var exit = await CommandLine.RunAsync(args, context);
        return (exit, output.ToString(), error.ToString());
    }

    public Task<(int Exit, string Output, string Error)> RunAsync(params string[] args) => RunAsync(null, false, args);
}
