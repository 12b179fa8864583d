using System.Text.Json;
using Switchboard.Errors;
using Switchboard.Ledger;
using Switchboard.Storage;

namespace Switchboard.Admin;

/// <summary>
/// Model prices (our extension, under OpenAI's administration prefix): every price the ledger charges by — built in,
/// configured, or set here — in US dollars per million tokens. A price set here wins over the others, is kept in the
/// store and reaches every instance like a key change; deleting it brings back the configured or built-in price. A
/// request is charged at the price in effect when it is recorded.
/// </summary>
internal static class PricesApi
{
    private const int MaxModelLength = 256;

    public static RouteGroupBuilder MapPricesApi(this RouteGroupBuilder organization)
    {
        organization.MapGet("/prices", ListPrices).WithTags(LimitsApi.Extension);
        // Model names may hold slashes (vendor/model, local/NAME), sent as they are or as %2F.
        organization.MapGet("/prices/{**model}", RetrievePrice).WithTags(LimitsApi.Extension);
        organization.MapPost("/prices/{**model}", SetPrice).WithTags(LimitsApi.Extension);
        organization.MapDelete("/prices/{**model}", DeletePrice).WithTags(LimitsApi.Extension);
        return organization;
    }

    private sealed record PriceObject(string Id, string Model, decimal Input, decimal CachedInput, decimal Output, string Source,
        string Currency = "usd", string Unit = "1M tokens", string Object = "organization.price")
    {
        public static PriceObject From(string model, Price price, PriceSource source) => new(model, model,
            price.Input / 1_000_000m, price.CachedInput / 1_000_000m, price.Output / 1_000_000m, SourceName(source));

        private static string SourceName(PriceSource source) => source switch
        {
            PriceSource.BuiltIn => "built_in",
            PriceSource.Configured => "configured",
            _ => "admin",
        };
    }

    private sealed record PriceDeleted(string Id, string Model, bool Deleted = true, string Object = "organization.price.deleted");

    private static string ModelName(string raw) => raw.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static IResult ListPrices(HttpRequest request, Prices prices)
    {
        var (limit, after, error) = AdminRequests.Page(request);
        if (error is not null) return new ErrorResult(error);
        var all = prices.All.Select(p => PriceObject.From(p.Model, p.Price, p.Source)).ToList();
        var start = after is null ? 0 : all.FindIndex(p => p.Id == after) + 1;
        return AdminJson.Ok(AdminRequests.List(all.Skip(start).Take(limit + 1).ToList(), limit, p => p, p => p.Id));
    }

    private static IResult RetrievePrice(string model, Prices prices)
    {
        model = ModelName(model);
        var listed = prices.All.FirstOrDefault(p => string.Equals(p.Model, model, StringComparison.OrdinalIgnoreCase));
        return listed.Model is null
            ? new ErrorResult(GatewayErrors.NotFound("price", model, "model"))
            : AdminJson.Ok(PriceObject.From(listed.Model, listed.Price, listed.Source));
    }

    private static async Task<IResult> SetPrice(string model, HttpContext context, Store store, StoreSync sync, TimeProvider time)
    {
        model = ModelName(model);
        if (model.Trim().Length == 0 || model.Length > MaxModelLength)
            return new ErrorResult(GatewayErrors.InvalidValue("model", $"it must be a model name of 1 to {MaxModelLength} characters."));
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        if (error is not null) return new ErrorResult(error);
        var (input, inputError) = Dollars(body, "input", required: true);
        var (output, outputError) = Dollars(body, "output", required: true);
        var (cached, cachedError) = Dollars(body, "cached_input", required: false);
        if ((inputError ?? outputError ?? cachedError) is { } invalid) return new ErrorResult(invalid);
        await store.SetPriceAsync(new ModelPriceRow
        {
            Model = model, InputMicros = input!.Value, CachedInputMicros = cached ?? input.Value, OutputMicros = output!.Value,
            UpdatedAt = time.GetUtcNow().ToUnixTimeSeconds(),
        });
        await sync.ReloadAsync();
        return AdminJson.Ok(PriceObject.From(model, new Price(input.Value, cached ?? input.Value, output.Value), PriceSource.Admin));
    }

    private static async Task<IResult> DeletePrice(string model, Store store, StoreSync sync)
    {
        model = ModelName(model);
        if (!await store.DeletePriceAsync(model)) return new ErrorResult(GatewayErrors.NotFound("price set through the admin API", model, "model"));
        await sync.ReloadAsync();
        return AdminJson.Ok(new PriceDeleted(model, model));
    }

    // Dollars per million tokens, kept as integer micro-dollars: a finer price than that cannot be charged exactly.
    private static (long? Micros, OpenAiError? Error) Dollars(JsonElement body, string name, bool required)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return required ? (null, GatewayErrors.MissingParameter(name)) : (null, null);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var dollars) || dollars < 0 || dollars >= 1_000_000)
            return (null, GatewayErrors.InvalidValue(name, "it must be US dollars per million tokens, from 0 to under 1,000,000 (for example 0.15)."));
        var micros = dollars * 1_000_000m;
        if (micros != decimal.Truncate(micros))
            return (null, GatewayErrors.InvalidValue(name, "it must have at most 6 decimal places (prices are kept in micro-dollars per million tokens)."));
        return ((long)micros, null);
    }
}
