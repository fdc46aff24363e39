using Xunit.Abstractions;

namespace Svod.Testing;

/// <summary>
/// External programs a test needs. Missing locally, the test is skipped with the reason written to its output;
/// missing on CI (<c>CI=true</c>) it fails, so a CI machine without the tool cannot pass silently.
/// </summary>
public static class RequiredTool
{
    public static bool OnCi => Ci.IsCi;

    /// <summary>The full path of <paramref name="name"/> on PATH, or null when absent (not on CI).</summary>
    public static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return OnCi
            ? throw new InvalidOperationException(
                $"{name} is required on CI but is not on PATH (Debian package: {PackageOf(name)})")
            : null;
    }

    /// <summary>Reports a skipped test: true when the tool is missing, after writing why.</summary>
    public static bool Skip(string? missing, ITestOutputHelper output)
    {
        if (missing is null)
        {
            return false;
        }

        output.WriteLine($"SKIPPED: {missing}");
        return true;
    }

    private static string PackageOf(string name) =>
        name.StartsWith("spm_", StringComparison.Ordinal) ? "sentencepiece"
        : name.StartsWith("fst", StringComparison.Ordinal) ? "libfst-tools"
        : "unknown";
}
