using System.Diagnostics;
using Npgsql;
using Svod.Cluster.Cluster;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>Polls until a condition holds, failing with the phase and what was last seen instead of hanging.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string phase,
        Func<T, string>? describe = null, TimeSpan? limit = null)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var seen = await probe();
            if (done(seen))
            {
                return seen;
            }

            if (Stopwatch.GetElapsedTime(started) > (limit ?? Limit))
            {
                var last = describe?.Invoke(seen) ?? seen?.ToString();
                throw new TimeoutException(
                    $"{phase}: not reached within {(limit ?? Limit).TotalSeconds} s; last seen: {last}");
            }

            await Task.Delay(10);
        }
    }

    public static Task<bool> Until(Func<bool> condition, string phase, TimeSpan? limit = null) =>
        Until(() => Task.FromResult(condition()), ok => ok, phase, limit: limit);

    /// <summary>Polls the tables until <paramref name="done"/> holds.</summary>
    public static Task<Tables> UntilTables(NpgsqlDataSource database, Func<Tables, bool> done, string phase,
        TimeSpan? limit = null) =>
        Until(() => Tables.ReadAsync(database), done, phase, t => t.ToString(), limit);
}

/// <summary>The members and shards tables at one moment, with the questions the tests ask of them.</summary>
internal sealed record Tables(IReadOnlyList<ClusterMember> Members, IReadOnlyList<ClusterShard> Shards)
{
    public static async Task<Tables> ReadAsync(NpgsqlDataSource database) =>
        new(await ClusterDirectory.ReadMembersAsync(database, CancellationToken.None),
            await ClusterDirectory.ReadShardsAsync(database, CancellationToken.None));

    public MemberState? StateOf(string node) => Members.FirstOrDefault(m => m.NodeId == node)?.State;

    /// <summary>Shards owned (not in a hand-off) per up member.</summary>
    public Dictionary<string, int> Loads() => Members.Where(m => m.State == MemberState.Up)
        .ToDictionary(m => m.NodeId, m => Shards.Count(s => s.Owner == m.NodeId && s.State == ShardState.Owned));

    /// <summary>Every shard owned by an up member, none in a hand-off, the up members' counts are
    /// <paramref name="counts"/> in some order.</summary>
    public bool SettledAs(params int[] counts) =>
        Shards.All(s => s.State == ShardState.Owned && StateOf(s.Owner!) == MemberState.Up) &&
        Loads().Values.Order().SequenceEqual(counts.Order());

    public override string ToString() =>
        string.Join(", ", Members.Select(m => $"{m.NodeId} {m.State}{(m.Coordinator ? " (coordinator)" : "")}: " +
            $"{Shards.Count(s => s.Owner == m.NodeId)}")) +
        $"; unowned {Shards.Count(s => s.Owner is null)}, " +
        $"in hand-off {Shards.Count(s => s.State == ShardState.Handoff)}";
}
