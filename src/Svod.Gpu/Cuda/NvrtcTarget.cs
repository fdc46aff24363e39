namespace Svod.Gpu.Cuda;

/// <summary>
/// What NVRTC compiles for: a CUBIN for real architecture <c>sm_{Arch}</c>, or PTX for virtual architecture
/// <c>compute_{Arch}</c> that the driver JIT-compiles for the device. <see cref="Arch"/> is major·10 + minor.
/// </summary>
internal readonly record struct NvrtcTarget(int Arch, bool Cubin)
{
    public string ArchitectureOption => Cubin ? $"--gpu-architecture=sm_{Arch}" : $"--gpu-architecture=compute_{Arch}";

    public string Extension => Cubin ? ".cubin" : ".ptx";
}
