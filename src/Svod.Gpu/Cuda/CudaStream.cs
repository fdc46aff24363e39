using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>
/// A stream of the context current at construction. Non-blocking by default: it does not synchronize with the
/// legacy default stream (stream 0).
/// </summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly nint _context;
    private nint _handle;

    public CudaStream(bool nonBlocking = true)
    {
        _context = ContextScope.Current();
        nint handle;
        CudaDriver.Check(
            CudaDriver.cuStreamCreate(&handle, nonBlocking ? CudaDriver.StreamNonBlocking : CudaDriver.StreamDefault),
            "cuStreamCreate");
        _handle = handle;
    }

    /// <summary>The <c>CUstream</c>.</summary>
    public nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CudaStream));

    /// <summary>Waits until all work enqueued on this stream has completed.</summary>
    public void Synchronize() => CudaDriver.Check(CudaDriver.cuStreamSynchronize(Handle), "cuStreamSynchronize");

    /// <summary>
    /// Starts recording instead of running the work enqueued on this stream, until <see cref="EndCapture"/>. Thread-
    /// local mode: only this thread's unsafe calls (synchronous allocations, …) are forbidden during the capture.
    /// </summary>
    public void BeginCapture() => CudaDriver.Check(
        CudaDriver.cuStreamBeginCapture_v2(Handle, CudaDriver.StreamCaptureModeThreadLocal),
        "cuStreamBeginCapture_v2");

    /// <summary>Ends the capture and instantiates the recorded work as an executable graph.</summary>
    public CudaGraph EndCapture()
    {
        nint graph;
        CudaDriver.Check(CudaDriver.cuStreamEndCapture(Handle, &graph), "cuStreamEndCapture");
        try
        {
            nint exec;
            CudaDriver.Check(CudaDriver.cuGraphInstantiateWithFlags(&exec, graph, 0), "cuGraphInstantiateWithFlags");
            return new CudaGraph(exec, _context);
        }
        finally
        {
            // The executable graph is independent of its template.
            _ = CudaDriver.cuGraphDestroy(graph);
        }
    }

    /// <summary>Destroys the stream (once); work already enqueued still completes.</summary>
    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            using var scope = new ContextScope(_context);
            _ = CudaDriver.cuStreamDestroy_v2(handle);
        }
    }
}
