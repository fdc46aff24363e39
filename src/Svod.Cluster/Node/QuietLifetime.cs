using Microsoft.Extensions.Hosting;

namespace Svod.Cluster.Node;

/// <summary>
/// A host lifetime that leaves SIGTERM and Ctrl+C to <c>svod</c> itself: the command decides the order of a stop
/// (a cluster node leaves and hands its shards off before its connections are drained), which the console lifetime
/// would pre-empt by stopping the host at once.
/// </summary>
internal sealed class QuietLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
