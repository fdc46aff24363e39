using Microsoft.Extensions.Logging;

namespace Svod.Cluster.Actors;

/// <summary>
/// Log events of the actor kernel, event ids 1000–1099. Lives here until Svod.Cluster has its one <c>Log.cs</c>
/// with a range per component; then it moves there unchanged. <c>actor</c> is the actor's own
/// <see cref="Actor{TMessage}.Describe"/> (a channel actor prints its utterance id).
/// </summary>
internal static partial class ActorLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Error,
        Message = "Actor {Actor} failed on a {MessageType} message, which is dropped; restarting it " +
            "(failure {Failures} of at most {MaxRestarts} within {RestartWindow})")]
    public static partial void Restarting(ILogger logger, string actor, string messageType, int failures,
        int maxRestarts, TimeSpan restartWindow, Exception exception);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error,
        Message = "Actor {Actor} failed on a {MessageType} message, more than {MaxRestarts} times within " +
            "{RestartWindow}; stopping it")]
    public static partial void GaveUp(ILogger logger, string actor, string messageType, int maxRestarts,
        TimeSpan restartWindow, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Actor {Actor} failed to start; stopping it")]
    public static partial void StartFailed(ILogger logger, string actor, Exception exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Actor {Actor} failed in PreRestartAsync; restarting it anyway")]
    public static partial void PreRestartFailed(ILogger logger, string actor, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error,
        Message = "Actor {Actor} could not be restarted (factory or PostRestartAsync failed); stopping it")]
    public static partial void RestartFailed(ILogger logger, string actor, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Actor {Actor} failed in PostStopAsync")]
    public static partial void PostStopFailed(ILogger logger, string actor, Exception exception);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error,
        Message = "Actor {Actor} failed on a {MessageType} message while stopping; not restarted")]
    public static partial void FailedWhileStopping(ILogger logger, string actor, string messageType,
        Exception exception);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information,
        Message = "Actor {Actor} stopped with {Count} messages left in its mailbox; they are dead letters")]
    public static partial void DeadLetters(ILogger logger, string actor, int count);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning,
        Message = "A callback on the cancellation token of actor {Actor} failed")]
    public static partial void CancellationCallbackFailed(ILogger logger, string actor, Exception exception);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Critical,
        Message = "The mailbox loop of actor {Actor} failed (a bug in the actor kernel); the actor is stopped")]
    public static partial void LoopFailed(ILogger logger, string actor, Exception exception);
}
