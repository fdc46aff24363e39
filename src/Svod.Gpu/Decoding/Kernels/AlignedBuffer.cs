using System.Runtime.InteropServices;

namespace Svod.Gpu.Decoding.Kernels;

/// <summary>Zeroed, 64-byte aligned native floats: SIMD loads never split cache lines and the GC never moves them.</summary>
internal sealed unsafe class AlignedBuffer : IDisposable
{
    private float* _data;

    public AlignedBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        var bytes = (nuint)Math.Max(1, length) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_data, bytes);
    }

    public long Length { get; }

    public float* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return _data;
        }
    }

    public Span<float> AsSpan(long start, int length)
    {
        if (start < 0 || length < 0 || start + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(start));
        }

        return new Span<float>(Pointer + start, length);
    }

    public void Dispose()
    {
        if (_data != null)
        {
            NativeMemory.AlignedFree(_data);
            _data = null;
        }
    }
}
