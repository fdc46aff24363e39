namespace Svod.Cluster.Configuration;

/// <summary>A node of a resolved configuration tree: an object, an array or a scalar.</summary>
public abstract class HoconValue
{
    private protected HoconValue(HoconOrigin origin) => Origin = origin;

    public HoconOrigin Origin { get; }

    /// <summary>"object", "array", "string", "number", "boolean" or "null", for messages.</summary>
    internal abstract string TypeName { get; }
}
