namespace Svod.Gpu.Decoding.Kernels;

/// <summary>
/// The transpose of a PyTorch <c>[N, K]</c> weight, stored as panels of <see cref="PanelWidth"/> output columns:
/// panel p holds <c>W[p*32 .. p*32+31, k]</c> for k = 0..K-1 contiguously, so a micro-kernel streams one panel
/// from L1/L2 while it keeps the inputs of several rows in registers. Columns past N are zero.
/// </summary>
internal sealed unsafe class PackedMatrix : IDisposable
{
    public const int PanelWidth = 32;

    private readonly AlignedBuffer _panels;

    /// <param name="weight">row-major <c>[n, k]</c> (PyTorch <c>nn.Linear.weight</c> layout).</param>
    public PackedMatrix(ReadOnlySpan<float> weight, int n, int k)
    {
        if (weight.Length != (long)n * k)
        {
            throw new ArgumentException($"weight has {weight.Length} elements, expected {n}x{k}", nameof(weight));
        }

        N = n;
        K = k;
        PaddedN = RoundUp(n);
        _panels = new AlignedBuffer((long)PaddedN * k);
        var dst = _panels.Pointer;
        for (var p = 0; p < PaddedN / PanelWidth; p++)
        {
            for (var kk = 0; kk < k; kk++)
            {
                var row = dst + ((long)p * k + kk) * PanelWidth;
                for (var c = 0; c < PanelWidth; c++)
                {
                    var col = p * PanelWidth + c;
                    row[c] = col < n ? weight[col * k + kk] : 0f;
                }
            }
        }
    }

    /// <summary>Output columns of the original weight.</summary>
    public int N { get; }

    /// <summary>Inner dimension (inputs per row).</summary>
    public int K { get; }

    /// <summary>N rounded up to whole panels; output and addend rows must hold this many floats.</summary>
    public int PaddedN { get; }

    public int Panels => PaddedN / PanelWidth;

    public float* Panel(int p) => _panels.Pointer + (long)p * K * PanelWidth;

    public static int RoundUp(int n) => (n + PanelWidth - 1) / PanelWidth * PanelWidth;

    public void Dispose() => _panels.Dispose();
}
