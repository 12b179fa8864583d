using Switchboard.Inference.Templates;
using Xunit.Abstractions;

namespace Switchboard.Inference.Tests.Templates;

/// <summary>Every template in the shared directory either works or fails with <see cref="ChatTemplateException"/>.</summary>
public sealed class TemplateCorpusTests(ITestOutputHelper output)
{
    private static readonly ChatMessage[] Conversation =
    [
        new("system", "You are a helpful assistant."),
        new("user", "Hello!"),
        new("assistant", "Hi there. How can I help?"),
        new("user", "What is 2+2?"),
    ];

    [ModelFact]
    public void Every_template_parses_and_renders_or_fails_with_ChatTemplateException()
    {
        var files = Directory.GetFiles(TestModels.PathOf("templates"), "*.jinja").OrderBy(f => f, StringComparer.Ordinal).ToList();
        int parsed = 0, rendered = 0;
        var failures = new List<string>();
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            ChatTemplate template;
            try
            {
                template = ChatTemplate.Parse(File.ReadAllText(file));
                parsed++;
            }
            catch (ChatTemplateException e)
            {
                failures.Add($"{name}: parse: {e.Message}");
                continue;
            }

            try
            {
                var prompt = template.Render(Conversation, addGenerationPrompt: true, "<s>", "</s>");
                Assert.Contains("What is 2+2?", prompt, StringComparison.Ordinal);
                rendered++;
            }
            catch (ChatTemplateException e)
            {
                failures.Add($"{name}: render: {e.Message}");
            }
        }

        output.WriteLine($"{files.Count} templates: {parsed} parse, {rendered} render");
        foreach (var failure in failures) output.WriteLine(failure);
        Assert.True(rendered * 10 >= files.Count * 8, $"only {rendered} of {files.Count} templates render");
    }
}
