using System.Diagnostics;
using System.Text;

namespace Svod.Gpu.Tests.Ctc;

/// <summary>A finished external program (OpenFst tools, Debian's Python): exit code and what it printed.</summary>
internal sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Runs a program to completion; past the timeout it is killed and the test fails, naming it.</summary>
    public static ToolRun Start(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Path,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PYTHONUNBUFFERED"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"{program} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:F0} s");
        }

        return new ToolRun(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>As <see cref="Start"/>, failing the test on a non-zero exit with everything it printed.</summary>
    public static string Check(string program, params string[] arguments)
    {
        var run = Start(program, arguments, TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0,
            $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited {run.ExitCode}\n{run.Stderr}");
        return run.Stdout;
    }
}
