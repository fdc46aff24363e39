using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>
/// Makes a resource's context current for a release call when the calling thread has another one (or none),
/// and restores the thread's binding afterwards. Used by Dispose, which may run on any thread.
/// </summary>
internal unsafe ref struct ContextScope
{
    private bool _pushed;

    public ContextScope(nint context)
    {
        nint current;
        if (context != 0 && CudaDriver.cuCtxGetCurrent(&current) == CudaDriver.Success && current != context)
        {
            _pushed = CudaDriver.cuCtxPushCurrent_v2(context) == CudaDriver.Success;
        }
    }

    /// <summary>The calling thread's current context, 0 when none.</summary>
    public static nint Current()
    {
        nint current;
        return CudaDriver.cuCtxGetCurrent(&current) == CudaDriver.Success ? current : 0;
    }

    public void Dispose()
    {
        if (_pushed)
        {
            nint popped;
            _ = CudaDriver.cuCtxPopCurrent_v2(&popped);
            _pushed = false;
        }
    }
}
