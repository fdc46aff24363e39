using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>
/// An executable graph (<c>CUgraphExec</c>) made by <see cref="CudaStream.EndCapture"/>. A launch replays the
/// captured work with the kernel arguments and addresses captured, so the buffers must outlive the graph; it reads
/// their current contents.
/// </summary>
public sealed unsafe class CudaGraph : IDisposable
{
    private readonly nint _context;
    private nint _exec;

    internal CudaGraph(nint exec, nint context)
    {
        _exec = exec;
        _context = context;
    }

    /// <summary>The <c>CUgraphExec</c>.</summary>
    public nint Handle => _exec != 0 ? _exec : throw new ObjectDisposedException(nameof(CudaGraph));

    /// <summary>Enqueues one replay of the graph on <paramref name="stream"/>.</summary>
    public void Launch(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CudaDriver.Check(CudaDriver.cuGraphLaunch(Handle, stream.Handle), "cuGraphLaunch");
    }

    public void Dispose()
    {
        var exec = Interlocked.Exchange(ref _exec, 0);
        if (exec != 0)
        {
            using var scope = new ContextScope(_context);
            _ = CudaDriver.cuGraphExecDestroy(exec);
        }
    }
}
