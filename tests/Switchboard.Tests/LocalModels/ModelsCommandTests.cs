using Switchboard.Cli;
using Switchboard.Inference.Gguf;

namespace Switchboard.Tests.LocalModels;

/// <summary><c>switchboard models pull|list|rm</c> against a download server on 127.0.0.1 (never the internet).</summary>
public sealed class ModelsCommandTests : IDisposable
{
    private const int Size = 3 * 1024 * 1024 + 123;
    private readonly string _models = Directory.CreateTempSubdirectory("switchboard-models-").FullName;

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CommandLine.RunAsync([.. args, "--models-dir", _models], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string[] FilesLeft() => Directory.GetFiles(_models).Select(Path.GetFileName).ToArray()!;

    [Fact]
    public async Task A_download_that_breaks_off_resumes_with_a_range_request_and_is_verified()
    {
        await using var server = await FileServer.StartAsync(Size);
        server.DropFirstAfter = 1_000_000;

        var (code, output, error) = await RunAsync("models", "pull", $"{server.BaseUrl}/files/model.gguf");

        Assert.True(code == 0, error);
        Assert.Contains("verified", output, StringComparison.Ordinal);
        Assert.Equal(server.Content, await File.ReadAllBytesAsync(Path.Combine(_models, "model.gguf")));
        Assert.Equal(["model.gguf"], FilesLeft());
        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Null(requests[0].Range);
        // The second request asks for the rest, from what had arrived when the connection broke.
        Assert.StartsWith("bytes=", requests[1].Range, StringComparison.Ordinal);
        var resumedAt = long.Parse(requests[1].Range!["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 1, 1_000_000);
    }

    [Fact]
    public async Task A_download_interrupted_in_an_earlier_run_continues_where_it_stopped()
    {
        await using var server = await FileServer.StartAsync(Size);
        await File.WriteAllBytesAsync(Path.Combine(_models, "model.gguf.part"), server.Content[..2_000_000]);

        var (code, _, error) = await RunAsync("models", "pull", $"{server.BaseUrl}/files/model.gguf");

        Assert.True(code == 0, error);
        Assert.Equal(server.Content, await File.ReadAllBytesAsync(Path.Combine(_models, "model.gguf")));
        Assert.Equal("bytes=2000000-", Assert.Single(server.Requests).Range);
    }

    [Fact]
    public async Task A_partial_file_longer_than_the_file_is_not_taken_for_the_whole_file()
    {
        await using var server = await FileServer.StartAsync(Size);
        await File.WriteAllBytesAsync(Path.Combine(_models, "model.gguf.part"), [.. server.Content, .. new byte[10]]);

        var (code, _, error) = await RunAsync("models", "pull", $"{server.BaseUrl}/files/model.gguf", "--sha256", server.Sha256);

        Assert.True(code == 0, error);
        Assert.Equal(server.Content, await File.ReadAllBytesAsync(Path.Combine(_models, "model.gguf")));
        var requests = server.Requests.ToArray();
        Assert.Equal($"bytes={Size + 10}-", requests[0].Range);
        Assert.Null(requests[^1].Range);
    }

    [Fact]
    public async Task A_wrong_checksum_removes_the_partial_file_and_says_so()
    {
        await using var server = await FileServer.StartAsync(Size);
        server.AnnouncedSha256 = new string('a', 64);

        var (code, _, error) = await RunAsync("models", "pull", $"{server.BaseUrl}/files/model.gguf");

        Assert.Equal(1, code);
        Assert.Contains("checksum mismatch", error, StringComparison.Ordinal);
        Assert.Contains("partial file was removed", error, StringComparison.Ordinal);
        Assert.Empty(FilesLeft());
    }

    [Fact]
    public async Task A_checksum_given_on_the_command_line_is_checked_too()
    {
        await using var server = await FileServer.StartAsync(Size);

        var (code, _, error) = await RunAsync("models", "pull", $"{server.BaseUrl}/files/model.gguf", "--sha256", new string('b', 64));

        Assert.Equal(1, code);
        Assert.Contains("checksum mismatch", error, StringComparison.Ordinal);
        Assert.Empty(FilesLeft());
    }

    [Fact]
    public async Task A_missing_file_is_a_clear_error_and_leaves_nothing()
    {
        await using var server = await FileServer.StartAsync(Size);

        var (code, _, error) = await RunAsync("models", "pull", $"{server.BaseUrl}/files/missing.gguf");

        Assert.Equal(1, code);
        Assert.Contains("404", error, StringComparison.Ordinal);
        Assert.Empty(FilesLeft());
    }

    [Fact]
    public async Task A_short_name_comes_from_HF_ENDPOINT_under_its_own_name()
    {
        await using var server = await FileServer.StartAsync(Size);
        var before = Environment.GetEnvironmentVariable("HF_ENDPOINT");
        Environment.SetEnvironmentVariable("HF_ENDPOINT", server.BaseUrl);
        try
        {
            var (code, output, error) = await RunAsync("models", "pull", "qwen2.5-0.5b-instruct");

            Assert.True(code == 0, error);
            Assert.Contains("verified", output, StringComparison.Ordinal);
            Assert.Equal(["qwen2.5-0.5b-instruct.gguf"], FilesLeft());
            Assert.Equal("/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q8_0.gguf", server.Requests.First().Path);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_ENDPOINT", before);
        }
    }

    [Fact]
    public async Task An_unknown_name_or_a_file_that_is_not_gguf_is_a_usage_error()
    {
        var (code, _, error) = await RunAsync("models", "pull", "no-such-model");
        Assert.Equal(2, code);
        Assert.Contains("qwen2.5-0.5b-instruct", error, StringComparison.Ordinal);

        (code, _, error) = await RunAsync("models", "pull", "https://example.invalid/weights.bin");
        Assert.Equal(2, code);
        Assert.Contains("not a .gguf file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_describes_each_model_and_rm_removes_it()
    {
        // A small model file: its header is all `list` reads (mostly Q8_0 weights, one F32 norm).
        new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("llama.context_length", 2048u)
            .AddTensor("token_embd.weight", GgmlType.Q8_0, [64, 8], new byte[8 * 2 * 34])
            .AddTensor("output_norm.weight", GgmlType.F32, [64], new byte[64 * 4])
            .Write(Path.Combine(_models, "stories260K.gguf"));
        await File.WriteAllTextAsync(Path.Combine(_models, "broken.gguf"), "not a model");

        var (code, output, _) = await RunAsync("models", "list");
        Assert.Equal(0, code);
        var stories260K = output.Split('\n').Single(l => l.Contains("local/stories260K", StringComparison.Ordinal));
        Assert.Contains("llama", stories260K, StringComparison.Ordinal);
        Assert.Contains("2048", stories260K, StringComparison.Ordinal);
        Assert.Contains("Q8_0", stories260K, StringComparison.Ordinal);
        Assert.Contains("unreadable", output.Split('\n').Single(l => l.Contains("local/broken", StringComparison.Ordinal)), StringComparison.Ordinal);

        (code, _, _) = await RunAsync("models", "rm", "local/stories260K");
        Assert.Equal(0, code);
        Assert.Equal(["broken.gguf"], FilesLeft());
        (code, _, var error) = await RunAsync("models", "rm", "stories260K");
        Assert.Equal(1, code);
        Assert.Contains("no model", error, StringComparison.Ordinal);
        (code, _, _) = await RunAsync("models", "rm", "../escape");
        Assert.Equal(2, code);
    }

    public void Dispose() => Directory.Delete(_models, recursive: true);
}
