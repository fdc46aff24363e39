using System.Runtime.InteropServices;
using Svod.Gpu.Decoding;

namespace Svod.Gpu.Cuda;

public sealed partial class CudaDecoderBackend
{
    public void InitDecoding(ReadOnlySpan<int> channels)
    {
        _context.MakeCurrent();
        var list = _initHost.AsSpan();
        var pending = 0;
        try
        {
            foreach (var channel in channels)
            {
                CheckChannel(channel);
                _framesDecoded[channel] = 0;
                _lastToken[channel] = _dims.Blank;
                _hypotheses[channel].Clear();
                list[pending++] = channel;
                if (pending == list.Length)
                {
                    ResetOnDevice(pending);
                    pending = 0;
                }
            }
        }
        finally
        {
            // As the CPU backend, channels before a bad one are reset.
            if (pending > 0)
            {
                ResetOnDevice(pending);
            }
        }
    }

    /// <summary>Copies the initial state into the table rows of the first <paramref name="count"/> listed
    /// channels and waits (the pinned list is reused right after).</summary>
    private void ResetOnDevice(int count)
    {
        _initDevice.CopyFromAsync(_initHost, 0, 0, count, _stream);
        _initArgs[1] = KernelArg.Int(count);
        _initChannels.Launch(_stream, (uint)count, CudaKernels.InitChannelsThreads, 0, _initArgs);
        _stream.Synchronize();
    }

    public int NumFramesDecoded(int channel)
    {
        _context.MakeCurrent();
        return _framesDecoded[CheckChannel(channel)];
    }

    public void GetHypothesis(int channel, out ReadOnlySpan<int> tokens, out ReadOnlySpan<int> tokenFrames)
    {
        _context.MakeCurrent();
        var hypothesis = _hypotheses[CheckChannel(channel)];
        tokens = hypothesis.Tokens;
        tokenFrames = hypothesis.Frames;
    }

    public int ChannelStateSize(int channel)
    {
        _context.MakeCurrent();
        return ChannelStateFormat.Size(_dims, _hypotheses[CheckChannel(channel)].Count);
    }

    public int SaveChannel(int channel, Span<byte> destination)
    {
        _context.MakeCurrent();
        CheckChannel(channel);
        // The stream is idle between calls (each ends with its synchronisation), so plain copies see its writes.
        var stateFloats = _saveH.Length;
        _tableH.CopyTo(_saveH, (long)channel * stateFloats);
        _tableC.CopyTo(_saveC, (long)channel * stateFloats);
        _tablePredictor.CopyTo(_savePredictor, (long)channel * _dims.JointHidden);
        var hypothesis = _hypotheses[channel];
        return ChannelStateFormat.Write(destination, _dims, _framesDecoded[channel], _lastToken[channel],
            _saveH, _saveC, _savePredictor, hypothesis.Tokens, hypothesis.Frames);
    }

    public void LoadChannel(int channel, ReadOnlySpan<byte> state)
    {
        _context.MakeCurrent();
        CheckChannel(channel);
        var layout = ChannelStateFormat.Read(state, _dims);
        var stateFloats = _saveH.Length;
        var joint = _dims.JointHidden;
        _tableH.CopyFrom(MemoryMarshal.Cast<byte, float>(state.Slice(layout.HOffset, stateFloats * 4)),
            (long)channel * stateFloats);
        _tableC.CopyFrom(MemoryMarshal.Cast<byte, float>(state.Slice(layout.COffset, stateFloats * 4)),
            (long)channel * stateFloats);
        _tablePredictor.CopyFrom(MemoryMarshal.Cast<byte, float>(state.Slice(layout.PredictorOffset, joint * 4)),
            (long)channel * joint);
        var tokens = MemoryMarshal.Cast<byte, int>(state.Slice(layout.TokensOffset, layout.TokenCount * 4));
        var frames = MemoryMarshal.Cast<byte, int>(
            state.Slice(layout.TokensOffset + layout.TokenCount * 4, layout.TokenCount * 4));
        _hypotheses[channel].Set(tokens, frames);
        _framesDecoded[channel] = layout.FramesDecoded;
        _lastToken[channel] = layout.LastToken;
    }
}
