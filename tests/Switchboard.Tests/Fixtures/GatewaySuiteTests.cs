namespace Switchboard.Tests.Fixtures;

/// <summary>Base for tests that drive the shared <see cref="GatewaySuite"/>: its scripted upstream and its gateway.</summary>
public abstract class GatewaySuiteTests(GatewaySuite suite)
{
    protected ScriptedUpstream Upstream { get; } = suite.Upstream;
    protected GatewayHost Gateway { get; } = suite.Gateway;
}
