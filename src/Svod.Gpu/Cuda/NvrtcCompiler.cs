using System.Security.Cryptography;
using System.Text;
using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>
/// Compiles CUDA C++ with NVRTC, for the device's own architecture when NVRTC knows it (a CUBIN), else to PTX for
/// the newest virtual architecture it knows below the device (JIT-compiled by the driver). Results are cached on
/// disk by a hash of everything that determines them.
/// </summary>
public static unsafe partial class NvrtcCompiler
{
    /// <summary>
    /// The options every compile gets. No fast math: the kernels must give the CPU reference's results, so
    /// denormals are kept and division and square root are IEEE-rounded (NVRTC's defaults, spelled out because
    /// <c>--use_fast_math</c> is a flag without a value). FMA contraction (<c>--fmad</c>) keeps NVRTC's default;
    /// pass <c>--fmad=false</c> in the extra options to get multiply-adds only where the source writes
    /// <c>fmaf</c>.
    /// </summary>
    private static readonly string[] BaseOptions =
        ["-std=c++17", "--ftz=false", "--prec-div=true", "--prec-sqrt=true", "-default-device"];

    /// <summary>
    /// Compiles <paramref name="source"/> (or returns the cached image) for a device of compute capability
    /// <paramref name="arch"/>: CUBIN bytes, or NUL-terminated PTX bytes; either loads with <see cref="CudaModule"/>.
    /// </summary>
    /// <param name="cacheDirectory">Where compiled images are kept; null for <see cref="DefaultCacheDirectory"/>.
    /// A cache that cannot be written only costs a recompile next time.</param>
    /// <exception cref="CudaException">The source does not compile; the message holds NVRTC's full log.</exception>
    /// <exception cref="CudaUnavailableException">NVRTC cannot be loaded.</exception>
    public static byte[] Compile(
        string source, string programName, (int Major, int Minor) arch, string? cacheDirectory,
        IReadOnlyList<string>? extraOptions = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(programName);
        if (!CudaLibraries.TryLoad(out var reason))
        {
            throw new CudaUnavailableException(reason!);
        }

        var version = NvrtcVersion();
        var target = SelectTarget(arch, SupportedArchitectures());
        var options = BuildOptions(target, extraOptions);
        var directory = cacheDirectory ?? DefaultCacheDirectory();
        var path = Path.Combine(directory, CacheFileName(CacheKey(source, options, version), target));

        if (TryReadCache(path) is { } cached)
        {
            return cached;
        }

        var image = CompileUncached(source, programName, options, target);
        TryWriteCache(directory, path, image);
        return image;
    }

    /// <summary><c>$XDG_CACHE_HOME/svod/kernels</c>, else <c>~/.cache/svod/kernels</c> (the temp folder without a
    /// home).</summary>
    public static string DefaultCacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var root = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg) ? xdg
            : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache")
            : Path.GetTempPath();
        return Path.Combine(root, "svod", "kernels");
    }

    /// <summary>
    /// The device's own sm when <paramref name="supported"/> (NVRTC's list, sm numbers) has it: a CUBIN. Otherwise
    /// PTX for the highest supported architecture not above the device: PTX runs on any later device.
    /// </summary>
    /// <exception cref="NotSupportedException">Every architecture NVRTC supports is newer than the device.</exception>
    internal static NvrtcTarget SelectTarget((int Major, int Minor) device, IReadOnlyList<int> supported)
    {
        var code = (device.Major * 10) + device.Minor;
        if (supported.Contains(code))
        {
            return new NvrtcTarget(code, Cubin: true);
        }

        var below = supported.Where(a => a <= code).DefaultIfEmpty(-1).Max();
        return below >= 0
            ? new NvrtcTarget(below, Cubin: false)
            : throw new NotSupportedException(
                $"NVRTC supports sm_{string.Join(", sm_", supported)}; none runs on a device of compute capability "
                + $"{device.Major}.{device.Minor}");
    }

    /// <summary>The architecture option, <see cref="BaseOptions"/>, then <paramref name="extraOptions"/>.</summary>
    internal static IReadOnlyList<string> BuildOptions(NvrtcTarget target, IReadOnlyList<string>? extraOptions) =>
        [target.ArchitectureOption, .. BaseOptions, .. extraOptions ?? []];

    /// <summary>
    /// Lower-case hex SHA-256 of the NVRTC version, the options (which include the architecture) and the source,
    /// each length-prefixed so no two different inputs share an encoding.
    /// </summary>
    internal static string CacheKey(string source, IReadOnlyList<string> options, (int Major, int Minor) nvrtcVersion)
    {
        var text = new StringBuilder("svod-nvrtc-1\n")
            .Append(nvrtcVersion.Major).Append('.').Append(nvrtcVersion.Minor).Append('\n');
        foreach (var option in options)
        {
            text.Append(option.Length).Append(':').Append(option).Append('\n');
        }

        text.Append(source.Length).Append(':').Append(source);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary><c>{key}-sm{XY}.cubin</c> or <c>{key}-sm{XY}.ptx</c>.</summary>
    internal static string CacheFileName(string key, NvrtcTarget target) => $"{key}-sm{target.Arch}{target.Extension}";

    private static byte[]? TryReadCache(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return bytes.Length > 0 ? bytes : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes to a temporary file and renames it over the target, so readers never see a partial image.
    /// </summary>
    private static void TryWriteCache(string directory, string path, byte[] image)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(temporary, image);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Best effort: a stray .tmp file is harmless.
            }
        }
    }
}
