namespace Svod.Gpu.Wfst;

public sealed partial class WfstDecoder
{
    /// <summary>Bytes <see cref="SaveChannel"/> writes for the channel now (its whole search history, so that a
    /// restored channel gives the same best path and lattice).</summary>
    public int ChannelStateSize(int channel) => _channels[_validator.CheckChannel(channel)].StateSize;

    /// <summary>Writes the channel's state (see <see cref="WfstChannel"/>'s format); returns bytes written.</summary>
    public int SaveChannel(int channel, Span<byte> destination) =>
        _channels[_validator.CheckChannel(channel)].Write(destination, _graph, Classes);

    /// <summary>Restores a channel from <see cref="SaveChannel"/> bytes of a decoder with the same graph and
    /// classes; throws <see cref="FormatException"/> on anything else.</summary>
    public void LoadChannel(int channel, ReadOnlySpan<byte> state) =>
        _channels[_validator.CheckChannel(channel)].Read(state, _graph, Classes);
}
