using Svod.Cluster.Lanes;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Cluster.Node;

/// <summary>A model this node serves, with its backend and the lane pool that drives it.</summary>
public sealed class ServedModel : IAsyncDisposable
{
    private readonly IDecoderBackend _backend;

    public ServedModel(string name, RnntModel model, int channels, int lanes, int maxFramesPerCall)
    {
        Name = name;
        Model = model;
        _backend = new CpuDecoderBackend(model, channels, Math.Min(lanes, channels), maxFramesPerCall);
        Pool = new LanePool(_backend, name: $"svod-lanes-{name}");
    }

    public string Name { get; }

    public RnntModel Model { get; }

    public LanePool Pool { get; }

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync();
        _backend.Dispose();
    }
}
