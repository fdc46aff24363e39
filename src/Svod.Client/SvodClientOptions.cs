using System.Security.Cryptography.X509Certificates;
using Svod.Client.Protocol;

namespace Svod.Client;

/// <summary>Settings of a <see cref="SvodClient"/>.</summary>
public sealed class SvodClientOptions
{
    /// <summary>Sent as <c>Authorization: Bearer KEY</c> when the node requires API keys.</summary>
    public string? ApiKey { get; init; }

    /// <summary>How frames travel: float32 (exact) or float16 (half the bytes).</summary>
    public FrameEncoding Encoding { get; init; } = FrameEncoding.F32;

    /// <summary>How long one attempt to place an utterance on a node waits for the node's Started.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one attempt to open a WebSocket to a node may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The delay before the first attempt to reconnect to a node; it doubles with each failed attempt, up to
    /// <see cref="MaxReconnectDelay"/>, and each delay is jittered into its upper half.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between attempts to reconnect to a node.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an utterance cut off from its node (connection lost, or the node answered UNAVAILABLE) waits for a
    /// node to replay it on, counted from the moment it was cut off; after that its
    /// <see cref="UtteranceStream.Results"/> ends with <see cref="SvodException"/> UNAVAILABLE. Also how long
    /// <see cref="SvodClient.StartAsync"/> waits while no node is connected.
    /// </summary>
    public TimeSpan ReconnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the client pings each node's WebSocket.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A node that answers no ping for this long is taken as lost: its utterances move, and the connection
    /// is reopened. <see cref="Timeout.InfiniteTimeSpan"/> turns the check off.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// For nodes serving TLS with a self-signed certificate: a <c>wss://</c> node's certificate is accepted when the
    /// system store validates it or when it is exactly this certificate.
    /// </summary>
    public X509Certificate2? TrustedCertificate { get; init; }
}
