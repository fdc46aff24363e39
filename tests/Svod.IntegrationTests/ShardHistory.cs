namespace Svod.IntegrationTests;

/// <summary>
/// The shards table read every few milliseconds while a test runs: what it answers holds for every sample taken,
/// never for the instants between them. Each row names one owner, so two owners at once show as the same shard at the
/// same epoch under two names, or as an owner change without a higher epoch, or as an epoch going back.
/// </summary>
internal sealed class ShardHistory : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private readonly ClusterTables _tables;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<(int Shard, long Epoch), HashSet<string>> _owners = [];
    private readonly Dictionary<int, long> _epochs = [];
    private readonly List<string> _violations = [];
    private readonly HashSet<DateTime> _handoffTicks = [];
    private readonly Task _loop;
    private int _samples;
    private int _failures;

    private ShardHistory(ClusterTables tables)
    {
        _tables = tables;
        _loop = Task.Run(() => SampleAsync(_stop.Token));
    }

    public int Samples => Volatile.Read(ref _samples);

    /// <summary>Coordinator ticks that started hand-offs, as far as the samples saw them: rows in <c>handoff</c> not
    /// yet released carry the <c>updated_at</c> of the tick that started them. A round none of whose rows was sampled
    /// before its release is missed, so this is at most the number of rounds.</summary>
    public int HandoffRoundsSeen
    {
        get
        {
            lock (_gate)
            {
                return _handoffTicks.Count;
            }
        }
    }

    public static ShardHistory Start(ClusterTables tables) => new(tables);

    /// <summary>Fails with every sample that showed a shard with two owners at one epoch or an epoch going back.
    /// </summary>
    public void AssertNeverTwoOwners()
    {
        lock (_gate)
        {
            Assert.True(_samples > 0, "the shards table was never sampled");
            Assert.True(_violations.Count == 0, string.Join('\n', _violations.Take(20)));
        }
    }

    /// <summary>Stops sampling; what was seen stays readable.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                Record(await _tables.ShardsAsync(cancellationToken));
                await Task.Delay(Interval, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Npgsql.NpgsqlException)
            {
                // The database restarting: nothing to see meanwhile.
                Interlocked.Increment(ref _failures);
            }
        }
    }

    private void Record(ShardRow[] rows)
    {
        lock (_gate)
        {
            _samples++;
            foreach (var row in rows)
            {
                if (_epochs.TryGetValue(row.Shard, out var before) && row.Epoch < before)
                {
                    _violations.Add($"shard {row.Shard}: epoch {row.Epoch} after {before}");
                }

                _epochs[row.Shard] = Math.Max(before, row.Epoch);
                if (row.Owner is { } owner)
                {
                    if (!_owners.TryGetValue((row.Shard, row.Epoch), out var owners))
                    {
                        _owners[(row.Shard, row.Epoch)] = owners = new HashSet<string>(StringComparer.Ordinal);
                    }

                    if (owners.Add(owner) && owners.Count > 1)
                    {
                        _violations.Add($"shard {row.Shard} at epoch {row.Epoch}: owned by {string.Join(", ", owners)}");
                    }
                }

                if (row is { State: "handoff", Owner: not null })
                {
                    _handoffTicks.Add(row.UpdatedAt);
                }
            }
        }
    }
}
