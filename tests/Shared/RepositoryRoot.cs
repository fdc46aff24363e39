namespace Svod.Testing;

/// <summary>The repository checkout the tests run from (the folder holding Svod.sln).</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Svod.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Svod.sln above {AppContext.BaseDirectory}");
    }
}
