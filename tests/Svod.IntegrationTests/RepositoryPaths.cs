namespace Svod.IntegrationTests;

/// <summary>Where the repository, the built <c>svod</c> and the reference tools are.</summary>
internal static class RepositoryPaths
{
    public static string Root => RepositoryRoot.Path;

    /// <summary>svod.dll of the same configuration as this test assembly (built through the project reference).</summary>
    public static string SvodDll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}",
                StringComparison.Ordinal) ? "Release" : "Debug";
            var path = Path.Combine(Root, "src", "Svod.Cluster", "bin", configuration, "net10.0", "svod.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"svod is not built: {path}");
        }
    }

    public static string ReferenceTools => Path.Combine(Root, "tools", "reference");
}
