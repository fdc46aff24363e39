using Svod.Gpu.Decoding.Kernels;

namespace Svod.Gpu.Decoding;

/// <summary>
/// Per-channel decoder state, structure of arrays in native memory so kernels read and write rows in place:
/// LSTM h and c per layer (stride padded to 16 floats), the cached predictor projection of the last token
/// (<c>g·W_pred + b_pred</c>, padded to whole panels), frames decoded, last token and the hypothesis.
/// </summary>
internal sealed unsafe class ChannelTable : IDisposable
{
    private readonly int _layers;
    private readonly int _hiddenStride;
    private readonly int _predictorStride;
    private readonly AlignedBuffer _h;
    private readonly AlignedBuffer _c;
    private readonly AlignedBuffer _predictor;

    public ChannelTable(int channels, int layers, int hiddenStride, int predictorStride)
    {
        Count = channels;
        _layers = layers;
        _hiddenStride = hiddenStride;
        _predictorStride = predictorStride;
        _h = new AlignedBuffer((long)channels * layers * hiddenStride);
        _c = new AlignedBuffer((long)channels * layers * hiddenStride);
        _predictor = new AlignedBuffer((long)channels * predictorStride);
        FramesDecoded = new int[channels];
        LastToken = new int[channels];
        Hypotheses = new ChannelHypothesis[channels];
        for (var i = 0; i < channels; i++)
        {
            Hypotheses[i] = new ChannelHypothesis();
        }
    }

    public int Count { get; }

    public int[] FramesDecoded { get; }

    public int[] LastToken { get; }

    public ChannelHypothesis[] Hypotheses { get; }

    public float* H(int channel, int layer) => _h.Pointer + ((long)channel * _layers + layer) * _hiddenStride;

    public float* C(int channel, int layer) => _c.Pointer + ((long)channel * _layers + layer) * _hiddenStride;

    public float* Predictor(int channel) => _predictor.Pointer + (long)channel * _predictorStride;

    public void Dispose()
    {
        _h.Dispose();
        _c.Dispose();
        _predictor.Dispose();
    }
}
