using System.Runtime.InteropServices;

namespace Svod.Gpu.Cuda;

/// <summary>
/// One kernel parameter's value in an 8-byte slot. The driver reads each parameter's own size from the start of its
/// slot; on little-endian hosts a 4-byte int or float sits in the low bytes, so one slot type serves pointers
/// (<c>CUdeviceptr</c>, 8 bytes), <c>int</c>/<c>unsigned</c> and <c>float</c> (4 bytes) and 64-bit integers.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
public readonly struct KernelArg : IEquatable<KernelArg>
{
    private readonly ulong _bits;

    private KernelArg(ulong bits) => _bits = bits;

    /// <summary>The slot's 8 bytes as a little-endian integer.</summary>
    public ulong Bits => _bits;

    /// <summary>A device pointer (<c>T*</c> parameter): <see cref="DeviceBuffer{T}.Pointer"/> or
    /// <see cref="DeviceBuffer{T}.At"/>.</summary>
    public static KernelArg Pointer(ulong devicePointer) => new(devicePointer);

    /// <summary>An <c>int</c> parameter (the upper 4 bytes are zero).</summary>
    public static KernelArg Int(int value) => new((uint)value);

    /// <summary>An <c>unsigned int</c> parameter.</summary>
    public static KernelArg UInt(uint value) => new(value);

    /// <summary>A <c>long long</c> parameter.</summary>
    public static KernelArg Long(long value) => new((ulong)value);

    /// <summary>A <c>float</c> parameter (its IEEE bits in the low 4 bytes).</summary>
    public static KernelArg Float(float value) => new(BitConverter.SingleToUInt32Bits(value));

    public bool Equals(KernelArg other) => _bits == other._bits;

    public override bool Equals(object? obj) => obj is KernelArg other && Equals(other);

    public override int GetHashCode() => _bits.GetHashCode();

    public static bool operator ==(KernelArg left, KernelArg right) => left.Equals(right);

    public static bool operator !=(KernelArg left, KernelArg right) => !left.Equals(right);
}
