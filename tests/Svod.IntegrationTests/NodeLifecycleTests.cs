using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Svod.Client.Protocol;
using Svod.Gpu.Demo;

namespace Svod.IntegrationTests;

/// <summary>A real <c>svod node</c> process: backpressure per connection, graceful shutdown on SIGTERM, TLS.</summary>
public sealed class NodeLifecycleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly int Width = DemoModel.Dims.EncoderDim;

    [Fact]
    public async Task A_connection_with_too_many_undecoded_frames_is_not_read_until_decoding_catches_up()
    {
        const int limit = 16;
        const int chunk = 20; // every message alone is over the limit: the node must wait after each one
        await using var node = await NodeProcess.StartAsync("-D", $"svod.node.max-pending-frames={limit}");
        await using var connection = await RawConnection.OpenAsync(node.StreamUri);
        var encoder = new SyntheticEncoder(DemoModel.Create());
        var texts = new[] { "pressure", "lanes", "channels" };
        foreach (var (text, i) in texts.Select((t, i) => (t, i)))
        {
            await connection.StartAsync($"p{i}");
        }

        // Long silences between characters, sent as fast as the socket takes them.
        var frames = texts.Select((t, i) => encoder.Encode(t, silenceFrames: 40, noise: 0.05f, seed: i)).ToArray();
        var total = frames.Max(f => f.Length / Width);
        for (var offset = 0; offset < total; offset += chunk)
        {
            for (var i = 0; i < texts.Length; i++)
            {
                var n = Math.Min(chunk, frames[i].Length / Width - offset);
                if (n > 0)
                {
                    await connection.FramesAsync($"p{i}", offset, frames[i].AsSpan(offset * Width, n * Width));
                }
            }
        }

        for (var i = 0; i < texts.Length; i++)
        {
            await connection.FinalizeAsync($"p{i}");
            Assert.Equal(texts[i], (await connection.FinalOf($"p{i}").WaitAsync(Patience)).Text);
        }

        var stats = await node.StatsAsync();
        Assert.True(stats.GetProperty("read_pauses").GetInt64() > 0, stats.ToString());
        Assert.InRange(stats.GetProperty("pending_frames_peak").GetInt64(), chunk, limit + chunk);
        Assert.Equal(0, stats.GetProperty("pending_frames").GetInt64());
    }

    [Fact]
    public async Task On_SIGTERM_open_utterances_finish_new_ones_are_refused_and_the_node_exits_0()
    {
        await using var node = await NodeProcess.StartAsync("-D", "svod.node.drain-timeout=30s");
        var connection = await RawConnection.OpenAsync(node.StreamUri);
        var frames = new SyntheticEncoder(DemoModel.Create()).Encode("drained cleanly", silenceFrames: 1);
        var half = frames.Length / Width / 2;
        await connection.StartAsync("open");
        await connection.FramesAsync("open", 0, frames.AsSpan(0, half * Width));
        await connection.FirstStartedOf("open").WaitAsync(Patience);

        node.Terminate();
        await WaitForAsync(node, stats => stats.GetProperty("draining").GetBoolean());
        await connection.StartAsync("late");
        Assert.Equal(ErrorCode.Unavailable, (await connection.FirstErrorOf("late").WaitAsync(Patience)).Code);
        await connection.FramesAsync("open", half, frames.AsSpan(half * Width));
        await connection.FinalizeAsync("open");
        Assert.Equal("drained cleanly", (await connection.FinalOf("open").WaitAsync(Patience)).Text);
        Assert.Empty(connection.ErrorsOf("open"));

        // Its last utterance done, the connection is closed by the node, and the node exits.
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await connection.Closed.WaitAsync(Patience));
        Assert.Equal(0, await node.ExitCodeAsync(Patience));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task Utterances_still_open_when_the_drain_timeout_passes_end_with_unavailable()
    {
        await using var node = await NodeProcess.StartAsync("-D", "svod.node.drain-timeout=1s");
        await using var connection = await RawConnection.OpenAsync(node.StreamUri);
        var frames = new SyntheticEncoder(DemoModel.Create()).Encode("never finalized");
        await connection.StartAsync("stuck");
        await connection.FramesAsync("stuck", 0, frames);
        await connection.FirstStartedOf("stuck").WaitAsync(Patience);

        node.Terminate();
        var error = await connection.FirstErrorOf("stuck").WaitAsync(Patience);
        Assert.Equal(ErrorCode.Unavailable, error.Code);
        Assert.Contains("shut down", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await node.ExitCodeAsync(Patience));
    }

    [Fact]
    public async Task With_a_certificate_the_node_serves_wss_and_without_one_an_https_url_is_refused()
    {
        using var dir = new TempDirectory();
        using var certificate = TestCertificates.SelfSigned();
        await using var node = await NodeProcess.StartTlsAsync(certificate, dir);
        Assert.Equal("wss", node.StreamUri.Scheme);
        await using (var connection = await RawConnection.OpenAsync(node.StreamUri, trusted: certificate))
        {
            var frames = new SyntheticEncoder(DemoModel.Create()).Encode("over tls");
            await connection.StartAsync("t");
            await connection.FramesAsync("t", 0, frames);
            await connection.FinalizeAsync("t");
            Assert.Equal("over tls", (await connection.FinalOf("t").WaitAsync(Patience)).Text);
        }

        // A client that does not trust the certificate is refused by TLS itself.
        await Assert.ThrowsAsync<WebSocketException>(() => RawConnection.OpenAsync(node.StreamUri));

        // The CLI trusts it with --ca-cert.
        var words = new SyntheticEncoder(DemoModel.Create()).Encode("pinned cert");
        Svod.Gpu.Formats.Npy.WriteFrames(dir["w.npy"], words, words.Length / Width, Width);
        var transcribed = await ProcessRun.SvodAsync("transcribe", "--server", node.BaseUri.ToString(), "--ca-cert",
            dir["node.crt"], dir["w.npy"]);
        Assert.True(transcribed.ExitCode == 0, transcribed.ToString());
        Assert.Equal("pinned cert", transcribed.Stdout.Trim().Split('\t')[^1]);
        var untrusted = await ProcessRun.SvodAsync("transcribe", "--server", node.BaseUri.ToString(), dir["w.npy"]);
        Assert.Equal(2, untrusted.ExitCode);
        Assert.Contains("cannot connect", untrusted.Stderr, StringComparison.Ordinal);

        var refused = await ProcessRun.SvodAsync("node", "--urls", $"https://127.0.0.1:{NodeProcess.FreePort()}");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("svod.node.tls.certificate is empty", refused.Stderr, StringComparison.Ordinal);
        var missing = await ProcessRun.SvodAsync("node", "--urls", $"https://127.0.0.1:{NodeProcess.FreePort()}",
            "-D", $"svod.node.tls.certificate={dir["absent.crt"]}");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"cannot load the certificate {dir["absent.crt"]}", missing.Stderr, StringComparison.Ordinal);
    }


    private static async Task WaitForAsync(NodeProcess node, Func<System.Text.Json.JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                if (condition(await node.StatsAsync()))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Kestrel stops listening as the drain begins: the open connection is what remains.
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "condition not reached");
            await Task.Delay(20);
        }
    }
}
