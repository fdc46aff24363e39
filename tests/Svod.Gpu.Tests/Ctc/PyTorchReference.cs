using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Ctc;

/// <summary>
/// Debian's Python with torch and numpy (<c>/usr/bin/python3</c>; the python3 on PATH may lack torch), which runs
/// tools/reference/gigaam_ctc.py. Missing locally, a test returns early with the reason; on CI (<c>CI=true</c>) it
/// fails instead.
/// </summary>
internal static class PyTorchReference
{
    public const string Python = "/usr/bin/python3";

    public static string Script => Path.Combine(RepositoryRoot.Path, "tools", "reference", "gigaam_ctc.py");

    private static readonly Lazy<string?> Missing = new(FindMissing);

    /// <returns>true when the test can go on.</returns>
    public static bool Available(ITestOutputHelper output)
    {
        if (Missing.Value is not { } why)
        {
            return true;
        }

        var message = $"PyTorch reference unavailable ({why}); " +
            "install with: apt-get install python3-torch python3-numpy python3-sentencepiece sentencepiece";
        Assert.False(RequiredTool.OnCi, message);
        output.WriteLine($"SKIPPED: {message}");
        return false;
    }

    private static string? FindMissing()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} not found";
        }

        var run = ToolRun.Start(Python, ["-c", "import torch, numpy, sentencepiece"], TimeSpan.FromMinutes(1));
        return run.ExitCode == 0 ? null : run.Stderr.Trim();
    }
}
