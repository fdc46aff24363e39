using Svod.Cluster.Lanes;
using Svod.Gpu.Decoding;
using Svod.Gpu.Models;

namespace Svod.Cluster.Node;

/// <summary>A model this node serves, with its backend and the lane pool that drives it.</summary>
public sealed class ServedModel : IAsyncDisposable
{
    private readonly IDecoderBackend _backend;

    /// <param name="backend">cpu, cuda or auto (<see cref="DecoderBackends"/>); auto's fall-back to the cpu is
    /// reported through <paramref name="fellBack"/>.</param>
    public ServedModel(string name, RnntModel model, int channels, int lanes, int maxFramesPerCall,
        string backend = DecoderBackends.Cpu, Action<string>? fellBack = null)
    {
        Name = name;
        Model = model;
        _backend = DecoderBackends.Create(backend, model, channels, Math.Min(lanes, channels), maxFramesPerCall,
            fellBack);
        Pool = new LanePool(_backend, name: $"svod-lanes-{name}");
    }

    public string Name { get; }

    public RnntModel Model { get; }

    /// <summary>The backend decoding it: cpu or cuda.</summary>
    public string Backend => _backend.Name;

    public LanePool Pool { get; }

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync();
        _backend.Dispose();
    }
}
