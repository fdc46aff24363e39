namespace Svod.Gpu.Models;

/// <summary>One PyTorch LSTM layer, row-major f32, PyTorch layouts and gate order (i, f, g, o).</summary>
/// <param name="InputWeight">weight_ih_l{k}: [4H, input].</param>
/// <param name="HiddenWeight">weight_hh_l{k}: [4H, H].</param>
/// <param name="InputBias">bias_ih_l{k}: [4H].</param>
/// <param name="HiddenBias">bias_hh_l{k}: [4H].</param>
public sealed record LstmLayerWeights(float[] InputWeight, float[] HiddenWeight, float[] InputBias, float[] HiddenBias);
