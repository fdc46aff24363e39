namespace Svod.Testing;

/// <summary>Whether this run is CI's (<c>CI=true</c>): there a missing external tool fails instead of skipping.</summary>
public static class Ci
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true",
        StringComparison.OrdinalIgnoreCase);
}
