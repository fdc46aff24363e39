using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Svod.Gpu.Cuda.Native;

/// <summary>
/// NVRTC (nvrtc.h): runtime compilation of CUDA C++ to PTX or CUBIN. Every function but
/// <see cref="nvrtcGetErrorString"/> returns an <c>nvrtcResult</c> (0 = success). <c>nvrtcProgram</c> is an
/// <c>nint</c>; strings are NUL-terminated UTF-8. Call only after <see cref="CudaLibraries.TryLoad"/> succeeded.
/// </summary>
internal static unsafe partial class Nvrtc
{
    internal const int Success = 0;
    internal const int ErrorCompilation = 6;

    static Nvrtc() => CudaLibraries.RegisterResolver();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(int status, string call)
    {
        if (status != Success)
        {
            Throw(status, call);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    [DoesNotReturn]
    private static void Throw(int status, string call) => throw Error(status, call, detail: null);

    /// <summary>The exception for a failed <c>nvrtcResult</c>; <paramref name="detail"/> (a compile log) is its
    /// description.</summary>
    internal static CudaException Error(int status, string call, string? detail)
    {
        // nvrtcGetErrorString returns the enumerator's name ("NVRTC_ERROR_COMPILATION"), not a sentence.
        var name = NativeName(status) ?? CudaErrorNames.NvrtcName(status);
        return new CudaException(call, status, name, detail ?? "NVRTC call failed");
    }

    private static string? NativeName(int status)
    {
        if (!CudaLibraries.NvrtcLoaded)
        {
            return null;
        }

        try
        {
            var text = nvrtcGetErrorString(status);
            return text == null ? null : Marshal.PtrToStringUTF8((nint)text);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcVersion(int* major, int* minor);

    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcGetNumSupportedArchs(int* numArchs);

    /// <summary>Fills <paramref name="supportedArchs"/> (length from <see cref="nvrtcGetNumSupportedArchs"/>)
    /// with the sm numbers NVRTC can target, ascending (e.g. 50, 52, …, 90).</summary>
    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcGetSupportedArchs(int* supportedArchs);

    /// <summary><c>headers</c>/<c>includeNames</c>: <paramref name="numHeaders"/> strings each, or null.</summary>
    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcCreateProgram(
        nint* program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);

    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcCompileProgram(nint program, int numOptions, byte** options);

    /// <summary>The size includes the terminating NUL.</summary>
    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcGetProgramLogSize(nint program, nuint* logSize);

    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcGetProgramLog(nint program, byte* log);

    /// <summary>The size includes the terminating NUL.</summary>
    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcGetPTXSize(nint program, nuint* ptxSize);

    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcGetPTX(nint program, byte* ptx);

    /// <summary>Valid only when the program was compiled for a real architecture (<c>sm_XY</c>).</summary>
    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcGetCUBINSize(nint program, nuint* cubinSize);

    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcGetCUBIN(nint program, byte* cubin);

    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial int nvrtcDestroyProgram(nint* program);

    /// <summary>A static string owned by NVRTC.</summary>
    [LibraryImport(CudaLibraries.NvrtcName)]
    internal static partial byte* nvrtcGetErrorString(int result);
}
