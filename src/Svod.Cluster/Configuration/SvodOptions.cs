using Microsoft.Extensions.Configuration;

namespace Svod.Cluster.Configuration;

/// <summary>
/// Every setting Svod reads, under the HOCON root <c>svod</c>. Defaults are the initializers here; each key is
/// documented once, with its default, in <c>hocon/svod.conf</c> (a test keeps the two equal).
/// </summary>
public sealed class SvodOptions
{
    public const string Root = "svod";

    [ConfigurationKeyName("decoding")]
    public DecodingOptions Decoding { get; set; } = new();

    [ConfigurationKeyName("lanes")]
    public LaneOptions Lanes { get; set; } = new();

    [ConfigurationKeyName("node")]
    public NodeOptions Node { get; set; } = new();

    [ConfigurationKeyName("security")]
    public SecurityOptions Security { get; set; } = new();

    [ConfigurationKeyName("cluster")]
    public ClusterOptions Cluster { get; set; } = new();

    [ConfigurationKeyName("persistence")]
    public PersistenceOptions Persistence { get; set; } = new();
}

/// <summary><c>svod.node</c>: the streaming node (<c>svod node</c>).</summary>
public sealed class NodeOptions
{
    /// <summary>Where Kestrel listens.</summary>
    [ConfigurationKeyName("urls")]
    public string Urls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Channels (open utterances) per model on this node; a Start beyond it gets RESOURCE_EXHAUSTED.</summary>
    [ConfigurationKeyName("channels")]
    public int Channels { get; set; } = 4096;

    /// <summary>An utterance with no client message for this long is closed with DEADLINE_EXCEEDED.</summary>
    [ConfigurationKeyName("idle-timeout")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest WebSocket message accepted; a larger one is refused with RESOURCE_EXHAUSTED and skipped.</summary>
    [ByteSize]
    [ConfigurationKeyName("max-message-size")]
    public long MaxMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Seconds one encoder frame covers, for word times (GigaAM: 40 ms).</summary>
    [ConfigurationKeyName("frame-seconds")]
    public double FrameSeconds { get; set; } = 0.04;

    /// <summary>Frames one connection may have received and not yet decoded; above it the node stops reading that
    /// connection until decoding catches up (TCP then pushes back on the client).</summary>
    [ConfigurationKeyName("max-pending-frames")]
    public int MaxPendingFrames { get; set; } = 32768;

    /// <summary>On shutdown (SIGTERM, Ctrl+C) how long open utterances may go on to their finals before they are
    /// ended with UNAVAILABLE.</summary>
    [ConfigurationKeyName("drain-timeout")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    [ConfigurationKeyName("tls")]
    public TlsOptions Tls { get; set; } = new();
}

/// <summary><c>svod.node.tls</c>: the certificate of <c>https://</c> URLs (clients then connect with <c>wss://</c>).</summary>
public sealed class TlsOptions
{
    /// <summary>Certificate file: PEM (with <see cref="Key"/>, or holding the key itself) or PKCS#12 (.pfx/.p12).
    /// Empty: no TLS, and an https URL is refused.</summary>
    [ConfigurationKeyName("certificate")]
    public string Certificate { get; set; } = "";

    /// <summary>PEM private key file of a PEM certificate; empty when the certificate file holds the key.</summary>
    [ConfigurationKeyName("key")]
    public string Key { get; set; } = "";

    /// <summary>Password of a PKCS#12 file or of an encrypted PEM key; empty for none.</summary>
    [ConfigurationKeyName("password")]
    public string Password { get; set; } = "";
}

/// <summary><c>svod.security</c>: who may use the node.</summary>
public sealed class SecurityOptions
{
    /// <summary>Client API keys; empty lets anyone stream. Clients send one as <c>Authorization: Bearer KEY</c>.</summary>
    [ConfigurationKeyName("api-keys")]
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Keys of the admin endpoints (<c>svod cluster ...</c>), separate from client keys; empty leaves them
    /// open, which suits a private network only.</summary>
    [ConfigurationKeyName("admin-keys")]
    public List<string> AdminKeys { get; set; } = [];
}

/// <summary><c>svod.decoding</c>: how utterances are decoded.</summary>
public sealed class DecodingOptions
{
    /// <summary>AdvanceDecoding backend: <c>cpu</c>, <c>cuda</c> or <c>auto</c>.</summary>
    [ConfigurationKeyName("backend")]
    public string Backend { get; set; } = "auto";

    /// <summary>Decoding threads of the offline commands, each with its own backend.</summary>
    [ConfigurationKeyName("threads")]
    public int Threads { get; set; } = 1;

    /// <summary>Overrides the model's <c>decoding.max_symbols_per_step</c>; 0 keeps the model's value.</summary>
    [ConfigurationKeyName("max-symbols-per-step")]
    public int MaxSymbolsPerStep { get; set; }

    [ConfigurationKeyName("wfst")]
    public WfstSearchOptions Wfst { get; set; } = new();
}

/// <summary><c>svod.decoding.wfst</c>: the lattice search of CTC log-probs against a graph (<c>svod decode
/// --graph</c>), Kaldi CudaDecoder's settings and defaults.</summary>
public sealed class WfstSearchOptions
{
    [ConfigurationKeyName("beam")]
    public double Beam { get; set; } = 15;

    [ConfigurationKeyName("lattice-beam")]
    public double LatticeBeam { get; set; } = 10;

    [ConfigurationKeyName("max-active")]
    public int MaxActive { get; set; } = 10000;

    /// <summary>0: 4 × max-active.</summary>
    [ConfigurationKeyName("main-queue-capacity")]
    public int MainQueueCapacity { get; set; }

    /// <summary>0: 3 × the main queue.</summary>
    [ConfigurationKeyName("aux-queue-capacity")]
    public int AuxQueueCapacity { get; set; }

    [ConfigurationKeyName("acoustic-scale")]
    public double AcousticScale { get; set; } = 1;
}

/// <summary><c>svod.lanes</c>: the shape of an AdvanceDecoding call.</summary>
public sealed class LaneOptions
{
    /// <summary>Lanes per call: channels decoded together.</summary>
    [ConfigurationKeyName("count")]
    public int Count { get; set; } = 64;

    /// <summary>Most frames one lane consumes per call.</summary>
    [ConfigurationKeyName("max-frames-per-call")]
    public int MaxFramesPerCall { get; set; } = 64;
}
