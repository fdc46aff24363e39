using System.Buffers;

namespace Svod.Cluster.Channels;

/// <summary>
/// The frames of one utterance that arrived but are not decoded yet, row-major, in arrays rented from the shared
/// pool: an idle channel holds none. <see cref="Pending"/> hands the lane pool a view that must stay unchanged while
/// the work is out, so an array replaced while work is out is retired, and goes back to the pool only in
/// <see cref="Consume"/>, when the work is back.
/// </summary>
internal sealed class FrameBuffer(int width)
{
    private readonly List<float[]> _retired = [];
    private float[] _data = [];

    /// <summary>Utterance index of the first buffered frame.</summary>
    public long Start { get; private set; }

    public int Count { get; private set; }

    /// <summary>The offset the next new frame has: everything before it arrived.</summary>
    public long Received => Start + Count;

    public ReadOnlyMemory<float> Pending => _data.AsMemory(0, Count * width);

    /// <summary>A restored utterance: its first <paramref name="frames"/> frames are already decoded.</summary>
    public void StartAt(long frames)
    {
        if (Count != 0)
        {
            throw new InvalidOperationException("a buffer holding frames cannot be moved");
        }

        Start = frames;
    }

    /// <param name="inFlight">a view of the current array is out with the lane pool.</param>
    public void Append(ReadOnlySpan<float> values, bool inFlight)
    {
        var frames = values.Length / width;
        var needed = (Count + frames) * width;
        if (needed > _data.Length)
        {
            var grown = ArrayPool<float>.Shared.Rent(Math.Max(needed, 2 * _data.Length));
            _data.AsSpan(0, Count * width).CopyTo(grown);
            Release(_data, inFlight);
            _data = grown;
        }

        values.CopyTo(_data.AsSpan(Count * width));
        Count += frames;
    }

    /// <summary>Drops the first <paramref name="frames"/> frames (decoded); called when no work is out.</summary>
    public void Consume(int frames)
    {
        foreach (var array in _retired)
        {
            ArrayPool<float>.Shared.Return(array);
        }

        _retired.Clear();
        _data.AsSpan(frames * width, (Count - frames) * width).CopyTo(_data);
        Count -= frames;
        Start += frames;
        if (Count == 0)
        {
            Release(_data, inFlight: false);
            _data = [];
        }
    }

    /// <summary>Gives every array back; the buffer is empty afterwards (the utterance ended, no work is out).</summary>
    public void Clear()
    {
        Consume(0);
        Release(_data, inFlight: false);
        _data = [];
        Count = 0;
    }

    private void Release(float[] array, bool inFlight)
    {
        if (array.Length == 0)
        {
            return;
        }

        if (inFlight)
        {
            _retired.Add(array);
        }
        else
        {
            ArrayPool<float>.Shared.Return(array);
        }
    }
}
