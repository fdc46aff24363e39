using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Svod.Cluster.Actors;

/// <summary>
/// Spawns actors and stops them all at the end. Names are unique among running actors: an actor's name is free
/// again once its <see cref="ActorRef{TMessage}.Completion"/> has finished.
/// </summary>
public sealed class ActorSystem : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, IActorCell> _actors = new(StringComparer.Ordinal);
    private int _actorCount;
    private long _deadLetters;
    private volatile bool _stopping;

    public ActorSystem(TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        TimeProvider = timeProvider ?? TimeProvider.System;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Logger = LoggerFactory.CreateLogger<ActorSystem>();
    }

    /// <summary>The clock of timers, ask timeouts and restart windows.</summary>
    public TimeProvider TimeProvider { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Actors spawned and not yet stopped.</summary>
    public int ActorCount => Volatile.Read(ref _actorCount);

    /// <summary>
    /// Messages that reached no actor: told to a stopped actor or a full mailbox, or left in a stopped one.
    /// </summary>
    public long DeadLetters => Interlocked.Read(ref _deadLetters);

    internal ILogger Logger { get; }

    /// <summary>
    /// Builds the first instance with <paramref name="factory"/> (here, on the caller's thread: its exceptions
    /// reach the caller) and starts the actor; the factory is called again for every restart.
    /// </summary>
    public ActorRef<TMessage> Spawn<TMessage>(string name, Func<Actor<TMessage>> factory, ActorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        options ??= ActorOptions.Default;
        options.Validate();
        ObjectDisposedException.ThrowIf(_stopping, this);

        var cell = new ActorCell<TMessage>(this, name, factory, options);
        if (!_actors.TryAdd(name, cell))
        {
            throw new InvalidOperationException($"An actor named '{name}' is already running.");
        }

        Interlocked.Increment(ref _actorCount);
        cell.Start();
        if (_stopping)
        {
            // Raced with StopAsync, which may have taken its list already; it waits until the registry is empty.
            cell.RequestStop(cancelCurrent: true);
        }

        return cell.Ref;
    }

    /// <summary>
    /// Stops every actor as <see cref="ActorRef{TMessage}.Stop"/> does, and waits until all have stopped.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _stopping = true;
        while (!_actors.IsEmpty)
        {
            var cells = _actors.Values.ToArray();
            foreach (var cell in cells)
            {
                cell.Stop();
            }

            await Task.WhenAll(cells.Select(cell => cell.Completion)).WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    internal void AddDeadLetters(long count) => Interlocked.Add(ref _deadLetters, count);

    internal void Unregister(IActorCell cell)
    {
        if (_actors.TryRemove(KeyValuePair.Create(cell.Name, cell)))
        {
            Interlocked.Decrement(ref _actorCount);
        }
    }
}
