namespace Svod.Gpu.Formats;

/// <summary>Encoder frames of one utterance: row-major [Rows = T, Cols = d].</summary>
public sealed record FrameMatrix(float[] Data, int Rows, int Cols);
