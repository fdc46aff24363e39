using Svod.Client.Protocol;
using Svod.Cluster.Actors;
using Svod.Cluster.Channels;

namespace Svod.Cluster.Node;

internal sealed partial class Session
{
    /// <summary>
    /// One open utterance of the connection: its channel actor's output, and the frames it holds for the connection's
    /// backpressure (received, not yet decoded or dropped). Once closed, whatever it still held is given back at once,
    /// so frames left in a stopped actor's mailbox never count against the connection.
    /// </summary>
    private sealed class Utterance(Session session, string id, int shard, int width, FrameEncoding encoding)
        : IUtteranceOutput
    {
        private readonly Lock _gate = new();
        private long _held;
        private bool _closed;

        public ActorRef<ChannelMessage> Actor { get; set; } = null!;

        public string Id => id;

        public int Shard => shard;

        public int Width => width;

        public FrameEncoding Encoding => encoding;

        public void Send(ServerMessage message) => session.Send(message);

        public void Ending() => session.Detach(this);

        public void FramesDone(int frames)
        {
            lock (_gate)
            {
                if (_closed)
                {
                    return;
                }

                _held -= frames;
            }

            session.Release(frames);
        }

        /// <summary>Counts frames about to be handed to the actor; false once the utterance has closed.</summary>
        public bool TryHold(int frames)
        {
            lock (_gate)
            {
                if (_closed)
                {
                    return false;
                }

                _held += frames;
            }

            session.Hold(frames);
            return true;
        }

        public void Close()
        {
            long rest;
            lock (_gate)
            {
                _closed = true;
                rest = _held;
                _held = 0;
            }

            session.Release(rest);
        }
    }
}
