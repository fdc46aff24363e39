using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Svod.Client;
using Svod.Client.Protocol;
using Svod.Gpu.Demo;
using Svod.Gpu.Formats;

using static Svod.IntegrationTests.StreamingHarness;

namespace Svod.IntegrationTests;

/// <summary>The client library against real nodes that die, drain or refuse: utterances are replayed on the node that
/// is (or comes back) up, their finals equal offline decoding's, and the application never sees results go backwards.
/// </summary>
public sealed class ClientReconnectTests
{
    private static readonly int Width = DemoModel.Dims.EncoderDim;

    [Fact]
    public async Task Killing_the_only_node_mid_stream_and_restarting_it_keeps_every_transcript()
    {
        using var dir = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 21, seed: 11);
        var port = NodeProcess.FreePort();
        var node = await NodeProcess.StartOnAsync(port);
        try
        {
            await using var client = await SvodClient.ConnectAsync(node.StreamUri);
            var streamed = utterances[..20];
            var streams = await Task.WhenAll(streamed.Select(u => client.StartAsync(u.Id, DemoModel.Name)));
            var watches = streams.Select(Watch.Start).ToArray();
            await Task.WhenAll(streams.Select((s, i) => SendAsync(s, streamed[i].Frames, 0, Half(streamed[i]))));
            await Within(Task.WhenAll(watches.Select(w => w.FirstPartial)),
                "a partial of every utterance before the kill");

            await node.KillAsync();
            // Sent while the node is down: the frames wait in the replay buffer; a new utterance waits for a node.
            await Within(Task.WhenAll(streams.Select((s, i) => FinishAsync(s, streamed[i]))), "sending into the gap");
            var late = client.StartAsync(utterances[20].Id, DemoModel.Name);
            node = await NodeProcess.StartOnAsync(port);

            var lateStream = await Within(late, "StartAsync while the node was down");
            var lateWatch = Watch.Start(lateStream);
            await FinishAsync(lateStream, utterances[20]);
            foreach (var (u, watch) in utterances.Zip([.. watches, lateWatch]))
            {
                AssertMatches(expected[u.Id], await Within(watch.Final, $"the final of {u.Id}"), u.Id);
            }

            Assert.All(streams, s => Assert.True(s.Replays >= 1, $"{s.UtteranceId} was not replayed"));
            Assert.Equal(0, lateStream.Replays);
            Assert.True(client.Reconnects >= 1);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_endpointing_every_segment_final_reaches_the_application_once_across_a_replay()
    {
        // Pieces of even length keep the demo model's parity; 8 zero frames after each close a segment at 6.
        var frames = new[] { "hi", "lane", "go" }
            .SelectMany(p => new SyntheticEncoder(DemoModel.Create()).Encode(p, silenceFrames: 1).Concat(new float[8 * Width]))
            .ToArray();
        var port = NodeProcess.FreePort();
        var node = await NodeProcess.StartOnAsync(port);
        try
        {
            await using var client = await SvodClient.ConnectAsync(node.StreamUri);
            var options = new StreamOptions { EndpointBlankFrames = 6 };
            var streams = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.StartAsync($"e{i}", DemoModel.Name, options)));
            var firstFinals = streams.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
            var seen = streams.Select((s, i) => ReadAllAsync(s, firstFinals[i])).ToArray();
            var cut = 20; // inside "lane": the first segment's final has been sent, the second's not yet
            await Task.WhenAll(streams.Select(s => SendAsync(s, frames, 0, cut)));
            await Within(Task.WhenAll(firstFinals.Select(f => f.Task)), "the first segment's finals");
            await node.KillAsync();
            // Everything else, and Finalize at once: the segment finals decoded after Finalize must not end Results.
            await Task.WhenAll(streams.Select(async s =>
            {
                await SendAsync(s, frames, cut, frames.Length / Width);
                await s.FinalizeAsync();
            }));
            node = await NodeProcess.StartOnAsync(port);
            foreach (var results in seen)
            {
                var finals = (await Within(results, "every result")).Where(r => r.IsFinal).ToArray();
                Assert.Equal([(0u, "hi", false), (1u, "lane", false), (2u, "go", false), (3u, "", true)],
                    finals.Select(f => (f.Segment, f.Text, f.EndOfUtterance)));
            }

            Assert.All(streams, s => Assert.True(s.Replays >= 1, $"{s.UtteranceId} was not replayed"));
        }
        finally
        {
            await node.DisposeAsync();
        }

        static async Task<List<Result>> ReadAllAsync(UtteranceStream stream, TaskCompletionSource firstFinal)
        {
            var all = new List<Result>();
            await foreach (var result in stream.Results)
            {
                all.Add(result);
                if (result.IsFinal)
                {
                    firstFinal.TrySetResult();
                }
            }

            return all;
        }
    }

    [Fact]
    public async Task Killing_one_of_two_nodes_moves_its_utterances_to_the_other()
    {
        using var dir = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 20, seed: 12);
        await using var a = await NodeProcess.StartAsync();
        await using var b = await NodeProcess.StartAsync();
        await using var client = await SvodClient.ConnectAsync([a.StreamUri, b.StreamUri]);
        var streams = await Task.WhenAll(utterances.Select(u => client.StartAsync(u.Id, DemoModel.Name)));
        var onA = streams.Where(s => s.Node == a.StreamUri).ToArray();
        Assert.NotEmpty(onA);
        Assert.NotEqual(streams.Length, onA.Length);
        var watches = streams.Select(Watch.Start).ToArray();
        await Task.WhenAll(streams.Select((s, i) => SendAsync(s, utterances[i].Frames, 0, Half(utterances[i]))));
        await Within(Task.WhenAll(watches.Select(w => w.FirstPartial)),
            "a partial of every utterance before the kill");

        await a.KillAsync();
        await Within(Task.WhenAll(streams.Select((s, i) => FinishAsync(s, utterances[i]))), "sending the rest");
        foreach (var (u, watch) in utterances.Zip(watches))
        {
            AssertMatches(expected[u.Id], await Within(watch.Final, $"the final of {u.Id}"), u.Id);
        }

        Assert.All(onA, s => Assert.True(s.Replays >= 1, $"{s.UtteranceId} was on the killed node and not replayed"));
        Assert.All(streams.Except(onA), s => Assert.Equal(0, s.Replays));
    }

    [Fact]
    public async Task An_utterance_whose_node_stays_down_ends_unavailable_after_the_reconnect_timeout()
    {
        var frames = new SyntheticEncoder(DemoModel.Create()).Encode("never comes back", silenceFrames: 1);
        await using var node = await NodeProcess.StartAsync();
        var options = new SvodClientOptions { ReconnectTimeout = TimeSpan.FromSeconds(2) };
        await using var client = await SvodClient.ConnectAsync(node.StreamUri, options);
        var stream = await client.StartAsync("orphan", DemoModel.Name);
        var watch = Watch.Start(stream);
        await SendAsync(stream, frames, 0, frames.Length / Width / 2);
        await Within(watch.FirstPartial, "a partial before the kill");
        Assert.Equal(frames.Length / Width / 2, stream.ReplayBufferFrames); // no Ack yet: every frame sent is kept

        await node.KillAsync();
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<SvodException>(() => Within(watch.Final, "the end of the orphan"));
        Assert.Equal(ErrorCode.Unavailable, error.Code);
        Assert.Equal("orphan", error.UtteranceId);
        Assert.Contains(node.StreamUri.ToString(), error.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
        Assert.Equal(0, stream.ReplayBufferFrames); // ended: its buffer is freed

        var start = await Assert.ThrowsAsync<SvodException>(() => Within(client.StartAsync("late", DemoModel.Name),
            "StartAsync with every node down"));
        Assert.Equal(ErrorCode.Unavailable, start.Code);
    }

    [Fact]
    public async Task A_draining_node_refuses_new_utterances_and_hands_its_open_ones_to_the_other_node()
    {
        using var dir = new TempDirectory();
        var (utterances, expected) = await PrepareAsync(dir, count: 16, seed: 13);
        await using var a = await NodeProcess.StartAsync("-D", "svod.node.drain-timeout=1s");
        await using var b = await NodeProcess.StartAsync();
        await using var client = await SvodClient.ConnectAsync([a.StreamUri, b.StreamUri]);
        var (early, late) = (utterances[..12], utterances[12..]);
        var streams = await Task.WhenAll(early.Select(u => client.StartAsync(u.Id, DemoModel.Name)));
        var onA = streams.Where(s => s.Node == a.StreamUri).ToArray();
        Assert.NotEmpty(onA);
        var watches = streams.Select(Watch.Start).ToList();
        await Task.WhenAll(streams.Select((s, i) => SendAsync(s, early[i].Frames, 0, Half(early[i]))));
        await Within(Task.WhenAll(watches.Select(w => w.FirstPartial)),
            "a partial of every utterance before SIGTERM");

        a.Terminate();
        await WaitUntilAsync(async () =>
        {
            try
            {
                return (await a.StatsAsync()).GetProperty("draining").GetBoolean();
            }
            catch (HttpRequestException)
            {
                return true; // Kestrel stops listening as the drain begins
            }
        }, "node a draining");
        // New utterances go to b: a answers their Start with UNAVAILABLE (or is gone already).
        var lateStreams = await Task.WhenAll(late.Select(u => client.StartAsync(u.Id, DemoModel.Name)));
        Assert.All(lateStreams, s => Assert.Equal(b.StreamUri, s.Node));
        watches.AddRange(lateStreams.Select(Watch.Start));
        // a's utterances stay open past its drain timeout: a ends them with UNAVAILABLE and they move to b.
        await WaitUntilAsync(() => Task.FromResult(onA.All(s => s.Replays >= 1)), "a's utterances replayed on b");
        Assert.All(onA, s => Assert.Equal(b.StreamUri, s.Node));

        await Within(Task.WhenAll(streams.Concat(lateStreams).Zip(utterances, FinishAsync)), "sending the rest");
        foreach (var (u, watch) in utterances.Zip(watches))
        {
            AssertMatches(expected[u.Id], await Within(watch.Final, $"the final of {u.Id}"), u.Id);
        }

        Assert.Equal(0, await a.ExitCodeAsync(Patience));
    }

    [Fact]
    public async Task A_client_trusting_the_nodes_self_signed_certificate_streams_over_wss()
    {
        using var dir = new TempDirectory();
        using var certificate = TestCertificates.SelfSigned();
        await using var node = await NodeProcess.StartTlsAsync(certificate, dir);
        await using (var client = await SvodClient.ConnectAsync(node.StreamUri,
                         new SvodClientOptions { TrustedCertificate = certificate }))
        {
            var stream = await client.StartAsync("t", DemoModel.Name);
            var watch = Watch.Start(stream);
            await stream.StreamAsync(new SyntheticEncoder(DemoModel.Create()).Encode("pinned", silenceFrames: 1), 4);
            Assert.Equal("pinned", (await Within(watch.Final, "the final over wss")).Text);
        }

        using var other = TestCertificates.SelfSigned();
        var refused = await Assert.ThrowsAsync<SvodException>(() => SvodClient.ConnectAsync(node.StreamUri,
            new SvodClientOptions { TrustedCertificate = other }));
        Assert.Equal(ErrorCode.Unavailable, refused.Code);
        Assert.Contains(node.StreamUri.ToString(), refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_refusing_the_api_key_fails_the_utterance_at_once_instead_of_retrying()
    {
        await using var node = await NodeProcess.StartAsync("-D", "svod.security.api-keys=[k-1]");
        await using var client =
            await SvodClient.ConnectAsync(node.StreamUri, new SvodClientOptions { ApiKey = "k-2" });
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<SvodException>(() => Within(client.StartAsync("u", DemoModel.Name),
            "StartAsync with a wrong key"));
        Assert.Equal(ErrorCode.Unauthenticated, error.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}, as if waiting to reconnect");
    }

    [Fact]
    public async Task Connecting_when_no_node_answers_names_every_node()
    {
        Uri[] nodes = [new($"ws://127.0.0.1:{NodeProcess.FreePort()}/v1/stream"),
            new($"ws://127.0.0.1:{NodeProcess.FreePort()}/v1/stream")];
        var error = await Assert.ThrowsAsync<SvodException>(() => SvodClient.ConnectAsync(nodes));
        Assert.Equal(ErrorCode.Unavailable, error.Code);
        Assert.All(nodes, n => Assert.Contains(n.ToString(), error.Message, StringComparison.Ordinal));
    }
}
