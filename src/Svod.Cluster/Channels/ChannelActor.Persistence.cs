using Google.Protobuf;
using Npgsql;
using Svod.Client.Protocol;
using Svod.Cluster.Actors;
using Svod.Cluster.Persistence;
using Svod.Gpu.Decoding;

namespace Svod.Cluster.Channels;

/// <summary>
/// Snapshots (docs/cluster.md, "Persistence"): an utterance that has a snapshot resumes from it; the snapshot writer
/// asks for the channel's state at a frame boundary the actor knows, and what it wrote durably is acknowledged to the
/// client, which may then drop those frames from its replay buffer.
/// </summary>
public sealed partial class ChannelActor
{
    // Frames written durably (acknowledged to the client when the store is shared).
    private long _acked;
    // Registered with the writer since the last snapshot taken.
    private bool _dirty;
    // A snapshot asked for while work was out: taken when it is back, before the next work goes.
    private Reply<ChannelSnapshot?>? _pendingSnapshot;

    private ChannelPersistence? Persist => settings.Persistence;

    /// <summary>Before Started: a retained final ends the utterance at once (true); a snapshot is loaded into the
    /// channel and the buffer starts at its frames.</summary>
    private async ValueTask<bool> RestoreAsync(CancellationToken cancellationToken)
    {
        if (Persist is not { } persist)
        {
            return false;
        }

        var store = persist.Writer.Store;
        if (!settings.Resume)
        {
            // A new utterance: an earlier one under the same id must neither resume (snapshot, retained final) nor
            // block its snapshots.
            await store.DeleteAsync(Id, persist.Shard, persist.Epoch, cancellationToken);
            return false;
        }

        if (await store.ReadFinalAsync(Id, cancellationToken) is { } final)
        {
            SendStarted();
            output.Send(new ServerMessage { Result = Result.Parser.ParseFrom(final) });
            return true;
        }

        if (await store.ReadAsync(Id, cancellationToken) is not { } snapshot)
        {
            return false;
        }

        var (segment, segmentStart, state) = ChannelCheckpoint.Unpack(snapshot.State);
        var (frames, tokens, tokenFrames) = ChannelStateFormat.ReadHypothesis(state.Span, settings.Model.Dims);
        await pool.LoadChannelAsync(_channel, state.ToArray());
        _tokens.AddRange(tokens);
        _tokenFrames.AddRange(tokenFrames);
        _lastTokenFrame = tokenFrames.Length > 0 ? tokenFrames[^1] : -1;
        _segment = segment;
        _segmentStart = Math.Min(segmentStart, tokens.Length);
        _frames.StartAt(frames);
        _acked = frames;
        return false;
    }

    /// <summary>PreStart's restore, with a store that fails or bytes that do not load turned into the client's error.
    /// </summary>
    private async ValueTask<bool> TryRestoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await RestoreAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            EndWith(ErrorCode.Unavailable, $"cannot read the utterance's snapshot: {e.Message}; try again");
        }
        catch (FormatException e)
        {
            EndWith(ErrorCode.DataLoss, $"the utterance's snapshot cannot be resumed: {e.Message}");
        }

        return true;
    }

    private void AckRestored()
    {
        if (_acked > 0 && Persist!.Writer.Store.IsShared)
        {
            output.Send(new ServerMessage { Ack = new Ack { UtteranceId = Id, DurableOffset = (ulong)_acked } });
        }
    }

    /// <summary>After an outcome: register with the writer if frames were decoded; take a snapshot asked for while the
    /// work was out (before the next work is queued, so the pool saves exactly this state).</summary>
    private void AfterDecoded(int framesConsumed)
    {
        if (Persist is not { } persist)
        {
            return;
        }

        if (framesConsumed > 0 && !_dirty)
        {
            _dirty = true;
            persist.Writer.MarkDirty(Id, Self);
        }

        if (_pendingSnapshot is { } reply)
        {
            _pendingSnapshot = null;
            TakeSnapshot(reply);
        }
    }

    private void OnSnapshotRequested(Reply<ChannelSnapshot?> reply)
    {
        if (Persist is null || _channel < 0 || _frames.Start <= _acked)
        {
            reply.Set(null); // nothing decoded beyond what is durable
            return;
        }

        if (_inFlight)
        {
            _pendingSnapshot?.Set(null);
            _pendingSnapshot = reply;
            return;
        }

        TakeSnapshot(reply);
    }

    private void TakeSnapshot(Reply<ChannelSnapshot?> reply)
    {
        var persist = Persist!;
        _dirty = false;
        var (segment, segmentStart, frames) = (_segment, _segmentStart, _frames.Start);
        _ = pool.SaveChannelAsync(_channel).ContinueWith(saved => reply.Set(saved.IsCompletedSuccessfully
            ? new ChannelSnapshot(Id, persist.Shard, persist.Epoch, frames,
                ChannelCheckpoint.Pack(segment, segmentStart, saved.Result))
            : null), TaskScheduler.Default);
    }

    private void OnSnapshotDurable(long frames)
    {
        if (frames > _acked)
        {
            _acked = frames;
            if (Persist!.Writer.Store.IsShared)
            {
                output.Send(new ServerMessage { Ack = new Ack { UtteranceId = Id, DurableOffset = (ulong)frames } });
            }
        }
    }

    /// <summary>The final is sent: keep it for a client that may not have received it, drop the snapshot.</summary>
    private void Completed(Result final)
    {
        if (Persist is { } persist)
        {
            persist.Writer.Complete(Id, persist.Shard, persist.Epoch, final.ToByteArray(), persist.FinalRetention);
        }
    }

    /// <summary>The utterance will never be resumed (cancelled, abandoned past its idle timeout).</summary>
    private void Forgotten()
    {
        if (Persist is { } persist)
        {
            persist.Writer.Delete(Id, persist.Shard, persist.Epoch);
        }
    }
}
