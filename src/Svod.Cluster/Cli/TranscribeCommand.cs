using System.CommandLine;
using Svod.Client;
using Svod.Client.Protocol;

namespace Svod.Cluster.Cli;

/// <summary><c>svod transcribe</c>: stream .npy frames to a node through the client library and print the finals.</summary>
internal static class TranscribeCommand
{
    public static Command Create(ConfigOptions config)
    {
        var server = new ServerOptions(
            "The node: ws://HOST:PORT (or http://, wss://, https://); the stream path /v1/stream is added when missing.",
            required: true);
        var model = new Option<string>("--model") { Description = "Model name the node serves.", DefaultValueFactory = _ => "demo" };
        var realtime = new Option<bool>("--realtime")
        {
            Description = "Send frames at real-time pace (frame duration from the node) instead of as fast as possible.",
        };
        var json = new Option<bool>("--json")
        {
            Description = "One JSON line per utterance on stdout, as 'svod decode --json' prints them.",
        };
        var concurrency = CliOptions.PositiveInt("--concurrency", "Utterances streamed at once.", 64);
        var chunk = CliOptions.PositiveInt("--chunk-frames", "Frames per Frames message.", 16);
        var paths = new Argument<string[]>("frames") { Description = FrameInputs.Help, Arity = ArgumentArity.OneOrMore };
        var command = new Command("transcribe",
            "Stream encoder frames (.npy files or directories) to a running node and print the final transcripts.");
        foreach (var o in server.All.Concat([model, realtime, json, concurrency, chunk]))
        {
            command.Options.Add(o);
        }

        command.Arguments.Add(paths);
        command.SetAction(async (parse, cancellationToken) =>
        {
            _ = config.Load(parse);
            var inputs = FrameInputs.Expand(parse.GetValue(paths)!);
            await using var client = await ServerOptions.ConnectAsync(server.Nodes(parse), server.ClientOptions(parse),
                cancellationToken);
            using var gate = new SemaphoreSlim(parse.GetValue(concurrency));
            var jobs = inputs.Select(async input =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    return await TranscribeAsync(client, input, parse.GetValue(model)!, parse.GetValue(chunk),
                        parse.GetValue(realtime), cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }).ToArray();
            var failures = 0;
            foreach (var (input, job) in inputs.Zip(jobs))
            {
                var (final, error) = await job;
                if (final is null)
                {
                    Console.Error.WriteLine($"svod: {input.Path}: {error}");
                    failures++;
                    continue;
                }

                Console.Out.WriteLine(JsonLines.Utterance(parse.GetValue(json), input.Name, final.Text,
                    final.Tokens.ToArray(), final.TokenFrames.ToArray()));
            }

            return failures > 0 ? ExitCodes.SomeFailed : ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<(Result? Final, string? Error)> TranscribeAsync(SvodClient client,
        FrameInputs.Input input, string model, int chunk, bool realtime, CancellationToken cancellationToken)
    {
        var (frames, readError) = FrameInputs.TryRead(input, width: null);
        if (frames is null)
        {
            return (null, readError);
        }

        try
        {
            var stream = await client.StartAsync(input.Name, model, cancellationToken: cancellationToken);
            if (frames.Cols != stream.FrameWidth)
            {
                await stream.CancelAsync(cancellationToken);
                return (null, $"frames have width {frames.Cols}, model '{model}' expects {stream.FrameWidth}");
            }

            var sending = stream.StreamAsync(frames.Data, chunk, realtime ? 1 : 0, cancellationToken: cancellationToken);
            Result? final = null;
            await foreach (var result in stream.Results.WithCancellation(cancellationToken))
            {
                final = result.IsFinal ? result : final;
            }

            await sending;
            return final is null ? (null, "the node ended the utterance without a final") : (final, null);
        }
        catch (SvodException e)
        {
            return (null, e.Message);
        }
    }
}
