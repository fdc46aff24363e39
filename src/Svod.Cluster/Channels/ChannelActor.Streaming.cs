using Svod.Client.Protocol;
using Svod.Cluster.Lanes;

namespace Svod.Cluster.Channels;

public sealed partial class ChannelActor
{
    private bool Partials => !settings.Options.HasPartialResults || settings.Options.PartialResults;

    /// <summary>Buffers the new frames of a message; returns how many it kept (the rest were duplicates or refused).</summary>
    private int OnFrames(ChannelMessage.FramesArrived message)
    {
        if (_finalizing)
        {
            SendError(ErrorCode.FailedPrecondition, $"frames at offset {message.Offset} after Finalize are refused");
            return 0;
        }

        var values = message.Values.AsSpan();
        if (values.Length % _width != 0)
        {
            SendError(ErrorCode.InvalidArgument,
                $"{values.Length} values at offset {message.Offset} are not whole frames of width {_width}");
            return 0;
        }

        var received = _frames.Received;
        if (message.Offset > received)
        {
            SendError(ErrorCode.InvalidArgument,
                $"gap: frames start at offset {message.Offset}, but only {received} frames arrived; resend from {received}");
            return 0;
        }

        // Frames before `received` arrived already (a replay after reconnecting): drop them, keep the rest.
        var skip = (int)Math.Min(received - message.Offset, values.Length / _width);
        var fresh = values[(skip * _width)..];
        for (var i = 0; i < fresh.Length; i++)
        {
            if (!float.IsFinite(fresh[i]))
            {
                SendError(ErrorCode.InvalidArgument,
                    $"frame {received + i / _width}, value {i % _width} is {fresh[i]}; the frames from offset " +
                    $"{received} are refused");
                return 0;
            }
        }

        if (fresh.Length > 0)
        {
            _frames.Append(fresh, _inFlight);
            Submit();
        }

        return fresh.Length / _width;
    }

    private void Submit()
    {
        if (!_inFlight && _frames.Count > 0 && _channel >= 0)
        {
            _inFlight = true;
            pool.Enqueue(new LaneWork(_channel, _frames.Pending, this));
        }
    }

    private void OnDecoded(LaneOutcome outcome)
    {
        _inFlight = false;
        if (outcome.Channel != _channel)
        {
            return; // an outcome for a channel this actor no longer holds
        }

        _frames.Consume(outcome.FramesConsumed);
        output.FramesDone(outcome.FramesConsumed);
        var endpoint = settings.Options.EndpointBlankFrames;
        var partial = false;
        for (var i = 0; i < outcome.Tokens.Length; i++)
        {
            // Endpointing token by token: where a segment closes depends on the frames, never on how they were chunked.
            var frame = outcome.TokenFrames[i];
            if (endpoint > 0 && _tokens.Count > _segmentStart && frame - 1 - _lastTokenFrame >= endpoint)
            {
                CloseSegment();
                partial = false;
            }

            _tokens.Add(outcome.Tokens[i]);
            _tokenFrames.Add(frame);
            _lastTokenFrame = frame;
            partial = true;
        }

        if (partial && Partials)
        {
            output.Send(new ServerMessage { Result = SegmentResult(isFinal: false) });
        }

        if (endpoint > 0 && _tokens.Count > _segmentStart && _frames.Start - 1 - _lastTokenFrame >= endpoint)
        {
            CloseSegment();
        }

        AfterDecoded(outcome.FramesConsumed);
        Submit();
        FinishIfDone();
    }

    private void CloseSegment()
    {
        output.Send(new ServerMessage { Result = SegmentResult(isFinal: true) });
        _segment++;
        _segmentStart = _tokens.Count;
    }

    private void FinishIfDone()
    {
        if (_finalizing && !_inFlight && _frames.Count == 0)
        {
            var last = SegmentResult(isFinal: true);
            last.EndOfUtterance = true;
            output.Send(new ServerMessage { Result = last });
            Completed(last);
            Stop();
        }
    }

    private Result SegmentResult(bool isFinal)
    {
        var count = _tokens.Count - _segmentStart;
        var tokens = _tokens.GetRange(_segmentStart, count);
        var frames = _tokenFrames.GetRange(_segmentStart, count);
        var result = new Result
        {
            UtteranceId = Id,
            IsFinal = isFinal,
            Segment = (uint)_segment,
            Text = settings.Model.Tokenizer.Decode(tokens.ToArray()),
            Stability = 1f, // greedy decoding never revises a token
        };
        result.Tokens.Add(tokens);
        result.TokenFrames.Add(frames);
        result.Words.Add(WordTimes.Of(settings.Model.Tokenizer, tokens, frames, settings.FrameSeconds));
        return result;
    }
}
