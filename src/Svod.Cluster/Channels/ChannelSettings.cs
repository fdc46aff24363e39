using Svod.Client.Protocol;
using Svod.Cluster.Persistence;
using Svod.Gpu.Models;

namespace Svod.Cluster.Channels;

/// <summary>What a channel actor is started with: its utterance, model, options and limits.</summary>
/// <param name="FrameSeconds">Seconds one frame covers (0.04 for GigaAM), for word times.</param>
/// <param name="IdleTimeout">No client message for this long ends the utterance with DEADLINE_EXCEEDED.</param>
/// <param name="Persistence">Where its snapshots go; null: nowhere (the utterance dies with its node).</param>
/// <param name="Resume">The client sent the utterance before: continue from its snapshot or retained final; false
/// discards whatever is kept under its id.</param>
public sealed record ChannelSettings(
    string UtteranceId, RnntModel Model, StreamOptions Options, float FrameSeconds, TimeSpan IdleTimeout,
    ChannelPersistence? Persistence = null, bool Resume = false);

/// <summary>The utterance's shard as its node owns it, and the writer its snapshots go through.</summary>
public sealed record ChannelPersistence(SnapshotWriter Writer, int Shard, long Epoch, TimeSpan FinalRetention);
