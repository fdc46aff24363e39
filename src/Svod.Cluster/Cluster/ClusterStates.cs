namespace Svod.Cluster.Cluster;

/// <summary><c>svod.members.state</c>.</summary>
public enum MemberState
{
    Joining,
    Up,
    Leaving,
    Down,
    Removed,
}

/// <summary><c>svod.shards.state</c>.</summary>
public enum ShardState
{
    Unowned,
    Owned,
    Handoff,
}

/// <summary>The text the schema's CHECK constraints allow for each state.</summary>
public static class ClusterStates
{
    public static string ToSql(this MemberState state) => state switch
    {
        MemberState.Joining => "joining",
        MemberState.Up => "up",
        MemberState.Leaving => "leaving",
        MemberState.Down => "down",
        MemberState.Removed => "removed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static string ToSql(this ShardState state) => state switch
    {
        ShardState.Unowned => "unowned",
        ShardState.Owned => "owned",
        ShardState.Handoff => "handoff",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static MemberState ParseMember(string text) => text switch
    {
        "joining" => MemberState.Joining,
        "up" => MemberState.Up,
        "leaving" => MemberState.Leaving,
        "down" => MemberState.Down,
        "removed" => MemberState.Removed,
        _ => throw new FormatException($"unknown member state '{text}' in svod.members"),
    };

    public static ShardState ParseShard(string text) => text switch
    {
        "unowned" => ShardState.Unowned,
        "owned" => ShardState.Owned,
        "handoff" => ShardState.Handoff,
        _ => throw new FormatException($"unknown shard state '{text}' in svod.shards"),
    };

    /// <summary>A member that still serves the shards it owns: it keeps them, and a hand-off from it waits for its
    /// release. Joining counts: a node that rejoined keeps its shards (its join bumped their epochs).</summary>
    public static bool IsAlive(this MemberState state) => state is MemberState.Joining or MemberState.Up or
        MemberState.Leaving;
}
