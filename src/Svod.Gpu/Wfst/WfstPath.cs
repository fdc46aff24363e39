namespace Svod.Gpu.Wfst;

/// <summary>
/// A channel's best path: the output labels (word ids) along it, the frame each was output on (the 0-based
/// frame of the last emitting arc at or before it; 0 before any), its total cost (graph weights plus acoustic
/// costs, plus the final weight when <see cref="ReachedFinal"/>), whether it ends in a final state with final
/// weights counted, and the frames it covers.
/// </summary>
public sealed record WfstPath(int[] Words, int[] WordFrames, double Cost, bool ReachedFinal, int Frames);
