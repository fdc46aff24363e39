using Svod.Client.Protocol;

namespace Svod.Client;

/// <summary>Settings of a <see cref="SvodClient"/>.</summary>
public sealed class SvodClientOptions
{
    /// <summary>Sent as <c>Authorization: Bearer KEY</c> when the node requires API keys.</summary>
    public string? ApiKey { get; init; }

    /// <summary>How frames travel: float32 (exact) or float16 (half the bytes).</summary>
    public FrameEncoding Encoding { get; init; } = FrameEncoding.F32;

    /// <summary>How long <see cref="SvodClient.StartAsync"/> waits for the node's Started.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
