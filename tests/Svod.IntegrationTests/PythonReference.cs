namespace Svod.IntegrationTests;

/// <summary>
/// Debian's Python with torch, numpy and sentencepiece, which runs the GigaAM reference. Locally a missing one makes
/// the test return early with the reason; on CI (<c>CI=true</c>) it is a failure, never a silent skip.
/// </summary>
internal static class PythonReference
{
    public const string Python = "/usr/bin/python3";

    /// <returns>true when the test can go on.</returns>
    public static async Task<bool> AvailableAsync(ITestOutputHelper output)
    {
        var why = await MissingTorchAsync();
        if (why is null)
        {
            return true;
        }

        var message = $"PyTorch reference unavailable ({why}); install with: apt-get install python3-torch python3-numpy python3-sentencepiece sentencepiece";
        Assert.False(RequiredTool.OnCi, message);
        output.WriteLine($"SKIPPED: {message}");
        return false;
    }

    private static async Task<string?> MissingTorchAsync()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} not found";
        }

        var run = await ProcessRun.StartAsync(Python, ["-c", "import torch, numpy, sentencepiece"], TimeSpan.FromMinutes(1));
        return run.ExitCode == 0 ? null : run.Stderr.Trim();
    }
}
