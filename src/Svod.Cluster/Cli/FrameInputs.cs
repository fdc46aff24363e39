using Svod.Gpu.Formats;
using Svod.Gpu.Models;

namespace Svod.Cluster.Cli;

/// <summary>The utterances named on the command line: <c>.npy</c> files, or directories of them (sorted by name).
/// An utterance's name is its file name without <c>.npy</c>.</summary>
internal static class FrameInputs
{
    public const string Help =
        "An .npy file of encoder frames (float32 or float16, [T, d_model]) or a directory of them; repeatable.";

    public sealed record Input(string Name, string Path);

    public static IReadOnlyList<Input> Expand(IEnumerable<string> paths)
    {
        var inputs = new List<Input>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.GetFiles(path, "*.npy").Order(StringComparer.Ordinal).ToArray();
                if (files.Length == 0)
                {
                    throw new CliException($"{path}: directory holds no .npy files");
                }

                inputs.AddRange(files.Select(f => new Input(Name(f), f)));
            }
            else if (File.Exists(path))
            {
                inputs.Add(new Input(Name(path), path));
            }
            else
            {
                throw new CliException($"{path}: no such file or directory");
            }
        }

        if (inputs.Count == 0)
        {
            throw new CliException("no frames given: pass --frames FILE.npy or --frames DIR");
        }

        return inputs;
    }

    /// <summary>Reads one input; a malformed file becomes an error message naming the file (and frame).</summary>
    public static (FrameMatrix? Frames, string? Error) TryRead(Input input, int? width)
    {
        try
        {
            return (Npy.ReadFrames(input.Path, width), null);
        }
        catch (ModelFormatException e)
        {
            return (null, e.Message);
        }
        catch (IOException e)
        {
            return (null, $"{input.Path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            return (null, $"{input.Path}: {e.Message}");
        }
    }

    private static string Name(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        return name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;
    }
}
