using System.Diagnostics;
using System.Text;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>
/// OpenFst's command-line tools (Debian's libfst-tools), the oracle for the FST reader, with a temp directory for
/// their files. When they are missing, <see cref="Missing"/> says so (and on CI the fixture fails instead).
/// </summary>
public sealed class OpenFstTools : IDisposable
{
    private readonly string? _compile;
    private readonly string? _convert;
    private readonly string? _print;
    private int _files;

    public OpenFstTools()
    {
        _compile = RequiredTool.Find("fstcompile");
        _convert = RequiredTool.Find("fstconvert");
        _print = RequiredTool.Find("fstprint");
        if (_compile is null || _convert is null || _print is null)
        {
            Missing = "fstcompile/fstconvert/fstprint are not installed (apt-get install libfst-tools)";
        }
    }

    /// <summary>Why the tools cannot be used, or null when they can.</summary>
    public string? Missing { get; }

    public TempDirectory Directory { get; } = new();

    /// <summary>A fresh file name in the temp directory.</summary>
    public string NewPath(string extension) =>
        Directory[$"f{Interlocked.Increment(ref _files)}.{extension}"];

    /// <summary>fstcompile of <paramref name="text"/> into a new binary file; states keep their numbers.</summary>
    public string Compile(string text, params string[] options)
    {
        var source = NewPath("txt");
        File.WriteAllText(source, text);
        var binary = NewPath("fst");
        Run(_compile!, ["--keep_state_numbering", .. options, source, binary]);
        return binary;
    }

    public string Convert(string binary, params string[] options)
    {
        var converted = NewPath("fst");
        Run(_convert!, [.. options, binary, converted]);
        return converted;
    }

    public string Print(string binary) => Run(_print!, [binary]);

    private static string Run(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0,
            $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr.Result}");
        return stdout;
    }

    public void Dispose() => Directory.Dispose();
}
