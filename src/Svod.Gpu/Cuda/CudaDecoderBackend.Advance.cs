using System.Diagnostics;
using System.Numerics;
using Svod.Gpu.Decoding;

namespace Svod.Gpu.Cuda;

public sealed partial class CudaDecoderBackend
{
    public void AdvanceDecoding(ReadOnlySpan<DecodeRequest> batch, AdvanceResult result)
    {
        _context.MakeCurrent();
        ArgumentNullException.ThrowIfNull(result);
        _validator.Validate(batch, result);
        result.Reset(batch.Length);
        ref var stats = ref result.Stats;
        stats.Lanes = batch.Length;

        // Pack: entries with frames become lanes 0..active-1, their frames rows of the pinned buffer.
        var t0 = Stopwatch.GetTimestamp();
        var d = _dims.EncoderDim;
        var active = 0;
        var longest = 0;
        for (var i = 0; i < batch.Length; i++)
        {
            var channel = batch[i].Channel;
            var frames = Math.Min(batch[i].Frames.Length / d, MaxFramesPerLane);
            result.SetEntry(i, channel, _framesDecoded[channel], frames);
            stats.Frames += frames;
            if (frames > 0)
            {
                _laneEntry[active++] = i;
                longest = Math.Max(longest, frames);
            }
        }

        if (active > 0)
        {
            var frameBucket = Bucket(longest, MaxFramesPerLane);
            var laneBucket = Bucket(active, NumLanes);
            var lanes = _lanesHost.AsSpan();
            for (var r = 0; r < active; r++)
            {
                var entry = batch[_laneEntry[r]];
                var frames = result.FramesConsumed(_laneEntry[r]);
                entry.Frames.Span[..(frames * d)].CopyTo(_framesHost.AsSpan((long)r * frameBucket * d, frames * d));
                lanes[2 * r] = entry.Channel;
                lanes[2 * r + 1] = frames;
            }

            // Idle lanes of the bucket: no frames, so the kernel leaves them at once and touches no channel.
            lanes[(2 * active)..(2 * laneBucket)].Clear();
            var t1 = Stopwatch.GetTimestamp();
            stats.PackTicks += t1 - t0;

            Execute(laneBucket, frameBucket);
            var t2 = Stopwatch.GetTimestamp();
            stats.JointTicks += t2 - t1;

            Unpack(active, frameBucket, result, ref stats);
            stats.ReadTicks += Stopwatch.GetTimestamp() - t2;
        }
        else
        {
            stats.PackTicks += Stopwatch.GetTimestamp() - t0;
        }

        for (var i = 0; i < batch.Length; i++)
        {
            _framesDecoded[batch[i].Channel] += result.FramesConsumed(i);
        }

        _totals.Add(result.Stats);
    }

    /// <summary>The smallest power of two ≥ <paramref name="count"/>, at most <paramref name="limit"/>.</summary>
    private static int Bucket(int count, int limit) =>
        (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)count), (uint)limit);

    /// <summary>Runs the call's device work and waits for it: the one synchronisation of a call.</summary>
    private void Execute(int laneBucket, int frameBucket)
    {
        if (!_useGraphs)
        {
            Enqueue(laneBucket, frameBucket);
            _stream.Synchronize();
            return;
        }

        if (_graphs.TryGetValue((laneBucket, frameBucket), out var graph))
        {
            graph.Launch(_stream);
            _stream.Synchronize();
            return;
        }

        // First call of this shape: run it directly (cuBLAS and the module load their kernels outside any capture),
        // then record the same sequence for the next calls. Capturing runs nothing.
        Enqueue(laneBucket, frameBucket);
        _stream.Synchronize();
        _graphs.Add((laneBucket, frameBucket), Capture(laneBucket, frameBucket));
    }

    private CudaGraph Capture(int laneBucket, int frameBucket)
    {
        _stream.BeginCapture();
        try
        {
            Enqueue(laneBucket, frameBucket);
        }
        catch
        {
            try
            {
                _stream.EndCapture().Dispose();
            }
            catch (CudaException)
            {
                // The failure being rethrown invalidated the capture; ending it only returns the stream to normal.
            }

            throw;
        }

        return _stream.EndCapture();
    }

    /// <summary>The call's sequence on the stream: frames and lanes in, encoder GEMM, step loop, tokens out.</summary>
    private void Enqueue(int laneBucket, int frameBucket)
    {
        int d = _dims.EncoderDim, joint = _dims.JointHidden;
        var rows = laneBucket * frameBucket;
        var outputStride = OutputStride(frameBucket);
        _framesDevice.CopyFromAsync(_framesHost, 0, 0, (long)rows * d, _stream);
        _lanesDevice.CopyFromAsync(_lanesHost, 0, 0, 2L * laneBucket, _stream);
        _blas.LinearRowMajor(_framesDevice.Pointer, rows, d, _encoderWeight.Pointer, joint, _encoderDevice.Pointer);
        _loopArgs[2] = KernelArg.Int(frameBucket);
        _loopArgs[17] = KernelArg.Int(outputStride);
        _labelLoop.Launch(_stream, (uint)laneBucket, CudaKernels.LabelLoopThreads, _sharedBytes, _loopArgs);
        _outputDevice.CopyToAsync(_outputHost, 0, 0, (long)laneBucket * outputStride, _stream);
    }

    /// <summary>Tokens of each lane into the result and the channel's hypothesis, in emission order.</summary>
    private void Unpack(int active, int frameBucket, AdvanceResult result, ref DecodeCallStats stats)
    {
        var stride = OutputStride(frameBucket);
        var output = _outputHost.AsSpan(0, active * stride);
        for (var r = 0; r < active; r++)
        {
            var entry = _laneEntry[r];
            var channel = result.Channel(entry);
            var first = result.FirstFrame(entry);
            var frames = result.FramesConsumed(entry);
            var lane = output.Slice(r * stride, stride);
            int count = lane[0], evaluations = lane[1];
            if ((uint)count > (uint)(frames * _maxSymbols) || evaluations < frames)
            {
                throw new InvalidOperationException(
                    $"rnnt_label_loop returned {count} tokens after {evaluations} joint evaluations for a lane of " +
                    $"{frames} frames (channel {channel}): the device results are corrupt");
            }

            var hypothesis = _hypotheses[channel];
            for (var i = 0; i < count; i++)
            {
                var packed = (uint)lane[2 + i];
                var token = (int)(packed & 0xFFFF);
                var frame = first + (int)(packed >> 16);
                result.AddToken(entry, token, frame);
                hypothesis.Append(token, frame);
                _lastToken[channel] = token;
            }

            stats.Emissions += count;
            stats.JointRows += evaluations;
            stats.Steps = Math.Max(stats.Steps, evaluations);
        }
    }
}
