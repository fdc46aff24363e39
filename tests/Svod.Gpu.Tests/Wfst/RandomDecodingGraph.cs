using System.Globalization;
using System.Text;

namespace Svod.Gpu.Tests.Wfst;

/// <summary>
/// A random decoding graph in OpenFst text: input labels class + 1 (about a fifth epsilon), output labels words
/// (half epsilon), weights in [0, 3) (no negative epsilon cycle, so every search is well defined), two or more
/// final states. Small enough for OpenFst to compose with a frame acceptor and list the n best paths.
/// </summary>
internal static class RandomDecodingGraph
{
    public static string Generate(Random random, int classes, int words = 9)
    {
        var states = random.Next(3, 16);
        var text = new StringBuilder();
        for (var s = 0; s < states; s++)
        {
            var arcs = random.Next(1, 5);
            for (var i = 0; i < arcs; i++)
            {
                var ilabel = random.NextDouble() < 0.2 ? 0 : random.Next(1, classes + 1);
                var olabel = random.NextDouble() < 0.5 ? 0 : random.Next(1, words + 1);
                var weight = (float)(random.NextDouble() * 3);
                text.Append(CultureInfo.InvariantCulture, $"{s}\t{random.Next(states)}\t{ilabel}\t{olabel}\t{weight:R}\n");
            }
        }

        var finals = Enumerable.Range(0, states).OrderBy(_ => random.Next()).Take(Math.Max(2, states / 3));
        foreach (var s in finals)
        {
            text.Append(CultureInfo.InvariantCulture, $"{s}\t{(float)(random.NextDouble() * 2):R}\n");
        }

        return text.ToString();
    }
}
