namespace Svod.Cluster.Actors;

/// <summary>Mailbox and supervision settings of one actor.</summary>
public sealed class ActorOptions
{
    public static ActorOptions Default { get; } = new();

    /// <summary>
    /// Messages the mailbox holds; 0 = unbounded. A full bounded mailbox refuses <see cref="ActorRef{T}.Tell"/>
    /// (false, counted as a dead letter, as in Akka) while <see cref="ActorRef{T}.TellAsync"/> and asks wait for room.
    /// </summary>
    public int MailboxCapacity { get; init; }

    /// <summary>
    /// Restarts allowed within <see cref="RestartWindow"/>; the next failure in the window stops the actor.
    /// 0: the first failure stops it.
    /// </summary>
    public int MaxRestarts { get; init; } = 10;

    /// <summary>The window <see cref="MaxRestarts"/> counts in; opened by a failure after a quiet one.</summary>
    public TimeSpan RestartWindow { get; init; } = TimeSpan.FromMinutes(1);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MailboxCapacity, nameof(MailboxCapacity));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRestarts, nameof(MaxRestarts));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RestartWindow, TimeSpan.Zero, nameof(RestartWindow));
    }
}
