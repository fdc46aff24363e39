using Svod.Client.Protocol;

namespace Svod.Cluster.Channels;

/// <summary>Where a channel actor's replies go: its client's session (which writes them to the WebSocket).</summary>
public interface IUtteranceOutput
{
    void Send(ServerMessage message);

    /// <summary>Frames received from the client that no longer wait in the actor: decoded, or dropped (duplicates,
    /// refused). The session reads its connection again once few enough are left.</summary>
    void FramesDone(int frames);

    /// <summary>The actor is about to end the utterance with an error: from now on the session treats its id as free
    /// (a new Start opens a new actor).</summary>
    void Ending();
}
