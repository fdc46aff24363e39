namespace Svod.Cluster.Actors;

/// <summary>An ask went to an actor that is stopped, or that stopped before anyone set the reply.</summary>
public sealed class ActorStoppedException : InvalidOperationException
{
    public ActorStoppedException(string actorName, string message)
        : base(message)
    {
        ActorName = actorName;
    }

    public string ActorName { get; }

    internal static ActorStoppedException NotDelivered(string actorName) =>
        new(actorName, $"Actor '{actorName}' is stopped; the message was not delivered.");

    internal static ActorStoppedException NoReply(string actorName) =>
        new(actorName, $"Actor '{actorName}' stopped before the reply was set.");
}
