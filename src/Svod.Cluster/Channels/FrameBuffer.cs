namespace Svod.Cluster.Channels;

/// <summary>
/// The frames of one utterance that arrived but are not decoded yet, row-major. <see cref="Pending"/> hands the
/// pool a view that stays unchanged while the work is out: appends write behind it (or move to a new array), and
/// <see cref="Consume"/> is called only once the work is back.
/// </summary>
internal sealed class FrameBuffer(int width)
{
    // Starts empty: an open channel holds only the frames that arrived and are not decoded yet (at GigaAM width a
    // preallocated 64-frame buffer would cost 196 KB per utterance).
    private float[] _data = [];

    /// <summary>Utterance index of the first buffered frame.</summary>
    public long Start { get; private set; }

    public int Count { get; private set; }

    /// <summary>The offset the next new frame has: everything before it arrived.</summary>
    public long Received => Start + Count;

    public ReadOnlyMemory<float> Pending => _data.AsMemory(0, Count * width);

    public void Append(ReadOnlySpan<float> values)
    {
        var frames = values.Length / width;
        if ((Count + frames) * width > _data.Length)
        {
            var grown = new float[Math.Max(_data.Length * 2, (Count + frames) * width)];
            _data.AsSpan(0, Count * width).CopyTo(grown);
            _data = grown;
        }

        values.CopyTo(_data.AsSpan(Count * width));
        Count += frames;
    }

    /// <summary>Drops the first <paramref name="frames"/> frames (decoded).</summary>
    public void Consume(int frames)
    {
        _data.AsSpan(frames * width, (Count - frames) * width).CopyTo(_data);
        Count -= frames;
        Start += frames;
    }
}
