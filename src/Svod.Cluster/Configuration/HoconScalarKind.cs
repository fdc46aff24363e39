namespace Svod.Cluster.Configuration;

public enum HoconScalarKind
{
    String,
    Number,
    Boolean,
    Null,
}
