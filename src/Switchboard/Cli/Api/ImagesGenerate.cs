using System.CommandLine;
using System.Globalization;
using OpenAI.Images;

namespace Switchboard.Cli.Api;

/// <summary><c>api images.generate -p PROMPT [-n N] [-s WxH] [--out DIR]</c>: saves images sent as base64, prints the URLs of the rest.</summary>
internal static class ImagesGenerate
{
    public static Command Create(ApiCommandShared shared)
    {
        var prompt = new Option<string>("--prompt", "-p") { Description = "What to draw.", Required = true };
        var model = new Option<string>("--model", "-m") { Description = "The image model.", DefaultValueFactory = _ => "dall-e-2" };
        var count = new Option<int>("--num-images", "-n") { Description = "How many images.", DefaultValueFactory = _ => 1 };
        var size = new Option<string>("--size", "-s") { Description = "WIDTHxHEIGHT, e.g. 1024x1024." };
        var output = new Option<string>("--out") { Description = "Where to save images sent as base64 (default: the current directory).", DefaultValueFactory = _ => "." };
        var command = new Command("images.generate", "Generate images from a prompt.") { prompt, model, count, size, output };
        command.WithExamples("""
            Examples:
              switchboard api images.generate -p "a red fox in the snow" -n 2 -s 1024x1024 --out ./foxes
            """);
        command.SetAction((parsed, cancellationToken) => shared.RunAsync(parsed, async (connection, json) =>
        {
            var options = new ImageGenerationOptions();
            if (parsed.GetValue(size) is { } given)
            {
                var parts = given.Split('x');
                if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var width)
                    || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var height))
                    return CommandLine.Fail(shared.Context.Error, $"--size '{given}' is not WIDTHxHEIGHT, e.g. 1024x1024.");
                options.Size = new GeneratedImageSize(width, height);
            }
            var n = parsed.GetValue(count);
            if (n is < 1 or > 10) return CommandLine.Fail(shared.Context.Error, "--num-images takes 1 to 10.");
            var result = await connection.Client().GetImageClient(parsed.GetRequiredValue(model))
                .GenerateImagesAsync(parsed.GetRequiredValue(prompt), n, options, cancellationToken);
            if (json)
            {
                await shared.Context.Output.WriteLineAsync(result.GetRawResponse().Content.ToString());
                return 0;
            }
            var directory = Path.GetFullPath(parsed.GetValue(output)!, shared.Context.WorkingDirectory);
            var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            for (var i = 0; i < result.Value.Count; i++)
            {
                var image = result.Value[i];
                if (image.ImageBytes is { } bytes)
                {
                    Directory.CreateDirectory(directory);
                    var file = Path.Combine(directory, $"image-{stamp}-{i + 1}.png");
                    await File.WriteAllBytesAsync(file, bytes.ToArray(), cancellationToken);
                    await shared.Context.Output.WriteLineAsync(file);
                }
                else if (image.ImageUri is { } uri)
                {
                    await shared.Context.Output.WriteLineAsync(uri.AbsoluteUri);
                }
            }
            return 0;
        }));
        return command;
    }
}
