using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Svod.Gpu.Models;

namespace Svod.Gpu.Decoding;

/// <summary>
/// Version 1 of a channel's bytes, little-endian, the same for every backend:
/// <code>
/// 0  u32 magic "SVCH"   4 u16 version   6 u16 layers   8 i32 pred_hidden   12 i32 joint_hidden
/// 16 i32 num_classes    20 i32 frames decoded          24 i32 last token (blank = none)   28 i32 token count n
/// 32 f32 h[layers*H], f32 c[layers*H], f32 predictor projection[J]
///    i32 tokens[n], i32 token frames[n]
///    u32 FNV-1a of every byte before it
/// </code>
/// For GigaAM sizes (1 layer, H = J = 320) that is 3,876 bytes plus 8 per token.
/// </summary>
public static class ChannelStateFormat
{
    public const uint Magic = 0x48435653; // "SVCH"
    public const ushort Version = 1;
    public const int HeaderSize = 32;

    public static int Size(RnntDims dims, int tokenCount) =>
        HeaderSize + (2 * dims.PredLayers * dims.PredHidden + dims.JointHidden) * sizeof(float) + 8 * tokenCount + 4;

    internal static int Write(
        Span<byte> destination, RnntDims dims, int framesDecoded, int lastToken,
        ReadOnlySpan<float> h, ReadOnlySpan<float> c, ReadOnlySpan<float> predictorProjection,
        ReadOnlySpan<int> tokens, ReadOnlySpan<int> tokenFrames)
    {
        var size = Size(dims, tokens.Length);
        if (destination.Length < size)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes, the state needs {size}",
                nameof(destination));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], (ushort)dims.PredLayers);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], dims.PredHidden);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], dims.JointHidden);
        BinaryPrimitives.WriteInt32LittleEndian(destination[16..], dims.NumClasses);
        BinaryPrimitives.WriteInt32LittleEndian(destination[20..], framesDecoded);
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], lastToken);
        BinaryPrimitives.WriteInt32LittleEndian(destination[28..], tokens.Length);
        var at = HeaderSize;
        at += Copy(MemoryMarshal.AsBytes(h), destination[at..]);
        at += Copy(MemoryMarshal.AsBytes(c), destination[at..]);
        at += Copy(MemoryMarshal.AsBytes(predictorProjection), destination[at..]);
        at += Copy(MemoryMarshal.AsBytes(tokens), destination[at..]);
        at += Copy(MemoryMarshal.AsBytes(tokenFrames), destination[at..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], Fnv1A(destination[..at]));
        return size;

        static int Copy(ReadOnlySpan<byte> from, Span<byte> to)
        {
            from.CopyTo(to);
            return from.Length;
        }
    }

    /// <summary>
    /// What a saved channel holds besides its numbers: frames decoded and the hypothesis (tokens and the frame each
    /// was emitted on). Checks the bytes as <see cref="IDecoderBackend.LoadChannel"/> does; throws
    /// <see cref="FormatException"/> on bytes that are not a state of this model.
    /// </summary>
    public static (int FramesDecoded, int[] Tokens, int[] TokenFrames) ReadHypothesis(ReadOnlySpan<byte> state, RnntDims dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var layout = Read(state, dims);
        var tokens = MemoryMarshal.Cast<byte, int>(state.Slice(layout.TokensOffset, 4 * layout.TokenCount)).ToArray();
        var frames = MemoryMarshal.Cast<byte, int>(state.Slice(layout.TokensOffset + 4 * layout.TokenCount,
            4 * layout.TokenCount)).ToArray();
        return (layout.FramesDecoded, tokens, frames);
    }

    /// <summary>Checks the bytes against the model's sizes and returns where each part lies.</summary>
    internal static Layout Read(ReadOnlySpan<byte> state, RnntDims dims)
    {
        if (state.Length < HeaderSize + 4)
        {
            throw new FormatException($"channel state is {state.Length} bytes, shorter than its header");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(state) != Magic)
        {
            throw new FormatException("channel state has no SVCH magic: not a Svod channel state");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(state[4..]);
        if (version != Version)
        {
            throw new FormatException($"channel state version {version} is not supported (this build reads {Version})");
        }

        int layers = BinaryPrimitives.ReadUInt16LittleEndian(state[6..]);
        var hidden = BinaryPrimitives.ReadInt32LittleEndian(state[8..]);
        var joint = BinaryPrimitives.ReadInt32LittleEndian(state[12..]);
        var classes = BinaryPrimitives.ReadInt32LittleEndian(state[16..]);
        if (layers != dims.PredLayers || hidden != dims.PredHidden || joint != dims.JointHidden ||
            classes != dims.NumClasses)
        {
            throw new FormatException(
                $"channel state is for a model with layers={layers} pred_hidden={hidden} joint_hidden={joint} " +
                $"num_classes={classes}; this model has {dims.PredLayers}/{dims.PredHidden}/{dims.JointHidden}/" +
                $"{dims.NumClasses}");
        }

        var tokenCount = BinaryPrimitives.ReadInt32LittleEndian(state[28..]);
        if (tokenCount < 0 || state.Length != Size(dims, tokenCount))
        {
            throw new FormatException(
                $"channel state is {state.Length} bytes; {tokenCount} tokens need {Size(dims, Math.Max(0, tokenCount))}");
        }

        var body = state.Length - 4;
        if (Fnv1A(state[..body]) != BinaryPrimitives.ReadUInt32LittleEndian(state[body..]))
        {
            throw new FormatException("channel state checksum mismatch: the bytes are corrupted");
        }

        var stateFloats = dims.PredLayers * dims.PredHidden;
        return new Layout(
            FramesDecoded: BinaryPrimitives.ReadInt32LittleEndian(state[20..]),
            LastToken: BinaryPrimitives.ReadInt32LittleEndian(state[24..]),
            TokenCount: tokenCount,
            HOffset: HeaderSize,
            COffset: HeaderSize + stateFloats * 4,
            PredictorOffset: HeaderSize + 2 * stateFloats * 4,
            TokensOffset: HeaderSize + (2 * stateFloats + dims.JointHidden) * 4);
    }

    internal static uint Fnv1A(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }

    internal readonly record struct Layout(
        int FramesDecoded, int LastToken, int TokenCount, int HOffset, int COffset, int PredictorOffset,
        int TokensOffset);
}
