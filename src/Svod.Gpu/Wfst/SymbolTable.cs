using System.Globalization;

namespace Svod.Gpu.Wfst;

/// <summary>
/// An OpenFst text symbol table (Kaldi's words.txt, phones.txt): one <c>symbol id</c> pair per line, separated by
/// spaces or tabs; ids need not be contiguous. Blank lines are skipped. A line without exactly two fields, an id that
/// is not a non-negative 32-bit integer, an id or a symbol given twice are errors naming the file and the line.
/// </summary>
public sealed class SymbolTable
{
    private const string FieldSeparators = " \t\r";

    private readonly Dictionary<int, string> _symbols;
    private readonly Dictionary<string, int> _ids;
    private readonly List<int> _order;

    private SymbolTable(Dictionary<int, string> symbols, Dictionary<string, int> ids, List<int> order)
    {
        _symbols = symbols;
        _ids = ids;
        _order = order;
    }

    public int Count => _order.Count;

    public static SymbolTable Load(string path) => OpenFstReader.ReadTextFile(path, Load);

    public static SymbolTable Load(TextReader reader, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var symbols = new Dictionary<int, string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = new Dictionary<int, int>();
        var order = new List<int>();
        Span<Range> fields = stackalloc Range[3];
        var lineNumber = 0;
        while (reader.ReadLine() is { } text)
        {
            lineNumber++;
            var line = text.AsSpan();
            var count = line.SplitAny(fields, FieldSeparators, StringSplitOptions.RemoveEmptyEntries);
            if (count == 0)
            {
                continue;
            }

            if (count != 2)
            {
                throw new FstFormatException(
                    $"{sourceName}:{lineNumber}: expected 'symbol id', found " +
                    (count == fields.Length ? "more than 2 fields" : "1 field"));
            }

            var symbol = line[fields[0]].ToString();
            var idText = line[fields[1]];
            if (!int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                throw new FstFormatException(
                    $"{sourceName}:{lineNumber}: bad id '{idText}' for '{symbol}': a non-negative integer is expected");
            }

            if (symbols.TryGetValue(id, out var other))
            {
                throw new FstFormatException(
                    $"{sourceName}:{lineNumber}: duplicate id {id} for '{symbol}': line {lines[id]} gave it to " +
                    $"'{other}'");
            }

            if (ids.TryGetValue(symbol, out var otherId))
            {
                throw new FstFormatException(
                    $"{sourceName}:{lineNumber}: duplicate symbol '{symbol}' with id {id}: line {lines[otherId]} " +
                    $"gave it id {otherId}");
            }

            symbols.Add(id, symbol);
            ids.Add(symbol, id);
            lines.Add(id, lineNumber);
            order.Add(id);
        }

        return new SymbolTable(symbols, ids, order);
    }

    /// <summary>The symbol with this id, or null.</summary>
    public string? Find(int id) => _symbols.GetValueOrDefault(id);

    /// <summary>The id of this symbol (ordinal comparison), or null.</summary>
    public int? Find(string symbol) => _ids.TryGetValue(symbol, out var id) ? id : null;

    /// <summary>The table in its file's order, one <c>symbol\tid</c> per line.</summary>
    public void WriteText(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var id in _order)
        {
            writer.Write(_symbols[id]);
            writer.Write('\t');
            writer.Write(id.ToString(CultureInfo.InvariantCulture));
            writer.Write('\n');
        }
    }
}
