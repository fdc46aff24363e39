namespace Svod.Gpu.Decoding;

/// <summary>Tokens a channel has emitted with their frames; grows by doubling, so appends do not allocate per step.</summary>
internal sealed class ChannelHypothesis
{
    private int[] _tokens = new int[16];
    private int[] _frames = new int[16];

    public int Count { get; private set; }

    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Count);

    public ReadOnlySpan<int> Frames => _frames.AsSpan(0, Count);

    public void Append(int token, int frame)
    {
        if (Count == _tokens.Length)
        {
            Array.Resize(ref _tokens, Count * 2);
            Array.Resize(ref _frames, Count * 2);
        }

        _tokens[Count] = token;
        _frames[Count] = frame;
        Count++;
    }

    public void Clear() => Count = 0;

    public void Set(ReadOnlySpan<int> tokens, ReadOnlySpan<int> frames)
    {
        Count = 0;
        for (var i = 0; i < tokens.Length; i++)
        {
            Append(tokens[i], frames[i]);
        }
    }
}
