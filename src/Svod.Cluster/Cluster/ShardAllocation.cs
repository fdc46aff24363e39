namespace Svod.Cluster.Cluster;

/// <summary>A member as one coordinator tick sees it (after its <c>joining → up</c> and <c>→ down</c> updates).
/// </summary>
public readonly record struct MemberRow(string NodeId, MemberState State);

/// <summary>A row of <c>svod.shards</c>; <see cref="HandoffExpired"/>: a hand-off older than
/// <c>svod.cluster.handoff-timeout</c> on the database clock.</summary>
public readonly record struct ShardRow(int ShardId, string? Owner, long Epoch, ShardState State, string? HandoffTo,
    bool HandoffExpired = false);

public enum ShardChangeKind
{
    /// <summary>Unowned, or its owner is down/removed: given to the least loaded up member at epoch + 1.</summary>
    Allocated,

    /// <summary>Rebalance or leave: the owner is asked to hand it to <see cref="ShardRow.HandoffTo"/>.</summary>
    HandoffStarted,

    /// <summary>The owner released it (or went down): the target owns it at epoch + 1.</summary>
    HandoffCompleted,

    /// <summary>The target is no longer up, or the owner did not release in time: the owner keeps it.</summary>
    HandoffCancelled,

    /// <summary>Released by its owner with nobody to take it (no member up): unowned until one is.</summary>
    Unowned,
}

/// <summary>One row change of a tick: <see cref="After"/> is what the coordinator writes.</summary>
public readonly record struct ShardChange(ShardChangeKind Kind, ShardRow Before, ShardRow After);

/// <summary>
/// One coordinator tick's shard decisions (docs/cluster.md, "Coordinator"), without I/O: a function of the members and
/// shards read under the tick's locks, deterministic (ties go to the lowest node id, shards are taken in id order),
/// so that a coordinator killed between ticks leaves nothing another one could decide differently.
/// </summary>
/// <remarks>
/// Load of an up member: the shards it owns, plus those handed off to it, minus those it is handing off; a hand-off
/// counts where it is going. Nothing is ever allocated or handed off to a member that is not up. A shard changes owner
/// only when its owner has released it or is down/removed (or gone from the table), and then always at epoch + 1, so no
/// two members ever own it at the same epoch.
/// </remarks>
public static class ShardAllocation
{
    /// <summary>Most hand-offs one rebalance round starts: <c>min(absolute, ceil(relative × shards))</c>, at least 1.
    /// </summary>
    public static int RoundLimit(int shards, int absoluteLimit, double relativeLimit)
    {
        // 0.1 × 30 is 3.0000000000000004 in binary floating point: ceil would make it 4.
        var relative = (int)Math.Min(int.MaxValue, Math.Ceiling((relativeLimit * shards) - 1e-9));
        return Math.Max(1, Math.Min(absoluteLimit, relative));
    }

    /// <summary>The changes of one tick, in shard order within each kind of decision.</summary>
    public static IReadOnlyList<ShardChange> Tick(IReadOnlyList<MemberRow> members, IReadOnlyList<ShardRow> shards,
        int roundLimit)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentOutOfRangeException.ThrowIfLessThan(roundLimit, 1);
        var states = new Dictionary<string, MemberState>(StringComparer.Ordinal);
        foreach (var m in members)
        {
            states[m.NodeId] = m.State;
        }

        var up = members.Where(m => m.State == MemberState.Up).Select(m => m.NodeId).Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).ToArray();
        var tick = new Decisions(shards, up);
        ResolveHandoffs(tick, states);
        AllocateOrphans(tick, states);
        if (!tick.AnyHandoffInFlight())
        {
            var budget = HandOffLeaving(tick, members, roundLimit);
            Rebalance(tick, budget);
        }

        return tick.Changes();
    }

    private static bool IsAlive(Dictionary<string, MemberState> states, string? node) =>
        node is not null && states.TryGetValue(node, out var state) && state.IsAlive();

    /// <summary>Completes released hand-offs and those whose owner died; cancels those whose target is no longer up
    /// or that timed out. A released hand-off whose target is gone is left for <see cref="AllocateOrphans"/>.</summary>
    private static void ResolveHandoffs(Decisions tick, Dictionary<string, MemberState> states)
    {
        for (var i = 0; i < tick.Count; i++)
        {
            var row = tick[i];
            if (row.State != ShardState.Handoff)
            {
                continue;
            }

            var targetUp = tick.IsUp(row.HandoffTo);
            if (!IsAlive(states, row.Owner))
            {
                if (targetUp)
                {
                    tick.Change(i, ShardChangeKind.HandoffCompleted, row with
                    {
                        Owner = row.HandoffTo,
                        Epoch = row.Epoch + 1,
                        State = ShardState.Owned,
                        HandoffTo = null,
                    });
                }
                else if (tick.UpCount == 0 && row.Owner is null)
                {
                    tick.Change(i, ShardChangeKind.Unowned,
                        row with { State = ShardState.Unowned, HandoffTo = null, HandoffExpired = false });
                }
                else if (tick.UpCount == 0)
                {
                    // Nobody to complete it: it stays its dead owner's until a member is up and gets it at epoch + 1.
                    tick.Change(i, ShardChangeKind.HandoffCancelled,
                        row with { State = ShardState.Owned, HandoffTo = null, HandoffExpired = false });
                }

                // else: its target is gone but others are up: allocated below like any orphan.
            }
            else if (row.HandoffTo is null && tick.UpCount == 0 && !row.HandoffExpired)
            {
                // A leaving member handing off to nobody: it still has to write its snapshots and release.
            }
            else if (!targetUp || row.HandoffExpired)
            {
                tick.Change(i, ShardChangeKind.HandoffCancelled,
                    row with { State = ShardState.Owned, HandoffTo = null, HandoffExpired = false });
            }
        }
    }

    /// <summary>Shards nobody serves (unowned, released with no live target, owner down/removed/unknown) go to the
    /// least loaded up member at epoch + 1; with no member up they wait.</summary>
    private static void AllocateOrphans(Decisions tick, Dictionary<string, MemberState> states)
    {
        for (var i = 0; i < tick.Count; i++)
        {
            var row = tick[i];
            if (tick.Changed(i) || (row.State != ShardState.Unowned && IsAlive(states, row.Owner)))
            {
                continue;
            }

            if (tick.UpCount == 0)
            {
                return;
            }

            tick.Change(i, ShardChangeKind.Allocated, row with
            {
                Owner = tick.LeastLoaded(),
                Epoch = row.Epoch + 1,
                State = ShardState.Owned,
                HandoffTo = null,
                HandoffExpired = false,
            });
        }
    }

    /// <summary>Every shard of a leaving member is handed off, to the least loaded up member (to nobody when none
    /// is up: it is released and waits unowned), at most <paramref name="budget"/> of them; returns what is left.
    /// </summary>
    private static int HandOffLeaving(Decisions tick, IReadOnlyList<MemberRow> members, int budget)
    {
        var leaving = members.Where(m => m.State == MemberState.Leaving).Select(m => m.NodeId)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var node in leaving)
        {
            for (var i = 0; i < tick.Count && budget > 0; i++)
            {
                var row = tick[i];
                if (tick.Changed(i) || row.State != ShardState.Owned ||
                    !string.Equals(row.Owner, node, StringComparison.Ordinal))
                {
                    continue;
                }

                var target = tick.UpCount > 0 ? tick.LeastLoaded() : null;
                tick.Change(i, ShardChangeKind.HandoffStarted,
                    row with { State = ShardState.Handoff, HandoffTo = target });
                budget--;
            }
        }

        return budget;
    }

    /// <summary>From the most loaded up member to the least loaded while they differ by more than one.</summary>
    private static void Rebalance(Decisions tick, int budget)
    {
        while (budget > 0 && tick.UpCount >= 2)
        {
            var (most, least) = (tick.MostLoaded(), tick.LeastLoaded());
            if (tick.LoadOf(most) - tick.LoadOf(least) <= 1)
            {
                return;
            }

            // A shard that changed this tick is not moved again in it. The most loaded member got none allocated
            // (allocation goes to the least loaded, leaving it at most one above the rest), but it may have just
            // completed hand-offs to it; then the round waits for the next tick.
            var i = tick.FirstUnchangedOwnedBy(most);
            if (i < 0)
            {
                return;
            }

            tick.Change(i, ShardChangeKind.HandoffStarted,
                tick[i] with { State = ShardState.Handoff, HandoffTo = least });
            budget--;
        }
    }

    /// <summary>The tick's working copy of the shard rows and the loads of up members.</summary>
    private sealed class Decisions
    {
        private readonly ShardRow[] _rows;
        private readonly ShardChangeKind?[] _kinds;
        private readonly ShardRow[] _before;
        private readonly string[] _up;
        private readonly Dictionary<string, int> _load = new(StringComparer.Ordinal);

        public Decisions(IReadOnlyList<ShardRow> shards, string[] up)
        {
            _before = shards.OrderBy(s => s.ShardId).ToArray();
            _rows = (ShardRow[])_before.Clone();
            _kinds = new ShardChangeKind?[_rows.Length];
            _up = up;
            foreach (var node in up)
            {
                _load[node] = 0;
            }

            foreach (var row in _rows)
            {
                AddLoad(row, +1);
            }
        }

        public int Count => _rows.Length;

        public int UpCount => _up.Length;

        public ShardRow this[int index] => _rows[index];

        public bool IsUp(string? node) => node is not null && _load.ContainsKey(node);

        public bool Changed(int index) => _kinds[index] is not null;

        public int LoadOf(string node) => _load[node];

        public void Change(int index, ShardChangeKind kind, ShardRow after)
        {
            AddLoad(_rows[index], -1);
            _rows[index] = after;
            _kinds[index] = kind;
            AddLoad(after, +1);
        }

        public bool AnyHandoffInFlight() => _rows.Any(r => r.State == ShardState.Handoff);

        public string LeastLoaded()
        {
            var best = _up[0];
            foreach (var node in _up)
            {
                if (_load[node] < _load[best])
                {
                    best = node;
                }
            }

            return best;
        }

        public string MostLoaded()
        {
            var best = _up[0];
            foreach (var node in _up)
            {
                if (_load[node] > _load[best])
                {
                    best = node;
                }
            }

            return best;
        }

        public int FirstUnchangedOwnedBy(string node)
        {
            for (var i = 0; i < _rows.Length; i++)
            {
                if (!Changed(i) && _rows[i].State == ShardState.Owned &&
                    string.Equals(_rows[i].Owner, node, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }

        public IReadOnlyList<ShardChange> Changes()
        {
            var changes = new List<ShardChange>();
            for (var i = 0; i < _rows.Length; i++)
            {
                if (_kinds[i] is { } kind)
                {
                    changes.Add(new ShardChange(kind, _before[i], _rows[i]));
                }
            }

            return changes;
        }

        /// <summary>A shard counts for where it will be: the target of its hand-off, else its owner.</summary>
        private void AddLoad(ShardRow row, int delta)
        {
            var holder = row.State switch
            {
                ShardState.Handoff when IsUp(row.HandoffTo) => row.HandoffTo,
                ShardState.Unowned => null,
                _ => row.Owner,
            };
            if (holder is not null && _load.TryGetValue(holder, out var load))
            {
                _load[holder] = load + delta;
            }
        }
    }
}
