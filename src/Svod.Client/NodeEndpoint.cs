using System.Diagnostics;
using Svod.Client.Protocol;

namespace Svod.Client;

/// <summary>
/// One node URL of a <see cref="SvodClient"/>: its connection while there is one, and the loop that keeps one open.
/// After a failed attempt or a lost connection it reconnects after a <see cref="Backoff"/> delay, forever, until the
/// client is disposed, or until the node refuses the client's credentials (reconnecting cannot change that).
/// </summary>
internal sealed class NodeEndpoint(SvodClient client, Uri uri, SvodClientOptions options)
{
    private NodeConnection? _current;
    private bool _failed;
    private Error? _refusal;
    private string _state = "not connected yet";
    private Task _loop = Task.CompletedTask;

    public Uri Uri => uri;

    /// <summary>True after the node's connection was lost, or an attempt failed, until it is connected again: not a
    /// node to wait for.</summary>
    public bool IsDown => Current is null && Volatile.Read(ref _failed);

    /// <summary>The open connection, or null while the node is down.</summary>
    public NodeConnection? Current => Volatile.Read(ref _current);

    /// <summary>The error with which the node refused this client (UNAUTHENTICATED, PERMISSION_DENIED), if it did.
    /// </summary>
    public Error? Refusal => Volatile.Read(ref _refusal);

    /// <summary>What happened to the node last, for error messages: connected, or why it is not.</summary>
    public string State => Volatile.Read(ref _state);

    /// <summary>The first attempt, made by <see cref="SvodClient.ConnectAsync(IReadOnlyList{Uri}, SvodClientOptions?,
    /// CancellationToken)"/>: the connection, or the failure (also kept in <see cref="State"/>).</summary>
    public async Task<(NodeConnection? Connection, Exception? Error)> ConnectFirstAsync(
        CancellationToken cancellationToken)
    {
        try
        {
            return (await NodeConnection.OpenAsync(this, options, cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception e)
        {
            Volatile.Write(ref _failed, true);
            Volatile.Write(ref _state, $"cannot connect: {e.Message}");
            return (null, e);
        }
    }

    /// <summary>Starts the loop that keeps the node connected, from <paramref name="connection"/> if the first attempt
    /// gave one.</summary>
    public void Run(NodeConnection? connection, CancellationToken closing)
    {
        // Published before ConnectAsync returns, so that the first utterances see every node that connected.
        if (connection is not null)
        {
            Publish(connection);
        }

        _loop = Task.Run(() => KeepConnectedAsync(connection, closing), CancellationToken.None);
    }

    public void Refuse(Error error) => Volatile.Write(ref _refusal, error);

    /// <summary>After the client's closing token is cancelled: closes the connection politely, and drops it if the
    /// node does not answer in time.</summary>
    public async Task StopAsync()
    {
        if (Current is { } open)
        {
            await open.CloseAsync().ConfigureAwait(false);
        }

        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Current?.Abort();
            await _loop.ConfigureAwait(false);
        }
    }

    private void Publish(NodeConnection connection)
    {
        Volatile.Write(ref _failed, false);
        Volatile.Write(ref _state, "connected");
        Volatile.Write(ref _current, connection);
        client.OnConnected();
    }

    private async Task KeepConnectedAsync(NodeConnection? connection, CancellationToken closing)
    {
        var attempt = 0;
        while (true)
        {
            if (connection is not null)
            {
                var opened = Stopwatch.GetTimestamp();
                if (Current != connection)
                {
                    Publish(connection);
                }

                var ended = await connection.ReadAsync(client).ConfigureAwait(false);
                Volatile.Write(ref _failed, true);
                Volatile.Write(ref _current, null);
                Volatile.Write(ref _state, ended);
                connection.Dispose();
                if (closing.IsCancellationRequested)
                {
                    return;
                }

                client.OnConnectionLost(connection, ended);
                if (Refusal is not null)
                {
                    return;
                }

                // A connection that lived a while starts the backoff over; one the node ends at once (a draining
                // node, say) keeps backing off.
                if (Stopwatch.GetElapsedTime(opened) > options.MaxReconnectDelay)
                {
                    attempt = 0;
                }

                connection = null;
            }

            try
            {
                var delay = Backoff.Delay(attempt++, options.ReconnectDelay, options.MaxReconnectDelay,
                    Random.Shared.NextDouble());
                await Task.Delay(delay, closing).ConfigureAwait(false);
                connection = await NodeConnection.OpenAsync(this, options, closing).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever the failure, this loop is the node's only way back: note it and try again.
                Volatile.Write(ref _failed, true);
                Volatile.Write(ref _state, $"cannot connect: {e.Message}");
                continue;
            }

            if (closing.IsCancellationRequested)
            {
                connection.Abort();
                connection.Dispose();
                return;
            }

            client.CountReconnect();
        }
    }
}
