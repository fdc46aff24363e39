using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Svod.Cluster.Tests.Actors;

/// <summary>A logger factory whose loggers keep every entry, formatted, for assertions.</summary>
internal sealed class CapturedLogs : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public IEnumerable<Entry> WithEventId(int eventId) => Entries.Where(entry => entry.EventId.Id == eventId);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue(new Entry(logLevel, eventId, formatter(state, exception), exception));

    public sealed record Entry(LogLevel Level, EventId EventId, string Message, Exception? Exception);
}
