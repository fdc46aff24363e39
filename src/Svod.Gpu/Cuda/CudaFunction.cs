using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>A kernel of a loaded <see cref="CudaModule"/> (<c>CUfunction</c>); valid while the module is.</summary>
public readonly unsafe struct CudaFunction : IEquatable<CudaFunction>
{
    /// <summary>Bounds the stackalloc; real kernels take a few dozen parameters.</summary>
    internal const int MaxArgs = 256;

    internal CudaFunction(nint handle, string name)
    {
        Handle = handle;
        Name = name;
    }

    public nint Handle { get; }

    /// <summary>The name the function was looked up by.</summary>
    public string Name { get; }

    /// <summary>Enqueues a 1-D launch: <paramref name="gridX"/> blocks of <paramref name="blockX"/> threads.</summary>
    public void Launch(
        CudaStream stream, uint gridX, uint blockX, uint sharedBytes, ReadOnlySpan<KernelArg> args) =>
        Launch(stream, gridX, 1, 1, blockX, 1, 1, sharedBytes, args);

    /// <summary>Enqueues a launch on a <paramref name="gridX"/>×<paramref name="gridY"/> grid of 1-D blocks.</summary>
    public void Launch(
        CudaStream stream, uint gridX, uint gridY, uint blockX, uint sharedBytes, ReadOnlySpan<KernelArg> args) =>
        Launch(stream, gridX, gridY, 1, blockX, 1, 1, sharedBytes, args);

    /// <summary>
    /// Enqueues a launch. <paramref name="args"/> are the kernel's parameters in order; they are copied by the driver
    /// during this call (also under graph capture), so the span may be reused at once.
    /// </summary>
    public void Launch(
        CudaStream stream, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, ReadOnlySpan<KernelArg> args)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (Handle == 0)
        {
            throw new InvalidOperationException("The function is default; get one from CudaModule.GetFunction.");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(args.Length, MaxArgs, nameof(args));
        var count = args.Length;
        var values = stackalloc KernelArg[count];
        args.CopyTo(new Span<KernelArg>(values, count));
        var pointers = stackalloc void*[count];
        for (var i = 0; i < count; i++)
        {
            pointers[i] = values + i;
        }

        var status = CudaDriver.cuLaunchKernel(
            Handle, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream.Handle,
            count == 0 ? null : pointers, null);
        if (status != CudaDriver.Success)
        {
            throw CudaDriver.Error(status, "cuLaunchKernel", $"kernel '{Name}'");
        }
    }

    /// <summary>Allows launches with up to <paramref name="bytes"/> of dynamic shared memory (needed above 48 KB;
    /// the device's limit is <see cref="CudaContext.MaxSharedMemoryPerBlockOptin"/>).</summary>
    public void SetMaxDynamicSharedMemory(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var status = CudaDriver.cuFuncSetAttribute(Handle, CudaDriver.FuncAttributeMaxDynamicSharedSizeBytes, bytes);
        if (status != CudaDriver.Success)
        {
            throw CudaDriver.Error(status, "cuFuncSetAttribute", $"kernel '{Name}', {bytes} bytes");
        }
    }

    public bool Equals(CudaFunction other) => Handle == other.Handle;

    public override bool Equals(object? obj) => obj is CudaFunction other && Equals(other);

    public override int GetHashCode() => Handle.GetHashCode();

    public static bool operator ==(CudaFunction left, CudaFunction right) => left.Equals(right);

    public static bool operator !=(CudaFunction left, CudaFunction right) => !left.Equals(right);
}
