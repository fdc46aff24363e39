using System.Collections.Concurrent;
using Svod.Cluster.Actors;

namespace Svod.Cluster.Tests.Actors;

/// <summary>Start, stop, passivation, bounded mailboxes, names and system shutdown.</summary>
public sealed class ActorLifecycleTests
{
    private readonly CapturedLogs _logs = new();
    private readonly ConcurrentQueue<string> _journal = new();

    [Fact]
    public async Task PreStart_runs_before_the_first_message_and_PostStop_after_the_last()
    {
        await using var system = new ActorSystem(loggerFactory: _logs);
        var actor = system.Spawn("life", () => new JournalActor(_journal));
        actor.Tell("a");
        actor.Tell("b");
        actor.Passivate();

        await TestWait.For(actor.Completion, "the passivated actor to stop");

        Assert.Equal(["pre-start", "a", "b", "post-stop"], _journal);
    }

    [Fact]
    public async Task Stop_leaves_the_remaining_messages_as_dead_letters_and_finishes_Completion()
    {
        await using var system = new ActorSystem(loggerFactory: _logs);
        var gate = new Gate();
        var actor = system.Spawn("stopper", () => new JournalActor(_journal, gate));
        actor.Tell("block");
        actor.Tell("stop");
        for (var i = 0; i < 5; i++)
        {
            actor.Tell($"m{i}");
        }

        await TestWait.For(gate.Entered, "the actor to block");
        gate.Open();
        await TestWait.For(actor.Completion, "the actor to stop itself");

        Assert.Equal(["pre-start", "block", "stop", "post-stop"], _journal);
        Assert.Equal(5, system.DeadLetters);
        Assert.Contains("5 messages", Assert.Single(_logs.WithEventId(1007)).Message, StringComparison.Ordinal);
        Assert.False(actor.Tell("late"));
        Assert.Equal(6, system.DeadLetters);
        Assert.Equal(0, system.ActorCount);
    }

    [Fact]
    public async Task Stopping_from_outside_cancels_the_current_message_which_is_not_a_failure()
    {
        await using var system = new ActorSystem(loggerFactory: _logs);
        var gate = new Gate();
        var actor = system.Spawn("waiter", () => new JournalActor(_journal, gate));
        actor.Tell("wait");
        await TestWait.For(gate.Entered, "the actor to start waiting");

        await TestWait.For(actor.StopAsync(), "the stopped actor's Completion");

        Assert.Equal(["pre-start", "wait", "post-stop"], _journal);
        Assert.DoesNotContain(_logs.Entries, entry => entry.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public async Task Passivation_handles_the_queued_messages_then_stops()
    {
        await using var system = new ActorSystem(loggerFactory: _logs);
        var gate = new Gate();
        var actor = system.Spawn("idle", () => new JournalActor(_journal, gate));
        actor.Tell("block");
        actor.Tell("passivate");
        actor.Tell("m1");
        actor.Tell("m2");
        await TestWait.For(gate.Entered, "the actor to block");

        gate.Open();
        await TestWait.For(actor.Completion, "the passivated actor to stop");

        Assert.Equal(["pre-start", "block", "passivate", "m1", "m2", "post-stop"], _journal);
        Assert.Equal(0, system.DeadLetters);
        Assert.False(actor.Tell("after"));
    }

    [Fact]
    public async Task A_full_bounded_mailbox_refuses_Tell_and_makes_TellAsync_wait()
    {
        await using var system = new ActorSystem(loggerFactory: _logs);
        var gate = new Gate();
        var actor = system.Spawn("bounded", () => new JournalActor(_journal, gate),
            new ActorOptions { MailboxCapacity = 2 });
        actor.Tell("block");
        await TestWait.For(gate.Entered, "the actor to block");

        Assert.True(actor.Tell("m1"));
        Assert.True(actor.Tell("m2"));
        Assert.False(actor.Tell("m3"));
        Assert.Equal(1, system.DeadLetters);
        var waiting = actor.TellAsync("m4").AsTask();
        Assert.False(waiting.IsCompleted, "TellAsync did not wait for room");

        gate.Open();
        Assert.True(await TestWait.For(waiting, "room in the mailbox"));
        Assert.True(await TestWait.For(actor.TellAsync("passivate").AsTask(), "room for the passivation"));
        await TestWait.For(actor.Completion, "the passivated actor to stop");
        Assert.Equal(["pre-start", "block", "m1", "m2", "m4", "passivate", "post-stop"], _journal);
    }

    [Fact]
    public async Task A_name_is_free_again_once_its_actor_has_stopped()
    {
        await using var system = new ActorSystem(loggerFactory: _logs);
        var first = system.Spawn("unique", () => new JournalActor(_journal));

        var taken = Assert.Throws<InvalidOperationException>(
            () => system.Spawn("unique", () => new JournalActor(_journal)));
        Assert.Contains("'unique'", taken.Message, StringComparison.Ordinal);

        await TestWait.For(first.StopAsync(), "the first actor to stop");
        var second = system.Spawn("unique", () => new JournalActor(_journal));
        Assert.NotSame(first, second);
        Assert.Equal(1, system.ActorCount);
    }

    [Fact]
    public void An_actor_cannot_reach_its_Self_from_its_constructor()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => new SelfInConstructorActor());
        Assert.Contains("PreStartAsync", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_the_system_stops_every_actor()
    {
        var system = new ActorSystem(loggerFactory: _logs);
        var actors = Enumerable.Range(0, 100)
            .Select(i => system.Spawn($"actor-{i}", () => new JournalActor(_journal)))
            .ToArray();

        await TestWait.For(system.DisposeAsync().AsTask(), "the system to stop its actors");

        Assert.All(actors, actor => Assert.True(actor.Completion.IsCompleted, $"{actor.Name} still runs"));
        Assert.Equal(100, _journal.Count(entry => entry == "post-stop"));
        Assert.Equal(0, system.ActorCount);
        Assert.Throws<ObjectDisposedException>(() => system.Spawn("late", () => new JournalActor(_journal)));
    }

    /// <summary>
    /// Journals its lifecycle and messages. "block" and "wait" hold it at the gate ("wait" until cancelled);
    /// "stop" and "passivate" do so.
    /// </summary>
    private sealed class JournalActor(ConcurrentQueue<string> journal, Gate? gate = null) : Actor<string>
    {
        protected override async ValueTask ReceiveAsync(string message, CancellationToken cancellationToken)
        {
            journal.Enqueue(message);
            switch (message)
            {
                case "block":
                    await gate!.PassAsync();
                    break;
                case "wait":
                    await gate!.PassAsync().WaitAsync(cancellationToken);
                    break;
                case "stop":
                    Stop();
                    break;
                case "passivate":
                    Passivate();
                    break;
            }
        }

        protected override ValueTask PreStartAsync(CancellationToken cancellationToken)
        {
            journal.Enqueue("pre-start");
            return ValueTask.CompletedTask;
        }

        protected override ValueTask PostStopAsync()
        {
            journal.Enqueue("post-stop");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class SelfInConstructorActor : Actor<string>
    {
        public SelfInConstructorActor()
        {
            Self.Tell("hello");
        }

        protected override ValueTask ReceiveAsync(string message, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;
    }
}
