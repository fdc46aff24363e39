using System.Buffers;
using Svod.Client;
using Svod.Client.Protocol;
using Svod.Cluster.Channels;

namespace Svod.Cluster.Node;

internal sealed partial class Session
{
    private void Route(ClientMessage message)
    {
        switch (message.KindCase)
        {
            case ClientMessage.KindOneofCase.Start:
                OnStart(message.Start);
                break;
            case ClientMessage.KindOneofCase.Frames:
                OnFrames(message.Frames);
                break;
            case ClientMessage.KindOneofCase.Finalize:
                Find(message.Finalize.UtteranceId, "Finalize")?.Actor.Tell(new ChannelMessage.FinalizeRequested());
                break;
            case ClientMessage.KindOneofCase.Cancel:
                Find(message.Cancel.UtteranceId, "Cancel")?.Actor.Tell(new ChannelMessage.CancelRequested());
                break;
            default:
                SendError("", ErrorCode.InvalidArgument, "empty ClientMessage: set start, frames, finalize or cancel");
                break;
        }
    }

    private void OnStart(Start start)
    {
        var id = start.UtteranceId;
        if (string.IsNullOrEmpty(id))
        {
            SendError("", ErrorCode.InvalidArgument, "Start needs an utterance_id");
            return;
        }

        lock (_gate)
        {
            _ended.Remove(id); // whatever the client sends of it from now on answers this Start
        }

        if (!node.Models.TryGetValue(start.Model, out var served))
        {
            SendError(id, ErrorCode.NotFound,
                $"model '{start.Model}' is not served here; models: {string.Join(", ", node.Models.Keys.Order())}");
            return;
        }

        var shard = ShardMap.ShardOf(id, node.Ownership.ShardCount);
        if (!node.Ownership.TryServe(shard, out var epoch))
        {
            if (node.Ownership.Owner(shard) is { } owner)
            {
                Send(new ServerMessage
                {
                    Redirect = new Redirect { UtteranceId = id, Owner = owner.Address, Epoch = (ulong)owner.Epoch },
                });
            }
            else
            {
                SendError(id, ErrorCode.Unavailable, $"shard {shard} has no owner at the moment; try again shortly");
            }

            return;
        }

        lock (_gate)
        {
            if (_draining)
            {
                Send(new ServerMessage
                {
                    Error = new Error
                    {
                        UtteranceId = id, Code = ErrorCode.Unavailable, NodeDraining = true,
                        Message = "this node is shutting down; start the utterance on another node",
                    },
                });
                return;
            }

            if (_utterances.ContainsKey(id))
            {
                SendError(id, ErrorCode.AlreadyExists, $"utterance {id} is already open on this connection");
                return;
            }

            var persistence = node.Writer is { } writer
                ? new ChannelPersistence(writer, shard, epoch, node.FinalRetention)
                : null;
            var settings = new ChannelSettings(id, served.Model, start.Options ?? new StreamOptions(),
                (float)options.FrameSeconds, options.IdleTimeout, persistence, start.Resume);
            var utterance = new Utterance(this, id, shard, served.Model.Dims.EncoderDim,
                start.Options?.Encoding ?? FrameEncoding.F32);
            utterance.Actor = node.Actors.Spawn($"{connectionId}/{id}", () => new ChannelActor(settings, served.Pool, utterance));
            _utterances[id] = utterance;
            _ = utterance.Actor.Completion.ContinueWith(_ => Forget(utterance), TaskScheduler.Default);
        }
    }

    private void OnFrames(Frames frames)
    {
        var utterance = Find(frames.UtteranceId, "Frames");
        if (utterance is null)
        {
            return;
        }

        int count;
        try
        {
            count = FramePayload.FrameCount(frames.Data.Span, utterance.Width, utterance.Encoding);
        }
        catch (ArgumentException e)
        {
            SendError(frames.UtteranceId, ErrorCode.InvalidArgument, $"frames at offset {frames.Offset}: {e.Message}");
            return;
        }

        if (!utterance.TryHold(count))
        {
            return; // it has just ended; its client hears why from the actor
        }

        // Rented here, returned by the channel actor once it has copied the frames into its buffer.
        var length = count * utterance.Width;
        var values = ArrayPool<float>.Shared.Rent(length);
        FramePayload.Decode(frames.Data.Span, utterance.Encoding, values.AsSpan(0, length));
        if (!utterance.Actor.Tell(new ChannelMessage.FramesArrived((long)frames.Offset, new(values, 0, length), Rented: true)))
        {
            ArrayPool<float>.Shared.Return(values); // the actor has stopped
            utterance.FramesDone(count);
        }
    }

    private Utterance? Find(string id, string what)
    {
        lock (_gate)
        {
            if (_utterances.TryGetValue(id, out var utterance))
            {
                return utterance;
            }

            if (Ended(id))
            {
                return null; // sent before the client heard that it ended
            }
        }

        SendError(id, ErrorCode.NotFound, $"{what} for utterance '{id}', which is not open: send Start first");
        return null;
    }

    private void Forget(Utterance utterance)
    {
        Detach(utterance);
        CloseIfDrained();
    }

    /// <summary>Takes the utterance off the connection (its id is free for a new Start) and gives back the frames it
    /// held. Done before the client is told that it ended, so that a Start it sends back at once is not refused as
    /// ALREADY_EXISTS; the connection of a draining node closes only after that message (<see cref="Forget"/>, when
    /// the actor has stopped).</summary>
    private void Detach(Utterance utterance)
    {
        lock (_gate)
        {
            if (_utterances.TryGetValue(utterance.Id, out var current) && current == utterance)
            {
                _utterances.Remove(utterance.Id);
                RememberEnded(utterance.Id);
            }
        }

        utterance.Close();
    }
}
