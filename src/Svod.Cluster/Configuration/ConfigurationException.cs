namespace Svod.Cluster.Configuration;

/// <summary>Configuration that cannot be used: the message names the key or file and where (file:line:column).</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string message)
        : base(message)
    {
    }

    public ConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
