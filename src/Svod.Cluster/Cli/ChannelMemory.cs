using System.Globalization;
using System.Text.Json;
using Svod.Client;

namespace Svod.Cluster.Cli;

/// <summary>
/// <c>svod bench --server --idle-streams N</c>: the nodes' memory per open channel. Opens N utterances that each hold
/// one message of frames (decoded, not finalized) and compares the memory of every node given, after a full
/// collection, with before (summed, so a cluster's nodes count together).
/// </summary>
internal sealed class ChannelMemory(LoadBench.Settings settings, SvodClient[] clients, IReadOnlyList<LoadRun.Utterance> utterances)
{
    public async Task MeasureAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        // Every node given: in a cluster the utterances spread over all of them.
        var statsUris = settings.Servers.Select(server => new UriBuilder(server)
        {
            Scheme = server.Scheme == "wss" ? "https" : "http",
            Path = "/v1/stats",
            Query = "gc=1",
        }.Uri).ToArray();
        var before = await StatsAsync(http, statsUris, cancellationToken);
        var streams = new List<UtteranceStream>();
        for (var i = 0; i < settings.IdleStreams; i++)
        {
            var stream = await clients[i % clients.Length].StartAsync($"idle-{i}", settings.Model,
                cancellationToken: cancellationToken);
            var frames = utterances[i % utterances.Count].Frames;
            var n = Math.Min(settings.ChunkFrames, frames.Length / stream.FrameWidth);
            await stream.SendFramesAsync(frames.AsMemory(0, n * stream.FrameWidth), cancellationToken);
            streams.Add(stream);
        }

        // A stream is started once placed; its node may open the channel a moment later (a redirect, a busy node).
        var open = await StatsAsync(http, statsUris, cancellationToken);
        for (var waited = 0; open.Channels < settings.IdleStreams && waited < 60; waited++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            open = await StatsAsync(http, statsUris, cancellationToken);
        }

        var channels = open.Channels;
        var managed = (open.Managed - before.Managed) / channels;
        var workingSet = (open.WorkingSet - before.WorkingSet) / channels;
        foreach (var stream in streams)
        {
            await stream.CancelAsync(cancellationToken);
        }

        Console.Out.WriteLine(settings.Json
            ? JsonLines.Write(w =>
            {
                w.WriteNumber("nodes", statsUris.Length);
                w.WriteNumber("open_channels", channels);
                w.WriteNumber("managed_bytes_per_channel", Math.Round(managed));
                w.WriteNumber("working_set_bytes_per_channel", Math.Round(workingSet));
            })
            : string.Create(CultureInfo.InvariantCulture,
                $"{channels} open channels of model {settings.Model} on {statsUris.Length} node(s): {managed:N0} managed bytes and {workingSet:N0} " +
                $"bytes of working set per channel (the channel table's native state is allocated at start and not " +
                $"counted here)"));
    }

    /// <summary>Open channels, managed bytes and working set summed over the nodes.</summary>
    private static async Task<(int Channels, double Managed, double WorkingSet)> StatsAsync(HttpClient http, Uri[] uris,
        CancellationToken cancellationToken)
    {
        var (channels, managed, workingSet) = (0, 0.0, 0.0);
        foreach (var uri in uris)
        {
            using var stats = JsonDocument.Parse(await http.GetStringAsync(uri, cancellationToken));
            var root = stats.RootElement;
            channels += root.GetProperty("models").EnumerateArray().Sum(m => m.GetProperty("channels_open").GetInt32());
            managed += root.GetProperty("managed_bytes").GetDouble();
            workingSet += root.GetProperty("working_set_bytes").GetDouble();
        }

        return (channels, managed, workingSet);
    }
}
