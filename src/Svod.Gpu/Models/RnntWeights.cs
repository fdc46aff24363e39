namespace Svod.Gpu.Models;

/// <summary>
/// The tensors of a GigaAM RNN-T head as f32, in PyTorch's row-major layouts (<c>nn.Linear</c> weights are
/// [out, in]). Backends repack them into their own layouts; this is the interchange form.
/// </summary>
public sealed class RnntWeights
{
    /// <summary>head.decoder.embed.weight: [C, H].</summary>
    public required float[] Embed { get; init; }

    /// <summary>head.decoder.lstm.*_l{k}, one entry per layer.</summary>
    public required LstmLayerWeights[] Layers { get; init; }

    /// <summary>head.joint.enc.weight: [J, D].</summary>
    public required float[] EncoderWeight { get; init; }

    /// <summary>head.joint.enc.bias: [J].</summary>
    public required float[] EncoderBias { get; init; }

    /// <summary>head.joint.pred.weight: [J, H].</summary>
    public required float[] PredictorWeight { get; init; }

    /// <summary>head.joint.pred.bias: [J].</summary>
    public required float[] PredictorBias { get; init; }

    /// <summary>head.joint.joint_net.1.weight: [C, J].</summary>
    public required float[] OutputWeight { get; init; }

    /// <summary>head.joint.joint_net.1.bias: [C].</summary>
    public required float[] OutputBias { get; init; }

    /// <summary>Throws <see cref="ModelFormatException"/> naming the tensor whose length does not fit <paramref name="dims"/>.</summary>
    public void Validate(RnntDims dims, string source)
    {
        int c = dims.NumClasses, h = dims.PredHidden, j = dims.JointHidden, d = dims.EncoderDim;
        Check(Embed, "head.decoder.embed.weight", [c, h]);
        if (Layers.Length != dims.PredLayers)
        {
            throw new ModelFormatException(
                $"{source}: config has pred_rnn_layers={dims.PredLayers} but {Layers.Length} LSTM layers were given");
        }

        for (var k = 0; k < Layers.Length; k++)
        {
            // Layer 0 reads the embedding (width H), the others h of the layer below (width H).
            Check(Layers[k].InputWeight, $"head.decoder.lstm.weight_ih_l{k}", [4 * h, h]);
            Check(Layers[k].HiddenWeight, $"head.decoder.lstm.weight_hh_l{k}", [4 * h, h]);
            Check(Layers[k].InputBias, $"head.decoder.lstm.bias_ih_l{k}", [4 * h]);
            Check(Layers[k].HiddenBias, $"head.decoder.lstm.bias_hh_l{k}", [4 * h]);
        }

        Check(EncoderWeight, "head.joint.enc.weight", [j, d]);
        Check(EncoderBias, "head.joint.enc.bias", [j]);
        Check(PredictorWeight, "head.joint.pred.weight", [j, h]);
        Check(PredictorBias, "head.joint.pred.bias", [j]);
        Check(OutputWeight, "head.joint.joint_net.1.weight", [c, j]);
        Check(OutputBias, "head.joint.joint_net.1.bias", [c]);

        void Check(float[] tensor, string name, int[] shape)
        {
            long expected = 1;
            foreach (var s in shape)
            {
                expected *= s;
            }

            if (tensor.Length != expected)
            {
                throw new ModelFormatException(
                    $"{source}: tensor {name} has {tensor.Length} elements, expected shape [{string.Join(", ", shape)}]");
            }
        }
    }
}
