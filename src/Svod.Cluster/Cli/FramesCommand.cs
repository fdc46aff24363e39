using System.CommandLine;
using Svod.Gpu.Demo;
using Svod.Gpu.Formats;

namespace Svod.Cluster.Cli;

/// <summary><c>svod frames</c>: the synthetic encoder, text to frames the demo model decodes back.</summary>
internal static class FramesCommand
{
    public static Command Create(ConfigOptions config)
    {
        var model = new Option<string>("--model")
        {
            Description = "The demo model: 'demo' or a directory written by 'svod model demo'.",
            DefaultValueFactory = _ => DemoModel.Name,
        };
        var text = new Option<string>("--text") { Description = "Text to encode (a–z, space, ' . , ? !).", Required = true };
        var output = new Option<string>("--out") { Description = "The .npy file to write ([T, 64] float32).", Required = true };
        var silence = new Option<int>("--silence-frames")
        {
            Description = "Silent frames after each character (40 ms each).",
            DefaultValueFactory = _ => 1,
        };
        silence.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0)
            {
                r.AddError("--silence-frames must be 0 or more");
            }
        });
        var noise = new Option<float>("--noise")
        {
            Description = "Standard deviation of Gaussian noise added to every value (up to 0.05 always decodes exactly; " +
                "at 0.1 one character in millions may flip).",
            DefaultValueFactory = _ => 0f,
        };
        var seed = new Option<int>("--seed") { Description = "Seed of the noise.", DefaultValueFactory = _ => 0 };
        var command = new Command("frames",
            "Synthesize encoder frames for a text with the synthetic encoder of the demo model.");
        foreach (var o in new Option[] { model, text, output, silence, noise, seed })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var loaded = ModelSource.Load(parse.GetValue(model)!, config.Load(parse));
            float[] frames;
            try
            {
                frames = new SyntheticEncoder(loaded).Encode(parse.GetValue(text)!, parse.GetValue(silence),
                    parse.GetValue(noise), parse.GetValue(seed));
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }

            var path = parse.GetValue(output)!;
            var width = loaded.Dims.EncoderDim;
            try
            {
                var parent = Path.GetDirectoryName(Path.GetFullPath(path));
                if (parent is not null)
                {
                    Directory.CreateDirectory(parent);
                }

                Npy.WriteFrames(path, frames, frames.Length / width, width);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"{path}: {e.Message}");
            }

            Console.Out.WriteLine($"wrote {frames.Length / width} frames to {path}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
