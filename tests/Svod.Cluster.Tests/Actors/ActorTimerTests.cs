using System.Collections.Concurrent;
using Svod.Cluster.Actors;

namespace Svod.Cluster.Tests.Actors;

/// <summary>Keyed timers on manual time: single, periodic, cancel, replace; they die with their instance.</summary>
public sealed class ActorTimerTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly ActorSystem _system;
    private readonly ConcurrentQueue<string> _ticks = new();
    private readonly ActorRef<TimerCommand> _actor;

    public ActorTimerTests()
    {
        _system = new ActorSystem(_time);
        _actor = _system.Spawn("timed", () => new TimedActor(_ticks));
    }

    public ValueTask DisposeAsync() => _system.DisposeAsync();

    [Fact]
    public async Task A_single_timer_sends_its_message_once_when_due()
    {
        _actor.Tell(new StartSingle("t", "ping", TimeSpan.FromSeconds(1)));
        Assert.Empty(await TicksAsync());

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Empty(await TicksAsync());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["ping"], await TicksAsync());
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(["ping"], await TicksAsync());
        Assert.Equal(0, await ActiveAsync());
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public async Task A_periodic_timer_repeats_until_cancelled()
    {
        _actor.Tell(new StartPeriodic("p", "tick", TimeSpan.FromSeconds(1)));
        Assert.Empty(await TicksAsync());
        for (var i = 1; i <= 3; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(i, (await TicksAsync()).Length);
        }

        Assert.Equal(1, await ActiveAsync());
        _actor.Tell(new CancelTimer("p"));
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(3, (await TicksAsync()).Length);
        Assert.Equal(0, await ActiveAsync());
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public async Task A_busy_actor_finds_one_periodic_tick_not_a_backlog()
    {
        var gate = new Gate();
        _actor.Tell(new StartPeriodic("p", "tick", TimeSpan.FromSeconds(1)));
        _actor.Tell(new Block(gate, CancelKey: null));
        await TestWait.For(gate.Entered, "the actor to block");

        _time.Advance(TimeSpan.FromSeconds(5));
        gate.Open();

        Assert.Equal(["tick"], await TicksAsync());
    }

    [Fact]
    public async Task Cancelling_a_timer_drops_its_message_already_in_the_mailbox()
    {
        var gate = new Gate();
        _actor.Tell(new StartSingle("t", "ping", TimeSpan.FromSeconds(1)));
        _actor.Tell(new Block(gate, CancelKey: "t"));
        await TestWait.For(gate.Entered, "the actor to block");

        _time.Advance(TimeSpan.FromSeconds(1)); // "ping" now waits behind the blocked message, which cancels "t"
        gate.Open();

        Assert.Empty(await TicksAsync());
    }

    [Fact]
    public async Task Starting_a_key_again_replaces_its_timer()
    {
        _actor.Tell(new StartSingle("t", "first", TimeSpan.FromSeconds(1)));
        await TicksAsync();
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _actor.Tell(new StartSingle("t", "second", TimeSpan.FromSeconds(1)));
        await TicksAsync();

        _time.Advance(TimeSpan.FromMilliseconds(600));
        Assert.Empty(await TicksAsync());
        _time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal(["second"], await TicksAsync());
    }

    [Fact]
    public async Task Timers_are_cancelled_when_the_actor_stops()
    {
        _actor.Tell(new StartPeriodic("p", "tick", TimeSpan.FromSeconds(1)));
        _actor.Tell(new StartSingle("t", "ping", TimeSpan.FromSeconds(1)));
        Assert.Equal(2, await ActiveAsync());

        await TestWait.For(_actor.StopAsync(), "the actor to stop");
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(0, _time.ActiveTimers);
        Assert.Empty(_ticks);
        Assert.Equal(0, _system.DeadLetters);
    }

    [Fact]
    public async Task Timers_are_cancelled_when_the_actor_restarts()
    {
        _actor.Tell(new StartPeriodic("p", "tick", TimeSpan.FromSeconds(1)));
        Assert.Equal(1, await ActiveAsync());

        _actor.Tell(new Crash());
        Assert.Equal(0, await ActiveAsync());
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Empty(await TicksAsync());
        Assert.Equal(0, _time.ActiveTimers);
    }

    // The probe's reply comes after every message queued before it, timer messages included.
    private Task<string[]> TicksAsync() =>
        TestWait.For(_actor.AskAsync<string[]>(reply => new Probe(reply), Timeout.InfiniteTimeSpan),
            "the timer probe");

    private Task<int> ActiveAsync() =>
        TestWait.For(_actor.AskAsync<int>(reply => new CountTimers(reply), Timeout.InfiniteTimeSpan),
            "the timer count");

    private abstract record TimerCommand;

    private sealed record StartSingle(string Key, string Tick, TimeSpan Delay) : TimerCommand;

    private sealed record StartPeriodic(string Key, string Tick, TimeSpan Interval) : TimerCommand;

    private sealed record CancelTimer(string Key) : TimerCommand;

    private sealed record Block(Gate Gate, string? CancelKey) : TimerCommand;

    private sealed record Crash : TimerCommand;

    private sealed record Tick(string Name) : TimerCommand;

    private sealed record Probe(Reply<string[]> Reply) : TimerCommand;

    private sealed record CountTimers(Reply<int> Reply) : TimerCommand;

    private sealed class TimedActor(ConcurrentQueue<string> ticks) : Actor<TimerCommand>
    {
        protected override async ValueTask ReceiveAsync(TimerCommand message, CancellationToken cancellationToken)
        {
            switch (message)
            {
                case StartSingle start:
                    Timers.StartSingle(start.Key, new Tick(start.Tick), start.Delay);
                    break;
                case StartPeriodic start:
                    Timers.StartPeriodic(start.Key, new Tick(start.Tick), start.Interval);
                    break;
                case CancelTimer cancel:
                    Timers.Cancel(cancel.Key);
                    break;
                case Block block:
                    await block.Gate.PassAsync();
                    if (block.CancelKey is { } key)
                    {
                        Timers.Cancel(key);
                    }

                    break;
                case Crash:
                    throw new InvalidOperationException("crash");
                case Tick tick:
                    ticks.Enqueue(tick.Name);
                    break;
                case Probe probe:
                    probe.Reply.Set([.. ticks]);
                    break;
                case CountTimers count:
                    count.Reply.Set(Timers.Count);
                    break;
            }
        }
    }
}
