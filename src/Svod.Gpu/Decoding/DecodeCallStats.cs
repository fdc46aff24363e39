using System.Diagnostics;

namespace Svod.Gpu.Decoding;

/// <summary>
/// What one AdvanceDecoding call did and where its time went. Times are <see cref="Stopwatch"/> ticks:
/// pack (gather frames and states into lanes), encoder (the chunk's encoder projection GEMM), joint (joint network
/// and argmax), predictor (LSTM steps and predictor projection for emitting lanes), read (results back to
/// channels), the seed's pack/exec/read split with exec broken down.
/// </summary>
public struct DecodeCallStats
{
    public int Lanes;
    public long Frames;
    public long Emissions;

    /// <summary>Joint evaluations (one per lane per step).</summary>
    public long JointRows;

    /// <summary>Passes of the step loop.</summary>
    public long Steps;

    public long PackTicks;
    public long EncoderTicks;
    public long JointTicks;
    public long PredictorTicks;
    public long ReadTicks;

    public readonly long TotalTicks => PackTicks + EncoderTicks + JointTicks + PredictorTicks + ReadTicks;

    public void Add(in DecodeCallStats other)
    {
        Lanes += other.Lanes;
        Frames += other.Frames;
        Emissions += other.Emissions;
        JointRows += other.JointRows;
        Steps += other.Steps;
        PackTicks += other.PackTicks;
        EncoderTicks += other.EncoderTicks;
        JointTicks += other.JointTicks;
        PredictorTicks += other.PredictorTicks;
        ReadTicks += other.ReadTicks;
    }

    public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
