using System.Reflection;
using System.Runtime.InteropServices;

namespace Svod.Gpu.Cuda.Native;

/// <summary>
/// Finds and loads the CUDA driver, NVRTC and cuBLAS. The <c>[LibraryImport]</c> declarations name the logical
/// libraries <see cref="Driver"/>, <see cref="NvrtcName"/> and <see cref="CublasName"/>; a resolver registered for this
/// assembly maps them to the handles loaded here. Nothing is loaded at type load: callers check
/// <see cref="TryLoad"/> (through <see cref="CudaRuntime.TryInitialize"/>) before the first P/Invoke.
/// </summary>
internal static class CudaLibraries
{
    internal const string Driver = "cuda";
    internal const string NvrtcName = "nvrtc";
    internal const string CublasName = "cublas";

    private static readonly Lock Gate = new();
    private static bool _resolverRegistered;
    private static nint _driver;
    private static nint _nvrtc;
    private static nint _cublasLt;
    private static nint _cublas;

    /// <summary>True once libcuda is loaded (error-name look-ups call into it only then).</summary>
    internal static bool DriverLoaded => Volatile.Read(ref _driver) != 0;

    internal static bool NvrtcLoaded => Volatile.Read(ref _nvrtc) != 0;

    internal static bool CublasLoaded => Volatile.Read(ref _cublas) != 0;

    /// <summary>The directories searched for versioned library files, in order, without duplicates.</summary>
    internal static IReadOnlyList<string> SearchDirectories()
    {
        var dirs = new List<string>();
        void Add(string? dir)
        {
            if (string.IsNullOrWhiteSpace(dir))
            {
                return;
            }

            var normalized = dir.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : dir;
            if (!dirs.Contains(normalized, StringComparer.Ordinal))
            {
                dirs.Add(normalized);
            }
        }

        foreach (var entry in (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
                     .Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            Add(entry);
        }

        foreach (var variable in new[] { "CUDA_HOME", "CUDA_PATH" })
        {
            var root = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(root))
            {
                Add(Path.Combine(root, "lib64"));
                Add(Path.Combine(root, "targets", "x86_64-linux", "lib"));
            }
        }

        Add("/usr/local/cuda/lib64");
        Add("/usr/local/cuda/targets/x86_64-linux/lib");
        Add("/usr/lib/x86_64-linux-gnu");
        Add("/usr/lib64");
        Add("/usr/lib/wsl/lib");

        // Side-by-side toolkits (/usr/local/cuda-12.4, ...), newest first.
        try
        {
            if (Directory.Exists("/usr/local"))
            {
                foreach (var toolkit in Directory.GetDirectories("/usr/local", "cuda-*")
                             .OrderByDescending(d => ParseVersion(Path.GetFileName(d)["cuda-".Length..])))
                {
                    Add(Path.Combine(toolkit, "lib64"));
                    Add(Path.Combine(toolkit, "targets", "x86_64-linux", "lib"));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable /usr/local only removes candidates.
        }

        return dirs;
    }

    /// <summary>
    /// The names tried for a library, best first: the plain sonames (resolved by the dynamic loader's own search),
    /// then every <c>{baseName}.*</c> file found in <paramref name="directories"/>, highest version first.
    /// </summary>
    internal static IReadOnlyList<string> Candidates(
        string baseName, IReadOnlyList<string> sonames, IReadOnlyList<string> directories)
    {
        var result = new List<string>(sonames);
        foreach (var dir in directories)
        {
            string[] files;
            try
            {
                files = Directory.Exists(dir) ? Directory.GetFiles(dir, baseName + "*") : [];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var file in files
                         .Where(f => IsVersionedName(Path.GetFileName(f), baseName))
                         .OrderByDescending(f => ParseVersion(Path.GetFileName(f)[baseName.Length..].TrimStart('.'))))
            {
                if (!result.Contains(file, StringComparer.Ordinal))
                {
                    result.Add(file);
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Loads libcuda, libnvrtc, libcublasLt and libcublas (once; later calls return the cached outcome of the parts
    /// that succeeded). The reason names the first library that could not be loaded and where it was looked for.
    /// </summary>
    public static bool TryLoad(out string? reason)
    {
        if (!OperatingSystem.IsLinux())
        {
            reason = "CUDA backend unavailable: only Linux is supported by Svod's CUDA bindings";
            return false;
        }

        lock (Gate)
        {
            RegisterResolver();
            var dirs = SearchDirectories();
            var where = string.Join(", ", dirs);

            if (_driver == 0 && !TryLoadFirst(["libcuda.so.1", "libcuda.so"], dirs, "libcuda.so", out _driver))
            {
                reason = "CUDA backend unavailable: libcuda.so.1 not found (no NVIDIA driver on this machine)";
                return false;
            }

            if (_nvrtc == 0 && !TryLoadFirst(
                    ["libnvrtc.so.12", "libnvrtc.so.13", "libnvrtc.so"], dirs, "libnvrtc.so", out _nvrtc))
            {
                reason = $"CUDA backend unavailable: libnvrtc not found in {where} "
                         + "(install the CUDA toolkit or set LD_LIBRARY_PATH)";
                return false;
            }

            if (_cublas == 0)
            {
                // libcublas needs libcublasLt of the same major version. Loading it first from the directory where it
                // was found satisfies libcublas's DT_NEEDED even when that directory is not on the loader's path.
                if (_cublasLt == 0 && !TryLoadFirst(
                        ["libcublasLt.so.12", "libcublasLt.so.13", "libcublasLt.so"], dirs, "libcublasLt.so",
                        out _cublasLt))
                {
                    reason = $"CUDA backend unavailable: libcublasLt not found in {where} "
                             + "(install the CUDA toolkit's cuBLAS or set LD_LIBRARY_PATH)";
                    return false;
                }

                if (!TryLoadFirst(["libcublas.so.12", "libcublas.so.13", "libcublas.so"], dirs, "libcublas.so",
                        out _cublas))
                {
                    reason = $"CUDA backend unavailable: libcublas not found or not loadable in {where} "
                             + "(install the CUDA toolkit's cuBLAS or set LD_LIBRARY_PATH)";
                    return false;
                }
            }

            reason = null;
            return true;
        }
    }

    /// <summary>Registers the import resolver for this assembly (idempotent, thread-safe).</summary>
    internal static void RegisterResolver()
    {
        lock (Gate)
        {
            if (_resolverRegistered)
            {
                return;
            }

            NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
            _resolverRegistered = true;
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName switch
        {
            Driver => Volatile.Read(ref _driver),
            NvrtcName => Volatile.Read(ref _nvrtc),
            CublasName => Volatile.Read(ref _cublas),
            // Zero: the runtime's default probing, which fails with DllNotFoundException for our names when unloaded.
            _ => 0,
        };

    private static bool TryLoadFirst(
        IReadOnlyList<string> sonames, IReadOnlyList<string> dirs, string baseName, out nint handle)
    {
        foreach (var candidate in Candidates(baseName, sonames, dirs))
        {
            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                return true;
            }
        }

        handle = 0;
        return false;
    }

    private static bool IsVersionedName(string fileName, string baseName) =>
        fileName.Length > baseName.Length + 1
        && fileName.StartsWith(baseName + ".", StringComparison.Ordinal)
        && fileName[(baseName.Length + 1)..].All(c => char.IsAsciiDigit(c) || c == '.');

    private static Version ParseVersion(string text)
    {
        var parts = text.Split('.', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.TryParse(p, out var n) ? n : 0)
            .Take(4)
            .ToArray();
        return parts.Length switch
        {
            0 => new Version(0, 0),
            1 => new Version(parts[0], 0),
            2 => new Version(parts[0], parts[1]),
            3 => new Version(parts[0], parts[1], parts[2]),
            _ => new Version(parts[0], parts[1], parts[2], parts[3]),
        };
    }
}
