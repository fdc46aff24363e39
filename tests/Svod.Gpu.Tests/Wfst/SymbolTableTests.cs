using Svod.Gpu.Wfst;

namespace Svod.Gpu.Tests.Wfst;

public sealed class SymbolTableTests
{
    private const string Words = "<eps>\t0\nа 1\n  привет\t\t5\n\n#0 7\r\nz  1000000\n";

    [Fact]
    public void A_hand_written_table_is_found_both_ways_and_round_trips()
    {
        using var dir = new TempDirectory();
        var path = dir["words.txt"];
        File.WriteAllText(path, Words);

        var table = SymbolTable.Load(path);

        Assert.Equal(5, table.Count);
        Assert.Equal("<eps>", table.Find(0));
        Assert.Equal("привет", table.Find(5));
        Assert.Equal("#0", table.Find(7));
        Assert.Equal("z", table.Find(1000000));
        Assert.Null(table.Find(2));
        Assert.Null(table.Find(-1));
        Assert.Equal(1, table.Find("а"));
        Assert.Equal(7, table.Find("#0"));
        Assert.Null(table.Find("missing"));

        var writer = new StringWriter();
        table.WriteText(writer);
        Assert.Equal("<eps>\t0\nа\t1\nпривет\t5\n#0\t7\nz\t1000000\n", writer.ToString());
        var again = SymbolTable.Load(new StringReader(writer.ToString()), "again");
        Assert.Equal(table.Count, again.Count);
        foreach (var id in new[] { 0, 1, 5, 7, 1000000 })
        {
            Assert.Equal(table.Find(id), again.Find(id));
        }
    }

    [Theory]
    [InlineData("a 1\nb\n", 2, "expected 'symbol id', found 1 field")]
    [InlineData("a 1\nb 2 3\n", 2, "expected 'symbol id', found more than 2 fields")]
    [InlineData("a 1\n\nb x\n", 3, "bad id 'x' for 'b'")]
    [InlineData("a -1\n", 1, "bad id '-1' for 'a'")]
    [InlineData("a 1\nb 2\nc 1\n", 3, "duplicate id 1 for 'c': line 1 gave it to 'a'")]
    [InlineData("a 1\nb 2\na 3\n", 3, "duplicate symbol 'a' with id 3: line 1 gave it id 1")]
    public void Malformed_tables_are_refused_naming_the_line(string text, int line, string message)
    {
        var e = Assert.Throws<FstFormatException>(() => SymbolTable.Load(new StringReader(text), "words.txt"));
        Assert.StartsWith($"words.txt:{line}: {message}", e.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<FstFormatException>(() => SymbolTable.Load(dir["none.txt"]));
        Assert.Equal($"{dir["none.txt"]}: file not found", e.Message);
    }
}
