namespace Svod.Cluster.Configuration;

internal sealed partial class HoconParser
{
    /// <summary>
    /// A field value or array element: one value, or several on one line (value concatenation). Whitespace between
    /// values is kept as pieces; leading and trailing whitespace is not.
    /// </summary>
    private HoconNode ParseValue(IReadOnlyList<string> path)
    {
        var pieces = new List<HoconNode>();
        HoconToken? pendingWhitespace = null;
        while (true)
        {
            var token = Peek;
            HoconNode? piece = token.Kind switch
            {
                HoconTokenKind.OpenBrace => ParseBracedObject(path),
                HoconTokenKind.OpenBracket => ParseArray(path),
                HoconTokenKind.QuotedString or HoconTokenKind.UnquotedText =>
                    Literal(HoconScalarKind.String, token.Text),
                HoconTokenKind.Number => Literal(HoconScalarKind.Number, token.Text),
                HoconTokenKind.True or HoconTokenKind.False => Literal(HoconScalarKind.Boolean, token.Text),
                HoconTokenKind.Null => new HoconLiteral(HoconScalar.Null(token.Origin)),
                HoconTokenKind.Substitution => new HoconSubstitution(token.Origin, token.Path, token.Optional, _prefix),
                _ => null,
            };
            if (token.Kind == HoconTokenKind.Whitespace)
            {
                pendingWhitespace = token;
                _index++;
                continue;
            }

            if (piece is null)
            {
                break;
            }

            if (piece is HoconLiteral or HoconSubstitution)
            {
                _index++;
            }

            if (pendingWhitespace is not null && pieces.Count > 0)
            {
                pieces.Add(new HoconWhitespace(pendingWhitespace.Origin, pendingWhitespace.Text));
            }

            pendingWhitespace = null;
            pieces.Add(piece);
        }

        return pieces.Count switch
        {
            0 => throw new HoconException(Peek.Origin, $"expected a value, found {Peek.Describe()}"),
            1 => pieces[0],
            _ => Concatenate(pieces),
        };

        HoconLiteral Literal(HoconScalarKind kind, string text) => new(new HoconScalar(Peek.Origin, kind, text));
    }

    /// <summary>
    /// Folds a concatenation of values known now: strings join (whitespace kept), objects merge, arrays append.
    /// One with a substitution is left to the resolver.
    /// </summary>
    private static HoconNode Concatenate(List<HoconNode> pieces)
    {
        var origin = pieces[0].Origin;
        if (pieces.Any(p => p is HoconSubstitution))
        {
            return new HoconConcatenation(origin, pieces);
        }

        var values = pieces.Where(p => p is not HoconWhitespace).ToList();
        if (values.All(p => p is HoconLiteral))
        {
            var text = string.Concat(pieces.Select(p => p switch
            {
                HoconWhitespace w => w.Text,
                _ => ((HoconScalar)((HoconLiteral)p).Value).ConcatenationText,
            }));
            return new HoconLiteral(HoconScalar.String(origin, text));
        }

        if (values.All(p => p is HoconObjectNode))
        {
            return values.Aggregate(HoconObjectNode.Merge);
        }

        if (values.All(p => p is HoconArrayNode))
        {
            return new HoconArrayNode(origin, [.. values.SelectMany(p => ((HoconArrayNode)p).Items)]);
        }

        var first = values[0];
        var odd = values.First(p => Kind(p) != Kind(first));
        throw new HoconException(odd.Origin, $"cannot concatenate {Kind(odd)} with {Kind(first)}");
    }

    private static string Kind(HoconNode node) => node switch
    {
        HoconObjectNode => "an object",
        HoconArrayNode => "an array",
        _ => "a string",
    };
}
