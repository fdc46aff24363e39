namespace Svod.Gpu.Decoding;

/// <summary>
/// The checks every backend makes of an AdvanceDecoding call before any channel changes, with the same messages:
/// the batch fits the lanes, the result buffer fits the backend, each channel is inside the table and given once,
/// each entry holds whole frames.
/// </summary>
internal sealed class CallValidator(int numChannels, int numLanes, int maxTokensPerEntry, int encoderDim)
{
    // Per channel, the id of the last call that used it: finds a channel given twice in one call.
    private readonly int[] _channelCall = new int[numChannels];
    private int _callId;

    public void Validate(ReadOnlySpan<DecodeRequest> batch, AdvanceResult result)
    {
        if (batch.Length > numLanes)
        {
            throw new ArgumentException($"batch has {batch.Length} entries; this backend has {numLanes} lanes",
                nameof(batch));
        }

        if (result.MaxEntries < batch.Length || result.MaxTokensPerEntry < maxTokensPerEntry)
        {
            throw new ArgumentException("result buffer is smaller than this backend's; use CreateResult()",
                nameof(result));
        }

        var call = ++_callId;
        for (var i = 0; i < batch.Length; i++)
        {
            var channel = batch[i].Channel;
            if ((uint)channel >= (uint)numChannels)
            {
                throw new ArgumentOutOfRangeException(nameof(batch),
                    $"entry {i}: channel {channel} is outside 0..{numChannels - 1}");
            }

            if (_channelCall[channel] == call)
            {
                throw new ArgumentException($"entry {i}: channel {channel} appears twice in one call", nameof(batch));
            }

            _channelCall[channel] = call;
            if (batch[i].Frames.Length % encoderDim != 0)
            {
                throw new ArgumentException(
                    $"entry {i}: {batch[i].Frames.Length} floats is not a whole number of {encoderDim}-wide frames",
                    nameof(batch));
            }
        }
    }

    /// <summary><paramref name="channel"/> when it is inside the table.</summary>
    public int CheckChannel(int channel) =>
        (uint)channel < (uint)numChannels
            ? channel
            : throw new ArgumentOutOfRangeException(nameof(channel), $"channel {channel} is outside 0..{numChannels - 1}");
}
