namespace Svod.Cluster.Configuration;

/// <summary>Marks a <c>long</c> option as a size in bytes, so HOCON sizes (<c>64 MiB</c>, <c>1g</c>) bind to it.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ByteSizeAttribute : Attribute;
