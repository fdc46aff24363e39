namespace Svod.Client.Protocol;

/// <summary>An <see cref="Error"/> from a node, raised on the utterance it concerns: the typed code and the node's
/// message. Like gRPC's RpcException, one type whose <see cref="Code"/> says what went wrong.</summary>
public sealed class SvodException : Exception
{
    public SvodException(ErrorCode code, string message, string? utteranceId = null)
        : base(utteranceId is null or "" ? $"{code}: {message}" : $"{code} ({utteranceId}): {message}")
    {
        Code = code;
        UtteranceId = utteranceId is "" ? null : utteranceId;
    }

    public ErrorCode Code { get; }

    /// <summary>The utterance, or null for a problem of the whole connection.</summary>
    public string? UtteranceId { get; }

    public static SvodException From(Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new SvodException(error.Code, error.Message, error.UtteranceId);
    }
}
