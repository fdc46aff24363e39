using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>
/// Whether the CUDA backend can run in this process: the libraries load, <c>cuInit</c> succeeds and a device
/// exists. Decided once; every later call returns the cached outcome.
/// </summary>
public static unsafe class CudaRuntime
{
    private static readonly Lazy<State> Initialized = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>True when CUDA is usable; otherwise <paramref name="reason"/> starts with
    /// <c>CUDA backend unavailable: </c> and says what is missing.</summary>
    public static bool TryInitialize(out string? reason)
    {
        var state = Initialized.Value;
        reason = state.Reason;
        return state.Reason is null;
    }

    /// <summary>The number of CUDA devices, 0 where CUDA is unavailable.</summary>
    public static int DeviceCount => Initialized.Value.DeviceCount;

    /// <summary>The CUDA version the installed driver supports, e.g. <c>12.4</c>.</summary>
    /// <exception cref="CudaUnavailableException">CUDA is unavailable.</exception>
    public static string DriverVersion
    {
        get
        {
            EnsureInitialized();
            var version = Initialized.Value.DriverVersion;
            return $"{version / 1000}.{version % 1000 / 10}";
        }
    }

    /// <summary>Throws <see cref="CudaUnavailableException"/> with the reason when CUDA is unavailable.</summary>
    internal static void EnsureInitialized()
    {
        if (!TryInitialize(out var reason))
        {
            throw new CudaUnavailableException(reason!);
        }
    }

    private static State Initialize()
    {
        if (!CudaLibraries.TryLoad(out var reason))
        {
            return new State(reason, 0, 0);
        }

        try
        {
            var status = CudaDriver.cuInit(0);
            if (status != CudaDriver.Success)
            {
                return new State(CudaUnavailableException.Prefix + CudaDriver.Error(status, "cuInit").Message, 0, 0);
            }

            int count;
            CudaDriver.Check(CudaDriver.cuDeviceGetCount(&count), "cuDeviceGetCount");
            if (count == 0)
            {
                return new State(CudaUnavailableException.Prefix + "the NVIDIA driver reports no CUDA device", 0, 0);
            }

            int version;
            CudaDriver.Check(CudaDriver.cuDriverGetVersion(&version), "cuDriverGetVersion");
            return new State(null, count, version);
        }
        catch (CudaException e)
        {
            return new State(CudaUnavailableException.Prefix + e.Message, 0, 0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return new State(CudaUnavailableException.Prefix + "libcuda cannot be used: " + e.Message, 0, 0);
        }
    }

    private sealed record State(string? Reason, int DeviceCount, int DriverVersion);
}
