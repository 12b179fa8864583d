using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Switchboard.Cli;

/// <summary>
/// Examples shown under a command's own <c>--help</c>, after the usage and options, so that <c>switchboard --help</c>
/// keeps one line per command.
/// </summary>
internal static class HelpExamples
{
    private static readonly ConditionalWeakTable<Command, string> Examples = [];

    public static T WithExamples<T>(this T command, string examples) where T : Command
    {
        Examples.AddOrUpdate(command, examples);
        return command;
    }

    /// <summary>Makes the root's <c>--help</c> print a command's examples after the standard help.</summary>
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction standard) help.Action = new WithExamplesAction(standard);
    }

    /// <summary>Whether the parse asks for help (which is shown even when required options are missing).</summary>
    public static bool IsHelp(ParseResult parsed) => parsed.Action is WithExamplesAction or HelpAction;

    private sealed class WithExamplesAction(HelpAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var exit = standard.Invoke(parseResult);
            if (Examples.TryGetValue(parseResult.CommandResult.Command, out var examples))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(examples.TrimEnd());
                output.WriteLine();
            }
            return exit;
        }
    }
}
