namespace Svod.Gpu.Formats;

/// <summary>Element types of tensor files; everything is converted to f32 when read.</summary>
public enum TensorDType
{
    F32,
    F16,
    BF16,
}
