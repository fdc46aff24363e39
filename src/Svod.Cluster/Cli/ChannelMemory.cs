using System.Globalization;
using System.Text.Json;
using Svod.Client;

namespace Svod.Cluster.Cli;

/// <summary>
/// <c>svod bench --server --idle-streams N</c>: the node's memory per open channel. Opens N utterances that each hold
/// one message of frames (decoded, not finalized) and compares the node's memory, after a full collection, with
/// before.
/// </summary>
internal sealed class ChannelMemory(LoadBench.Settings settings, SvodClient[] clients, IReadOnlyList<LoadRun.Utterance> utterances)
{
    public async Task MeasureAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        var statsUri = new UriBuilder(settings.Servers[0])
        {
            Scheme = settings.Servers[0].Scheme == "wss" ? "https" : "http",
            Path = "/v1/stats",
            Query = "gc=1",
        }.Uri;
        var before = await StatsAsync(http, statsUri, cancellationToken);
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

        var open = await StatsAsync(http, statsUri, cancellationToken);
        var channels = OpenChannels(open);
        var managed = (open.GetProperty("managed_bytes").GetDouble() - before.GetProperty("managed_bytes").GetDouble()) / channels;
        var workingSet = (open.GetProperty("working_set_bytes").GetDouble() -
            before.GetProperty("working_set_bytes").GetDouble()) / channels;
        foreach (var stream in streams)
        {
            await stream.CancelAsync(cancellationToken);
        }

        Console.Out.WriteLine(settings.Json
            ? JsonLines.Write(w =>
            {
                w.WriteNumber("open_channels", channels);
                w.WriteNumber("managed_bytes_per_channel", Math.Round(managed));
                w.WriteNumber("working_set_bytes_per_channel", Math.Round(workingSet));
            })
            : string.Create(CultureInfo.InvariantCulture,
                $"{channels} open channels of model {settings.Model}: {managed:N0} managed bytes and {workingSet:N0} " +
                $"bytes of working set per channel (the channel table's native state is allocated at start and not " +
                $"counted here)"));
    }

    private static int OpenChannels(JsonElement stats) =>
        stats.GetProperty("models").EnumerateArray().Sum(m => m.GetProperty("channels_open").GetInt32());

    private static async Task<JsonElement> StatsAsync(HttpClient http, Uri uri, CancellationToken cancellationToken) =>
        JsonDocument.Parse(await http.GetStringAsync(uri, cancellationToken)).RootElement.Clone();
}
