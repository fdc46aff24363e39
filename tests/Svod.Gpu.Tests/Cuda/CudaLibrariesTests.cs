using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>Which library files are tried, in which order, before the first P/Invoke.</summary>
public sealed class CudaLibrariesTests
{
    [Fact]
    public void Sonames_come_first_then_versioned_files_newest_first()
    {
        using var dir = new TempDirectory();
        foreach (var name in new[]
                 {
                     "libnvrtc.so.11.8.89", "libnvrtc.so.12.4.127", "libnvrtc.so.12", "libnvrtc-builtins.so.12.4",
                     "libnvrtc.so", "libnvrtc.so.12.alt", "libnvrtc.alt.so.12", "libnvrtc.so.12.10.5",
                 })
        {
            File.WriteAllBytes(dir[name], []);
        }

        var candidates = CudaLibraries.Candidates("libnvrtc.so", ["libnvrtc.so.12", "libnvrtc.so"], [dir.Path]);

        Assert.Equal(
            [
                "libnvrtc.so.12", "libnvrtc.so", dir["libnvrtc.so.12.10.5"], dir["libnvrtc.so.12.4.127"],
                dir["libnvrtc.so.12"], dir["libnvrtc.so.11.8.89"],
            ],
            candidates);
    }

    [Fact]
    public void Cublas_candidates_do_not_pick_up_cublasLt()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir["libcublasLt.so.12"], []);
        File.WriteAllBytes(dir["libcublas.so.12"], []);

        var candidates = CudaLibraries.Candidates("libcublas.so", [], [dir.Path]);

        Assert.Equal([dir["libcublas.so.12"]], candidates);
    }

    [Fact]
    public void Missing_directories_are_skipped()
    {
        var candidates = CudaLibraries.Candidates(
            "libcuda.so", ["libcuda.so.1"], ["/nonexistent/svod-test-dir", "/proc/self/fdinfo/nope"]);
        Assert.Equal(["libcuda.so.1"], candidates);
    }

    [Fact]
    public void The_usual_toolkit_directories_are_searched()
    {
        var dirs = CudaLibraries.SearchDirectories();
        Assert.Contains("/usr/local/cuda/lib64", dirs);
        Assert.Contains("/usr/local/cuda/targets/x86_64-linux/lib", dirs);
        Assert.Contains("/usr/lib/x86_64-linux-gnu", dirs);
        Assert.Equal(dirs.Count, dirs.Distinct(StringComparer.Ordinal).Count());
        foreach (var entry in (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
                     .Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Contains(entry.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : entry, dirs);
        }
    }
}
