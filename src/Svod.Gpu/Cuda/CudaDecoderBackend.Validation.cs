namespace Svod.Gpu.Cuda;

public sealed partial class CudaDecoderBackend
{
    private int CheckChannel(int channel) => _validator.CheckChannel(channel);
}
