namespace Svod.Client.Protocol;

/// <summary>An <see cref="Error"/> from a node, raised on the utterance it concerns: the typed code and the node's
/// message. Like gRPC's RpcException, one type whose <see cref="Code"/> says what went wrong. The client raises it too,
/// with <see cref="ErrorCode.Unavailable"/>, when no node can be reached.</summary>
public sealed class SvodException : Exception
{
    /// <summary>An error with its code and message, for one utterance or (<paramref name="utteranceId"/> null or
    /// empty) for the whole connection.</summary>
    public SvodException(ErrorCode code, string message, string? utteranceId = null)
        : this(code, message, utteranceId, null)
    {
    }

    /// <summary>An error caused by <paramref name="innerException"/> (e.g. the WebSocket failure behind an
    /// UNAVAILABLE).</summary>
    public SvodException(ErrorCode code, string message, string? utteranceId, Exception? innerException)
        : base(utteranceId is null or "" ? $"{code}: {message}" : $"{code} ({utteranceId}): {message}", innerException)
    {
        Code = code;
        UtteranceId = utteranceId is "" ? null : utteranceId;
    }

    /// <summary>What went wrong, as gRPC status codes say it.</summary>
    public ErrorCode Code { get; }

    /// <summary>The utterance, or null for a problem of the whole connection.</summary>
    public string? UtteranceId { get; }

    /// <summary>The exception for a node's <see cref="Error"/> message.</summary>
    public static SvodException From(Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new SvodException(error.Code, error.Message, error.UtteranceId);
    }
}
