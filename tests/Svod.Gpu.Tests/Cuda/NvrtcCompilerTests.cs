using Svod.Gpu.Cuda;
using Svod.Gpu.Cuda.Native;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>What NVRTC is asked to build, and the disk cache's naming, decided without a GPU.</summary>
public sealed class NvrtcCompilerTests(ITestOutputHelper output)
{
    private const string Source = "extern \"C\" __global__ void add_one(float* x, int n) { }";
    private static readonly int[] Cuda12Archs = [50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90];

    [Fact]
    public void A_device_nvrtc_knows_gets_a_cubin_for_its_own_sm()
    {
        Assert.Equal(new NvrtcTarget(90, Cubin: true), NvrtcCompiler.SelectTarget((9, 0), Cuda12Archs));
        Assert.Equal(new NvrtcTarget(86, Cubin: true), NvrtcCompiler.SelectTarget((8, 6), Cuda12Archs));
    }

    [Fact]
    public void A_device_newer_than_nvrtc_gets_ptx_for_the_highest_architecture_below_it()
    {
        Assert.Equal(new NvrtcTarget(90, Cubin: false), NvrtcCompiler.SelectTarget((10, 0), Cuda12Archs));
        Assert.Equal(new NvrtcTarget(90, Cubin: false), NvrtcCompiler.SelectTarget((12, 0), Cuda12Archs));
        Assert.Equal(new NvrtcTarget(80, Cubin: false), NvrtcCompiler.SelectTarget((8, 6), [75, 80, 90]));
    }

    [Fact]
    public void A_device_older_than_every_supported_architecture_is_refused()
    {
        var error = Assert.Throws<NotSupportedException>(() => NvrtcCompiler.SelectTarget((3, 5), Cuda12Archs));
        Assert.Contains("3.5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_name_the_architecture_first_and_never_ask_for_fast_math()
    {
        var options = NvrtcCompiler.BuildOptions(new NvrtcTarget(90, Cubin: true), ["-DLANES=64"]);
        Assert.Equal("--gpu-architecture=sm_90", options[0]);
        Assert.Contains("-std=c++17", options);
        Assert.Contains("-default-device", options);
        Assert.Contains("--ftz=false", options);
        Assert.Contains("--prec-div=true", options);
        Assert.Contains("--prec-sqrt=true", options);
        Assert.DoesNotContain(options, o => o.Contains("use_fast_math", StringComparison.Ordinal));
        Assert.Equal("-DLANES=64", options[^1]);

        var ptx = NvrtcCompiler.BuildOptions(new NvrtcTarget(90, Cubin: false), null);
        Assert.Equal("--gpu-architecture=compute_90", ptx[0]);
    }

    [Fact]
    public void The_cache_key_is_a_stable_sha256()
    {
        var options = NvrtcCompiler.BuildOptions(new NvrtcTarget(90, Cubin: true), null);
        var key = NvrtcCompiler.CacheKey(Source, options, (12, 4));
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, NvrtcCompiler.CacheKey(Source, [.. options], (12, 4)));
    }

    [Fact]
    public void The_cache_key_changes_with_source_options_version_and_architecture()
    {
        var options = NvrtcCompiler.BuildOptions(new NvrtcTarget(90, Cubin: true), null);
        var key = NvrtcCompiler.CacheKey(Source, options, (12, 4));
        string[] others =
        [
            NvrtcCompiler.CacheKey(Source + " ", options, (12, 4)),
            NvrtcCompiler.CacheKey(Source, NvrtcCompiler.BuildOptions(new NvrtcTarget(90, true), ["-DX=1"]), (12, 4)),
            NvrtcCompiler.CacheKey(Source, options, (12, 5)),
            NvrtcCompiler.CacheKey(Source, options, (13, 4)),
            NvrtcCompiler.CacheKey(Source, NvrtcCompiler.BuildOptions(new NvrtcTarget(89, true), null), (12, 4)),
            NvrtcCompiler.CacheKey(Source, NvrtcCompiler.BuildOptions(new NvrtcTarget(90, false), null), (12, 4)),
        ];
        Assert.DoesNotContain(key, others);
        Assert.Equal(others.Length, others.Distinct().Count());
    }

    [Fact]
    public void Moving_text_between_source_and_options_changes_the_key()
    {
        Assert.NotEqual(
            NvrtcCompiler.CacheKey("ab", ["c"], (12, 4)),
            NvrtcCompiler.CacheKey("b", ["ca"], (12, 4)));
        Assert.NotEqual(
            NvrtcCompiler.CacheKey("x", ["a", "b"], (12, 4)),
            NvrtcCompiler.CacheKey("x", ["a\nb"], (12, 4)));
    }

    [Fact]
    public void Cache_files_are_named_by_key_sm_and_image_kind()
    {
        var key = new string('a', 64);
        Assert.Equal(key + "-sm90.cubin", NvrtcCompiler.CacheFileName(key, new NvrtcTarget(90, Cubin: true)));
        Assert.Equal(key + "-sm90.ptx", NvrtcCompiler.CacheFileName(key, new NvrtcTarget(90, Cubin: false)));
    }

    [Fact]
    public void The_default_cache_lives_under_the_user_cache()
    {
        var directory = NvrtcCompiler.DefaultCacheDirectory();
        Assert.True(Path.IsPathRooted(directory));
        Assert.EndsWith(Path.Combine("svod", "kernels"), directory, StringComparison.Ordinal);
    }

    [Fact]
    public void Compiling_without_nvrtc_says_what_is_missing()
    {
        if (CudaLibraries.TryLoad(out var reason))
        {
            output.WriteLine("NVRTC is loadable here; nothing to refuse.");
            return;
        }

        using var cache = new TempDirectory();
        var error = Assert.Throws<CudaUnavailableException>(
            () => NvrtcCompiler.Compile(Source, "add_one.cu", (9, 0), cache.Path));
        Assert.Equal(reason, error.Message);
        Assert.Empty(Directory.GetFiles(cache.Path));
    }
}
