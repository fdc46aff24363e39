namespace Svod.Gpu.Wfst;

/// <summary>An FST or symbol-table file that cannot be used; the message starts with the file (and the line of a text
/// file) and says what was found: the arc or FST type, the magic number, the byte where the data ran out.</summary>
public sealed class FstFormatException : Exception
{
    public FstFormatException(string message)
        : base(message)
    {
    }

    public FstFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
