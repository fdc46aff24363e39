using System.Globalization;

namespace Svod.Cluster.Actors;

/// <summary>An ask got no reply in time; the message names the actor and the timeout.</summary>
public sealed class AskTimeoutException : TimeoutException
{
    public AskTimeoutException(string actorName, TimeSpan timeout)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Actor '{actorName}' did not reply within {timeout.TotalMilliseconds:0.###} ms."))
    {
        ActorName = actorName;
        Timeout = timeout;
    }

    public string ActorName { get; }

    public TimeSpan Timeout { get; }
}
