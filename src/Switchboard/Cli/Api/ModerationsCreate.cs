using System.CommandLine;

namespace Switchboard.Cli.Api;

/// <summary><c>api moderations.create -i INPUT [-m MODEL]</c>.</summary>
internal static class ModerationsCreate
{
    public static Command Create(ApiCommandShared shared)
    {
        var input = new Option<string>("--input", "-i") { Description = "The text to classify.", Required = true };
        var model = new Option<string>("--model", "-m") { Description = "The moderation model.", DefaultValueFactory = _ => "omni-moderation-latest" };
        var command = new Command("moderations.create", "Classify text as moderation does (flagged, and the categories that flagged it).") { input, model };
        command.WithExamples("""
            Examples:
              switchboard api moderations.create -i "some text to check"
            """);
        command.SetAction((parsed, cancellationToken) => shared.RunAsync(parsed, async (connection, json) =>
        {
            var result = await connection.Client().GetModerationClient(parsed.GetRequiredValue(model))
                .ClassifyTextAsync(parsed.GetRequiredValue(input), cancellationToken);
            if (json)
            {
                await shared.Context.Output.WriteLineAsync(result.GetRawResponse().Content.ToString());
                return 0;
            }
            var flagged = result.Value.Flagged;
            var categories = Categories(result.Value);
            await shared.Context.Output.WriteLineAsync(flagged ? $"flagged: {string.Join(", ", categories)}" : "not flagged");
            return 0;
        }));
        return command;
    }

    private static IEnumerable<string> Categories(OpenAI.Moderations.ModerationResult result) =>
        new (string Name, OpenAI.Moderations.ModerationCategory Category)[]
        {
            ("harassment", result.Harassment), ("harassment/threatening", result.HarassmentThreatening), ("hate", result.Hate),
            ("hate/threatening", result.HateThreatening), ("illicit", result.Illicit), ("illicit/violent", result.IllicitViolent),
            ("self-harm", result.SelfHarm), ("self-harm/instructions", result.SelfHarmInstructions), ("self-harm/intent", result.SelfHarmIntent),
            ("sexual", result.Sexual), ("sexual/minors", result.SexualMinors), ("violence", result.Violence), ("violence/graphic", result.ViolenceGraphic),
        }.Where(c => c.Category.Flagged).Select(c => c.Name);
}
