using System.Collections.Concurrent;
using System.Globalization;
using Switchboard.Api;
using Switchboard.Authentication;
using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Ledger;
using Switchboard.Requests;
using Switchboard.Storage;

namespace Switchboard.Admission;

/// <summary>What admission took for one request, settled against what the request really used once it ended.</summary>
internal sealed class AdmissionTicket
{
    internal readonly List<(Allowance Allowance, long Taken, AdmissionMeasure Measure)> Takes = [];

    /// <summary>The per-minute (else per-day) request limit that applied, for the response's headers.</summary>
    public Allowance? Requests { get; set; }
    /// <summary>The per-minute token limit that applied.</summary>
    public Allowance? Tokens { get; set; }
    /// <summary>The key's concurrency slot this request holds until it ends.</summary>
    public ConcurrencySlots? Slot { get; set; }
}

internal enum AdmissionMeasure { Requests, Tokens, Micros }

/// <summary>
/// The admission stage (after authentication, before routing): a project key's request is admitted only if the
/// project's limits for the model — requests per minute and per day, tokens per minute (OpenAI's <c>rl-MODEL</c>) —
/// its monthly spend limit and, when it has credit grants, the credit in effect all have room for it, and so have the
/// key's own limits (our extension: requests and tokens per minute, concurrent requests, a budget per day, month or in total). Each limit is an <see cref="Allowance"/> shared by every
/// instance through the store. What is reserved before the call:
/// <list type="bullet">
/// <item>requests: 1;</item>
/// <item>tokens: the prompt at one token per 4 bytes of body (OpenAI's rule of thumb) plus the most it may produce
/// (<c>max_completion_tokens</c>, else <c>max_tokens</c>, else <c>Admission:DefaultMaxOutputTokens</c>, times
/// <c>n</c>), corrected to the real usage after;</item>
/// <item>money: the most the request can cost — the prompt at one token per byte of body (no tokenizer makes fewer
/// bytes than tokens from text) and the most it may produce, at the model's price — settled to the real cost after,
/// for aborted streams too. So recorded spend passes the limit only if a provider returns more output than was
/// asked for, or counts more prompt tokens than the body has bytes (images by URL); that excess is recorded, and the
/// next request is refused.</item>
/// </list>
/// Requests of the master key and of open mode have no project and are not limited.
/// </summary>
internal sealed class AdmissionGate(LimitCache limits, Store store, Prices prices, GatewayOptions options, TimeProvider time) : IAsyncDisposable
{
    // By limit kind, project and model (empty for the project-wide money limits): no string is built per request.
    private readonly ConcurrentDictionary<(char Kind, string Project, string Model), Allowance> _allowances = new();
    private readonly ConcurrentDictionary<string, ConcurrencySlots> _slots = new(StringComparer.Ordinal);

    /// <summary>Requests waiting for one of their key's concurrency slots, on this instance.</summary>
    public int Queued => _slots.Values.Sum(slots => slots.Waiting);
    // Swapped whole (a reference), so no request reads one month's start with another's end.
    private volatile MonthBounds _month = new(0, 0);

    private sealed record MonthBounds(long Start, long End);
    private const string KeyRpm = "requests per min (RPM) of its key";
    private const string KeyTpm = "tokens per min (TPM) of its key";

    public async ValueTask<(AdmissionTicket? Ticket, OpenAiError? Refusal)> AdmitAsync(Caller? caller, ProxyRequest request, CancellationToken cancellationToken)
    {
        if (caller?.ProjectId is null || (limits.IsEmpty && caller.Limits is null)) return (null, null);
        var ticket = new AdmissionTicket();
        try
        {
            return await AdmitAsync(caller, caller.ProjectId, request, ticket, cancellationToken);
        }
        catch
        {
            // The store failed mid-way (or the client left while queued): nothing taken may stay taken.
            await ReleaseAsync(ticket);
            throw;
        }
    }

    private async ValueTask<(AdmissionTicket? Ticket, OpenAiError? Refusal)> AdmitAsync(Caller caller, string project, ProxyRequest request, AdmissionTicket ticket,
        CancellationToken cancellationToken)
    {
        var rate = limits.RateLimit(project, request.Model);
        var spend = limits.SpendLimit(project);
        var grants = limits.Grants(project);
        var own = caller.Limits;
        if (rate is null && spend is null && grants.Length == 0 && own is null) return (null, null);

        var model = request.Model;
        OpenAiError? refusal = null;
        var key = caller.KeyId!;
        if (own?.MaxConcurrentRequests is { } concurrent)
        {
            var slots = _slots.AddOrUpdate(key, _ => new ConcurrencySlots(concurrent), (_, existing) => existing.Slots == concurrent ? existing : new ConcurrencySlots(concurrent));
            if (!await slots.TryEnterAsync(options.Admission.QueueLength, options.Admission.QueueTimeout, cancellationToken))
                return (ticket, GatewayErrors.TooManyConcurrent(key, concurrent));
            ticket.Slot = slots;
        }
        // Read after any wait for a slot: the request counts in the window it runs in.
        var now = time.GetUtcNow();
        var seconds = now.ToUnixTimeSeconds();
        if (own?.MaxRequestsPer1Minute is { } keyRpm)
        {
            var minute = Get(('R', key, ""), seconds - seconds % 60, 60, keyRpm);
            ticket.Requests = minute;
            refusal = await TakeAsync(ticket, minute, 1, AdmissionMeasure.Requests, now, model, project, KeyRpm, "requests");
        }
        if (refusal is null && own?.MaxTokensPer1Minute is { } keyTpm)
        {
            var minute = Get(('T', key, ""), seconds - seconds % 60, 60, keyTpm);
            ticket.Tokens = minute;
            refusal = await TakeAsync(ticket, minute, EstimatedTokens(request), AdmissionMeasure.Tokens, now, model, project, KeyTpm, "tokens");
        }
        if (refusal is null && rate?.MaxRequestsPer1Minute is > 0 and var rpm)
        {
            var minute = Get(('r', project, model), seconds - seconds % 60, 60, rpm);
            ticket.Requests = minute;
            refusal = await TakeAsync(ticket, minute, 1, AdmissionMeasure.Requests, now, model, project, "requests per min (RPM)", "requests");
        }
        if (refusal is null && rate?.MaxRequestsPer1Day is > 0 and var rpd)
        {
            var day = Get(('d', project, model), seconds - seconds % 86_400, 86_400, rpd);
            ticket.Requests ??= day;
            refusal = await TakeAsync(ticket, day, 1, AdmissionMeasure.Requests, now, model, project, "requests per day (RPD)", "requests");
        }
        if (refusal is null && rate?.MaxTokensPer1Minute is > 0 and var tpm)
        {
            var minute = Get(('t', project, model), seconds - seconds % 60, 60, tpm);
            ticket.Tokens = minute;
            refusal = await TakeAsync(ticket, minute, EstimatedTokens(request), AdmissionMeasure.Tokens, now, model, project, "tokens per min (TPM)", "tokens");
        }
        if (refusal is null && spend is not null)
        {
            var (start, end) = MonthOf(seconds);
            var limitMicros = spend.ThresholdCents * 10_000;
            if (!TryCurrent(('s', project, ""), start, limitMicros, out var allowance))
            {
                // Spent before the counter existed (this month's rows) counts against the limit too.
                allowance = Replace(('s', project, ""), new Allowance(Scope(('s', project, "")), start, end, limitMicros, await store.SpentMicrosAsync(project, start)));
            }
            if (!await TakeMoneyAsync(ticket, allowance, request))
                refusal = GatewayErrors.InsufficientQuota($"project {project} has reached its monthly spend limit of ${spend.ThresholdCents / 100m:0.00}");
        }
        if (refusal is null && own?.BudgetMicros is { } budget)
        {
            var (start, end) = own.BudgetInterval switch
            {
                Keys.KeyLimits.Day => (seconds - seconds % 86_400, seconds - seconds % 86_400 + 86_400),
                Keys.KeyLimits.Total => (0L, long.MaxValue),
                _ => MonthOf(seconds),
            };
            // One counter per interval: a month and its first day start at the same second.
            var counter = ('b', key, own.BudgetInterval ?? Keys.KeyLimits.Month);
            if (!TryCurrent(counter, start, budget, out var allowance))
            {
                // What the key spent in the interval before the counter existed counts too (from the daily rollup).
                allowance = Replace(counter, new Allowance(Scope(counter), start, end, budget, await store.SpentMicrosAsync(project, start, key)));
            }
            if (!await TakeMoneyAsync(ticket, allowance, request))
            {
                var every = own.BudgetInterval switch { Keys.KeyLimits.Day => "daily", Keys.KeyLimits.Total => "total", _ => "monthly" };
                refusal = GatewayErrors.InsufficientQuota($"API key {key} has reached its {every} budget of ${budget / 1_000_000m:0.00####}");
            }
        }
        if (refusal is null && grants.Length > 0)
        {
            // Credit in effect changes only where a grant starts or ends: between two such times one counter holds
            // the grants in effect against what they have covered, taken from the ledger when the counter starts.
            var (since, until, granted) = CreditPeriod(grants, seconds);
            if (!TryCurrent(('c', project, ""), since, granted, out var allowance))
            {
                var states = await Billing.CreditLedger.StateAsync(store, project, seconds, options.Ledger.Retention);
                var used = states.Where(g => g.Grant.EffectiveAt <= seconds && !(g.Grant.ExpiresAt <= seconds)).Sum(g => g.UsedMicros);
                allowance = Replace(('c', project, ""), new Allowance(Scope(('c', project, "")), since, until, granted, used));
            }
            if (!await TakeMoneyAsync(ticket, allowance, request)) refusal = GatewayErrors.InsufficientQuota($"project {project} has no credit left");
        }
        if (refusal is null) return (ticket, null);
        // Refused: what was taken for the other limits goes back, as the request never runs.
        await ReleaseAsync(ticket);
        return (ticket, refusal);
    }

    private async ValueTask ReleaseAsync(AdmissionTicket ticket)
    {
        foreach (var (allowance, taken, _) in ticket.Takes) await allowance.SettleAsync(taken, 0, store);
        ticket.Takes.Clear();
        ticket.Slot?.Exit();
        ticket.Slot = null;
    }

    /// <summary>
    /// Settles a ticket with what the request came to (its ledger row): real tokens and cost replace the reservation.
    /// A request abandoned before any answer came (499, no provider) keeps its reservation: the provider may have done,
    /// and billed, the work, and a client must not slip past a limit by hanging up early. The key's concurrency slot
    /// is given back whatever happens.
    /// </summary>
    public async ValueTask SettleAsync(AdmissionTicket ticket, LedgerRow? row)
    {
        try
        {
            var keep = row is not { } r || (r.Status == StatusCodes.Status499ClientClosedRequest && r.Provider is null);
            foreach (var (allowance, taken, measure) in ticket.Takes)
            {
                var actual = keep || row is not { } settled ? taken : measure switch
                {
                    AdmissionMeasure.Tokens => settled.InputTokens + settled.OutputTokens,
                    AdmissionMeasure.Micros => settled.CostMicros,
                    _ => taken,
                };
                try
                {
                    await allowance.SettleAsync(taken, actual, store);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
                {
                    // Only the excess over a reservation goes to the store: on failure the store counts less than was
                    // used, by that excess (logged by the caller's ledger row).
                }
            }
            ticket.Takes.Clear();
        }
        finally
        {
            ticket.Slot?.Exit();
            ticket.Slot = null;
        }
    }

    /// <summary>
    /// At shutdown, what this instance leased and did not use goes back to the store, so a month's spend limit does
    /// not shrink by a slice with every restart (a crash loses it: at most one slice per limit).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var allowance in _allowances.Values)
        {
            try
            {
                await allowance.ReturnUnusedAsync(store);
                allowance.Dispose();
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
            {
                // The store is gone too: the slice is lost, as in a crash.
            }
        }
    }

    /// <summary>OpenAI's rate-limit headers for the limits that applied.</summary>
    public void WriteHeaders(AdmissionTicket ticket, IHeaderDictionary headers)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (ticket.Requests is { } requests)
        {
            headers["x-ratelimit-limit-requests"] = requests.LimitText;
            headers["x-ratelimit-remaining-requests"] = requests.Remaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = requests.ResetText(now);
        }
        if (ticket.Tokens is { } tokens)
        {
            headers["x-ratelimit-limit-tokens"] = tokens.LimitText;
            headers["x-ratelimit-remaining-tokens"] = tokens.Remaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = tokens.ResetText(now);
        }
    }

    private async ValueTask<OpenAiError?> TakeAsync(AdmissionTicket ticket, Allowance allowance, long amount, AdmissionMeasure measure, DateTimeOffset now,
        string model, string project, string limitName, string kind)
    {
        if (await allowance.TryTakeAsync(amount, store))
        {
            ticket.Takes.Add((allowance, amount, measure));
            return null;
        }
        var retryAfter = DateTimeOffset.FromUnixTimeSeconds(allowance.WindowEnd) - now;
        return GatewayErrors.RateLimited(model, project, limitName, allowance.Limit, allowance.Limit - allowance.Remaining, amount, retryAfter, kind);
    }

    private async ValueTask<bool> TakeMoneyAsync(AdmissionTicket ticket, Allowance allowance, ProxyRequest request)
    {
        var cost = MaxCostMicros(request);
        if (!await allowance.TryTakeAsync(cost, store)) return false;
        ticket.Takes.Add((allowance, cost, AdmissionMeasure.Micros));
        return true;
    }

    private bool TryCurrent((char Kind, string Project, string Model) key, long window, long limit, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Allowance? allowance) =>
        _allowances.TryGetValue(key, out allowance) && allowance.Window == window && allowance.Limit == limit;

    // A request that read the clock just before a window turned never puts the older window back over the newer one.
    private Allowance Replace((char Kind, string Project, string Model) key, Allowance fresh) =>
        _allowances.AddOrUpdate(key, fresh, (_, existing) => existing.Window > fresh.Window || (existing.Window == fresh.Window && existing.Limit == fresh.Limit) ? existing : fresh);

    // The calendar month (UTC) around a time, remembered: a request needs it only to find the current counter.
    private (long Start, long End) MonthOf(long seconds)
    {
        var month = _month;
        if (seconds < month.Start || seconds >= month.End)
        {
            var now = DateTimeOffset.FromUnixTimeSeconds(seconds);
            var start = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
            _month = month = new MonthBounds(start.ToUnixTimeSeconds(), start.AddMonths(1).ToUnixTimeSeconds());
        }
        return (month.Start, month.End);
    }

    // The counter's name in the store, shared by every instance.
    private static string Scope((char Kind, string Project, string Model) key) => key.Kind switch
    {
        'r' => $"rpm:{key.Project}:{key.Model}",
        'd' => $"rpd:{key.Project}:{key.Model}",
        't' => $"tpm:{key.Project}:{key.Model}",
        's' => $"spend:{key.Project}",
        'R' => $"key-rpm:{key.Project}",
        'T' => $"key-tpm:{key.Project}",
        'b' => $"key-budget-{key.Model}:{key.Project}",
        _ => $"credit:{key.Project}",
    };

    /// <summary>The period around <paramref name="now"/> in which the same grants are in effect, and what they grant together.</summary>
    private static (long Since, long Until, long Granted) CreditPeriod(Storage.CreditGrantRow[] grants, long now)
    {
        long since = 0, until = long.MaxValue, granted = 0;
        foreach (var grant in grants)
        {
            foreach (var edge in (long?[])[grant.EffectiveAt, grant.ExpiresAt])
            {
                if (edge is not { } at) continue;
                if (at <= now) since = Math.Max(since, at);
                else until = Math.Min(until, at);
            }
            if (grant.EffectiveAt <= now && !(grant.ExpiresAt <= now)) granted += grant.AmountMicros;
        }
        return (since, until, granted);
    }

    private Allowance Get((char Kind, string Project, string Model) key, long window, long length, long limit)
    {
        if (_allowances.TryGetValue(key, out var current) && current.Window == window && current.Limit == limit) return current;
        // A new window (or a changed limit) starts a new allowance; the old one's unused slice is simply dropped.
        return _allowances.AddOrUpdate(key, k => new Allowance(Scope(k), window, window + length, limit, 0),
            (k, existing) => existing.Window > window || (existing.Window == window && existing.Limit == limit) ? existing : new Allowance(Scope(k), window, window + length, limit, 0));
    }

    private long EstimatedTokens(ProxyRequest request) => (request.Body.Count + 3) / 4 + MaxOutput(request);

    // At most 2^40 tokens (n and max_tokens are the client's, up to 2^31 each): far past any limit, and no overflow below.
    private long MaxOutput(ProxyRequest request) =>
        request.Endpoint == ApiEndpoint.ChatCompletions || request.Endpoint == ApiEndpoint.Completions
            ? Math.Min((long)(request.MaxOutputTokens ?? options.Admission.DefaultMaxOutputTokens) * request.Choices, 1L << 40)
            : 0;

    private long MaxCostMicros(ProxyRequest request)
    {
        // The price quoted on arrival, which the ledger will charge; a request not quoted (none today) reads it now.
        var price = request.Price ?? prices.Quote(request.Model);
        // Micro-dollar-millionths, rounded up: the reservation is never below the cost the ledger will record.
        var exact = (Int128)request.Body.Count * price.Input + (Int128)MaxOutput(request) * price.Output;
        return (long)Int128.Clamp((exact + 999_999) / 1_000_000, 1, long.MaxValue);
    }
}
