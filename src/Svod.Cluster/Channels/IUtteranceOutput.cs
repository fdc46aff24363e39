using Svod.Client.Protocol;

namespace Svod.Cluster.Channels;

/// <summary>Where a channel actor's replies go: its client's session (which writes them to the WebSocket).</summary>
public interface IUtteranceOutput
{
    void Send(ServerMessage message);
}
