namespace Svod.Cluster.Configuration;

/// <summary>
/// Any problem in a configuration: syntax, includes, substitutions, or a value of the wrong type.
/// The message starts with <c>file:line:column: </c> (just <c>file: </c> when there is no location).
/// </summary>
public sealed class HoconException : Exception
{
    internal HoconException(HoconOrigin origin, string reason)
        : base($"{(origin.Line == 0 ? origin.File : origin.ToString())}: {reason}")
    {
        File = origin.File;
        Line = origin.Line;
        Column = origin.Column;
        Reason = reason;
    }

    public string File { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The message without its location.</summary>
    internal string Reason { get; }
}
