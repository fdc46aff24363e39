using Svod.Cluster.Actors;

namespace Svod.Cluster.Tests.Actors;

/// <summary>Ask: a reply, a timeout on the system's clock, or a quick failure when nobody can answer.</summary>
public sealed class ActorAskTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public async Task An_ask_returns_the_reply()
    {
        await using var system = new ActorSystem(_time);
        var echo = system.Spawn("echo", () => new EchoActor());

        var answer = await TestWait.For(
            echo.AskAsync<string>(reply => new Echo("hello", reply), TimeSpan.FromSeconds(1)), "the echo");

        Assert.Equal("hello", answer);
    }

    [Fact]
    public async Task An_unanswered_ask_times_out_on_the_system_clock_naming_the_actor_and_the_timeout()
    {
        await using var system = new ActorSystem(_time);
        var echo = system.Spawn("echo", () => new EchoActor());

        var ask = echo.AskAsync<string>(reply => new Ignore(reply), TimeSpan.FromMilliseconds(250));
        _time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(ask.IsCompleted, "the ask ended before its timeout");
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var timeout = await Assert.ThrowsAsync<AskTimeoutException>(() => TestWait.For(ask, "the ask to time out"));
        Assert.Equal("Actor 'echo' did not reply within 250 ms.", timeout.Message);
        Assert.Equal("echo", timeout.ActorName);
        Assert.Equal(TimeSpan.FromMilliseconds(250), timeout.Timeout);
    }

    [Fact]
    public async Task A_reply_set_after_the_timeout_changes_nothing()
    {
        await using var system = new ActorSystem(_time);
        var kept = new TaskCompletionSource<Reply<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var echo = system.Spawn("echo", () => new EchoActor(kept));

        var ask = echo.AskAsync<string>(reply => new Keep(reply), TimeSpan.FromSeconds(1));
        var reply = await TestWait.For(kept.Task, "the actor to keep the reply");
        _time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<AskTimeoutException>(() => TestWait.For(ask, "the ask to time out"));

        Assert.False(reply.Set("too late"));
        Assert.True(reply.IsCompleted);
    }

    [Fact]
    public async Task An_ask_to_a_stopped_actor_fails_at_once()
    {
        await using var system = new ActorSystem(_time);
        var echo = system.Spawn("echo", () => new EchoActor());
        await TestWait.For(echo.StopAsync(), "the actor to stop");

        var ask = echo.AskAsync<string>(reply => new Echo("anyone?", reply), TimeSpan.FromSeconds(1));

        Assert.True(ask.IsCompleted, "the ask to a stopped actor waited");
        var stopped = await Assert.ThrowsAsync<ActorStoppedException>(() => ask);
        Assert.Equal("echo", stopped.ActorName);
        Assert.Equal(1, system.DeadLetters);
    }

    [Fact]
    public async Task An_actor_that_stops_before_replying_fails_the_ask()
    {
        await using var system = new ActorSystem(_time);
        var echo = system.Spawn("echo", () => new EchoActor());

        var ask = echo.AskAsync<string>(reply => new StopWithoutReply(reply), Timeout.InfiniteTimeSpan);

        var stopped = await Assert.ThrowsAsync<ActorStoppedException>(
            () => TestWait.For(ask, "the ask to fail when the actor stops"));
        Assert.Contains("stopped before the reply was set", stopped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_reply_reaches_the_asker()
    {
        await using var system = new ActorSystem(_time);
        var echo = system.Spawn("echo", () => new EchoActor());

        var ask = echo.AskAsync<string>(reply => new Refuse(reply), TimeSpan.FromSeconds(1));

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => TestWait.For(ask, "the refusal"));
        Assert.Equal("refused", refused.Message);
    }

    [Fact]
    public async Task A_cancelled_ask_ends_with_OperationCanceledException()
    {
        await using var system = new ActorSystem(_time);
        var echo = system.Spawn("echo", () => new EchoActor());
        using var cancellation = new CancellationTokenSource();

        var ask = echo.AskAsync<string>(reply => new Ignore(reply), TimeSpan.FromSeconds(1), cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TestWait.For(ask, "the cancelled ask"));
    }

    private abstract record Request;

    private sealed record Echo(string Text, Reply<string> Reply) : Request;

    private sealed record Ignore(Reply<string> Reply) : Request;

    private sealed record Keep(Reply<string> Reply) : Request;

    private sealed record StopWithoutReply(Reply<string> Reply) : Request;

    private sealed record Refuse(Reply<string> Reply) : Request;

    private sealed class EchoActor(TaskCompletionSource<Reply<string>>? kept = null) : Actor<Request>
    {
        protected override ValueTask ReceiveAsync(Request message, CancellationToken cancellationToken)
        {
            switch (message)
            {
                case Echo echo:
                    echo.Reply.Set(echo.Text);
                    break;
                case Keep keep:
                    kept?.TrySetResult(keep.Reply);
                    break;
                case StopWithoutReply:
                    Stop();
                    break;
                case Refuse refuse:
                    refuse.Reply.Fail(new ArgumentException("refused"));
                    break;
            }

            return ValueTask.CompletedTask;
        }
    }
}
