using Svod.Cluster.Lanes;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Cluster.Tests.Lanes;

/// <summary>The lane pool drives AdvanceDecoding for streaming channels without changing a transcript.</summary>
public sealed class LanePoolTests
{
    private static readonly RnntDims Dims = new(EncoderDim: 24, PredHidden: 16, PredLayers: 1, JointHidden: 20, NumClasses: 10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Streams_arriving_in_random_chunks_decode_exactly_as_the_reference()
    {
        var model = RandomModel.Create(Dims, seed: 1, blankBias: -0.5f);
        var random = new Random(1);
        var utterances = Enumerable.Range(0, 40).Select(_ => RandomModel.Frames(Dims, random.Next(1, 80), random)).ToArray();
        using var backend = new CpuDecoderBackend(model, channels: 40, lanes: 8, maxFramesPerLane: 6);
        await using var pool = new LanePool(backend);

        var clients = utterances.Select((u, i) => new StreamingClient(pool, u, seed: i)).ToArray();
        foreach (var client in clients)
        {
            client.Start();
        }

        for (var i = 0; i < clients.Length; i++)
        {
            var decoded = await clients[i].Done.WaitAsync(Patience);
            var expected = new ReferenceDecoder(model).Decode(utterances[i]);
            Assert.True(expected.Tokens.SequenceEqual(decoded.Tokens), $"utterance {i}: tokens differ");
            Assert.True(expected.TokenFrames.SequenceEqual(decoded.TokenFrames), $"utterance {i}: frames differ");
        }

        var stats = pool.Stats;
        Assert.Equal(utterances.Sum(u => u.Length / Dims.EncoderDim), stats.Frames);
        Assert.True(stats.LanesPerCall > 1, $"calls used {stats.LanesPerCall:F2} lanes on average");
        Assert.Equal(40, stats.OpenChannels);
    }

    [Fact]
    public async Task Channels_are_leased_until_the_table_is_full_and_come_back_reset()
    {
        var model = RandomModel.Create(Dims, seed: 2, blankBias: -0.5f);
        using var backend = new CpuDecoderBackend(model, channels: 3, lanes: 2, maxFramesPerLane: 64);
        await using var pool = new LanePool(backend);
        var opened = new List<int>();
        while (pool.TryOpenChannel(out var channel))
        {
            opened.Add(channel);
        }

        Assert.Equal([0, 1, 2], opened.Order());
        Assert.Equal(3, pool.OpenChannels);

        var frames = RandomModel.Frames(Dims, 30, new Random(2));
        var first = new StreamingClient(pool, frames, seed: 0, channel: opened[0]);
        first.Start();
        await first.Done.WaitAsync(Patience);

        pool.CloseChannel(opened[0]);
        await pool.SaveChannelAsync(opened[1]); // control runs in order: the close is done after this
        Assert.Equal(2, pool.OpenChannels);
        Assert.True(pool.TryOpenChannel(out var again));
        Assert.Equal(opened[0], again);

        // The reused slot starts from the empty hypothesis: the same frames decode to the same transcript.
        var second = new StreamingClient(pool, frames, seed: 5, channel: again);
        second.Start();
        var decoded = await second.Done.WaitAsync(Patience);
        Assert.Equal(new ReferenceDecoder(model).Decode(frames).Tokens, decoded.Tokens);
    }

    [Fact]
    public async Task A_channel_saved_on_one_pool_continues_on_another()
    {
        var model = RandomModel.Create(Dims, seed: 3, blankBias: -0.5f);
        var frames = RandomModel.Frames(Dims, 60, new Random(3));
        var half = 25 * Dims.EncoderDim;
        using var backendA = new CpuDecoderBackend(model, 2, 2);
        using var backendB = new CpuDecoderBackend(model, 2, 2);
        await using var a = new LanePool(backendA);
        await using var b = new LanePool(backendB);

        var head = new StreamingClient(a, frames[..half], seed: 0);
        head.Start();
        await head.Done.WaitAsync(Patience);
        var state = await a.SaveChannelAsync(head.Channel);

        Assert.True(b.TryOpenChannel(out var moved));
        await b.LoadChannelAsync(moved, state);
        var tail = new StreamingClient(b, frames[half..], seed: 1, channel: moved);
        tail.Start();
        var rest = await tail.Done.WaitAsync(Patience);

        var expected = new ReferenceDecoder(model).Decode(frames);
        Assert.Equal(expected.Tokens, head.Tokens.Concat(rest.Tokens));
        Assert.Equal(expected.TokenFrames, head.TokenFrames.Concat(rest.TokenFrames));
        await Assert.ThrowsAsync<FormatException>(() => b.LoadChannelAsync(moved, [1, 2, 3]));
    }

    [Fact]
    public async Task A_disposed_pool_refuses_work()
    {
        using var backend = new CpuDecoderBackend(RandomModel.Create(Dims, seed: 4), 1, 1);
        var pool = new LanePool(backend);
        await pool.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => pool.TryOpenChannel(out _));
        Assert.Throws<ObjectDisposedException>(() =>
            pool.Enqueue(new LaneWork(0, new float[Dims.EncoderDim], new StreamingClient(pool, [], 0, 0))));
    }

    [Fact]
    public async Task A_failing_call_is_reported_to_its_channels_and_the_pool_goes_on()
    {
        var model = RandomModel.Create(Dims, seed: 6, blankBias: -0.5f);
        var frames = RandomModel.Frames(Dims, 40, new Random(6));
        using var inner = new CpuDecoderBackend(model, 4, 4);
        var faulty = new FaultyBackend(inner, failingCall: 1);
        await using var pool = new LanePool(faulty);

        var failed = new StreamingClient(pool, frames, seed: 0);
        failed.Start();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.Done.WaitAsync(Patience));
        Assert.Contains("injected", error.Message, StringComparison.Ordinal);

        var after = new StreamingClient(pool, frames, seed: 1);
        after.Start();
        Assert.Equal(new ReferenceDecoder(model).Decode(frames).Tokens, (await after.Done.WaitAsync(Patience)).Tokens);

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Enqueue(new LaneWork(9, frames, after)));
        Assert.Throws<ArgumentException>(() => pool.Enqueue(new LaneWork(0, frames.AsMemory(1), after)));
    }

    /// <summary>The real backend, except that one call throws (a backend fault cannot be provoked otherwise).</summary>
    private sealed class FaultyBackend(CpuDecoderBackend inner, int failingCall) : IDecoderBackend
    {
        private int _calls;

        public string Name => inner.Name;

        public RnntDims Dims => inner.Dims;

        public int NumChannels => inner.NumChannels;

        public int NumLanes => inner.NumLanes;

        public int MaxFramesPerLane => inner.MaxFramesPerLane;

        public DecodeCallStats Totals => inner.Totals;

        public void AdvanceDecoding(ReadOnlySpan<DecodeRequest> batch, AdvanceResult result)
        {
            if (++_calls == failingCall)
            {
                throw new InvalidOperationException("injected backend fault");
            }

            inner.AdvanceDecoding(batch, result);
        }

        public void InitDecoding(ReadOnlySpan<int> channels) => inner.InitDecoding(channels);

        public AdvanceResult CreateResult() => inner.CreateResult();

        public int NumFramesDecoded(int channel) => inner.NumFramesDecoded(channel);

        public void GetHypothesis(int channel, out ReadOnlySpan<int> tokens, out ReadOnlySpan<int> tokenFrames) =>
            inner.GetHypothesis(channel, out tokens, out tokenFrames);

        public int ChannelStateSize(int channel) => inner.ChannelStateSize(channel);

        public int SaveChannel(int channel, Span<byte> destination) => inner.SaveChannel(channel, destination);

        public void LoadChannel(int channel, ReadOnlySpan<byte> state) => inner.LoadChannel(channel, state);

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// A stand-in for a channel actor: frames "arrive" in random chunks; whenever the pool returns an outcome the
    /// client drops what was consumed, receives another chunk and queues everything pending again.
    /// </summary>
    private sealed class StreamingClient(LanePool pool, float[] frames, int seed, int channel = -1) : ILaneClient
    {
        private readonly Random _random = new(seed);
        private readonly TaskCompletionSource<DecodedUtterance> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly int _total = frames.Length / Dims.EncoderDim;
        private int _offset;
        private int _arrived;

        public int Channel { get; private set; } = channel;

        public List<int> Tokens { get; } = [];

        public List<int> TokenFrames { get; } = [];

        public Task<DecodedUtterance> Done => _done.Task;

        public void Start()
        {
            if (Channel < 0)
            {
                Assert.True(pool.TryOpenChannel(out var c), "no free channel");
                Channel = c;
            }

            _arrived = Math.Min(_total, _random.Next(1, 12));
            Submit();
        }

        public void OnDecoded(LaneOutcome outcome)
        {
            if (outcome.Channel != Channel || outcome.FramesConsumed < 1)
            {
                _done.TrySetException(new InvalidOperationException($"bad outcome {outcome} for channel {Channel}"));
                return;
            }

            _offset += outcome.FramesConsumed;
            Tokens.AddRange(outcome.Tokens);
            TokenFrames.AddRange(outcome.TokenFrames);
            _arrived = Math.Min(_total, Math.Max(_arrived, _offset) + _random.Next(0, 12));
            Submit();
        }

        public void OnFailed(int channel, Exception error) => _done.TrySetException(error);

        private void Submit()
        {
            if (_offset == _total)
            {
                _done.TrySetResult(new DecodedUtterance([.. Tokens], [.. TokenFrames]));
                return;
            }

            var d = Dims.EncoderDim;
            var ready = Math.Max(_arrived, _offset + 1);
            pool.Enqueue(new LaneWork(Channel, frames.AsMemory(_offset * d, (ready - _offset) * d), this));
        }
    }
}
