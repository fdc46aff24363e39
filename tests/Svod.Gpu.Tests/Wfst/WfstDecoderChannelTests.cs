using Svod.Gpu.Decoding;
using Svod.Gpu.Wfst;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>The channels/lanes contract of the WFST decoder: batching, chunking and saving a channel between calls
/// change nothing; bad state bytes, calls and graphs are refused with reasons; pressure on the queues and max-active
/// degrade the search, never fail it.</summary>
public sealed class WfstDecoderChannelTests
{
    [Fact]
    public void A_batch_of_channels_in_chunks_decodes_as_each_channel_alone()
    {
        for (var seed = 0; seed < 30; seed++)
        {
            var random = new Random(seed);
            var classes = random.Next(2, 6);
            var graph = OpenFstReader.ReadText(new StringReader(RandomDecodingGraph.Generate(random, classes)), "g");
            var options = new WfstDecoderOptions { Beam = 1 + (float)random.NextDouble() * 6, MaxActive = 6 };
            var utterances = Enumerable.Range(0, random.Next(1, 7))
                .Select(_ => WfstDecoderCtcTests.RandomLogProbs(random, random.Next(0, 25), classes)).ToArray();
            var alone = utterances.Select(u => Outcome(Alone(graph, classes, options, u), 0)).ToArray();

            var lanes = utterances.Length + random.Next(0, 3);
            var batched = new WfstDecoder(graph, classes, options, numChannels: lanes + 2, numLanes: lanes,
                maxFramesPerLane: random.Next(1, 6));
            var channels = Enumerable.Range(0, lanes + 2).OrderBy(_ => random.Next()).Take(utterances.Length).ToArray();
            batched.InitDecoding(channels);
            DriveTogether(batched, channels, utterances, between: null);

            for (var i = 0; i < utterances.Length; i++)
            {
                Assert.Equal(alone[i], Outcome(batched, channels[i]));
            }
        }
    }

    [Fact]
    public void Saving_and_loading_channels_between_calls_into_another_decoder_changes_nothing()
    {
        for (var seed = 0; seed < 30; seed++)
        {
            var random = new Random(seed);
            var classes = random.Next(2, 6);
            var graph = OpenFstReader.ReadText(new StringReader(RandomDecodingGraph.Generate(random, classes)), "g");
            var options = new WfstDecoderOptions { Beam = 2 + (float)random.NextDouble() * 6 };
            var utterances = Enumerable.Range(0, 3)
                .Select(_ => WfstDecoderCtcTests.RandomLogProbs(random, random.Next(1, 20), classes)).ToArray();
            var expected = utterances.Select(u => Outcome(Alone(graph, classes, options, u), 0)).ToArray();

            // Two decoders take turns: after every call each channel's bytes move to the other one.
            var decoders = new[]
            {
                new WfstDecoder(graph, classes, options, 3, 3, maxFramesPerLane: random.Next(1, 5)),
                new WfstDecoder(graph, classes, options, 3, 3, maxFramesPerLane: random.Next(1, 5)),
            };
            var turn = 0;
            var channels = new[] { 0, 1, 2 };
            DriveTogether(decoders[0], channels, utterances, between: () =>
            {
                var (from, to) = (decoders[turn], decoders[1 - turn]);
                foreach (var c in channels)
                {
                    var bytes = new byte[from.ChannelStateSize(c)];
                    Assert.Equal(bytes.Length, from.SaveChannel(c, bytes));
                    to.LoadChannel(c, bytes);
                }

                turn = 1 - turn;
                return decoders[turn];
            });

            for (var i = 0; i < utterances.Length; i++)
            {
                Assert.Equal(expected[i], Outcome(decoders[turn], i));
            }
        }
    }

    [Fact]
    public void Load_refuses_bytes_that_are_not_a_whole_state_of_this_graph_and_leaves_the_channel_as_it_was()
    {
        var classes = 3;
        var random = new Random(7);
        var graph = OpenFstReader.ReadText(new StringReader(RandomDecodingGraph.Generate(random, classes)), "g");
        var decoder = Alone(graph, classes, new WfstDecoderOptions(), WfstDecoderCtcTests.RandomLogProbs(random, 6, 3));
        var state = new byte[decoder.ChannelStateSize(0)];
        decoder.SaveChannel(0, state);
        var before = Outcome(decoder, 0);

        var other = OpenFstReader.ReadText(new StringReader("0\t1\t1\t1\t0.5\n1\t0\n"), "other");
        var foreign = new WfstDecoder(other, classes, new WfstDecoderOptions(), 1);
        Assert.Contains("graph of", Assert.Throws<FormatException>(() => foreign.LoadChannel(0, state)).Message);

        Assert.Contains("shorter than its header", Refused(state[..20]));
        Assert.Contains("does not fit", Refused(state[..^8]));
        var flipped = (byte[])state.Clone();
        flipped[^10] ^= 0x40;
        Assert.Contains("checksum", Refused(flipped));
        var magic = (byte[])state.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("magic", Refused(magic));
        var version = (byte[])state.Clone();
        version[4] = 9;
        Assert.Contains("version 9", Refused(version));
        Assert.Equal(before, Outcome(decoder, 0));

        string Refused(byte[] bytes) => Assert.Throws<FormatException>(() => decoder.LoadChannel(0, bytes)).Message;
    }

    [Fact]
    public void Max_active_cuts_the_frame_to_about_that_many_tokens()
    {
        // The CTC topology over 200 classes keeps ~200 states alive per frame when unpruned.
        const int classes = 200;
        var graph = WfstDecoderCtcTests.Topology(classes, classes - 1);
        var random = new Random(3);
        var logProbs = new float[40 * classes];
        for (var i = 0; i < logProbs.Length; i++)
        {
            logProbs[i] = -(float)(random.NextDouble() * 2);
        }

        // Queues too large for the adaptive beam to act first. Max-active counts tokens: 200 per state here.
        var wide = Alone(graph, classes, Options(maxActive: 100_000), logProbs);
        var capped = Alone(graph, classes, Options(maxActive: 20), logProbs);

        Assert.True(wide.Totals.NodesPerFrame > 100, $"{wide.Totals.NodesPerFrame} states per frame unpruned");
        Assert.Equal(0, wide.Totals.MaxActiveCuts);
        // A cut frame leaves a smaller beam to the next (recovering x1.2 per frame), which may then not need one.
        Assert.True(capped.Totals.MaxActiveCuts >= 10, $"{capped.Totals.MaxActiveCuts} cuts");
        Assert.InRange(capped.Totals.NodesPerFrame, 5, 40);
        Assert.Equal(wide.GetBestPath(0).Cost, capped.GetBestPath(0).Cost, 3);

        static WfstDecoderOptions Options(int maxActive) =>
            new() { Beam = 50, MaxActive = maxActive, MainQueueCapacity = 100_000, AuxQueueCapacity = 100_000 };
    }

    [Fact]
    public void A_full_aux_queue_is_a_counted_overflow_and_the_decode_goes_on()
    {
        const int classes = 50;
        var graph = WfstDecoderCtcTests.Topology(classes, classes - 1);
        // Every class equally likely: all tokens tie at the best cost, so no beam, however adaptive, thins them.
        var logProbs = Enumerable.Repeat(-MathF.Log(classes), 30 * classes).ToArray();
        var options = new WfstDecoderOptions { Beam = 40, MaxActive = 8, MainQueueCapacity = 16, AuxQueueCapacity = 16 };
        var decoder = Alone(graph, classes, options, logProbs);

        Assert.True(decoder.Overflows(0) > 0, $"{decoder.Overflows(0)} overflows; {decoder.Totals.TokensCreated} tokens");
        Assert.True(decoder.Totals.Overflows > 0);
        Assert.Equal(30, decoder.NumFramesDecoded(0));
        Assert.Equal(30, decoder.GetBestPath(0).Frames);
        Assert.True(decoder.ActiveStates(0) <= 16);
    }

    [Fact]
    public void A_graph_with_no_way_on_is_a_dead_end_whose_path_stops_at_the_last_frame_with_tokens()
    {
        // Two frames' worth of graph, five frames of log-probs.
        var graph = OpenFstReader.ReadText(new StringReader("0\t1\t1\t7\t0.5\n1\t2\t2\t8\t0.25\n2\t0\n"), "short");
        var decoder = Alone(graph, 2, new WfstDecoderOptions(), WfstDecoderCtcTests.RandomLogProbs(new Random(2), 5, 2));
        var path = decoder.GetBestPath(0);

        Assert.Equal(2, decoder.DeadEndFrame(0));
        Assert.Equal(5, decoder.NumFramesDecoded(0));
        Assert.Equal([7, 8], path.Words);
        Assert.Equal([0, 1], path.WordFrames);
        Assert.Equal(2, path.Frames);
        Assert.False(path.ReachedFinal);
        Assert.Equal(1, decoder.Totals.DeadEnds);
    }

    [Fact]
    public void Graphs_settings_and_calls_that_cannot_work_are_refused_naming_the_problem()
    {
        var graph = OpenFstReader.ReadText(new StringReader("0\t1\t5\t1\n1\n"), "g");
        Assert.Contains("input label 5", Assert.Throws<ArgumentException>(
            () => new WfstDecoder(graph, 3, new WfstDecoderOptions(), 1)).Message);
        var empty = OpenFstReader.ReadText(new StringReader(""), "empty");
        Assert.Contains("no start state", Assert.Throws<ArgumentException>(
            () => new WfstDecoder(empty, 3, new WfstDecoderOptions(), 1)).Message);
        Assert.Contains("beam", Assert.Throws<ArgumentException>(
            () => new WfstDecoder(graph, 5, new WfstDecoderOptions { Beam = float.NaN }, 1)).Message);
        Assert.Contains("max-active", Assert.Throws<ArgumentException>(
            () => new WfstDecoder(graph, 5, new WfstDecoderOptions { MaxActive = 0 }, 1)).Message);

        var decoder = new WfstDecoder(graph, 5, new WfstDecoderOptions(), numChannels: 2, numLanes: 2);
        var result = decoder.CreateResult();
        Assert.Contains("whole number of 5", Assert.Throws<ArgumentException>(
            () => decoder.AdvanceDecoding([new DecodeRequest(0, new float[7])], result)).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => decoder.AdvanceDecoding(
            [new DecodeRequest(1, new float[5]), new DecodeRequest(1, new float[5])], result)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.GetBestPath(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.InitDecoding([-1]));
    }

    private static WfstDecoder Alone(WfstGraph graph, int classes, WfstDecoderOptions options, float[] logProbs)
    {
        var decoder = new WfstDecoder(graph, classes, options, numChannels: 1);
        WfstDecoderCtcTests.Feed(decoder, 0, logProbs);
        return decoder;
    }

    /// <summary>Feeds every utterance to its channel, all in each call, until all frames are consumed;
    /// <paramref name="between"/> (if given) runs after every call and names the decoder of the next one.</summary>
    private static void DriveTogether(WfstDecoder decoder, int[] channels, float[][] utterances,
        Func<WfstDecoder>? between)
    {
        var classes = decoder.Classes;
        var position = new int[utterances.Length];
        var result = decoder.CreateResult();
        while (true)
        {
            var batch = new List<DecodeRequest>();
            for (var i = 0; i < utterances.Length; i++)
            {
                if (position[i] < utterances[i].Length)
                {
                    batch.Add(new DecodeRequest(channels[i], utterances[i].AsMemory(position[i])));
                }
            }

            if (batch.Count == 0)
            {
                return;
            }

            decoder.AdvanceDecoding(batch.ToArray(), result);
            for (var e = 0; e < result.Count; e++)
            {
                var i = Array.IndexOf(channels, result.Channel(e));
                Assert.Equal(position[i] / classes, result.FirstFrame(e));
                position[i] += result.FramesConsumed(e) * classes;
            }

            if (between is not null)
            {
                decoder = between();
                result = decoder.CreateResult();
            }
        }
    }

    /// <summary>Everything a caller can read of a channel, as one comparable string.</summary>
    private static string Outcome(WfstDecoder decoder, int channel)
    {
        var final = decoder.GetBestPath(channel);
        var partial = decoder.GetBestPath(channel, useFinalProbs: false);
        var lattice = new StringWriter();
        decoder.GetLattice(channel).WriteText(lattice);
        return $"{string.Join(' ', final.Words)} @ {string.Join(' ', final.WordFrames)} = {final.Cost:R} " +
            $"{final.ReachedFinal} {final.Frames}; partial {string.Join(' ', partial.Words)} = {partial.Cost:R}; " +
            $"frames {decoder.NumFramesDecoded(channel)} active {decoder.ActiveStates(channel)} " +
            $"overflows {decoder.Overflows(channel)}\n{lattice}";
    }
}
