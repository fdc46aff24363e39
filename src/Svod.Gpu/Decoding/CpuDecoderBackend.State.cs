using System.Runtime.InteropServices;

namespace Svod.Gpu.Decoding;

public sealed unsafe partial class CpuDecoderBackend
{
    public void InitDecoding(ReadOnlySpan<int> channels)
    {
        int layers = _dims.PredLayers, hidden = _dims.PredHidden;
        foreach (var channel in channels)
        {
            CheckChannel(channel);
            for (var l = 0; l < layers; l++)
            {
                new ReadOnlySpan<float>(_initialH.Pointer + (long)l * _hiddenStride, hidden)
                    .CopyTo(new Span<float>(_channels.H(channel, l), hidden));
                new ReadOnlySpan<float>(_initialC.Pointer + (long)l * _hiddenStride, hidden)
                    .CopyTo(new Span<float>(_channels.C(channel, l), hidden));
            }

            new ReadOnlySpan<float>(_initialPredictor.Pointer, _jointPad)
                .CopyTo(new Span<float>(_channels.Predictor(channel), _jointPad));
            _channels.FramesDecoded[channel] = 0;
            _channels.LastToken[channel] = _dims.Blank;
            _channels.Hypotheses[channel].Clear();
        }
    }

    public int NumFramesDecoded(int channel) => _channels.FramesDecoded[CheckChannel(channel)];

    public void GetHypothesis(int channel, out ReadOnlySpan<int> tokens, out ReadOnlySpan<int> tokenFrames)
    {
        var hypothesis = _channels.Hypotheses[CheckChannel(channel)];
        tokens = hypothesis.Tokens;
        tokenFrames = hypothesis.Frames;
    }

    public int ChannelStateSize(int channel) =>
        ChannelStateFormat.Size(_dims, _channels.Hypotheses[CheckChannel(channel)].Count);

    public int SaveChannel(int channel, Span<byte> destination)
    {
        CheckChannel(channel);
        var stateFloats = _dims.PredLayers * _dims.PredHidden;
        Span<float> h = stackalloc float[stateFloats];
        Span<float> c = stackalloc float[stateFloats];
        GatherState(channel, h, c);
        var hypothesis = _channels.Hypotheses[channel];
        return ChannelStateFormat.Write(destination, _dims, _channels.FramesDecoded[channel],
            _channels.LastToken[channel], h, c,
            new ReadOnlySpan<float>(_channels.Predictor(channel), _dims.JointHidden),
            hypothesis.Tokens, hypothesis.Frames);
    }

    public void LoadChannel(int channel, ReadOnlySpan<byte> state)
    {
        CheckChannel(channel);
        var layout = ChannelStateFormat.Read(state, _dims);
        int layers = _dims.PredLayers, hidden = _dims.PredHidden;
        var h = MemoryMarshal.Cast<byte, float>(state.Slice(layout.HOffset, layers * hidden * 4));
        var c = MemoryMarshal.Cast<byte, float>(state.Slice(layout.COffset, layers * hidden * 4));
        for (var l = 0; l < layers; l++)
        {
            h.Slice(l * hidden, hidden).CopyTo(new Span<float>(_channels.H(channel, l), hidden));
            c.Slice(l * hidden, hidden).CopyTo(new Span<float>(_channels.C(channel, l), hidden));
        }

        var predictor = new Span<float>(_channels.Predictor(channel), _jointPad);
        predictor.Clear();
        MemoryMarshal.Cast<byte, float>(state.Slice(layout.PredictorOffset, _dims.JointHidden * 4))
            .CopyTo(predictor);
        var tokens = MemoryMarshal.Cast<byte, int>(state.Slice(layout.TokensOffset, layout.TokenCount * 4));
        var frames = MemoryMarshal.Cast<byte, int>(
            state.Slice(layout.TokensOffset + layout.TokenCount * 4, layout.TokenCount * 4));
        _channels.Hypotheses[channel].Set(tokens, frames);
        _channels.FramesDecoded[channel] = layout.FramesDecoded;
        _channels.LastToken[channel] = layout.LastToken;
    }

    private void GatherState(int channel, Span<float> h, Span<float> c)
    {
        var hidden = _dims.PredHidden;
        for (var l = 0; l < _dims.PredLayers; l++)
        {
            new ReadOnlySpan<float>(_channels.H(channel, l), hidden).CopyTo(h.Slice(l * hidden, hidden));
            new ReadOnlySpan<float>(_channels.C(channel, l), hidden).CopyTo(c.Slice(l * hidden, hidden));
        }
    }

    private int CheckChannel(int channel) => _validator.CheckChannel(channel);
}
