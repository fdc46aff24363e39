namespace Svod.Gpu.Wfst;

/// <summary>
/// The search settings of <see cref="WfstDecoder"/>, named and defaulted as Kaldi's CudaDecoderConfig. Documented
/// for operators in <c>hocon/svod.conf</c> (<c>svod.wfst</c>); checked by <see cref="Validate"/>.
/// </summary>
public sealed class WfstDecoderOptions
{
    /// <summary>Tokens costlier than the frame's best by this much are pruned (Kaldi <c>--beam</c>).</summary>
    public float Beam { get; set; } = 15f;

    /// <summary>The raw lattice keeps arcs on paths within this of the best path (Kaldi <c>--lattice-beam</c>).</summary>
    public float LatticeBeam { get; set; } = 10f;

    /// <summary>Soft cap on tokens per frame: past it the beam is cut at the cost histogram's bin that keeps about
    /// this many (Kaldi <c>--max-active</c>).</summary>
    public int MaxActive { get; set; } = 10000;

    /// <summary>Tokens a frame may keep after pruning; 0 means 4 × <see cref="MaxActive"/> (Kaldi
    /// <c>--main-q-capacity</c>, -1 there).</summary>
    public int MainQueueCapacity { get; set; }

    /// <summary>Tokens a frame may create before pruning; 0 means 3 × the main queue (Kaldi
    /// <c>--aux-q-capacity</c>). Past a quarter of it the beam halves step by step (the adaptive beam).</summary>
    public int AuxQueueCapacity { get; set; }

    /// <summary>Multiplies the log-probabilities before they are added to graph costs (Kaldi's
    /// <c>--acoustic-scale</c>; 1 suits CTC log-softmax outputs).</summary>
    public float AcousticScale { get; set; } = 1f;

    /// <summary>Whether final weights count when the best path and lattice are read at the end (Kaldi's
    /// <c>use_final_probs</c>); when no frontier state is final they are ignored either way.</summary>
    public bool UseFinalProbs { get; set; } = true;

    internal int MainCapacity => MainQueueCapacity > 0 ? MainQueueCapacity : 4 * MaxActive;

    internal int AuxCapacity => AuxQueueCapacity > 0 ? AuxQueueCapacity : 3 * MainCapacity;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Positive(Beam, "beam");
        Positive(LatticeBeam, "lattice-beam");
        Positive(AcousticScale, "acoustic-scale");
        if (MaxActive < 1)
        {
            throw new ArgumentException($"max-active must be at least 1, not {MaxActive}");
        }

        if (MainQueueCapacity < 0 || AuxQueueCapacity < 0)
        {
            throw new ArgumentException("main-queue-capacity and aux-queue-capacity must be 0 (default) or positive");
        }

        if ((long)MainCapacity * 3 > Array.MaxLength || AuxCapacity < 16 || AuxCapacity < MainCapacity)
        {
            throw new ArgumentException(
                $"aux-queue-capacity ({AuxCapacity}) must be at least 16 and at least main-queue-capacity " +
                $"({MainCapacity}), and both must fit in memory");
        }

        static void Positive(float value, string name)
        {
            if (!(value > 0) || float.IsInfinity(value))
            {
                throw new ArgumentException($"{name} must be a positive finite number, not {value}");
            }
        }
    }
}
