namespace Svod.Cluster.Actors;

/// <summary>What the <see cref="ActorSystem"/> needs of an actor, whatever its message type.</summary>
internal interface IActorCell
{
    string Name { get; }

    Task Completion { get; }

    void Stop();
}
