using System.Text;
using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>Compiled kernels loaded into the context current at construction (<c>cuModuleLoadData</c>).</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private readonly nint _context;
    private nint _handle;

    /// <param name="image">A CUBIN (ELF) or PTX text; PTX without a terminating NUL gets one appended, as the driver
    /// reads it as a C string. The driver JIT-compiles PTX for the device.</param>
    public CudaModule(ReadOnlySpan<byte> image)
    {
        if (image.IsEmpty)
        {
            throw new ArgumentException("The module image is empty.", nameof(image));
        }

        var isElf = image.Length >= 4 && image[0] == 0x7F && image[1] == (byte)'E' && image[2] == (byte)'L'
                    && image[3] == (byte)'F';
        byte[]? terminated = null;
        if (!isElf && image[^1] != 0)
        {
            terminated = new byte[image.Length + 1];
            image.CopyTo(terminated);
        }

        _context = ContextScope.Current();
        nint handle;
        fixed (byte* data = terminated is null ? image : terminated)
        {
            CudaDriver.Check(CudaDriver.cuModuleLoadData(&handle, data), "cuModuleLoadData");
        }

        _handle = handle;
    }

    public nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CudaModule));

    /// <summary>The kernel named <paramref name="name"/> (its <c>extern "C"</c> name, or the mangled one).</summary>
    public CudaFunction GetFunction(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var bytes = new byte[Encoding.UTF8.GetByteCount(name) + 1];
        Encoding.UTF8.GetBytes(name, bytes);
        nint function;
        fixed (byte* text = bytes)
        {
            var status = CudaDriver.cuModuleGetFunction(&function, Handle, text);
            if (status != CudaDriver.Success)
            {
                throw CudaDriver.Error(status, "cuModuleGetFunction", $"kernel '{name}'");
            }
        }

        return new CudaFunction(function, name);
    }

    /// <summary>Unloads the module (once); its functions become invalid.</summary>
    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            using var scope = new ContextScope(_context);
            _ = CudaDriver.cuModuleUnload(handle);
        }
    }
}
