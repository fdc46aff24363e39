namespace Svod.Gpu.Decoding;

/// <summary>
/// The outcome of one AdvanceDecoding call, entry i matching request i: frames consumed and tokens emitted with
/// their frame indices (absolute within the utterance). Preallocated once per backend and reused by every call,
/// so a call allocates nothing; spans are valid until the next call.
/// </summary>
public sealed class AdvanceResult
{
    private readonly int[] _channels;
    private readonly int[] _firstFrames;
    private readonly int[] _framesConsumed;
    private readonly int[] _tokenCounts;
    private readonly int[] _tokens;
    private readonly int[] _tokenFrames;

    public AdvanceResult(int maxEntries, int maxTokensPerEntry)
    {
        MaxEntries = maxEntries;
        MaxTokensPerEntry = maxTokensPerEntry;
        _channels = new int[maxEntries];
        _firstFrames = new int[maxEntries];
        _framesConsumed = new int[maxEntries];
        _tokenCounts = new int[maxEntries];
        _tokens = new int[maxEntries * maxTokensPerEntry];
        _tokenFrames = new int[maxEntries * maxTokensPerEntry];
    }

    public int MaxEntries { get; }

    public int MaxTokensPerEntry { get; }

    public int Count { get; private set; }

    public DecodeCallStats Stats;

    public int Channel(int entry) => _channels[Check(entry)];

    /// <summary>Frame index, within the utterance, of the first frame this call consumed for the entry.</summary>
    public int FirstFrame(int entry) => _firstFrames[Check(entry)];

    public int FramesConsumed(int entry) => _framesConsumed[Check(entry)];

    public ReadOnlySpan<int> Tokens(int entry) => _tokens.AsSpan(Check(entry) * MaxTokensPerEntry, _tokenCounts[entry]);

    public ReadOnlySpan<int> TokenFrames(int entry) =>
        _tokenFrames.AsSpan(Check(entry) * MaxTokensPerEntry, _tokenCounts[entry]);

    internal void Reset(int count)
    {
        Count = count;
        Stats = default;
        Array.Clear(_tokenCounts, 0, count);
    }

    internal void SetEntry(int entry, int channel, int firstFrame, int framesConsumed)
    {
        _channels[entry] = channel;
        _firstFrames[entry] = firstFrame;
        _framesConsumed[entry] = framesConsumed;
    }

    internal void AddToken(int entry, int token, int frame)
    {
        var i = entry * MaxTokensPerEntry + _tokenCounts[entry]++;
        _tokens[i] = token;
        _tokenFrames[i] = frame;
    }

    private int Check(int entry) =>
        (uint)entry < (uint)Count ? entry : throw new ArgumentOutOfRangeException(nameof(entry));
}
