using FsCheck;
using FsCheck.Fluent;
using Svod.Cluster.Persistence;
using Svod.Cluster.Tests.Actors;

namespace Svod.Cluster.Tests.Persistence;

/// <summary>The snapshot log answers as a dictionary would, whatever was done to it and wherever it was reopened.
/// </summary>
public sealed class FileSnapshotStoreModelTests
{
    private static readonly string[] Ids = ["a", "b", "c", "d", "ü-ñ"];
    private readonly CancellationToken _none = CancellationToken.None;

    [Fact]
    public void Any_operations_with_a_reopen_anywhere_read_back_as_a_simple_model_does() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed => RunAsync(seed)).QuickCheckThrowOnFailure();

    /// <summary>
    /// Random writes (frames from a small range, so that some go backwards), completions, deletes, expiries and clock
    /// moves, with one reopen at a random point; a small compaction threshold, so that compactions happen too. After
    /// each step every utterance reads as the model says.
    /// </summary>
    private async Task RunAsync(int seed)
    {
        var random = new Random(seed);
        var time = new ManualTimeProvider();
        var model = new Model(time);
        var steps = new List<string>();
        using var dir = new TempDirectory();
        var compactAbove = random.Next(2) == 0 ? 0 : 2048;
        var store = FileSnapshotStore.Open(dir.Path, compactAbove, logger: null, time);
        try
        {
            var count = random.Next(1, 40);
            var reopenAt = random.Next(count);
            for (var step = 0; step < count; step++)
            {
                if (step == reopenAt)
                {
                    steps.Add("reopen");
                    await store.DisposeAsync();
                    store = FileSnapshotStore.Open(dir.Path, compactAbove, logger: null, time);
                    model.Expire(); // a reopen forgets the finals already expired
                    Assert.Equal(0, store.DroppedBytes);
                    await AssertMatchesAsync(store, model);
                }

                await StepAsync(store, model, time, random, steps);
                await AssertMatchesAsync(store, model);
            }
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"seed {seed}, after {string.Join("; ", steps)}:\n{e}");
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    private async Task StepAsync(FileSnapshotStore store, Model model, ManualTimeProvider time, Random random,
        List<string> steps)
    {
        var id = Ids[random.Next(Ids.Length)];
        switch (random.Next(6))
        {
            case 0 or 1:
                var batch = Enumerable.Range(0, random.Next(1, 5))
                    .Select(_ => Snapshots.Create(Ids[random.Next(Ids.Length)], random.Next(4), random.Next(1, 3),
                        frames: random.Next(10), size: random.Next(0, 300), seed: random.Next()))
                    .ToArray();
                steps.Add($"write {string.Join(',', batch.Select(s => $"{s.UtteranceId}@{s.Frames}"))}");
                Assert.Equal(model.Write(batch).Order(StringComparer.Ordinal),
                    (await store.WriteAsync(batch, _none)).Order(StringComparer.Ordinal));
                break;
            case 2:
                var final = new byte[random.Next(0, 20)];
                random.NextBytes(final);
                var retention = TimeSpan.FromMilliseconds(random.Next(0, 3000));
                steps.Add($"complete {id} for {retention.TotalMilliseconds} ms");
                model.Complete(id, final, retention);
                Assert.True(await store.CompleteAsync(id, 0, 1, final, retention, _none));
                break;
            case 3:
                steps.Add($"delete {id}");
                model.Delete(id);
                await store.DeleteAsync(id, 0, 1, _none);
                break;
            case 4:
                var by = TimeSpan.FromMilliseconds(random.Next(0, 2000));
                steps.Add($"advance {by.TotalMilliseconds} ms");
                time.Advance(by);
                break;
            default:
                steps.Add("expire");
                Assert.Equal(model.Expire(), await store.ExpireAsync(_none));
                break;
        }
    }

    private async Task AssertMatchesAsync(FileSnapshotStore store, Model model)
    {
        foreach (var id in Ids)
        {
            var snapshot = model.Snapshots.GetValueOrDefault(id);
            var stored = await store.ReadAsync(id, _none);
            if (snapshot is null)
            {
                Assert.Null(stored);
            }
            else
            {
                Snapshots.AssertEqual(snapshot, stored);
            }

            Assert.Equal(model.ReadFinal(id), await store.ReadFinalAsync(id, _none));
        }
    }

    /// <summary>What the store should answer, kept the obvious way: snapshots applied one by one.</summary>
    private sealed class Model(TimeProvider time)
    {
        private readonly Dictionary<string, (byte[] Result, DateTimeOffset Expires)> _finals = [];

        public Dictionary<string, ChannelSnapshot> Snapshots { get; } = [];

        /// <summary>Returns the ids of the batch none of whose snapshots was stored.</summary>
        public HashSet<string> Write(IEnumerable<ChannelSnapshot> batch)
        {
            var skipped = new HashSet<string>();
            var written = new HashSet<string>();
            foreach (var snapshot in batch)
            {
                if (Snapshots.TryGetValue(snapshot.UtteranceId, out var stored) && stored.Frames > snapshot.Frames)
                {
                    skipped.Add(snapshot.UtteranceId);
                }
                else
                {
                    Snapshots[snapshot.UtteranceId] = snapshot;
                    written.Add(snapshot.UtteranceId);
                }
            }

            skipped.ExceptWith(written);
            return skipped;
        }

        public void Complete(string id, byte[] result, TimeSpan retention)
        {
            Snapshots.Remove(id);
            _finals[id] = (result, time.GetUtcNow() + retention);
        }

        public void Delete(string id)
        {
            Snapshots.Remove(id);
            _finals.Remove(id); // forgetting an utterance drops its retained final too
        }

        public byte[]? ReadFinal(string id) =>
            _finals.TryGetValue(id, out var final) && final.Expires > time.GetUtcNow() ? final.Result : null;

        public int Expire()
        {
            var expired = _finals.Where(f => f.Value.Expires <= time.GetUtcNow()).Select(f => f.Key).ToList();
            expired.ForEach(id => _finals.Remove(id));
            return expired.Count;
        }
    }
}
