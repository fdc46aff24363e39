using Svod.Gpu.Cuda;
using Xunit.Abstractions;

namespace Svod.Gpu.Tests.Cuda;

/// <summary>
/// The bindings against a real device: copies, an NVRTC-compiled kernel, a replayed graph, cuBLAS. Each test skips
/// with the reason where CUDA is unavailable.
/// </summary>
public sealed class CudaDeviceTests(ITestOutputHelper output) : IDisposable
{
    private const string KernelSource = """
        extern "C" __global__ void add_one(float* data, int n)
        {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) data[i] += 1.0f;
        }

        extern "C" __global__ void axpb(float* y, const float* x, float a, float b, int n)
        {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) y[i] = a * x[i] + b;
        }
        """;

    private readonly TempDirectory _cache = new();

    public void Dispose() => _cache.Dispose();

    [Fact]
    public void A_device_buffer_round_trips_host_data()
    {
        if (Unavailable())
        {
            return;
        }

        using var context = CudaContext.Create();
        var data = Enumerable.Range(0, 1000).Select(i => i * 0.5f).ToArray();
        using var buffer = new DeviceBuffer<float>(data.Length);
        Assert.Equal(4000, buffer.Bytes);
        Assert.Equal(buffer.Pointer + 40, buffer.At(10));

        buffer.CopyFrom(data);
        var back = new float[data.Length];
        buffer.CopyTo(back);
        Assert.Equal(data, back);

        buffer.CopyFrom(new float[] { -1, -2 }, offset: 998);
        var tail = new float[3];
        buffer.CopyTo(tail, offset: 997);
        Assert.Equal(new[] { data[997], -1, -2 }, tail);

        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyFrom(new float[2], offset: 999));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.At(1000));
    }

    [Fact]
    public void Pinned_copies_and_clears_run_in_stream_order()
    {
        if (Unavailable())
        {
            return;
        }

        using var context = CudaContext.Create();
        using var stream = new CudaStream();
        using var host = new PinnedBuffer<int>(64);
        using var device = new DeviceBuffer<int>(64);
        using var copy = new DeviceBuffer<int>(64);
        using var start = new CudaEvent();
        using var end = new CudaEvent();
        for (var i = 0; i < 64; i++)
        {
            host.AsSpan()[i] = i + 1;
        }

        start.Record(stream);
        device.CopyFromAsync(host, 0, 0, 64, stream);
        copy.CopyFromAsync(device, 8, 0, 56, stream);
        device.ClearAsync(16, 8, stream);
        device.CopyToAsync(host, 0, 0, 32, stream);
        end.Record(stream);
        end.Synchronize();

        Assert.Equal(Enumerable.Range(1, 16), host.AsSpan(0, 16).ToArray());
        Assert.All(host.AsSpan(16, 8).ToArray(), v => Assert.Equal(0, v));
        Assert.Equal(Enumerable.Range(25, 8), host.AsSpan(24, 8).ToArray());
        var copied = new int[56];
        copy.CopyTo(copied);
        Assert.Equal(Enumerable.Range(9, 56), copied);
        Assert.True(CudaEvent.ElapsedMilliseconds(start, end) >= 0);
    }

    [Fact]
    public void An_nvrtc_compiled_kernel_runs_and_its_image_is_cached()
    {
        if (Unavailable())
        {
            return;
        }

        using var context = CudaContext.Create();
        var image = NvrtcCompiler.Compile(KernelSource, "test_kernels.cu", context.ComputeCapability, _cache.Path);
        var cached = Assert.Single(Directory.GetFiles(_cache.Path));
        output.WriteLine($"{Path.GetFileName(cached)}: {image.Length} bytes");
        Assert.Equal(image, File.ReadAllBytes(cached));
        Assert.Equal(image, NvrtcCompiler.Compile(
            KernelSource, "test_kernels.cu", context.ComputeCapability, _cache.Path));

        using var module = new CudaModule(image);
        var addOne = module.GetFunction("add_one");
        var axpb = module.GetFunction("axpb");
        using var stream = new CudaStream();
        const int n = 1000;
        var x = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        using var data = new DeviceBuffer<float>(n);
        using var y = new DeviceBuffer<float>(n);
        data.CopyFrom(x);

        addOne.Launch(stream, (n + 255) / 256, 256, 0, [KernelArg.Pointer(data.Pointer), KernelArg.Int(n)]);
        axpb.Launch(stream, (n + 127) / 128, 128, 0,
        [
            KernelArg.Pointer(y.Pointer), KernelArg.Pointer(data.Pointer), KernelArg.Float(2.5f),
            KernelArg.Float(-1), KernelArg.Int(n),
        ]);
        stream.Synchronize();

        var result = new float[n];
        y.CopyTo(result);
        Assert.Equal(x.Select(v => (2.5f * (v + 1)) - 1), result);
    }

    [Fact]
    public void A_missing_kernel_and_a_compile_error_are_named()
    {
        if (Unavailable())
        {
            return;
        }

        using var context = CudaContext.Create();
        var compile = Assert.Throws<CudaException>(() => NvrtcCompiler.Compile(
            "extern \"C\" __global__ void broken(float* x) { x[0] = undefined_name; }", "broken.cu",
            context.ComputeCapability, _cache.Path));
        output.WriteLine(compile.Message);
        Assert.Equal("NVRTC_ERROR_COMPILATION", compile.ErrorName);
        Assert.Contains("undefined_name", compile.Message, StringComparison.Ordinal);

        using var module = new CudaModule(NvrtcCompiler.Compile(
            KernelSource, "test_kernels.cu", context.ComputeCapability, _cache.Path));
        var missing = Assert.Throws<CudaException>(() => module.GetFunction("no_such_kernel"));
        Assert.Equal("CUDA_ERROR_NOT_FOUND", missing.ErrorName);
        Assert.Contains("no_such_kernel", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_captured_graph_replays_its_work_each_launch()
    {
        if (Unavailable())
        {
            return;
        }

        using var context = CudaContext.Create();
        using var module = new CudaModule(NvrtcCompiler.Compile(
            KernelSource, "test_kernels.cu", context.ComputeCapability, _cache.Path));
        var addOne = module.GetFunction("add_one");
        using var stream = new CudaStream();
        const int n = 300;
        using var data = new DeviceBuffer<float>(n);
        data.CopyFrom(new float[n]);

        stream.BeginCapture();
        addOne.Launch(stream, 2, 256, 0, [KernelArg.Pointer(data.Pointer), KernelArg.Int(n)]);
        using var graph = stream.EndCapture();
        stream.Synchronize();
        var afterCapture = new float[n];
        data.CopyTo(afterCapture);
        Assert.All(afterCapture, v => Assert.Equal(0f, v));

        graph.Launch(stream);
        graph.Launch(stream);
        stream.Synchronize();

        var result = new float[n];
        data.CopyTo(result);
        Assert.All(result, v => Assert.Equal(2f, v));
    }

    [Fact]
    public void Cublas_linear_row_major_matches_a_cpu_loop()
    {
        if (Unavailable())
        {
            return;
        }

        using var context = CudaContext.Create();
        using var stream = new CudaStream();
        using var cublas = new CublasHandle(stream);
        const int rows = 5, inFeatures = 37, outFeatures = 19;
        var random = new Random(7);
        var x = Enumerable.Range(0, rows * inFeatures).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, outFeatures * inFeatures).Select(_ => (float)(random.NextDouble() - 0.5))
            .ToArray();
        var bias = Enumerable.Range(0, rows * outFeatures).Select(_ => (float)random.NextDouble()).ToArray();
        using var dx = new DeviceBuffer<float>(x.Length);
        using var dw = new DeviceBuffer<float>(w.Length);
        using var dy = new DeviceBuffer<float>(bias.Length);
        dx.CopyFrom(x);
        dw.CopyFrom(w);
        dy.CopyFrom(bias);

        cublas.LinearRowMajor(dx.Pointer, rows, inFeatures, dw.Pointer, outFeatures, dy.Pointer, beta: 1);
        stream.Synchronize();
        var y = new float[bias.Length];
        dy.CopyTo(y);

        for (var r = 0; r < rows; r++)
        {
            for (var o = 0; o < outFeatures; o++)
            {
                double expected = bias[(r * outFeatures) + o];
                for (var i = 0; i < inFeatures; i++)
                {
                    expected += (double)x[(r * inFeatures) + i] * w[(o * inFeatures) + i];
                }

                Assert.Equal(expected, y[(r * outFeatures) + o], 1e-4);
            }
        }
    }

    [Fact]
    public void Cublas_mixed_precision_linear_matches_a_cpu_loop_on_the_rounded_operands()
    {
        if (Unavailable())
        {
            return;
        }

        using var context = CudaContext.Create();
        using var stream = new CudaStream();
        using var cublas = new CublasHandle(stream);
        const int rows = 3, inFeatures = 64, outFeatures = 8;
        var random = new Random(11);
        var x = Enumerable.Range(0, rows * inFeatures).Select(_ => (Half)(random.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, outFeatures * inFeatures).Select(_ => (Half)(random.NextDouble() - 0.5)).ToArray();
        using var dx = new DeviceBuffer<Half>(x.Length);
        using var dw = new DeviceBuffer<Half>(w.Length);
        using var dy = new DeviceBuffer<float>(rows * outFeatures);
        dx.CopyFrom(x);
        dw.CopyFrom(w);

        cublas.LinearRowMajorMixed(dx.Pointer, rows, inFeatures, dw.Pointer, outFeatures, dy.Pointer,
            CudaDataType.Float16);
        stream.Synchronize();
        var y = new float[rows * outFeatures];
        dy.CopyTo(y);

        for (var r = 0; r < rows; r++)
        {
            for (var o = 0; o < outFeatures; o++)
            {
                var expected = 0.0;
                for (var i = 0; i < inFeatures; i++)
                {
                    expected += (double)x[(r * inFeatures) + i] * (double)w[(o * inFeatures) + i];
                }

                Assert.Equal(expected, y[(r * outFeatures) + o], 1e-3);
            }
        }
    }

    [Fact]
    public void Strided_batched_sgemm_multiplies_each_matrix_pair()
    {
        if (Unavailable())
        {
            return;
        }

        using var context = CudaContext.Create();
        using var stream = new CudaStream();
        using var cublas = new CublasHandle(stream);
        // Two column-major 2×2 products: C_i = A_i · B_i.
        float[] a = [1, 2, 3, 4, /**/ 0, 1, 1, 0];
        float[] b = [1, 0, 0, 1, /**/ 2, 3, 4, 5];
        using var da = new DeviceBuffer<float>(8);
        using var db = new DeviceBuffer<float>(8);
        using var dc = new DeviceBuffer<float>(8);
        da.CopyFrom(a);
        db.CopyFrom(b);

        cublas.SgemmStridedBatched(
            false, false, 2, 2, 2, 1, da.Pointer, 2, 4, db.Pointer, 2, 4, 0, dc.Pointer, 2, 4, batchCount: 2);
        stream.Synchronize();
        var c = new float[8];
        dc.CopyTo(c);

        Assert.Equal(new float[] { 1, 2, 3, 4, /**/ 3, 2, 5, 4 }, c);
    }

    private bool Unavailable() =>
        RequiredTool.Skip(CudaRuntime.TryInitialize(out var reason) ? null : reason, output);
}
