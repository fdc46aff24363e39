using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Svod.Gpu.Cuda.Native;

/// <summary>
/// The CUDA driver API (cuda.h), the subset Svod uses. Every function returns a <c>CUresult</c> (0 = success),
/// checked with <see cref="Check"/>. Handles (<c>CUcontext</c>, <c>CUstream</c>, …) are <c>nint</c>;
/// <c>CUdevice</c> is an <c>int</c> ordinal handle; <c>CUdeviceptr</c> is a 64-bit <c>ulong</c>; <c>size_t</c> is
/// <c>nuint</c>. The <c>_v2</c> names are the exported symbols the header's macros map the plain names to.
/// Call only after <see cref="CudaLibraries.TryLoad"/> succeeded.
/// </summary>
internal static unsafe partial class CudaDriver
{
    internal const int Success = 0;
    internal const int ErrorNotReady = 600;

    // CUdevice_attribute
    internal const int AttributeMaxThreadsPerBlock = 1;
    internal const int AttributeMaxSharedMemoryPerBlock = 8;
    internal const int AttributeMultiprocessorCount = 16;
    internal const int AttributeComputeCapabilityMajor = 75;
    internal const int AttributeComputeCapabilityMinor = 76;
    internal const int AttributeMaxSharedMemoryPerBlockOptin = 97;

    // CUfunction_attribute
    internal const int FuncAttributeMaxDynamicSharedSizeBytes = 8;

    // CUstream_flags
    internal const uint StreamDefault = 0;
    internal const uint StreamNonBlocking = 1;

    // CUstreamCaptureMode
    internal const int StreamCaptureModeGlobal = 0;
    internal const int StreamCaptureModeThreadLocal = 1;
    internal const int StreamCaptureModeRelaxed = 2;

    // CUevent_flags
    internal const uint EventDefault = 0;
    internal const uint EventBlockingSync = 1;
    internal const uint EventDisableTiming = 2;

    static CudaDriver() => CudaLibraries.RegisterResolver();

    /// <summary>Throws a <see cref="CudaException"/> for a failed <c>CUresult</c>.</summary>
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
    private static void Throw(int status, string call) => throw Error(status, call);

    /// <summary>The exception for a failed <c>CUresult</c>: names from the driver, else from the fallback table.
    /// </summary>
    /// <param name="subject">What the call was about (<c>kernel 'add_one'</c>), appended to the description.</param>
    internal static CudaException Error(int status, string call, string? subject = null)
    {
        var name = NativeString(status, name: true) ?? CudaErrorNames.DriverName(status);
        var description = NativeString(status, name: false) ?? CudaErrorNames.DriverDescription(status);
        return new CudaException(call, status, name, subject is null ? description : $"{description} ({subject})");
    }

    private static string? NativeString(int status, bool name)
    {
        if (!CudaLibraries.DriverLoaded)
        {
            return null;
        }

        try
        {
            byte* text = null;
            var rc = name ? cuGetErrorName(status, &text) : cuGetErrorString(status, &text);
            return rc == Success && text != null ? Marshal.PtrToStringUTF8((nint)text) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // Initialization, version, devices

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuInit(uint flags);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuDriverGetVersion(int* driverVersion);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuDeviceGetCount(int* count);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuDeviceGet(int* device, int ordinal);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuDeviceGetAttribute(int* value, int attribute, int device);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuDeviceTotalMem_v2(nuint* bytes, int device);

    // Contexts

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuDevicePrimaryCtxRetain(nint* context, int device);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuDevicePrimaryCtxRelease_v2(int device);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuCtxSetCurrent(nint context);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuCtxGetCurrent(nint* context);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuCtxPushCurrent_v2(nint context);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuCtxPopCurrent_v2(nint* context);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuCtxSynchronize();

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemGetInfo_v2(nuint* free, nuint* total);

    // Modules and launches

    /// <summary><paramref name="image"/>: a CUBIN/fatbin, or NUL-terminated PTX text.</summary>
    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuModuleLoadData(nint* module, void* image);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuModuleUnload(nint module);

    /// <summary><paramref name="name"/>: NUL-terminated UTF-8 (the kernel's <c>extern "C"</c> name).</summary>
    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuModuleGetFunction(nint* function, nint module, byte* name);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuFuncSetAttribute(nint function, int attribute, int value);

    /// <summary>
    /// <paramref name="kernelParams"/>: one pointer per kernel parameter, to that parameter's value; the driver copies
    /// the values before returning, so they may live on the caller's stack. <paramref name="extra"/> is null here.
    /// </summary>
    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuLaunchKernel(
        nint function,
        uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ,
        uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    // Memory

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemAlloc_v2(ulong* devicePointer, nuint bytes);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemFree_v2(ulong devicePointer);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemAllocHost_v2(void** hostPointer, nuint bytes);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemFreeHost(void* hostPointer);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemcpyDtoDAsync_v2(ulong destination, ulong source, nuint bytes, nint stream);

    /// <summary><paramref name="count"/> is in bytes.</summary>
    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);

    /// <summary><paramref name="count"/> is in 32-bit words; <paramref name="destination"/> 4-byte aligned.</summary>
    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    // Streams and graphs

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuStreamCreate(nint* stream, uint flags);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuStreamDestroy_v2(nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuStreamSynchronize(nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuStreamBeginCapture_v2(nint stream, int mode);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuStreamEndCapture(nint stream, nint* graph);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuGraphInstantiateWithFlags(nint* graphExec, nint graph, ulong flags);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuGraphLaunch(nint graphExec, nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuGraphExecDestroy(nint graphExec);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuGraphDestroy(nint graph);

    // Events

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuEventCreate(nint* @event, uint flags);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuEventRecord(nint @event, nint stream);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuEventSynchronize(nint @event);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuEventElapsedTime(float* milliseconds, nint start, nint end);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuEventDestroy_v2(nint @event);

    // Errors: the strings are static, owned by the driver.

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuGetErrorName(int error, byte** text);

    [LibraryImport(CudaLibraries.Driver)]
    internal static partial int cuGetErrorString(int error, byte** text);
}
