namespace Svod.Gpu.Cuda;

/// <summary>The CUDA backend cannot run here; the message starts with <c>CUDA backend unavailable: </c>.</summary>
public sealed class CudaUnavailableException : Exception
{
    internal const string Prefix = "CUDA backend unavailable: ";

    public CudaUnavailableException(string reason)
        : base(reason.StartsWith(Prefix, StringComparison.Ordinal) ? reason : Prefix + reason)
    {
    }
}
