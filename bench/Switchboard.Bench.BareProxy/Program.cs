// The floor of the platform the gateway is built on, for bench/proxy-cpu-split.sh: Kestrel in front, SocketsHttpHandler
// behind, and nothing else. Each POST's body is read whole, sent to the upstream, and the upstream's answer read whole
// and written back with its status and length (what the gateway does for a JSON answer, without keys, limits, ledger,
// logs, metrics, validation or error handling). Not a proxy to use: it exists to be measured.
//   dotnet Switchboard.Bench.BareProxy.dll --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:UPSTREAM
using System.Net.Http.Headers;

Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
var app = builder.Build();
var upstream = new Uri(app.Configuration["upstream"] ?? throw new InvalidOperationException("--upstream is required"));
var client = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    UseCookies = false,
    AllowAutoRedirect = false,
    MaxConnectionsPerServer = int.MaxValue,
});
var json = new MediaTypeHeaderValue("application/json");

app.MapPost("/{**path}", async (HttpContext context, string path) =>
{
    var length = (int)(context.Request.ContentLength ?? 0);
    var body = new byte[length];
    await context.Request.Body.ReadExactlyAsync(body, context.RequestAborted);
    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(upstream, path))
    {
        Version = System.Net.HttpVersion.Version11,
        Content = new ByteArrayContent(body) { Headers = { ContentType = json } },
    };
    using var answer = await client.SendAsync(request, context.RequestAborted);
    var bytes = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted);
    context.Response.StatusCode = (int)answer.StatusCode;
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = bytes.Length;
    await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
});
app.Run();
