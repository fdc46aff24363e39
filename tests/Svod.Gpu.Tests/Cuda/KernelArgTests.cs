using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Svod.Gpu.Cuda;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>Each kernel argument is an 8-byte slot whose value starts at offset 0, as the driver reads it.</summary>
public sealed class KernelArgTests
{
    [Fact]
    public void A_slot_is_eight_bytes()
    {
        Assert.Equal(8, Unsafe.SizeOf<KernelArg>());
        Assert.Equal(8, Marshal.SizeOf<KernelArg>());
    }

    [Fact]
    public void An_int_reads_back_from_the_first_four_bytes()
    {
        var bytes = BytesOf(KernelArg.Int(-123456));
        Assert.Equal(-123456, BitConverter.ToInt32(bytes, 0));
        Assert.Equal(0, BitConverter.ToInt32(bytes, 4));
    }

    [Fact]
    public void A_float_reads_back_from_the_first_four_bytes()
    {
        var bytes = BytesOf(KernelArg.Float(-2.5f));
        Assert.Equal(-2.5f, BitConverter.ToSingle(bytes, 0));
        Assert.Equal(0, BitConverter.ToInt32(bytes, 4));
    }

    [Fact]
    public void A_pointer_and_a_long_fill_the_slot()
    {
        const ulong address = 0x7F00_1234_5678_9A00UL;
        Assert.Equal(address, BitConverter.ToUInt64(BytesOf(KernelArg.Pointer(address))));
        Assert.Equal(-5L, BitConverter.ToInt64(BytesOf(KernelArg.Long(-5))));
        Assert.Equal(uint.MaxValue, BitConverter.ToUInt32(BytesOf(KernelArg.UInt(uint.MaxValue))));
    }

    private static byte[] BytesOf(KernelArg arg)
    {
        var bytes = new byte[8];
        MemoryMarshal.Write(bytes, in arg);
        return bytes;
    }
}
