using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Svod.Cluster.Actors;
using Svod.Cluster.Channels;

namespace Svod.Cluster.Persistence;

/// <summary>
/// A node's one writer to its <see cref="ISnapshotStore"/>. Every <c>snapshot-interval</c> it asks each dirty channel
/// actor for a snapshot (taken at a frame boundary the actor knows), writes them all in one batch, tells each actor
/// what is durable (the actor acknowledges it to its client) and tells fenced ones that their shard is gone. Finals and
/// deletions queue up and are written after the batch, all in one more round trip, so a node's writes of one utterance
/// reach the store in the order they were made. A store that fails keeps everything queued and is retried next
/// interval.
/// </summary>
public sealed partial class SnapshotWriter : IAsyncDisposable
{
    /// <summary>How often retained finals past their retention are removed.</summary>
    private static readonly TimeSpan ExpiryInterval = TimeSpan.FromMinutes(1);

    private readonly ISnapshotStore _store;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, ActorRef<ChannelMessage>> _dirty = new(StringComparer.Ordinal);
    // Finals and deletions in the order they came; the front ones are removed once written.
    private readonly List<FinishedUtterance> _finished = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly Task _loop;
    private long _batches;
    private long _snapshots;
    private long _fenced;
    private long _failures;
    private long _operations;
    private long _lastBatchTicks;

    public SnapshotWriter(ISnapshotStore store, TimeSpan interval, TimeProvider? time = null, ILogger? log = null)
    {
        _store = store;
        _interval = interval;
        _time = time ?? TimeProvider.System;
        _log = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _loop = Task.Run(RunAsync);
    }

    public ISnapshotStore Store => _store;

    public SnapshotWriterStats Stats => new(Interlocked.Read(ref _batches), Interlocked.Read(ref _snapshots),
        Interlocked.Read(ref _fenced), Interlocked.Read(ref _failures),
        TimeSpan.FromTicks(Interlocked.Read(ref _lastBatchTicks)), _dirty.Count, Interlocked.Read(ref _operations));

    /// <summary>The actor has decoded frames since its last snapshot.</summary>
    public void MarkDirty(string utteranceId, ActorRef<ChannelMessage> actor) => _dirty[utteranceId] = actor;

    /// <summary>After the next batch: keep the final, delete the snapshot.</summary>
    public void Complete(string utteranceId, int shard, long epoch, byte[] final, TimeSpan retention)
    {
        ArgumentNullException.ThrowIfNull(final);
        Finish(new FinishedUtterance(utteranceId, shard, epoch, final, retention));
    }

    /// <summary>After the next batch: forget the utterance (cancelled, timed out, failed).</summary>
    public void Delete(string utteranceId, int shard, long epoch)
    {
        Finish(new FinishedUtterance(utteranceId, shard, epoch, null, TimeSpan.Zero));
    }

    private void Finish(FinishedUtterance finished)
    {
        _dirty.TryRemove(finished.UtteranceId, out _);
        lock (_finished)
        {
            _finished.Add(finished);
        }
    }

    /// <summary>Writes what is dirty now, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        try
        {
            await FlushAsync(CancellationToken.None);
        }
#pragma warning disable CA1031 // The store is going away with the node; what could not be written is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogFailed(_log, e);
        }

        _stopping.Dispose();
        _flushing.Dispose();
    }

    /// <summary>One batch now (the loop calls it every interval; a hand-off calls it to flush a shard).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        // One batch at a time: queued finals and deletions run once, in order.
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            await FlushOnceAsync(cancellationToken);
        }
        finally
        {
            _flushing.Release();
        }
    }

    private async Task FlushOnceAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var taken = _dirty.ToArray();
        foreach (var (id, actor) in taken)
        {
            _dirty.TryRemove(new KeyValuePair<string, ActorRef<ChannelMessage>>(id, actor));
        }

        // An actor answers once its work in flight is back (a call or two of its lane pool); one that stops meanwhile
        // fails its ask at once, and has nothing to write.
        var requests = taken.Select(t => (t.Value, Ask(t.Value))).ToArray();
        var answered = await Task.WhenAll(requests.Select(r => r.Item2));
        var batch = new List<ChannelSnapshot>(answered.Length);
        var owners = new Dictionary<string, ActorRef<ChannelMessage>>(StringComparer.Ordinal);
        for (var i = 0; i < answered.Length; i++)
        {
            if (answered[i] is { } snapshot)
            {
                batch.Add(snapshot);
                owners[snapshot.UtteranceId] = requests[i].Item1;
            }
        }

        if (batch.Count > 0)
        {
            IReadOnlySet<string> skipped;
            try
            {
                skipped = await _store.WriteAsync(batch, cancellationToken);
            }
            catch
            {
                // Nothing is durable: ask again next time.
                foreach (var (id, actor) in owners)
                {
                    _dirty.TryAdd(id, actor);
                }

                throw;
            }

            foreach (var snapshot in batch)
            {
                var actor = owners[snapshot.UtteranceId];
                actor.Tell(skipped.Contains(snapshot.UtteranceId)
                    ? new ChannelMessage.ShardLost($"shard {snapshot.Shard} is no longer this node's at epoch {snapshot.Epoch}")
                    : new ChannelMessage.SnapshotDurable(snapshot.Frames));
            }

            Interlocked.Add(ref _snapshots, batch.Count - skipped.Count);
            Interlocked.Add(ref _fenced, skipped.Count);
        }

        FinishedUtterance[] finished;
        lock (_finished)
        {
            finished = [.. _finished];
        }

        if (finished.Length > 0)
        {
            await _store.FinishAsync(finished, cancellationToken);
            lock (_finished)
            {
                // Only this flush (under _flushing) removes, and only from the front: what came meanwhile stays.
                _finished.RemoveRange(0, finished.Length);
            }

            Interlocked.Add(ref _operations, finished.Length);
        }

        Interlocked.Increment(ref _batches);
        Interlocked.Exchange(ref _lastBatchTicks, _time.GetElapsedTime(started).Ticks);
    }

    private static async Task<ChannelSnapshot?> Ask(ActorRef<ChannelMessage> actor)
    {
        try
        {
            return await actor.AskAsync<ChannelSnapshot?>(r => new ChannelMessage.SnapshotRequested(r),
                TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is ActorStoppedException or AskTimeoutException)
        {
            return null;
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_interval, _time);
        var failing = false;
        var expiredAt = _time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await FlushAsync(_stopping.Token);
                    if (_time.GetElapsedTime(expiredAt) >= ExpiryInterval)
                    {
                        expiredAt = _time.GetTimestamp();
                        await _store.ExpireAsync(_stopping.Token);
                    }

                    if (failing)
                    {
                        LogRecovered(_log);
                        failing = false;
                    }
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A store that fails (database down) is retried; channels keep decoding meanwhile.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref _failures);
                    if (!failing)
                    {
                        LogFailed(_log, e);
                        failing = true;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    [LoggerMessage(1100, LogLevel.Warning, "snapshot writes fail; retrying every interval")]
    private static partial void LogFailed(ILogger log, Exception error);

    [LoggerMessage(1101, LogLevel.Information, "snapshot writes succeed again")]
    private static partial void LogRecovered(ILogger log);
}

/// <summary>What <c>/v1/stats</c> shows of a node's snapshot writer.</summary>
/// <param name="Completed">Finals kept and deletions done (after their batches).</param>
public sealed record SnapshotWriterStats(long Batches, long Snapshots, long Fenced, long Failures, TimeSpan LastBatch,
    int Dirty, long Completed);
