using Svod.Cluster.Actors;

namespace Svod.Cluster.Tests.Actors;

/// <summary>One message at a time, in order, for one actor and for many.</summary>
public sealed class ActorOrderingTests
{
    [Fact]
    public async Task Messages_from_one_sender_arrive_in_the_order_sent()
    {
        const int count = 10_000;
        await using var system = new ActorSystem();
        var received = new List<int>(count);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.Spawn("ordered", () => new ListActor(received, count, done));

        for (var i = 0; i < count; i++)
        {
            Assert.True(actor.Tell(i));
        }

        await TestWait.For(done.Task, "the 10,000th message");
        Assert.Equal(Enumerable.Range(0, count), received);
    }

    [Fact]
    public async Task No_two_messages_of_one_actor_run_at_once_and_each_sender_keeps_its_order()
    {
        const int senders = 16;
        const int perSender = 2_000;
        await using var system = new ActorSystem();
        var watch = new OverlapWatch(senders, senders * perSender);
        var actor = system.Spawn("contended", () => new OverlapActor(watch));

        await Task.WhenAll(Enumerable.Range(0, senders).Select(sender => Task.Run(() =>
        {
            for (var sequence = 0; sequence < perSender; sequence++)
            {
                actor.Tell(new Numbered(sender, sequence));
            }
        })));

        await TestWait.For(watch.Done, $"{senders * perSender} messages from {senders} concurrent senders");
        Assert.Equal(0, watch.Overlaps);
        Assert.Equal(0, watch.OutOfOrder);
    }

    [Fact]
    public async Task Ten_thousand_actors_each_handle_their_ten_messages()
    {
        const int actors = 10_000;
        const int messages = 10;
        await using var system = new ActorSystem();
        var counts = new int[actors];
        var tally = new Tally(actors * messages);
        var refs = Enumerable.Range(0, actors)
            .Select(i => system.Spawn($"counter-{i}", () => new CountingActor(counts, tally)))
            .ToArray();
        Assert.Equal(actors, system.ActorCount);

        for (var round = 0; round < messages; round++)
        {
            for (var i = 0; i < actors; i++)
            {
                refs[i].Tell(i);
            }
        }

        await TestWait.For(tally.Done, $"{actors * messages} messages across {actors} actors");
        Assert.All(counts, count => Assert.Equal(messages, count));

        await system.StopAsync();
        Assert.Equal(0, system.ActorCount);
        Assert.All(refs, actor => Assert.True(actor.Completion.IsCompleted, $"{actor.Name} did not stop"));
    }

    private sealed record Numbered(int Sender, int Sequence);

    private sealed class ListActor(List<int> received, int expected, TaskCompletionSource done) : Actor<int>
    {
        protected override async ValueTask ReceiveAsync(int message, CancellationToken cancellationToken)
        {
            // Some messages finish asynchronously, so the loop resumes from the pool mid-stream.
            if (message % 100 == 0)
            {
                await Task.Yield();
            }

            received.Add(message);
            if (received.Count == expected)
            {
                done.TrySetResult();
            }
        }
    }

    private sealed class OverlapWatch(int senders, int expected)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inside;
        private int _overlaps;

        public int[] LastSequence { get; } = Enumerable.Repeat(-1, senders).ToArray();

        public int Handled { get; set; }

        public int OutOfOrder { get; set; }

        public int Overlaps => Volatile.Read(ref _overlaps);

        public Task Done => _done.Task;

        public void Enter()
        {
            if (Interlocked.Increment(ref _inside) != 1)
            {
                Interlocked.Increment(ref _overlaps);
            }
        }

        public void Leave()
        {
            Interlocked.Decrement(ref _inside);
            if (++Handled == expected)
            {
                _done.TrySetResult();
            }
        }
    }

    private sealed class OverlapActor(OverlapWatch watch) : Actor<Numbered>
    {
        protected override async ValueTask ReceiveAsync(Numbered message, CancellationToken cancellationToken)
        {
            watch.Enter();
            if (message.Sequence % 8 == 0)
            {
                await Task.Yield();
            }

            if (message.Sequence != watch.LastSequence[message.Sender] + 1)
            {
                watch.OutOfOrder++;
            }

            watch.LastSequence[message.Sender] = message.Sequence;
            watch.Leave();
        }
    }

    private sealed class Tally(int expected)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _handled;

        public Task Done => _done.Task;

        public void Add()
        {
            if (Interlocked.Increment(ref _handled) == expected)
            {
                _done.TrySetResult();
            }
        }
    }

    private sealed class CountingActor(int[] counts, Tally tally) : Actor<int>
    {
        protected override ValueTask ReceiveAsync(int message, CancellationToken cancellationToken)
        {
            counts[message]++;
            tally.Add();
            return ValueTask.CompletedTask;
        }
    }
}
