using System.Collections.Concurrent;
using Svod.Client.Protocol;
using Svod.Cluster.Actors;
using Svod.Cluster.Channels;
using Svod.Cluster.Lanes;
using Svod.Cluster.Tests.Actors;
using Svod.Gpu.Decoding;
using Svod.Gpu.Demo;

namespace Svod.Cluster.Tests.Channels;

/// <summary>Channel actors over a real lane pool and the demo model: what a client sees for each utterance.</summary>
public sealed class ChannelActorTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly CpuDecoderBackend _backend;
    private readonly LanePool _pool;
    private readonly ActorSystem _system;
    private readonly SyntheticEncoder _encoder = new(DemoModel.Create());
    private readonly int _width = DemoModel.Dims.EncoderDim;

    public ChannelActorTests() : this(channels: 16, time: null)
    {
    }

    private ChannelActorTests(int channels, TimeProvider? time)
    {
        _backend = new CpuDecoderBackend(DemoModel.Create(), channels, lanes: 4, maxFramesPerLane: 8);
        _pool = new LanePool(_backend);
        _system = new ActorSystem(time);
    }

    [Fact]
    public async Task Chunks_with_replays_give_partials_then_the_final_with_word_times()
    {
        var frames = _encoder.Encode("hello lanes and channels", silenceFrames: 1);
        var (actor, output) = Start("u1");
        var random = new Random(1);
        var offset = 0;
        var total = frames.Length / _width;
        var sent = 0;
        while (offset < total)
        {
            // Every third chunk re-sends a few frames already sent, as a client replaying after a reconnect does.
            var from = random.Next(3) == 0 ? Math.Max(0, offset - random.Next(1, 4)) : offset;
            var to = Math.Min(total, offset + random.Next(1, 9));
            actor.Tell(new ChannelMessage.FramesArrived(from, frames[(from * _width)..(to * _width)]));
            sent += to - from;
            offset = to;
        }

        actor.Tell(new ChannelMessage.FinalizeRequested());
        var final = await output.FinalAsync(actor);
        Assert.Equal("hello lanes and channels", final.Text);
        // Every frame handed over is given back to the connection's backpressure: decoded or dropped as a replay.
        Assert.Equal(sent, output.FramesDone);
        Assert.Equal(["hello", "lanes", "and", "channels"], final.Words.Select(w => w.Text));
        // Character i sits on frame 1 + 2i; "lanes" starts at character 6 and ends at character 10.
        Assert.Equal((1 + 2 * 6) * 0.04f, final.Words[1].StartSeconds, 5);
        Assert.Equal((1 + 2 * 10 + 1) * 0.04f, final.Words[1].EndSeconds, 5);
        Assert.All(output.Partials, p => Assert.StartsWith(p.Text, final.Text, StringComparison.Ordinal));
        Assert.NotEmpty(output.Partials);
        Assert.Empty(output.Errors);
        Assert.Empty(output.Acks); // nothing is durable without persistence: the client must keep its frames
        await actor.Completion.WaitAsync(Patience);
        await WaitForClosedChannelsAsync();
    }

    [Fact]
    public async Task A_gap_or_a_NaN_is_refused_and_the_utterance_goes_on()
    {
        var frames = _encoder.Encode("ok then", silenceFrames: 1);
        var (actor, output) = Start("u2");
        actor.Tell(new ChannelMessage.FramesArrived(0, frames[..(4 * _width)]));
        actor.Tell(new ChannelMessage.FramesArrived(6, frames[(6 * _width)..(8 * _width)]));
        var bad = frames[(4 * _width)..(6 * _width)].ToArray();
        bad[_width + 3] = float.NaN;
        actor.Tell(new ChannelMessage.FramesArrived(4, bad));
        actor.Tell(new ChannelMessage.FramesArrived(4, frames[(4 * _width)..]));
        actor.Tell(new ChannelMessage.FinalizeRequested());

        var final = await output.FinalAsync(actor);
        Assert.Equal("ok then", final.Text);
        Assert.Equal(2, output.Errors.Count);
        Assert.All(output.Errors, e => Assert.Equal(ErrorCode.InvalidArgument, e.Code));
        Assert.Contains(output.Errors, e => e.Message.Contains("gap", StringComparison.Ordinal));
        Assert.Contains(output.Errors, e => e.Message.Contains("frame 5, value 3 is NaN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Endpointing_closes_a_segment_after_enough_blank_frames()
    {
        var words = _encoder.Encode("hello world", silenceFrames: 1);
        var split = (1 + 2 * 6) * _width; // after "hello " (character 5 is the space, on frame 11)
        var frames = words[..split].Concat(new float[20 * _width]).Concat(words[split..]).ToArray();
        var (actor, output) = Start("u3", new StreamOptions { EndpointBlankFrames = 10 });
        actor.Tell(new ChannelMessage.FramesArrived(0, frames));
        actor.Tell(new ChannelMessage.FinalizeRequested());

        var last = await output.FinalAsync(actor);
        var finals = output.Finals.ToArray();
        Assert.Equal(2, finals.Length);
        Assert.Equal((0u, "hello "), (finals[0].Segment, finals[0].Text));
        Assert.Equal((1u, "world"), (last.Segment, last.Text));
        Assert.Equal([false, true], finals.Select(f => f.EndOfUtterance));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(1000)]
    public async Task Segments_close_at_the_same_tokens_however_the_frames_are_chunked(int chunk)
    {
        // Pieces of even length keep the demo model's parity; 8 zero frames after each are blank.
        var frames = new[] { "hi", "lane", "go" }
            .SelectMany(p => _encoder.Encode(p, silenceFrames: 1).Concat(new float[8 * _width])).ToArray();
        var (actor, output) = Start($"c{chunk}", new StreamOptions { EndpointBlankFrames = 6 });
        for (var offset = 0; offset < frames.Length / _width; offset += chunk)
        {
            var end = Math.Min(frames.Length / _width, offset + chunk);
            actor.Tell(new ChannelMessage.FramesArrived(offset, frames[(offset * _width)..(end * _width)]));
        }

        actor.Tell(new ChannelMessage.FinalizeRequested());
        await output.FinalAsync(actor);
        // The pool decodes at most 8 frames per lane and call: a gap inside one call must close a segment too.
        Assert.Equal([(0u, "hi", false), (1u, "lane", false), (2u, "go", false), (3u, "", true)],
            output.Finals.Select(f => (f.Segment, f.Text, f.EndOfUtterance)));
    }

    [Fact]
    public async Task Over_the_channel_limit_a_start_gets_resource_exhausted()
    {
        await using var small = new ChannelActorTests(channels: 1, time: null);
        var (first, admitted) = small.Start("a");
        await admitted.Started.WaitAsync(Patience); // actors start concurrently: let "a" take the only channel first
        var (second, refused) = small.Start("b");
        await second.Completion.WaitAsync(Patience);
        Assert.Equal(ErrorCode.ResourceExhausted, Assert.Single(refused.Errors).Code);
        first.Tell(new ChannelMessage.CancelRequested());
        await first.Completion.WaitAsync(Patience);
        await small.WaitForClosedChannelsAsync();
    }

    [Fact]
    public async Task An_idle_utterance_ends_with_deadline_exceeded_and_frees_its_channel()
    {
        var time = new ManualTimeProvider();
        await using var timed = new ChannelActorTests(channels: 2, time);
        var (actor, output) = timed.Start("idle");
        await output.Started.WaitAsync(Patience);
        time.Advance(TimeSpan.FromSeconds(11));
        await actor.Completion.WaitAsync(Patience);
        Assert.Equal(ErrorCode.DeadlineExceeded, Assert.Single(output.Errors).Code);
        await timed.WaitForClosedChannelsAsync();
    }

    [Fact]
    public async Task A_vanished_client_releases_its_channel_and_hears_nothing_more()
    {
        var (actor, output) = Start("gone");
        actor.Tell(new ChannelMessage.FramesArrived(0, _encoder.Encode("bye")));
        actor.Tell(new ChannelMessage.ClientGone());
        await actor.Completion.WaitAsync(Patience);
        await WaitForClosedChannelsAsync();
        Assert.Empty(output.Errors);
        Assert.Empty(output.Finals);
    }

    public async ValueTask DisposeAsync()
    {
        await _system.DisposeAsync();
        await _pool.DisposeAsync();
        _backend.Dispose();
    }

    private (ActorRef<ChannelMessage> Actor, Output Output) Start(string id, StreamOptions? options = null)
    {
        var output = new Output();
        var settings = new ChannelSettings(id, DemoModel.Create(), options ?? new StreamOptions(), 0.04f,
            TimeSpan.FromSeconds(10));
        return (_system.Spawn(id, () => new ChannelActor(settings, _pool, output)), output);
    }

    /// <summary>Closing runs on the pool thread; a save of another slot is ordered after it.</summary>
    private async Task WaitForClosedChannelsAsync()
    {
        for (var i = 0; i < 100 && _pool.OpenChannels > 0; i++)
        {
            await _pool.SaveChannelAsync(0).WaitAsync(Patience);
        }

        Assert.Equal(0, _pool.OpenChannels);
    }

    private sealed class Output : IUtteranceOutput
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<Result> Partials { get; } = new();

        public ConcurrentQueue<Result> Finals { get; } = new();

        public List<Error> Errors { get; } = [];

        public ConcurrentQueue<ulong> Acks { get; } = new();

        public Task Started => _started.Task;

        public long FramesDone => Interlocked.Read(ref _framesDone);

        private long _framesDone;

        void IUtteranceOutput.FramesDone(int frames) => Interlocked.Add(ref _framesDone, frames);

        void IUtteranceOutput.Ending()
        {
        }

        public void Send(ServerMessage message)
        {
            switch (message.KindCase)
            {
                case ServerMessage.KindOneofCase.Started:
                    _started.TrySetResult();
                    break;
                case ServerMessage.KindOneofCase.Ack:
                    Acks.Enqueue(message.Ack.DurableOffset);
                    break;
                case ServerMessage.KindOneofCase.Error:
                    lock (Errors)
                    {
                        Errors.Add(message.Error);
                    }

                    break;
                case ServerMessage.KindOneofCase.Result when message.Result.IsFinal:
                    Finals.Enqueue(message.Result);
                    break;
                case ServerMessage.KindOneofCase.Result:
                    Partials.Enqueue(message.Result);
                    break;
            }
        }

        /// <summary>The last final, once the actor has stopped (after Finalize it sends it and stops).</summary>
        public async Task<Result> FinalAsync(ActorRef<ChannelMessage> actor)
        {
            await actor.Completion.WaitAsync(Patience);
            Assert.False(Finals.IsEmpty, "the actor stopped without a final");
            return Finals.Last();
        }
    }
}
