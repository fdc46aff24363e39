using System.Buffers;
using System.Runtime.InteropServices;

namespace Svod.Client;

/// <summary>
/// A replay buffer payload in native memory. A buffer holds its utterance's frames until Acks come: thousands of
/// streams hold a gigabyte, and on the managed heap every collection would trace and move it (a quarter of a load
/// generator's time went to that); out here the GC never sees it. Freed exactly once, by <see cref="Free"/>, which its
/// <see cref="ReplayBuffer"/> calls only while no send of the utterance can be reading it.
/// </summary>
internal sealed unsafe class NativePayload : MemoryManager<byte>
{
    private byte* _bytes;

    public NativePayload(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _bytes = (byte*)NativeMemory.Alloc((nuint)Math.Max(length, 1));
    }

    public int Length { get; }

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_bytes is null, this);
        return new Span<byte>(_bytes, Length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_bytes is null, this);
        return new MemoryHandle(_bytes + elementIndex);
    }

    public override void Unpin()
    {
        // Native memory never moves.
    }

    /// <summary>Returns the memory; a second call does nothing.</summary>
    public void Free()
    {
        if (_bytes is not null)
        {
            NativeMemory.Free(_bytes);
            _bytes = null;
        }
    }

    protected override void Dispose(bool disposing) => Free();
}
