using System.Text.Json;

namespace Svod.Cluster.Node;

/// <summary>The node's JSON endpoints: stats for admins, the shard map for clients.</summary>
public sealed partial class NodeHost
{
    /// <summary>What an admin watches: connections, and per model its channels and lane pool totals.</summary>
    private string StatsJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("connections_opened", Interlocked.Read(ref _connections));
            w.WriteNumber("connections_open", _sessions.Count);
            w.WriteNumber("pending_frames", _sessions.Values.Sum(s => s.PendingFrames));
            w.WriteNumber("pending_frames_peak", _counters.PendingPeak);
            w.WriteNumber("read_pauses", _counters.ReadPauses);
            w.WriteBoolean("draining", Volatile.Read(ref _draining) != 0);
            if (_writer?.Stats is { } snapshots)
            {
                w.WriteStartObject("snapshots");
                w.WriteNumber("batches", snapshots.Batches);
                w.WriteNumber("written", snapshots.Snapshots);
                w.WriteNumber("fenced", snapshots.Fenced);
                w.WriteNumber("failures", snapshots.Failures);
                w.WriteNumber("dirty", snapshots.Dirty);
                w.WriteNumber("completed", snapshots.Completed);
                w.WriteNumber("last_batch_ms", Math.Round(snapshots.LastBatch.TotalMilliseconds, 3));
                w.WriteEndObject();
            }
            w.WriteNumber("actors", _actors.ActorCount);
            w.WriteNumber("managed_bytes", GC.GetTotalMemory(forceFullCollection: false));
            w.WriteNumber("working_set_bytes", Environment.WorkingSet);
            w.WriteStartArray("models");
            foreach (var model in _models.Values.OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                var stats = model.Pool.Stats;
                w.WriteStartObject();
                w.WriteString("name", model.Name);
                w.WriteString("backend", model.Backend);
                w.WriteNumber("channels_open", stats.OpenChannels);
                w.WriteNumber("channels", model.Pool.NumChannels);
                w.WriteNumber("lanes", model.Pool.NumLanes);
                w.WriteNumber("calls", stats.Calls);
                w.WriteNumber("lanes_per_call", Math.Round(stats.LanesPerCall, 2));
                w.WriteNumber("frames", stats.Frames);
                w.WriteNumber("tokens", stats.Tokens);
                w.WriteNumber("busy_seconds", Math.Round(stats.Busy.TotalSeconds, 3));
                w.WriteNumber("mean_queue_delay_ms", Math.Round(stats.MeanQueueDelay.TotalMilliseconds, 3));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// <c>/v1/shards</c>: the map clients route by. <c>{"version": V, "cluster": C, "shards": N, "owners": [{"address": A,
    /// "epoch": E}, ...]}</c>, one entry per shard in shard order; the address is null while a shard has no owner;
    /// <c>cluster</c> is false for a node alone.
    /// </summary>
    private string ShardsJson()
    {
        var map = _context.Ownership.Map;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("version", map.Version);
            w.WriteBoolean("cluster", map.Cluster);
            w.WriteNumber("shards", map.Shards.Count);
            w.WriteStartArray("owners");
            foreach (var (address, epoch) in map.Shards)
            {
                w.WriteStartObject();
                if (address is null)
                {
                    w.WriteNull("address");
                }
                else
                {
                    w.WriteString("address", address);
                }

                w.WriteNumber("epoch", epoch);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
