using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>
/// <see cref="Length"/> elements of <typeparamref name="T"/> in device memory (<c>cuMemAlloc</c>, 256-byte aligned),
/// allocated in the context current at construction. A zero-length buffer allocates nothing, has pointer 0 and
/// never calls the driver. Offsets and counts are in elements.
/// </summary>
public sealed unsafe class DeviceBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly nint _context;
    private ulong _pointer;
    private bool _disposed;

    public DeviceBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        Bytes = checked(length * sizeof(T));
        if (length > 0)
        {
            _context = ContextScope.Current();
            ulong pointer;
            CudaDriver.Check(CudaDriver.cuMemAlloc_v2(&pointer, (nuint)Bytes), "cuMemAlloc_v2");
            _pointer = pointer;
        }
    }

    public long Length { get; }

    public long Bytes { get; }

    /// <summary>The device address of element 0 (<c>CUdeviceptr</c>); 0 for an empty buffer.</summary>
    public ulong Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _pointer;
        }
    }

    /// <summary>The device address of element <paramref name="index"/>.</summary>
    public ulong At(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Length);
        return Pointer + (ulong)(index * sizeof(T));
    }

    /// <summary>
    /// Copies <paramref name="source"/> to elements <c>[offset, offset + source.Length)</c> and waits for the copy.
    /// Runs on the legacy default stream, which does not order against non-blocking <see cref="CudaStream"/>s: use it
    /// for uploads before the streams' work, not between their steps.
    /// </summary>
    public void CopyFrom(ReadOnlySpan<T> source, long offset = 0)
    {
        CheckRange(offset, source.Length, Length);
        if (source.IsEmpty)
        {
            return;
        }

        fixed (T* host = source)
        {
            CudaDriver.Check(
                CudaDriver.cuMemcpyHtoD_v2(At(offset), host, (nuint)(source.Length * (long)sizeof(T))),
                "cuMemcpyHtoD_v2");
        }

        // A copy from pageable memory may return once staged; waiting on the legacy stream makes it complete.
        CudaDriver.Check(CudaDriver.cuStreamSynchronize(0), "cuStreamSynchronize");
    }

    /// <summary>
    /// Copies elements <c>[offset, offset + destination.Length)</c> to <paramref name="destination"/>, returning when
    /// done. It does not wait for work on non-blocking streams: synchronize the stream that wrote the buffer first.
    /// </summary>
    public void CopyTo(Span<T> destination, long offset = 0)
    {
        CheckRange(offset, destination.Length, Length);
        if (destination.IsEmpty)
        {
            return;
        }

        fixed (T* host = destination)
        {
            CudaDriver.Check(
                CudaDriver.cuMemcpyDtoH_v2(host, At(offset), (nuint)(destination.Length * (long)sizeof(T))),
                "cuMemcpyDtoH_v2");
        }
    }

    /// <summary>Enqueues a copy of <paramref name="count"/> elements from page-locked host memory.</summary>
    public void CopyFromAsync(
        PinnedBuffer<T> source, long sourceOffset, long offset, long count, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(sourceOffset, count, source.Length);
        CheckRange(offset, count, Length);
        if (count == 0)
        {
            return;
        }

        CudaDriver.Check(
            CudaDriver.cuMemcpyHtoDAsync_v2(
                At(offset), (void*)(source.Pointer + (nint)(sourceOffset * sizeof(T))), (nuint)(count * sizeof(T)),
                stream.Handle),
            "cuMemcpyHtoDAsync_v2");
    }

    /// <summary>Enqueues a copy of <paramref name="count"/> elements to page-locked host memory.</summary>
    public void CopyToAsync(
        PinnedBuffer<T> destination, long destinationOffset, long offset, long count, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(destinationOffset, count, destination.Length);
        CheckRange(offset, count, Length);
        if (count == 0)
        {
            return;
        }

        CudaDriver.Check(
            CudaDriver.cuMemcpyDtoHAsync_v2(
                (void*)(destination.Pointer + (nint)(destinationOffset * sizeof(T))), At(offset),
                (nuint)(count * sizeof(T)), stream.Handle),
            "cuMemcpyDtoHAsync_v2");
    }

    /// <summary>Enqueues a device-to-device copy of <paramref name="count"/> elements.</summary>
    public void CopyFromAsync(
        DeviceBuffer<T> source, long sourceOffset, long offset, long count, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(sourceOffset, count, source.Length);
        CheckRange(offset, count, Length);
        if (count == 0)
        {
            return;
        }

        CudaDriver.Check(
            CudaDriver.cuMemcpyDtoDAsync_v2(At(offset), source.At(sourceOffset), (nuint)(count * sizeof(T)),
                stream.Handle),
            "cuMemcpyDtoDAsync_v2");
    }

    /// <summary>Enqueues zeroing the whole buffer.</summary>
    public void ClearAsync(CudaStream stream) => ClearAsync(0, Length, stream);

    /// <summary>Enqueues zeroing elements <c>[offset, offset + count)</c>.</summary>
    public void ClearAsync(long offset, long count, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(offset, count, Length);
        if (count == 0)
        {
            return;
        }

        var start = At(offset);
        var bytes = count * sizeof(T);
        if (start % 4 == 0 && bytes % 4 == 0)
        {
            CudaDriver.Check(
                CudaDriver.cuMemsetD32Async(start, 0, (nuint)(bytes / 4), stream.Handle), "cuMemsetD32Async");
        }
        else
        {
            CudaDriver.Check(CudaDriver.cuMemsetD8Async(start, 0, (nuint)bytes, stream.Handle), "cuMemsetD8Async");
        }
    }

    /// <summary>Frees the memory (once). Errors are ignored: a failing free means the context is already lost.
    /// </summary>
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
            _ = CudaDriver.cuMemFree_v2(pointer);
        }
    }

    internal static void CheckRange(long offset, long count, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, length - offset);
    }
}
