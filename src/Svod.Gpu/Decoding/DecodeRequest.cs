namespace Svod.Gpu.Decoding;

/// <summary>One entry of an AdvanceDecoding call: a channel and the frames ready for it.</summary>
/// <param name="Channel">slot in the channel table.</param>
/// <param name="Frames">row-major <c>[n, d_model]</c> float32; the call consumes up to the backend's
/// <c>MaxFramesPerLane</c> of them, from the first.</param>
public readonly record struct DecodeRequest(int Channel, ReadOnlyMemory<float> Frames);
