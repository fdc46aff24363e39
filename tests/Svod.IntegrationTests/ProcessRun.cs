using System.Diagnostics;

namespace Svod.IntegrationTests;

/// <summary>A finished child process: exit code and everything it printed.</summary>
internal sealed record ProcessRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Runs a program to completion; a run past the timeout is killed and fails the test, naming it.</summary>
    public static async Task<ProcessRun> StartAsync(string fileName, IEnumerable<string> arguments,
        TimeSpan timeout, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepositoryPaths.Root,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["PYTHONUNBUFFERED"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"{fileName} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:F0} s");
        }

        return new ProcessRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs <c>svod</c> with the given arguments.</summary>
    public static Task<ProcessRun> SvodAsync(params string[] arguments) =>
        StartAsync("dotnet", [RepositoryPaths.SvodDll, .. arguments], TimeSpan.FromMinutes(5));

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
