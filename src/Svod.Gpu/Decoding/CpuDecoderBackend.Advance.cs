using System.Diagnostics;
using System.Numerics.Tensors;
using Svod.Gpu.Decoding.Kernels;

namespace Svod.Gpu.Decoding;

public sealed unsafe partial class CpuDecoderBackend
{
    /// <summary>
    /// Lanes decoded together. 64 rows already keep the GEMMs at their peak; larger groups only spread the call's
    /// encoder projections (lanes × frames × joint floats) beyond the caches, so bigger batches run group by group.
    /// </summary>
    private const int LaneGroup = 64;

    public void AdvanceDecoding(ReadOnlySpan<DecodeRequest> batch, AdvanceResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        _validator.Validate(batch, result);
        result.Reset(batch.Length);
        result.Stats.Lanes = batch.Length;
        for (var start = 0; start < batch.Length; start += LaneGroup)
        {
            AdvanceGroup(batch, start, Math.Min(LaneGroup, batch.Length - start), result);
        }

        _totals.Add(result.Stats);
    }

    /// <summary>Decodes lanes <c>start .. start+count-1</c> of the call (lane i holds entry i).</summary>
    private void AdvanceGroup(ReadOnlySpan<DecodeRequest> batch, int start, int count, AdvanceResult result)
    {
        ref var stats = ref result.Stats;
        var lanes = _lanes;
        var pad = Pad;
        float** x = Rows(lanes.X), y = Rows(lanes.Y), a = Rows(lanes.A);

        // Pack: frames into lane rows, lane bookkeeping.
        var t0 = Stopwatch.GetTimestamp();
        var d = _dims.EncoderDim;
        var rows = 0;
        var active = 0;
        for (var i = start; i < start + count; i++)
        {
            var channel = batch[i].Channel;
            var frames = Math.Min(batch[i].Frames.Length / d, MaxFramesPerLane);
            var source = batch[i].Frames.Span;
            source[..(frames * d)].CopyTo(new Span<float>(lanes.FrameRow(i, 0), frames * d));
            lanes.Channel[i] = channel;
            lanes.Frame[i] = 0;
            lanes.FrameEnd[i] = frames;
            lanes.Symbols[i] = 0;
            lanes.FirstFrame[i] = _channels.FramesDecoded[channel];
            result.SetEntry(i, channel, lanes.FirstFrame[i], frames);
            for (var f = 0; f < frames; f++, rows++)
            {
                x[rows] = lanes.FrameRow(i, f);
                y[rows] = lanes.EncoderRow(i, f);
                a[rows] = _encoderBias.Pointer;
            }

            if (frames > 0)
            {
                lanes.Active[active++] = i;
            }
        }

        stats.Frames += rows;
        var t1 = Stopwatch.GetTimestamp();
        stats.PackTicks += t1 - t0;

        // The encoder half of the joint for every frame of the call: one GEMM.
        Gemm.Multiply(_encoder, x, y, a, rows, pad);
        var t2 = Stopwatch.GetTimestamp();
        stats.EncoderTicks += t2 - t1;

        while (active > 0)
        {
            stats.Steps++;
            stats.JointRows += active;
            var tJoint = Stopwatch.GetTimestamp();
            Joint(active, x, y, a, pad);
            var emitters = Choose(ref active, result, ref stats);
            var tPredictor = Stopwatch.GetTimestamp();
            stats.JointTicks += tPredictor - tJoint;
            if (emitters > 0)
            {
                Predict(emitters, x, y, a, pad);
            }

            stats.PredictorTicks += Stopwatch.GetTimestamp() - tPredictor;
        }

        var t3 = Stopwatch.GetTimestamp();
        for (var i = start; i < start + count; i++)
        {
            _channels.FramesDecoded[lanes.Channel[i]] += lanes.FrameEnd[i];
        }

        stats.ReadTicks += Stopwatch.GetTimestamp() - t3;
    }

    /// <summary>Logits for every active lane at its current frame: <c>ReLU(enc[t] + pred)·W_out + b_out</c>.</summary>
    private void Joint(int active, float** x, float** y, float** a, in GemmPadRows pad)
    {
        var lanes = _lanes;
        var joint = _dims.JointHidden;
        for (var r = 0; r < active; r++)
        {
            var lane = lanes.Active[r];
            var z = lanes.JointInputRow(r);
            CellMath.JointInput(
                new ReadOnlySpan<float>(lanes.EncoderRow(lane, lanes.Frame[lane]), joint),
                new ReadOnlySpan<float>(_channels.Predictor(lanes.Channel[lane]), joint),
                new Span<float>(z, joint));
            x[r] = z;
            y[r] = lanes.LogitsRow(r);
            a[r] = _outputBias.Pointer;
        }

        Gemm.Multiply(_output, x, y, a, active, pad);
    }

    /// <summary>
    /// Greedy choice per active lane, GigaAM's inner loop: blank moves to the next frame; a token is emitted and
    /// the lane stays on its frame until blank or <c>max_symbols_per_step</c>. Compacts the active list and returns
    /// how many lanes emitted (listed in <see cref="LaneScratch.Emitters"/>).
    /// </summary>
    private int Choose(ref int active, AdvanceResult result, ref DecodeCallStats stats)
    {
        var lanes = _lanes;
        int blank = _dims.Blank, classes = _dims.NumClasses;
        var emitters = 0;
        var stillActive = 0;
        for (var r = 0; r < active; r++)
        {
            var lane = lanes.Active[r];
            var k = ScalarMath.ArgMax(new ReadOnlySpan<float>(lanes.LogitsRow(r), classes));
            if (k == blank)
            {
                lanes.Frame[lane]++;
                lanes.Symbols[lane] = 0;
            }
            else
            {
                var channel = lanes.Channel[lane];
                var frame = lanes.FirstFrame[lane] + lanes.Frame[lane];
                result.AddToken(lane, k, frame);
                _channels.Hypotheses[channel].Append(k, frame);
                _channels.LastToken[channel] = k;
                lanes.Emitters[emitters] = lane;
                lanes.EmittedToken[emitters] = k;
                emitters++;
                if (++lanes.Symbols[lane] == _maxSymbols)
                {
                    lanes.Frame[lane]++;
                    lanes.Symbols[lane] = 0;
                }
            }

            if (lanes.Frame[lane] < lanes.FrameEnd[lane])
            {
                lanes.Active[stillActive++] = lane;
            }
        }

        active = stillActive;
        stats.Emissions += emitters;
        return emitters;
    }

    /// <summary>
    /// The predictor step for the lanes that emitted: commits the LSTM state with the emitted token as input and
    /// caches the new predictor projection in the channel table.
    /// </summary>
    private void Predict(int emitters, float** x, float** y, float** a, in GemmPadRows pad)
    {
        var lanes = _lanes;
        int hidden = _dims.PredHidden, gateDim = _dims.GateDim, layers = _dims.PredLayers;
        for (var l = 0; l < layers; l++)
        {
            if (l > 0)
            {
                // (h_below·W_ih + b_ih) + b_hh, then the hidden half is added on top below.
                for (var e = 0; e < emitters; e++)
                {
                    var channel = lanes.Channel[lanes.Emitters[e]];
                    x[e] = _channels.H(channel, l - 1);
                    y[e] = lanes.InputGatesRow(e);
                    a[e] = _inputBias[l].Pointer;
                }

                Gemm.Multiply(_inputWeights[l]!, x, y, a, emitters, pad);
                var bias = new ReadOnlySpan<float>(_hiddenBias[l].Pointer, gateDim);
                for (var e = 0; e < emitters; e++)
                {
                    var row = new Span<float>(lanes.InputGatesRow(e), gateDim);
                    TensorPrimitives.Add(row, bias, row);
                }
            }

            for (var e = 0; e < emitters; e++)
            {
                var channel = lanes.Channel[lanes.Emitters[e]];
                x[e] = _channels.H(channel, l);
                y[e] = lanes.GatesRow(e);
                a[e] = l == 0
                    ? _inputTable.Pointer + (long)lanes.EmittedToken[e] * _gatePad
                    : lanes.InputGatesRow(e);
            }

            Gemm.Multiply(_hiddenWeights[l], x, y, a, emitters, pad);
            for (var e = 0; e < emitters; e++)
            {
                var channel = lanes.Channel[lanes.Emitters[e]];
                CellMath.LstmUpdate(
                    new ReadOnlySpan<float>(lanes.GatesRow(e), gateDim),
                    new Span<float>(_channels.H(channel, l), hidden),
                    new Span<float>(_channels.C(channel, l), hidden),
                    lanes.CellScratch);
            }
        }

        for (var e = 0; e < emitters; e++)
        {
            var channel = lanes.Channel[lanes.Emitters[e]];
            x[e] = _channels.H(channel, layers - 1);
            y[e] = _channels.Predictor(channel);
            a[e] = _predictorBias.Pointer;
        }

        Gemm.Multiply(_predictor, x, y, a, emitters, pad);
    }
}
