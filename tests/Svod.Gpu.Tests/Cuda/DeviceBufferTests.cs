using Svod.Gpu.Cuda;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>Buffer arguments are checked before any driver call; empty buffers need no driver at all.</summary>
public sealed class DeviceBufferTests
{
    [Fact]
    public void An_empty_buffer_has_pointer_zero_and_needs_no_driver()
    {
        using var buffer = new DeviceBuffer<float>(0);
        using var pinned = new PinnedBuffer<float>(0);
        Assert.Equal(0UL, buffer.Pointer);
        Assert.Equal(0, buffer.Bytes);
        Assert.True(pinned.AsSpan().IsEmpty);
        buffer.CopyFrom([]);
        buffer.CopyTo([]);
    }

    [Fact]
    public void Ranges_outside_the_buffer_are_rejected()
    {
        using var buffer = new DeviceBuffer<float>(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceBuffer<float>(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFrom(new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyTo(new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.At(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFrom([], offset: 1));
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(0, 10, 10)]
    [InlineData(10, 0, 10)]
    [InlineData(3, 7, 10)]
    public void Ranges_inside_the_buffer_are_accepted(long offset, long count, long length) =>
        DeviceBuffer<float>.CheckRange(offset, count, length);

    [Theory]
    [InlineData(-1, 0, 10)]
    [InlineData(0, -1, 10)]
    [InlineData(11, 0, 10)]
    [InlineData(4, 7, 10)]
    [InlineData(1, long.MaxValue, 10)]
    public void Ranges_past_the_buffer_are_rejected(long offset, long count, long length) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DeviceBuffer<float>.CheckRange(offset, count, length));

    [Fact]
    public void A_disposed_buffer_refuses_its_pointer_and_disposes_once()
    {
        var buffer = new DeviceBuffer<int>(0);
        buffer.Dispose();
        buffer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => buffer.Pointer);
    }
}
