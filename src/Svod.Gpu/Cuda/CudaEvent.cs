using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>A point in a stream's work, for timing and waiting (<c>CUevent</c>).</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private readonly nint _context;
    private nint _handle;

    /// <param name="timing">False creates the event with <c>CU_EVENT_DISABLE_TIMING</c> (cheaper to record).</param>
    public CudaEvent(bool timing = true)
    {
        _context = ContextScope.Current();
        nint handle;
        CudaDriver.Check(
            CudaDriver.cuEventCreate(&handle, timing ? CudaDriver.EventDefault : CudaDriver.EventDisableTiming),
            "cuEventCreate");
        _handle = handle;
    }

    public nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CudaEvent));

    /// <summary>Enqueues the event: it completes when the work enqueued before it on the stream has.</summary>
    public void Record(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CudaDriver.Check(CudaDriver.cuEventRecord(Handle, stream.Handle), "cuEventRecord");
    }

    /// <summary>Waits until the event has completed.</summary>
    public void Synchronize() => CudaDriver.Check(CudaDriver.cuEventSynchronize(Handle), "cuEventSynchronize");

    /// <summary>Milliseconds (resolution about 0.5 µs) between two completed events recorded with timing.</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        float milliseconds;
        CudaDriver.Check(
            CudaDriver.cuEventElapsedTime(&milliseconds, start.Handle, end.Handle), "cuEventElapsedTime");
        return milliseconds;
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            using var scope = new ContextScope(_context);
            _ = CudaDriver.cuEventDestroy_v2(handle);
        }
    }
}
