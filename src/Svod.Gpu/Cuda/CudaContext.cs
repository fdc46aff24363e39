using System.Text;
using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>
/// The primary context of one device, retained for this owner's lifetime. CUDA binds a context per thread: call
/// <see cref="MakeCurrent"/> (cheap) at the top of every public backend method, because lane-pool threads are not
/// the thread that created the context. Buffers, streams, modules and cuBLAS handles belong to the context current
/// when they are created.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly int _deviceHandle;
    private nint _handle;

    private CudaContext(int device, int deviceHandle, nint handle)
    {
        Device = device;
        _deviceHandle = deviceHandle;
        _handle = handle;
        Name = "";
    }

    /// <summary>The device ordinal.</summary>
    public int Device { get; }

    public string Name { get; private init; }

    public (int Major, int Minor) ComputeCapability { get; private init; }

    public int MultiprocessorCount { get; private init; }

    /// <summary>Device memory in bytes.</summary>
    public long TotalMemory { get; private init; }

    /// <summary>The most dynamic shared memory a block may opt in to (bytes), for
    /// <see cref="CudaFunction.SetMaxDynamicSharedMemory"/>.</summary>
    public int MaxSharedMemoryPerBlockOptin { get; private init; }

    /// <summary>The <c>CUcontext</c>.</summary>
    public nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CudaContext));

    /// <summary>Retains device <paramref name="device"/>'s primary context and makes it current on this thread.
    /// </summary>
    /// <exception cref="CudaUnavailableException">CUDA is unavailable on this machine.</exception>
    public static CudaContext Create(int device = 0)
    {
        CudaRuntime.EnsureInitialized();
        ArgumentOutOfRangeException.ThrowIfNegative(device);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(device, CudaRuntime.DeviceCount);

        int deviceHandle;
        CudaDriver.Check(CudaDriver.cuDeviceGet(&deviceHandle, device), "cuDeviceGet");
        nint context;
        CudaDriver.Check(CudaDriver.cuDevicePrimaryCtxRetain(&context, deviceHandle), "cuDevicePrimaryCtxRetain");
        try
        {
            CudaDriver.Check(CudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            var name = stackalloc byte[256];
            CudaDriver.Check(CudaDriver.cuDeviceGetName(name, 256, deviceHandle), "cuDeviceGetName");
            var nameBytes = new ReadOnlySpan<byte>(name, 256);
            var nameEnd = nameBytes.IndexOf((byte)0);
            nuint total;
            CudaDriver.Check(CudaDriver.cuDeviceTotalMem_v2(&total, deviceHandle), "cuDeviceTotalMem_v2");
            return new CudaContext(device, deviceHandle, context)
            {
                Name = Encoding.UTF8.GetString(nameEnd < 0 ? nameBytes : nameBytes[..nameEnd]),
                ComputeCapability = (Attribute(deviceHandle, CudaDriver.AttributeComputeCapabilityMajor),
                    Attribute(deviceHandle, CudaDriver.AttributeComputeCapabilityMinor)),
                MultiprocessorCount = Attribute(deviceHandle, CudaDriver.AttributeMultiprocessorCount),
                MaxSharedMemoryPerBlockOptin =
                    Attribute(deviceHandle, CudaDriver.AttributeMaxSharedMemoryPerBlockOptin),
                TotalMemory = (long)total,
            };
        }
        catch
        {
            _ = CudaDriver.cuDevicePrimaryCtxRelease_v2(deviceHandle);
            throw;
        }
    }

    /// <summary>Free and total device memory in bytes (<c>cuMemGetInfo</c>).</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CudaDriver.Check(CudaDriver.cuMemGetInfo_v2(&free, &total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    /// <summary>Binds this context to the calling thread.</summary>
    public void MakeCurrent() => CudaDriver.Check(CudaDriver.cuCtxSetCurrent(Handle), "cuCtxSetCurrent");

    /// <summary>Waits for all work in this context, on every stream.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        CudaDriver.Check(CudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /// <summary>Releases the primary context; the driver destroys it when the last retainer releases it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _handle, 0) != 0)
        {
            // Nothing to recover from here: a failing release means the context is already gone.
            _ = CudaDriver.cuDevicePrimaryCtxRelease_v2(_deviceHandle);
        }
    }

    private static int Attribute(int deviceHandle, int attribute)
    {
        int value;
        CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(&value, attribute, deviceHandle), "cuDeviceGetAttribute");
        return value;
    }
}
