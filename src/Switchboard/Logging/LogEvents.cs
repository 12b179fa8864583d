namespace Switchboard.Logging;

/// <summary>Every event id the gateway logs with, in one place so ids never collide and can be filtered on.</summary>
internal static class LogEvents
{
    public const int Starting = 1000;
    public const int Listening = 1001;
    public const int OpenOnNonLoopback = 1002;
    public const int Stopping = 1003;
    public const int DescriptorsExhausted = 1004;
    public const int DescriptorsAvailable = 1005;
    public const int ConnectionsAboveDescriptorLimit = 1006;

    public const int RequestCompleted = 2000;
    public const int RequestContent = 2001;
    public const int UnhandledError = 2002;

    public const int ProviderSkipped = 3000;
    public const int RetryingUpstream = 3001;
    public const int FallingBack = 3002;
    public const int UpstreamUnreachable = 3003;
    public const int UpstreamError = 3004;
    public const int ModelListFailed = 3005;

    public const int LocalModelFound = 4000;
    public const int LocalModelUnreadable = 4001;
    public const int NothingToServe = 4002;
    public const int LocalModelLoaded = 4003;
    public const int LocalModelUnloaded = 4004;

    public const int StoreOpened = 5000;
    public const int StoreSyncFailed = 5001;
    public const int LedgerWriteFailed = 5002;
    public const int LedgerRowsLost = 5003;
    public const int ConfigurationReloaded = 5100;
    public const int ConfigurationRejected = 5101;
    public const int ConfigurationNeedsRestart = 5102;
    public const int ConfigurationNotWatched = 5103;
}
