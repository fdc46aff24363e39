using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>
/// <see cref="Length"/> elements of page-locked host memory (<c>cuMemAllocHost</c>), the source and destination of
/// asynchronous copies. Allocated in the context current at construction; zero length allocates nothing.
/// </summary>
public sealed unsafe class PinnedBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly nint _context;
    private nint _pointer;
    private bool _disposed;

    public PinnedBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        if (length > 0)
        {
            _context = ContextScope.Current();
            void* pointer;
            CudaDriver.Check(
                CudaDriver.cuMemAllocHost_v2(&pointer, (nuint)checked(length * sizeof(T))), "cuMemAllocHost_v2");
            _pointer = (nint)pointer;
        }
    }

    public long Length { get; }

    /// <summary>The host address of element 0; 0 for an empty buffer.</summary>
    public nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _pointer;
        }
    }

    /// <summary>The whole buffer (at most <see cref="int.MaxValue"/> elements).</summary>
    public Span<T> AsSpan() => new((void*)Pointer, checked((int)Length));

    /// <summary>Elements <c>[start, start + length)</c>.</summary>
    public Span<T> AsSpan(long start, int length)
    {
        DeviceBuffer<T>.CheckRange(start, length, Length);
        return new Span<T>((void*)(Pointer + (nint)(start * sizeof(T))), length);
    }

    /// <summary>Frees the memory (once); errors are ignored as in <see cref="DeviceBuffer{T}.Dispose"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var pointer = Interlocked.Exchange(ref _pointer, 0);
        if (pointer != 0)
        {
            using var scope = new ContextScope(_context);
            _ = CudaDriver.cuMemFreeHost((void*)pointer);
        }
    }
}
