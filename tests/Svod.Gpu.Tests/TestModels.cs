using Svod.Gpu.Models;
using Svod.Gpu.Text;

namespace Svod.Gpu.Tests;

/// <summary>Small deterministic random models for tests (PyTorch's default initialisation, via
/// <see cref="RandomModel"/>); a model made twice from the same seed is the same model.</summary>
public static class TestModels
{
    /// <param name="tok">The tokenizer; when null, <c>NumClasses - 1</c> single-character tokens.</param>
    public static RnntModel Random(RnntDims dims, int seed, ITokenizer? tok = null) =>
        RandomModel.Create(dims, seed, tokenizer: tok);
}
