using System.Collections.Frozen;

namespace Svod.Gpu.Cuda.Native;

/// <summary>
/// Names and descriptions of the common status codes, used when the library cannot be asked (it is not loaded, or
/// <c>cuGetErrorName</c> itself fails), so an exception message is still readable. Values from cuda.h, nvrtc.h and
/// cublas_api.h (CUDA 12).
/// </summary>
internal static class CudaErrorNames
{
    private static readonly FrozenDictionary<int, (string Name, string Description)> Driver =
        new Dictionary<int, (string, string)>
        {
            [0] = ("CUDA_SUCCESS", "no error"),
            [1] = ("CUDA_ERROR_INVALID_VALUE", "invalid argument"),
            [2] = ("CUDA_ERROR_OUT_OF_MEMORY", "out of memory"),
            [3] = ("CUDA_ERROR_NOT_INITIALIZED", "initialization error"),
            [4] = ("CUDA_ERROR_DEINITIALIZED", "driver shutting down"),
            [5] = ("CUDA_ERROR_PROFILER_DISABLED", "profiler disabled while using external profiling tool"),
            [34] = ("CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"),
            [35] = ("CUDA_ERROR_INSUFFICIENT_DRIVER",
                "CUDA driver version is insufficient for CUDA runtime version"),
            [46] = ("CUDA_ERROR_DEVICE_UNAVAILABLE", "CUDA-capable device(s) is/are busy or unavailable"),
            [100] = ("CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"),
            [101] = ("CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"),
            [102] = ("CUDA_ERROR_DEVICE_NOT_LICENSED", "device doesn't have valid Grid license"),
            [200] = ("CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"),
            [201] = ("CUDA_ERROR_INVALID_CONTEXT", "invalid device context"),
            [205] = ("CUDA_ERROR_MAP_FAILED", "mapping of buffer object failed"),
            [209] = ("CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"),
            [214] = ("CUDA_ERROR_ECC_UNCORRECTABLE", "uncorrectable ECC error encountered"),
            [218] = ("CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"),
            [221] = ("CUDA_ERROR_JIT_COMPILER_NOT_FOUND", "PTX JIT compiler library not found"),
            [222] = ("CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
                "the provided PTX was compiled with an unsupported toolchain."),
            [300] = ("CUDA_ERROR_INVALID_SOURCE", "device kernel image is invalid"),
            [301] = ("CUDA_ERROR_FILE_NOT_FOUND", "file not found"),
            [400] = ("CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"),
            [401] = ("CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"),
            [500] = ("CUDA_ERROR_NOT_FOUND", "named symbol not found"),
            [600] = ("CUDA_ERROR_NOT_READY", "device not ready"),
            [700] = ("CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"),
            [701] = ("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"),
            [702] = ("CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"),
            [709] = ("CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"),
            [710] = ("CUDA_ERROR_ASSERT", "device-side assert triggered"),
            [715] = ("CUDA_ERROR_ILLEGAL_INSTRUCTION", "an illegal instruction was encountered"),
            [716] = ("CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"),
            [719] = ("CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"),
            [800] = ("CUDA_ERROR_NOT_PERMITTED", "operation not permitted"),
            [801] = ("CUDA_ERROR_NOT_SUPPORTED", "operation not supported"),
            [803] = ("CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
                "system has unsupported display driver / cuda driver combination"),
            [804] = ("CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
                "forward compatibility was attempted on non supported HW"),
            [900] = ("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"),
            [901] = ("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
                "operation failed due to a previous error during capture"),
            [902] = ("CUDA_ERROR_STREAM_CAPTURE_MERGE",
                "operation would result in a merge of separate capture sequences"),
            [903] = ("CUDA_ERROR_STREAM_CAPTURE_UNMATCHED", "capture was not ended in the same stream as it began"),
            [904] = ("CUDA_ERROR_STREAM_CAPTURE_UNJOINED",
                "capturing stream has unjoined work"),
            [905] = ("CUDA_ERROR_STREAM_CAPTURE_ISOLATION",
                "dependency created on uncaptured work in another stream"),
            [906] = ("CUDA_ERROR_STREAM_CAPTURE_IMPLICIT",
                "operation would make the legacy stream depend on a capturing blocking stream"),
            [907] = ("CUDA_ERROR_CAPTURED_EVENT",
                "operation not permitted on an event last recorded in a capturing stream"),
            [908] = ("CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD",
                "attempt to terminate a thread-local capture sequence from another thread"),
            [910] = ("CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE",
                "the graph update was not performed because it included changes which violated constraints"),
            [999] = ("CUDA_ERROR_UNKNOWN", "unknown error"),
        }.ToFrozenDictionary();

    private static readonly FrozenDictionary<int, string> Nvrtc = new Dictionary<int, string>
    {
        [0] = "NVRTC_SUCCESS",
        [1] = "NVRTC_ERROR_OUT_OF_MEMORY",
        [2] = "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        [3] = "NVRTC_ERROR_INVALID_INPUT",
        [4] = "NVRTC_ERROR_INVALID_PROGRAM",
        [5] = "NVRTC_ERROR_INVALID_OPTION",
        [6] = "NVRTC_ERROR_COMPILATION",
        [7] = "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        [8] = "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION",
        [9] = "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
        [10] = "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID",
        [11] = "NVRTC_ERROR_INTERNAL_ERROR",
        [12] = "NVRTC_ERROR_TIME_FILE_WRITE_FAILED",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<int, (string Name, string Description)> Cublas =
        new Dictionary<int, (string, string)>
        {
            [0] = ("CUBLAS_STATUS_SUCCESS", "success"),
            [1] = ("CUBLAS_STATUS_NOT_INITIALIZED", "the library was not initialized"),
            [3] = ("CUBLAS_STATUS_ALLOC_FAILED", "the resource allocation failed"),
            [7] = ("CUBLAS_STATUS_INVALID_VALUE", "an invalid numeric value was used as an argument"),
            [8] = ("CUBLAS_STATUS_ARCH_MISMATCH", "an absent device architectural feature is required"),
            [11] = ("CUBLAS_STATUS_MAPPING_ERROR", "an access to GPU memory space failed"),
            [13] = ("CUBLAS_STATUS_EXECUTION_FAILED", "the GPU program failed to execute"),
            [14] = ("CUBLAS_STATUS_INTERNAL_ERROR", "an internal operation failed"),
            [15] = ("CUBLAS_STATUS_NOT_SUPPORTED", "the functionality requested is not supported"),
            [16] = ("CUBLAS_STATUS_LICENSE_ERROR", "error detected trying to check the license"),
        }.ToFrozenDictionary();

    internal static string DriverName(int code) =>
        Driver.TryGetValue(code, out var entry) ? entry.Name : $"CUDA_ERROR_{code}";

    internal static string DriverDescription(int code) =>
        Driver.TryGetValue(code, out var entry) ? entry.Description : "unrecognized CUDA driver error code";

    internal static string NvrtcName(int code) =>
        Nvrtc.TryGetValue(code, out var name) ? name : $"NVRTC_ERROR_{code}";

    internal static string CublasName(int code) =>
        Cublas.TryGetValue(code, out var entry) ? entry.Name : $"CUBLAS_STATUS_{code}";

    internal static string CublasDescription(int code) =>
        Cublas.TryGetValue(code, out var entry) ? entry.Description : "unrecognized cuBLAS status";
}
