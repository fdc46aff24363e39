using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Svod.Cluster.Actors;

namespace Svod.Cluster.Tests.Actors;

/// <summary>A throwing actor is restarted from its last good state, within limits; failures are logged.</summary>
public sealed class ActorSupervisionTests
{
    private static readonly TimeSpan AskTimeout = Timeout.InfiniteTimeSpan; // manual time: TestWait bounds the wait

    private readonly ManualTimeProvider _time = new();
    private readonly CapturedLogs _logs = new();

    [Fact]
    public async Task A_failing_actor_is_restarted_from_its_last_good_state_and_goes_on_with_the_next_message()
    {
        await using var system = new ActorSystem(_time, _logs);
        var store = new AccountStore();
        var account = system.Spawn("account-1", () => new AccountActor(store));

        account.Tell(new Add(5));
        account.Tell(new Fail("disk on fire"));
        account.Tell(new Add(2));
        var total = await TestWait.For(account.AskAsync<int>(reply => new Read(reply), AskTimeout),
            "the total after the restart");

        Assert.Equal(7, total);
        Assert.Equal(2, store.Instances);
        Assert.Equal(["pre-restart 1: disk on fire, Fail", "post-restart 2: disk on fire, total 5"], store.Journal);
        var entry = Assert.Single(_logs.WithEventId(1000));
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("account account-1 (utterance u-17)", entry.Message, StringComparison.Ordinal);
        Assert.Contains("Fail", entry.Message, StringComparison.Ordinal);
        Assert.Equal("disk on fire", entry.Exception?.Message);
        Assert.False(account.Completion.IsCompleted);
    }

    [Fact]
    public async Task More_failures_than_allowed_within_the_window_stop_the_actor()
    {
        await using var system = new ActorSystem(_time, _logs);
        var store = new AccountStore();
        var options = new ActorOptions { MaxRestarts = 2, RestartWindow = TimeSpan.FromMinutes(1) };
        var account = system.Spawn("account-2", () => new AccountActor(store), options);

        account.Tell(new Fail("one"));
        account.Tell(new Fail("two"));
        account.Tell(new Fail("three"));
        account.Tell(new Add(1));
        await TestWait.For(account.Completion, "the actor to stop after its third failure");

        Assert.Equal(3, store.Instances);
        Assert.Equal(2, _logs.WithEventId(1000).Count());
        var gaveUp = Assert.Single(_logs.WithEventId(1001));
        Assert.Contains("account account-2 (utterance u-17)", gaveUp.Message, StringComparison.Ordinal);
        Assert.Equal("three", gaveUp.Exception?.Message);
        Assert.Equal(1, system.DeadLetters);
        Assert.Equal(0, system.ActorCount);
        Assert.False(account.Tell(new Add(1)));
    }

    [Fact]
    public async Task Failures_further_apart_than_the_window_do_not_add_up()
    {
        await using var system = new ActorSystem(_time, _logs);
        var store = new AccountStore();
        var options = new ActorOptions { MaxRestarts = 1, RestartWindow = TimeSpan.FromMinutes(1) };
        var account = system.Spawn("account-3", () => new AccountActor(store), options);

        account.Tell(new Fail("one"));
        await TestWait.For(account.AskAsync<int>(reply => new Read(reply), AskTimeout), "the first restart");
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromTicks(1));
        account.Tell(new Fail("two"));
        account.Tell(new Add(3));
        var total = await TestWait.For(account.AskAsync<int>(reply => new Read(reply), AskTimeout),
            "the second restart, a window later");

        Assert.Equal(3, total);
        Assert.Equal(3, store.Instances);
        Assert.Empty(_logs.WithEventId(1001));
        Assert.False(account.Completion.IsCompleted);
    }

    [Fact]
    public async Task PreRestart_gets_the_failed_message_and_can_fail_the_ask_inside_it()
    {
        await using var system = new ActorSystem(_time, _logs);
        var account = system.Spawn("account-4", () => new AccountActor(new AccountStore()));

        var ask = account.AskAsync<int>(reply => new FailAsked(reply), AskTimeout);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(
            () => TestWait.For(ask, "the failed ask"));
        Assert.Equal("asked to fail", failure.Message);
    }

    [Fact]
    public async Task An_actor_whose_PreStart_throws_is_stopped_without_PostStop()
    {
        await using var system = new ActorSystem(_time, _logs);
        var postStops = 0;
        var actor = system.Spawn("broken", () => new BrokenStartActor(() => postStops++));
        actor.Tell("lost");
        actor.Tell("lost too");

        await TestWait.For(actor.Completion, "the actor whose PreStart threw to stop");

        Assert.Equal(0, postStops);
        Assert.Equal(2, system.DeadLetters);
        var entry = Assert.Single(_logs.WithEventId(1002));
        Assert.Contains("broken", entry.Message, StringComparison.Ordinal);
        Assert.Equal("no model", entry.Exception?.Message);
    }

    [Fact]
    public async Task The_factory_runs_on_the_caller_and_its_exception_reaches_it()
    {
        await using var system = new ActorSystem(_time, _logs);

        var failure = Assert.Throws<InvalidOperationException>(
            () => system.Spawn<string>("unbuilt", () => throw new InvalidOperationException("no instance")));

        Assert.Equal("no instance", failure.Message);
        Assert.Equal(0, system.ActorCount);
        system.Spawn("unbuilt", () => new BrokenStartActor(() => { }));
    }

    private abstract record Command;

    private sealed record Add(int Amount) : Command;

    private sealed record Fail(string Why) : Command;

    private sealed record FailAsked(Reply<int> Reply) : Command;

    private sealed record Read(Reply<int> Reply) : Command;

    /// <summary>Where accounts persist their last good total, as a channel actor persists its snapshot.</summary>
    private sealed class AccountStore
    {
        private int _instances;

        public int Saved { get; set; }

        public int Instances => Volatile.Read(ref _instances);

        public ConcurrentQueue<string> Journal { get; } = new();

        public int NewInstance() => Interlocked.Increment(ref _instances);
    }

    private sealed class AccountActor : Actor<Command>
    {
        private readonly AccountStore _store;
        private readonly int _instance;
        private int _total;

        public AccountActor(AccountStore store)
        {
            _store = store;
            _instance = store.NewInstance();
        }

        protected override ValueTask ReceiveAsync(Command message, CancellationToken cancellationToken)
        {
            switch (message)
            {
                case Add add:
                    _total += add.Amount;
                    _store.Saved = _total;
                    break;
                case Fail fail:
                    _total = -1_000; // half-updated state the restart must not keep
                    throw new InvalidOperationException(fail.Why);
                case FailAsked:
                    throw new InvalidOperationException("asked to fail");
                case Read read:
                    read.Reply.Set(_total);
                    break;
            }

            return ValueTask.CompletedTask;
        }

        protected override ValueTask PreRestartAsync(Exception reason, Command failedMessage)
        {
            if (failedMessage is FailAsked asked)
            {
                asked.Reply.Fail(reason);
            }

            _store.Journal.Enqueue($"pre-restart {_instance}: {reason.Message}, {failedMessage.GetType().Name}");
            return ValueTask.CompletedTask;
        }

        protected override ValueTask PostRestartAsync(Exception reason, CancellationToken cancellationToken)
        {
            _total = _store.Saved;
            _store.Journal.Enqueue($"post-restart {_instance}: {reason.Message}, total {_total}");
            return ValueTask.CompletedTask;
        }

        protected override string Describe() => $"account {Name} (utterance u-17)";
    }

    private sealed class BrokenStartActor(Action postStop) : Actor<string>
    {
        protected override ValueTask ReceiveAsync(string message, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;

        protected override ValueTask PreStartAsync(CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no model");

        protected override ValueTask PostStopAsync()
        {
            postStop();
            return ValueTask.CompletedTask;
        }
    }
}
