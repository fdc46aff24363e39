namespace Svod.Gpu.Formats;

/// <summary>One tensor of a safetensors file, its data converted to f32 (row-major).</summary>
/// <param name="DType">The element type stored in the file.</param>
public sealed record SafeTensor(string Name, TensorDType DType, int[] Shape, float[] Data);
