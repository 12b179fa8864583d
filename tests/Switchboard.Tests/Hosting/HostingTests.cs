using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Cli;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Hosting;

public sealed class HostingTests
{
    [Fact]
    public async Task Health_and_readiness_answer()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>());
        using var health = await gateway.Http.GetAsync("/healthz");
        using var ready = await gateway.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", Sse.Json(await ready.Content.ReadAsStringAsync()).GetProperty("status").GetString());
        Assert.True(health.Headers.Contains("x-request-id"));
    }

    [Fact]
    public async Task Every_response_has_its_own_request_id_in_OpenAI_s_form()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>());
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await Parallel.ForAsync(0, 200, async (_, cancel) =>
        {
            using var response = await gateway.Http.GetAsync("/healthz", cancel);
            var id = Assert.Single(response.Headers.GetValues("x-request-id"));
            Assert.Matches("^req_[0-9a-f]{32}$", id);
            lock (ids) Assert.True(ids.Add(id), $"{id} was given twice");
        });
        Assert.Equal(200, ids.Count);
    }

    [Fact]
    public async Task Readiness_fails_while_shutting_down_so_load_balancers_stop_sending()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.On("keeps-running", async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunk("held"));
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(30), x.Aborted);
            await x.Done();
        });
        var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        await using (gateway)
        {
            // An open stream keeps the server draining, and its connection lets readiness be asked meanwhile.
            using var stream = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Sse.ChatRequest("keeps-running"), HttpCompletionOption.ResponseHeadersRead);
            var body = await stream.Content.ReadAsStreamAsync();
            Assert.True(await body.ReadAsync(new byte[1]) > 0);
            var stoppingSignalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            gateway.App.Lifetime.ApplicationStopping.Register(() => stoppingSignalled.TrySetResult());
            var stopping = gateway.App.StopAsync();
            await stoppingSignalled.Task.WaitAsync(TimeSpan.FromSeconds(15));

            var readiness = gateway.App.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
                .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>().Single(e => e.RoutePattern.RawText == "/readyz");
            var context = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = gateway.App.Services };
            context.Response.Body = new MemoryStream();
            await readiness.RequestDelegate!(context);
            Assert.Equal(503, context.Response.StatusCode);
            context.Response.Body.Position = 0;
            Assert.Equal("not_ready", Sse.Json(await new StreamReader(context.Response.Body).ReadToEndAsync()).GetProperty("status").GetString());

            gate.SetResult();
            await stopping.WaitAsync(TimeSpan.FromSeconds(15));
        }
    }

    [Fact]
    public async Task Shutdown_lets_an_in_flight_stream_finish()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.On("long-stream", async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunk("before"));
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(30), x.Aborted);
            await x.Event(ContentChunk("after"));
            await x.Done();
        });
        var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        await using (gateway)
        {
            using var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Sse.ChatRequest("long-stream"), HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var received = new StringBuilder();
            while (!received.ToString().Contains("before", StringComparison.Ordinal))
                received.AppendLine(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)));

            var stopping = gateway.App.StopAsync();
            Assert.False(stopping.IsCompleted);
            gate.SetResult();
            received.Append(await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15)));
            await stopping.WaitAsync(TimeSpan.FromSeconds(15));

            Assert.Contains("after", received.ToString(), StringComparison.Ordinal);
            Assert.EndsWith("data: [DONE]", received.ToString().TrimEnd(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Cli_rejects_bad_usage_and_bad_configuration_with_exit_code_2()
    {
        var dir = Directory.CreateTempSubdirectory("switchboard-cli-").FullName;
        var bad = Path.Combine(dir, "bad.json");
        await File.WriteAllTextAsync(bad, """{ "Providers": { "x": { "BaseUrl": "not a url" } } }""");
        var stderr = new StringWriter();
        var original = Console.Error;
        Console.SetError(stderr);
        try
        {
            Assert.Equal(2, await CommandLine.RunAsync(["frobnicate"]));
            Assert.Equal(2, await CommandLine.RunAsync(["serve", "--bogus"]));
            Assert.Equal(2, await CommandLine.RunAsync(["serve", "--config", bad, "--data", Path.Combine(dir, "data")]));
        }
        finally
        {
            Console.SetError(original);
        }
        var text = stderr.ToString();
        Assert.Contains("Unrecognized command or argument 'frobnicate'", text, StringComparison.Ordinal);
        Assert.Contains("Unrecognized command or argument '--bogus'", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", text, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Providers:x:BaseUrl", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shutdown_is_not_held_up_by_a_full_connection_limit()
    {
        var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Limits:MaxConnections"] = "2",
            ["Switchboard:ShutdownTimeout"] = "2s",
        });
        await using (gateway)
        {
            var port = new Uri(gateway.BaseUrl).Port;
            using var first = new System.Net.Sockets.TcpClient();
            using var second = new System.Net.Sockets.TcpClient();
            using var waiting = new System.Net.Sockets.TcpClient();
            await first.ConnectAsync(System.Net.IPAddress.Loopback, port);
            await second.ConnectAsync(System.Net.IPAddress.Loopback, port);
            // Both slots are taken by idle connections; a third waits in the backlog, and the accept loop with it.
            await waiting.ConnectAsync(System.Net.IPAddress.Loopback, port);

            await gateway.App.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
