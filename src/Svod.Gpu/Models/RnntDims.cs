namespace Svod.Gpu.Models;

/// <summary>
/// Sizes of a GigaAM-layout RNN-T head. Blank is the last class (<c>NumClasses - 1</c>), as in GigaAM.
/// </summary>
/// <param name="EncoderDim">d_model: floats per encoder frame (<c>head.joint.enc_hidden</c>).</param>
/// <param name="PredHidden">LSTM width of the predictor (<c>head.decoder.pred_hidden</c>).</param>
/// <param name="PredLayers">LSTM layers of the predictor (<c>head.decoder.pred_rnn_layers</c>).</param>
/// <param name="JointHidden">Width of the joint network (<c>head.joint.joint_hidden</c>).</param>
/// <param name="NumClasses">Tokens plus blank (<c>head.joint.num_classes</c>).</param>
public sealed record RnntDims(int EncoderDim, int PredHidden, int PredLayers, int JointHidden, int NumClasses)
{
    /// <summary>GigaAM v3 character model: d_model 768, predictor and joint 320, 33 characters + blank.</summary>
    public static RnntDims GigaAmChar { get; } = new(768, 320, 1, 320, 34);

    /// <summary>GigaAM v3 e2e model: as <see cref="GigaAmChar"/> with 1024 SentencePiece tokens + blank.</summary>
    public static RnntDims GigaAmBpe { get; } = new(768, 320, 1, 320, 1025);

    public int Blank => NumClasses - 1;

    /// <summary>LSTM gate rows per layer (i, f, g, o stacked, PyTorch order).</summary>
    public int GateDim => 4 * PredHidden;
}
