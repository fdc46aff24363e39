namespace Svod.Cluster.Cli;

/// <summary>A problem the user can fix (bad path, bad model, bad option): printed as one line, no stack trace.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The run finished but some inputs failed (each reported on stderr).</summary>
    public const int SomeFailed = 1;

    /// <summary>Nothing was done: a missing or malformed model, path or option value.</summary>
    public const int BadInput = 2;

    /// <summary>What the run needs is not on this machine (<c>--backend cuda</c> without a CUDA device, driver or
    /// libraries): sysexits' EX_UNAVAILABLE.</summary>
    public const int Unavailable = 69;

    /// <summary>An unexpected failure inside svod (a bug): reported with its stack trace.</summary>
    public const int InternalError = 70;

    /// <summary>A cluster node's membership was taken away (marked down, or another process joined with its node id):
    /// it stopped serving; started again, it rejoins. sysexits' EX_TEMPFAIL, as 70 is its EX_SOFTWARE.</summary>
    public const int MembershipLost = 75;
}
