using System.Reflection;

namespace Svod.Cluster.Configuration;

/// <summary>
/// Svod's configuration as one process sees it: the reference <c>svod.conf</c> (embedded), the given files (later
/// wins) and <c>-D</c> overrides, resolved once, checked, and bound to <see cref="SvodOptions"/>. Every problem is a
/// <see cref="ConfigurationException"/> whose message names the key and where it was set.
/// </summary>
public sealed class SvodSettings
{
    private SvodSettings(HoconConfig hocon, SvodOptions options)
    {
        Hocon = hocon;
        Options = options;
    }

    public HoconConfig Hocon { get; }

    public SvodOptions Options { get; }

    /// <summary>Every setting <see cref="SvodOptions"/> declares, with its type and default.</summary>
    public static IReadOnlyList<OptionsSchema.Setting> Schema { get; } = OptionsSchema.Of(typeof(SvodOptions), SvodOptions.Root);

    /// <summary>The reference configuration shipped inside svod: every key with its default.</summary>
    public static string ReferenceText { get; } = ReadReference();

    public static SvodSettings Load(IReadOnlyList<string> files, IReadOnlyList<string> overrides,
        Func<string, string?>? environment = null)
    {
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                throw new ConfigurationException($"{file}: configuration file not found");
            }
        }

        foreach (var o in overrides)
        {
            if (!o.Contains('=', StringComparison.Ordinal))
            {
                throw new ConfigurationException($"-D {o}: expected key=value, e.g. -D svod.lanes.count=128");
            }
        }

        try
        {
            var hocon = HoconConfig.Load(files, overrides, environment, ReferenceText);
            var options = HoconBinding.Bind<SvodOptions>(hocon, SvodOptions.Root);
            Validate(hocon, options);
            return new SvodSettings(hocon, options);
        }
        catch (HoconException e)
        {
            throw new ConfigurationException(e.Message, e);
        }
    }

    private static void Validate(HoconConfig hocon, SvodOptions options)
    {
        Require(options.Decoding.Backend is "cpu" or "cuda" or "auto", "svod.decoding.backend",
            "must be cpu, cuda or auto");
        Require(options.Decoding.Threads >= 1, "svod.decoding.threads", "must be at least 1");
        Require(options.Decoding.MaxSymbolsPerStep >= 0, "svod.decoding.max-symbols-per-step",
            "must be 0 (the model's value) or more");
        var wfst = options.Decoding.Wfst;
        Require(double.IsFinite(wfst.Beam) && wfst.Beam > 0, "svod.decoding.wfst.beam", "must be positive");
        Require(double.IsFinite(wfst.LatticeBeam) && wfst.LatticeBeam > 0, "svod.decoding.wfst.lattice-beam",
            "must be positive");
        Require(wfst.MaxActive >= 1, "svod.decoding.wfst.max-active", "must be at least 1");
        Require(wfst.MainQueueCapacity >= 0, "svod.decoding.wfst.main-queue-capacity", "must be 0 (default) or more");
        Require(wfst.AuxQueueCapacity >= 0, "svod.decoding.wfst.aux-queue-capacity", "must be 0 (default) or more");
        Require(double.IsFinite(wfst.AcousticScale) && wfst.AcousticScale > 0, "svod.decoding.wfst.acoustic-scale",
            "must be positive");
        Require(options.Lanes.Count >= 1, "svod.lanes.count", "must be at least 1");
        Require(options.Lanes.MaxFramesPerCall >= 1, "svod.lanes.max-frames-per-call", "must be at least 1");
        Require(options.Node.MaxPendingFrames >= 1, "svod.node.max-pending-frames", "must be at least 1");
        Require(options.Node.DrainTimeout >= TimeSpan.Zero, "svod.node.drain-timeout", "must not be negative");
        var cluster = options.Cluster;
        Require(cluster.Shards is >= 1 and <= 65536, "svod.cluster.shards", "must be 1 to 65536");
        Require(cluster.HeartbeatInterval > TimeSpan.Zero, "svod.cluster.heartbeat-interval", "must be positive");
        Require(cluster.LeaseDuration > cluster.HeartbeatInterval, "svod.cluster.lease-duration",
            "must be longer than svod.cluster.heartbeat-interval");
        Require(cluster.FailureTimeout > cluster.LeaseDuration, "svod.cluster.failure-timeout",
            "must be longer than svod.cluster.lease-duration (a node must stop serving before it can be replaced)");
        Require(cluster.CoordinatorInterval > TimeSpan.Zero, "svod.cluster.coordinator-interval", "must be positive");
        Require(cluster.RebalanceAbsoluteLimit >= 1, "svod.cluster.rebalance-absolute-limit", "must be at least 1");
        Require(cluster.RebalanceRelativeLimit is > 0 and <= 1, "svod.cluster.rebalance-relative-limit",
            "must be in (0, 1]");
        Require(options.Persistence.SnapshotInterval > TimeSpan.Zero, "svod.persistence.snapshot-interval",
            "must be positive");
        Require(options.Persistence.FinalRetention >= TimeSpan.Zero, "svod.persistence.final-retention",
            "must not be negative");

        void Require(bool ok, string path, string what)
        {
            if (!ok)
            {
                throw new ConfigurationException(
                    $"{HoconBinding.Origin(hocon, path)}: {path} {what} (is {Describe(hocon.GetValue(path))})");
            }
        }
    }

    private static string Describe(HoconValue value) => value is HoconScalar s ? s.Text ?? "null" : value.GetType().Name;

    private static string ReadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("svod.conf")
            ?? throw new InvalidOperationException("the reference svod.conf is not embedded in this build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
