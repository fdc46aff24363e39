namespace Svod.Cluster.Configuration;

internal sealed partial class HoconParser
{
    /// <summary>
    /// `include "f"`, `include file("f")`, `include required("f")`, `include required(file("f"))`.
    /// The included object's fields are set at the place of the include, as if written there.
    /// </summary>
    private void ParseInclude(HoconObjectNode target, IReadOnlyList<string> path)
    {
        var include = Take();
        SkipWhitespace(newlines: true);

        // `(` is allowed in unquoted text, so `required(file(` arrives as unquoted text before the quoted name.
        var opening = string.Concat(TakeUnquoted());
        if (Peek.Kind != HoconTokenKind.QuotedString)
        {
            throw new HoconException(Peek.Origin,
                "include must be followed by a quoted file name, file(\"...\") or required(\"...\")");
        }

        var name = Take().Text;
        var closing = string.Concat(TakeUnquoted());
        var required = opening.StartsWith("required(", StringComparison.Ordinal);
        var kind = required ? opening["required(".Length..] : opening;
        var depth = (required ? 1 : 0) + (kind.Length > 0 ? 1 : 0);
        if (kind is "url(" or "classpath(")
        {
            throw new HoconException(include.Origin, $"{kind[..^1]}() includes are not supported; use file()");
        }

        if (kind is not ("" or "file(") || closing != new string(')', depth))
        {
            throw new HoconException(include.Origin,
                $"malformed include: expected \"name\", file(\"name\") or required(...), found " +
                $"{opening}\"{name}\"{closing}");
        }

        IncludeFiles(target, path, name, required, include.Origin);
    }

    /// <summary>Unquoted texts and whitespace, returned without the whitespace.</summary>
    private IEnumerable<string> TakeUnquoted()
    {
        var texts = new List<string>();
        while (Peek.Kind is HoconTokenKind.UnquotedText or HoconTokenKind.Whitespace)
        {
            var token = Take();
            if (token.Kind == HoconTokenKind.UnquotedText)
            {
                texts.Add(token.Text);
            }
        }

        return texts;
    }

    private void IncludeFiles(
        HoconObjectNode target, IReadOnlyList<string> path, string name, bool required, HoconOrigin origin)
    {
        var located = Path.IsPathRooted(name) || string.IsNullOrEmpty(_directory)
            ? name
            : Path.Combine(_directory, name);

        // An extension-less name means every known format; HOCON goes last so it wins over JSON.
        string[] candidates = Path.HasExtension(name) ? [located] : [located + ".json", located + ".conf"];
        var found = 0;
        foreach (var candidate in candidates)
        {
            var fullPath = Path.GetFullPath(candidate);
            var cycleStart = _chain.ToList().FindIndex(f => f.FullPath == fullPath);
            if (cycleStart >= 0)
            {
                var names = _chain.Skip(cycleStart).Select(f => f.Name).Append(candidate);
                throw new HoconException(origin, $"include cycle: {string.Join(" -> ", names)}");
            }

            var text = ReadFile(candidate, origin);
            if (text is null)
            {
                continue;
            }

            found++;
            var included = new HoconParser(text, candidate, Path.GetDirectoryName(candidate), path,
                [.. _chain, new IncludedFile(fullPath, candidate)]).ParseRoot();
            foreach (var key in included.Keys)
            {
                target.Set(key, included[key]);
            }
        }

        if (found == 0 && required)
        {
            throw new HoconException(origin, $"required include '{name}' not found (looked for " +
                $"{string.Join(", ", candidates.Select(c => $"'{c}'"))})");
        }
    }

    /// <summary>The file's text, or null when it does not exist; other I/O problems are errors.</summary>
    private static string? ReadFile(string path, HoconOrigin origin)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HoconException(origin, $"cannot read '{path}': {e.Message}");
        }
    }
}
