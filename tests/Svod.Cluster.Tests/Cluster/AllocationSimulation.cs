using Svod.Cluster.Cluster;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>
/// Coordinator ticks over in-memory tables, with owners that release hand-offs (each tick, with some probability) and
/// leaving members that go <c>removed</c> once they own nothing. Checks every tick's changes against the rules a
/// coordinator must never break, and throws naming the tick.
/// </summary>
internal sealed class AllocationSimulation
{
    private readonly Random _random;
    private readonly double _releaseChance;
    private readonly double _expireChance;

    public AllocationSimulation(Dictionary<string, MemberState> members, ShardRow[] shards, int roundLimit,
        Random random, double releaseChance = 1, double expireChance = 0)
    {
        Members = members;
        Shards = shards;
        RoundLimit = roundLimit;
        _random = random;
        _releaseChance = releaseChance;
        _expireChance = expireChance;
    }

    public Dictionary<string, MemberState> Members { get; }

    public ShardRow[] Shards { get; }

    public int RoundLimit { get; }

    public int Ticks { get; private set; }

    /// <summary>Ticks that started at least one hand-off.</summary>
    public int Rounds { get; private set; }

    public int HandoffsStarted { get; private set; }

    /// <summary>One coordinator tick (with its <c>joining → up</c>), then the owners' and leavers' moves.</summary>
    public IReadOnlyList<ShardChange> Tick()
    {
        Ticks++;
        foreach (var id in Members.Where(m => m.Value == MemberState.Joining).Select(m => m.Key).ToArray())
        {
            Members[id] = MemberState.Up;
        }

        var rows = Members.Select(m => new MemberRow(m.Key, m.Value)).ToArray();
        var changes = ShardAllocation.Tick(rows, Shards, RoundLimit);
        Check(changes);
        foreach (var change in changes)
        {
            Shards[change.After.ShardId] = change.After;
        }

        var started = changes.Count(c => c.Kind == ShardChangeKind.HandoffStarted);
        HandoffsStarted += started;
        Rounds += started > 0 ? 1 : 0;
        ActAsOwners();
        return changes;
    }

    /// <summary>Ticks until nothing changes and no hand-off is in flight; false when that takes more than
    /// <paramref name="maxTicks"/>.</summary>
    public bool RunToRest(int maxTicks)
    {
        while (Ticks < maxTicks)
        {
            if (Tick().Count == 0 && Shards.All(s => s.State != ShardState.Handoff))
            {
                return true;
            }
        }

        return false;
    }

    public Dictionary<string, int> Loads() => Members.Where(m => m.Value == MemberState.Up)
        .ToDictionary(m => m.Key, m => Shards.Count(s => s.Owner == m.Key));

    public string Describe() => string.Join(", ", Members.Select(m =>
        $"{m.Key}:{m.Value}:{Shards.Count(s => s.Owner == m.Key)}")) + $" after {Ticks} ticks";

    private bool IsAlive(string? node) => node is not null && Members.TryGetValue(node, out var s) && s.IsAlive();

    private bool IsUp(string? node) => node is not null && Members.TryGetValue(node, out var s) && s == MemberState.Up;

    private void Check(IReadOnlyList<ShardChange> changes)
    {
        var where = $"tick {Ticks}";
        Assert.Equal(changes.Count, changes.Select(c => c.After.ShardId).Distinct().Count());
        var started = 0;
        foreach (var (kind, before, after) in changes)
        {
            Assert.Equal(Shards[before.ShardId], before);
            if (after.Owner != before.Owner)
            {
                // Never two owners: a shard leaves its owner only once released, or once the owner is dead.
                Assert.True(!IsAlive(before.Owner), $"{where}: shard {before.ShardId} taken from live {before.Owner}");
                Assert.True(after.Epoch > before.Epoch, $"{where}: shard {before.ShardId} moved without a new epoch");
                Assert.True(IsUp(after.Owner), $"{where}: shard {before.ShardId} given to {after.Owner}, not up");
            }
            else
            {
                Assert.Equal(before.Epoch, after.Epoch);
            }

            if (after.State == ShardState.Handoff)
            {
                Assert.Equal(ShardChangeKind.HandoffStarted, kind);
                Assert.True(after.HandoffTo is null ? !Members.ContainsValue(MemberState.Up) : IsUp(after.HandoffTo),
                    $"{where}: shard {before.ShardId} handed off to {after.HandoffTo}, not up");
                started++;
            }
        }

        Assert.True(started <= RoundLimit, $"{where}: {started} hand-offs started, more than the limit {RoundLimit}");
        if (started > 0)
        {
            // A round starts only when the previous one is over.
            var startedIds = changes.Where(c => c.Kind == ShardChangeKind.HandoffStarted)
                .Select(c => c.After.ShardId).ToHashSet();
            var carried = Shards.Where(s => s.State == ShardState.Handoff && !startedIds.Contains(s.ShardId) &&
                !changes.Any(c => c.After.ShardId == s.ShardId && c.After.State != ShardState.Handoff));
            Assert.True(!carried.Any(), $"{where}: a round started while a hand-off was in flight");
        }
    }

    private void ActAsOwners()
    {
        for (var i = 0; i < Shards.Length; i++)
        {
            var row = Shards[i];
            if (row.State != ShardState.Handoff || !IsAlive(row.Owner))
            {
                continue;
            }

            if (_random.NextDouble() < _releaseChance)
            {
                Shards[i] = row with { Owner = null };
            }
            else if (_random.NextDouble() < _expireChance)
            {
                Shards[i] = row with { HandoffExpired = true };
            }
        }

        foreach (var id in Members.Where(m => m.Value == MemberState.Leaving).Select(m => m.Key).ToArray())
        {
            if (Shards.All(s => s.Owner != id))
            {
                Members[id] = MemberState.Removed;
            }
        }
    }
}
