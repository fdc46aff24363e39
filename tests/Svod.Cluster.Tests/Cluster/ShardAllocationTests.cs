using FsCheck;
using FsCheck.Fluent;
using Svod.Cluster.Cluster;

namespace Svod.Cluster.Tests.Cluster;

/// <summary>The coordinator's decisions without a database: allocation, hand-offs, rebalance rounds.</summary>
public sealed class ShardAllocationTests
{
    [Fact]
    public void Unowned_shards_are_spread_over_up_members_lowest_id_first()
    {
        var sim = Simulation(new() { ["b"] = MemberState.Up, ["a"] = MemberState.Up, ["c"] = MemberState.Up },
            Unowned(64));
        var changes = sim.Tick();
        Assert.All(changes, c => Assert.Equal(ShardChangeKind.Allocated, c.Kind));
        Assert.All(changes, c => Assert.Equal(1, c.After.Epoch));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 22, ["b"] = 21, ["c"] = 21 }, sim.Loads());
        Assert.Empty(sim.Tick());
    }

    [Fact]
    public void Nothing_goes_to_a_member_that_is_not_up()
    {
        var members = new Dictionary<string, MemberState>
        {
            ["a"] = MemberState.Leaving,
            ["b"] = MemberState.Down,
            ["c"] = MemberState.Removed,
        };
        Assert.Empty(ShardAllocation.Tick(members.Select(m => new MemberRow(m.Key, m.Value)).ToArray(), Unowned(8), 4));
    }

    [Fact]
    public void Shards_of_a_down_member_move_at_the_next_epoch_to_the_least_loaded()
    {
        var shards = Enumerable.Range(0, 6).Select(i =>
            new ShardRow(i, i < 2 ? "a" : i < 4 ? "b" : "c", 7, ShardState.Owned, null)).ToArray();
        var changes = ShardAllocation.Tick(
            [new("a", MemberState.Up), new("b", MemberState.Up), new("c", MemberState.Down)], shards, 10);
        Assert.Equal([(4, "a", 8L), (5, "b", 8L)],
            changes.Select(c => (c.After.ShardId, c.After.Owner!, c.After.Epoch)));
    }

    [Fact]
    public void A_released_hand_off_completes_at_the_next_epoch_and_a_live_owner_keeps_its_shard_until_then()
    {
        ShardRow[] shards =
        [
            new(0, null, 3, ShardState.Handoff, "b"),
            new(1, "a", 3, ShardState.Handoff, "b"),
            new(2, "a", 3, ShardState.Handoff, "b", HandoffExpired: true),
            new(3, "a", 3, ShardState.Handoff, "c"),
        ];
        var changes = ShardAllocation.Tick(
            [new("a", MemberState.Up), new("b", MemberState.Up), new("c", MemberState.Leaving)], shards, 10);
        Assert.Equal(
        [
            (ShardChangeKind.HandoffCompleted, 0, "b", 4L, ShardState.Owned),
            (ShardChangeKind.HandoffCancelled, 2, "a", 3L, ShardState.Owned),
            (ShardChangeKind.HandoffCancelled, 3, "a", 3L, ShardState.Owned),
        ], changes.Select(c => (c.Kind, c.After.ShardId, c.After.Owner!, c.After.Epoch, c.After.State)));
    }

    [Fact]
    public void A_leaving_member_hands_everything_off_in_rounds_of_the_limit()
    {
        var shards = Enumerable.Range(0, 30).Select(i => new ShardRow(i, i < 20 ? "a" : "b", 1, ShardState.Owned,
            null)).ToArray();
        var sim = Simulation(new() { ["a"] = MemberState.Leaving, ["b"] = MemberState.Up, ["c"] = MemberState.Up },
            shards, roundLimit: 6);
        Assert.True(sim.RunToRest(100), sim.Describe());
        Assert.Equal(MemberState.Removed, sim.Members["a"]);
        Assert.Equal(new Dictionary<string, int> { ["b"] = 15, ["c"] = 15 }, sim.Loads());
        Assert.Equal(4, sim.Rounds); // 20 shards of a, 6 at a time; b gives c none: a's went to c first
    }

    [Fact]
    public void The_round_limit_is_the_smaller_of_the_absolute_and_the_relative_limit()
    {
        Assert.Equal(7, ShardAllocation.RoundLimit(64, 20, 0.1));
        Assert.Equal(3, ShardAllocation.RoundLimit(30, 20, 0.1));
        Assert.Equal(20, ShardAllocation.RoundLimit(1000, 20, 0.1));
        Assert.Equal(1, ShardAllocation.RoundLimit(3, 20, 0.01));
    }

    [Fact]
    public void From_any_start_ticks_reach_a_balance_of_up_members_without_breaking_a_rule_on_the_way()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
            {
                var random = new Random(seed);
                var states = new[]
                {
                    MemberState.Up, MemberState.Up, MemberState.Up, MemberState.Joining, MemberState.Leaving,
                    MemberState.Down, MemberState.Removed,
                };
                var members = Enumerable.Range(0, random.Next(1, 8))
                    .ToDictionary(i => $"n{i}", _ => states[random.Next(states.Length)]);
                members[$"n{random.Next(8)}"] = MemberState.Up;
                var owners = members.Keys.Append("gone").Append(null).ToArray();
                var shards = Enumerable.Range(0, random.Next(1, 200)).Select(i => random.Next(3) switch
                {
                    0 => new ShardRow(i, null, random.Next(5), ShardState.Unowned, null),
                    1 => new ShardRow(i, owners[random.Next(owners.Length - 1)], random.Next(5), ShardState.Owned,
                        null),
                    _ => new ShardRow(i, owners[random.Next(owners.Length)], random.Next(5), ShardState.Handoff,
                        owners[random.Next(owners.Length)]),
                }).ToArray();
                var limit = random.Next(1, 25);
                var sim = new AllocationSimulation(members, shards, limit, random, releaseChance: 0.5,
                    expireChance: 0.05);

                Assert.True(sim.RunToRest(2000), $"seed {seed}: no rest: {sim.Describe()}");
                var loads = sim.Loads();
                Assert.All(sim.Shards, s => Assert.True(s.State == ShardState.Owned && loads.ContainsKey(s.Owner!),
                    $"seed {seed}: shard {s} is not owned by an up member: {sim.Describe()}"));
                Assert.True(loads.Values.Max() - loads.Values.Min() <= 1, $"seed {seed}: unbalanced: {sim.Describe()}");
                Assert.DoesNotContain(MemberState.Leaving, sim.Members.Values);
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_member_added_to_balanced_ones_is_balanced_in_the_fewest_rounds_the_limit_allows()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
            {
                var random = new Random(seed);
                var ids = Enumerable.Range(0, random.Next(1, 10)).Select(i => $"m{i:D2}").ToArray();
                var count = random.Next(1, 300);
                var order = ids.OrderBy(_ => random.Next()).ToArray();
                var shards = Enumerable.Range(0, count)
                    .Select(i => new ShardRow(i, order[i % ids.Length], 1, ShardState.Owned, null)).ToArray();
                var members = ids.ToDictionary(id => id, _ => MemberState.Up);
                members[$"m{random.Next(100):D2}x"] = MemberState.Joining;
                var counts = members.Keys.Select(m => shards.Count(s => s.Owner == m)).ToArray();
                var moves = MovesToBalance(counts);
                var limit = ShardAllocation.RoundLimit(count, random.Next(1, 30), random.Next(1, 100) / 100.0);
                var sim = new AllocationSimulation(members, shards, limit, random);

                Assert.True(sim.RunToRest(1000), $"seed {seed}: no rest: {sim.Describe()}");
                var loads = sim.Loads();
                Assert.True(loads.Values.Max() - loads.Values.Min() <= 1, $"seed {seed}: unbalanced: {sim.Describe()}");
                Assert.Equal(moves, sim.HandoffsStarted);
                Assert.True(sim.Rounds <= (moves + limit - 1) / limit,
                    $"seed {seed}: {sim.Rounds} rounds for {moves} moves at {limit} per round");
            })
            .QuickCheckThrowOnFailure();
    }

    /// <summary>The fewest single-shard moves that leave counts differing by at most one: the most loaded members
    /// keep the extra shards.</summary>
    private static int MovesToBalance(int[] counts)
    {
        var total = counts.Sum();
        var (share, extra) = (total / counts.Length, total % counts.Length);
        return counts.OrderDescending().Select((c, i) => Math.Max(0, c - (share + (i < extra ? 1 : 0)))).Sum();
    }

    private static ShardRow[] Unowned(int count) =>
        Enumerable.Range(0, count).Select(i => new ShardRow(i, null, 0, ShardState.Unowned, null)).ToArray();

    private static AllocationSimulation Simulation(Dictionary<string, MemberState> members, ShardRow[] shards,
        int roundLimit = 20) => new(members, shards, roundLimit, new Random(1));
}
