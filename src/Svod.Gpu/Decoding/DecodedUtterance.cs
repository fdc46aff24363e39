namespace Svod.Gpu.Decoding;

/// <summary>A greedy transcript: token ids and, for each, the index of the frame it was emitted on.</summary>
public sealed record DecodedUtterance(int[] Tokens, int[] TokenFrames);
