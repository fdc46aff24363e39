namespace Svod.Gpu.Models;

/// <summary>A model directory, tensor file, tokenizer or frame file that cannot be used; the message names the file
/// and, where it applies, the tensor, the expected and the actual shape.</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string message)
        : base(message)
    {
    }

    public ModelFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
