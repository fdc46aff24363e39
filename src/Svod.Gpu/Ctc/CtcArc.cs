namespace Svod.Gpu.Ctc;

/// <summary>One arc of a <see cref="CtcTopology"/>, in OpenFst's label convention (0 = epsilon).</summary>
/// <param name="InputLabel">class id + 1: the log-prob column this arc consumes is <c>InputLabel − 1</c>.</param>
/// <param name="OutputLabel">token id + 1, or 0 (epsilon) where the arc emits nothing.</param>
/// <param name="Weight">Tropical cost; 0 on every arc of the topology.</param>
public readonly record struct CtcArc(int Source, int Destination, int InputLabel, int OutputLabel, float Weight);
