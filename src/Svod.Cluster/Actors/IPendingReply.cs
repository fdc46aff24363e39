namespace Svod.Cluster.Actors;

/// <summary>A <see cref="Reply{TReply}"/> seen by its actor, which fails the ones still open when it stops.</summary>
internal interface IPendingReply
{
    bool Fail(Exception exception);
}
