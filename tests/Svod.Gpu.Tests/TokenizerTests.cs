using System.Text;
using Google.Protobuf;
using Svod.Gpu.Models;
using Svod.Gpu.Text;
using Svod.Gpu.Text.SentencePieceProto;
using Xunit.Abstractions;
using PieceType = Svod.Gpu.Text.SentencePieceProto.ModelProto.Types.SentencePiece.Types.Type;

namespace Svod.Gpu.Tests;

public sealed class TokenizerTests(SentencePieceModels spm, ITestOutputHelper output)
    : IClassFixture<SentencePieceModels>
{
    [Fact]
    public void Char_tokenizer_decodes_by_concatenating_its_pieces()
    {
        var tokenizer = new CharTokenizer([" ", "а", "б", "в"]);

        Assert.Equal(4, tokenizer.Count);
        Assert.Equal("б", tokenizer.Piece(2));
        Assert.Equal("аб ва", tokenizer.Decode([1, 2, 0, 3, 1]));
        Assert.Equal("", tokenizer.Decode([]));
        Assert.Equal(" ", tokenizer.Decode([0]));
    }

    [Fact]
    public void Char_tokenizer_rejects_an_id_outside_its_vocabulary()
    {
        var tokenizer = new CharTokenizer(["a", "b"]);

        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([0, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Piece(-1));
    }

    [Theory]
    [InlineData(SentencePieceModels.Bpe)]
    [InlineData(SentencePieceModels.ByteFallback)]
    [InlineData(SentencePieceModels.NoDummyPrefix)]
    public void Random_id_sequences_decode_as_spm_decode_does(string model)
    {
        if (RequiredTool.Skip(spm.Missing, output))
        {
            return;
        }

        var path = spm.ModelPath(model);
        var tokenizer = SentencePieceTokenizer.Load(path);
        // Bytes 0x0A and 0x0D would split spm_decode's output lines.
        var usable = Enumerable.Range(0, tokenizer.Count)
            .Where(id => tokenizer.Piece(id) is not ("<0x0A>" or "<0x0D>"))
            .ToArray();
        var random = new Random(model.Length);
        var sequences = Enumerable.Range(0, 300)
            .Select(_ => Enumerable.Range(0, random.Next(0, 11))
                .Select(_ => usable[random.Next(usable.Length)])
                .ToArray())
            .ToList();
        // Leading spaces: the dummy prefix is dropped once (or all of them with remove_extra_whitespaces).
        var space = Id(tokenizer, "▁");
        var word = Enumerable.Range(0, tokenizer.Count).First(id => tokenizer.Piece(id).Length >= 2
            && tokenizer.Piece(id)[0] == '▁');
        sequences.AddRange([[space], [space, space, word], [word, space, word], [1, space, word], [1, 2, 0, space]]);

        AssertDecodesAsSpm(path, tokenizer, sequences);
    }

    [Fact]
    public void Byte_pieces_decode_as_utf8_with_one_replacement_per_invalid_byte()
    {
        if (RequiredTool.Skip(spm.Missing, output))
        {
            return;
        }

        var path = spm.ModelPath(SentencePieceModels.ByteFallback);
        var tokenizer = SentencePieceTokenizer.Load(path);
        int[] Bytes(params byte[] bytes) => [.. bytes.Select(b => Id(tokenizer, $"<0x{b:X2}>"))];
        var valid = Bytes(Encoding.UTF8.GetBytes("ё€😀中"));
        var word = Enumerable.Range(0, tokenizer.Count).First(id => tokenizer.Piece(id).StartsWith('▁'));
        List<int[]> sequences =
        [
            valid,
            Bytes(0xF0, 0x9F, 0x98), // a 4-byte character cut short
            Bytes(0xC0, 0x80), // overlong
            Bytes(0xED, 0xA0, 0x80), // a surrogate
            Bytes(0x80, 0x41, 0xBF), // stray continuation bytes
            Bytes(0xF5, 0x80, 0x80, 0x80), // beyond U+10FFFF
            Bytes(0xEF, 0xBF, 0xBD), // U+FFFD itself, well formed
            [.. Bytes(0xD1), 2, .. Bytes(0x91)], // a control piece splits a character
            [.. Bytes(0xD1), word, .. Bytes(0x91)], // so does a normal piece
            [word, .. valid, word],
            [.. Bytes(0x20), word], // text from bytes first: the next piece keeps its space
        ];

        var texts = AssertDecodesAsSpm(path, tokenizer, sequences);

        Assert.Equal("ё€😀中", texts[0]);
        Assert.Equal("\uFFFD\uFFFD\uFFFD", texts[1]);
        Assert.Equal("\uFFFD\uFFFD", texts[2]);
        Assert.Equal("\uFFFD\uFFFD\uFFFD", texts[3]);
        Assert.Equal("\uFFFDA\uFFFD", texts[4]);
    }

    [Theory]
    [InlineData(SentencePieceModels.Bpe)]
    [InlineData(SentencePieceModels.ByteFallback)]
    public void Encoded_sentences_decode_back_to_their_text(string model)
    {
        if (RequiredTool.Skip(spm.Missing, output))
        {
            return;
        }

        var path = spm.ModelPath(model);
        var tokenizer = SentencePieceTokenizer.Load(path);
        string[] sentences = ["бака мира", "соно те ду", "кя", "вот ёж и 😀 中", "дом <usr> стол"];
        var encoded = spm.SpmEncode(path, sentences);

        var decoded = AssertDecodesAsSpm(path, tokenizer, encoded);

        if (model == SentencePieceModels.ByteFallback)
        {
            Assert.Equal(sentences[..4], decoded[..4]);
        }
        else
        {
            Assert.Equal(sentences[..3], decoded[..3]);
            Assert.Contains(" ⁇ ", decoded[3], StringComparison.Ordinal); // ё, 😀 and 中 are unknown
        }
    }

    [Fact]
    public void Unused_pieces_and_a_custom_unk_surface_decode_as_spm_decode_does()
    {
        if (RequiredTool.Skip(spm.Missing, output))
        {
            return;
        }

        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(spm.ModelPath(SentencePieceModels.Bpe)));
        var unused = proto.Pieces.Select((p, id) => (p, id)).First(x => x.p.Piece.Length > 2 && x.p.Piece[0] == '▁').id;
        proto.Pieces[unused].Type = PieceType.Unused;
        proto.TrainerSpec.UnkSurface = "<?>";
        var path = Path.Combine(Path.GetDirectoryName(spm.ModelPath(SentencePieceModels.Bpe))!, "mutated.model");
        File.WriteAllBytes(path, proto.ToByteArray());
        var tokenizer = SentencePieceTokenizer.Load(path);

        var texts = AssertDecodesAsSpm(path, tokenizer, [[unused], [0, unused, 0], [5, unused], [3, 0, 4]]);

        Assert.Equal("<?>", tokenizer.Decode([0]));
        Assert.Equal(proto.Pieces[unused].Piece[1..], texts[0]);
    }

    [Fact]
    public void Count_and_pieces_match_the_vocab_file_spm_train_wrote()
    {
        if (RequiredTool.Skip(spm.Missing, output))
        {
            return;
        }

        var path = spm.ModelPath(SentencePieceModels.Bpe);
        var vocab = File.ReadAllLines(Path.ChangeExtension(path, ".vocab")).Select(l => l.Split('\t')[0]).ToArray();
        var tokenizer = SentencePieceTokenizer.Load(path);

        Assert.Equal(vocab.Length, tokenizer.Count);
        Assert.Equal(vocab, Enumerable.Range(0, tokenizer.Count).Select(tokenizer.Piece));
        Assert.Equal(File.ReadAllBytes(path), tokenizer.Bytes.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([tokenizer.Count]));
    }

    [Fact]
    public void Dummy_prefix_without_whitespace_removal_drops_only_the_first_leading_space()
    {
        // Current SentencePiece (0.2): with add_dummy_prefix and without remove_extra_whitespaces only the first
        // leading ▁ is the dummy prefix; 0.1.x dropped every leading ▁ while the text was empty.
        var proto = Model(("<unk>", PieceType.Unknown), ("▁", PieceType.Normal), ("▁a", PieceType.Normal));
        proto.NormalizerSpec = new NormalizerSpec { AddDummyPrefix = true, RemoveExtraWhitespaces = false };
        var tokenizer = SentencePieceTokenizer.Parse(proto.ToByteArray(), "model");

        Assert.Equal(" a", tokenizer.Decode([1, 2]));
        Assert.Equal("a a", tokenizer.Decode([2, 2]));
    }

    [Fact]
    public void Corrupt_model_file_names_the_file()
    {
        using var dir = new TempDirectory();
        var path = dir["tokenizer.model"];
        File.WriteAllBytes(path, [0x0A, 0x7F, 0x01]);

        var e = Assert.Throws<ModelFormatException>(() => SentencePieceTokenizer.Load(path));

        Assert.StartsWith($"{path}: not a SentencePiece model (", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_without_pieces_names_the_file()
    {
        using var dir = new TempDirectory();
        var path = dir["tokenizer.model"];
        File.WriteAllBytes(path, []);

        var e = Assert.Throws<ModelFormatException>(() => SentencePieceTokenizer.Load(path));

        Assert.Equal($"{path}: not a SentencePiece model (it has no pieces)", e.Message);
    }

    [Theory]
    [InlineData("<0xZZ>", true, "piece 1 \"<0xZZ>\" is of type BYTE but not <0xHH>")]
    [InlineData("<unk>", false, "piece 1 \"<unk>\" appears twice")]
    [InlineData("", false, "piece 1 is empty")]
    public void Malformed_pieces_are_named(string piece, bool isByte, string message)
    {
        var bytes = Model(("<unk>", PieceType.Unknown), (piece, isByte ? PieceType.Byte : PieceType.Normal))
            .ToByteArray();

        var e = Assert.Throws<ModelFormatException>(() => SentencePieceTokenizer.Parse(bytes, "x.model"));

        Assert.Equal($"x.model: {message}", e.Message);
    }

    private static ModelProto Model(params (string Piece, PieceType Type)[] pieces)
    {
        var proto = new ModelProto();
        proto.Pieces.AddRange(pieces.Select(p =>
            new ModelProto.Types.SentencePiece { Piece = p.Piece, Type = p.Type }));
        return proto;
    }

    private static int Id(ITokenizer tokenizer, string piece) =>
        Enumerable.Range(0, tokenizer.Count).First(id => tokenizer.Piece(id) == piece);

    private string[] AssertDecodesAsSpm(string path, SentencePieceTokenizer tokenizer, IReadOnlyList<int[]> sequences)
    {
        var expected = spm.SpmDecode(path, sequences);
        for (var i = 0; i < sequences.Count; i++)
        {
            var actual = tokenizer.Decode(sequences[i]);
            var pieces = string.Join(' ', sequences[i].Select(tokenizer.Piece));
            Assert.True(expected[i] == actual,
                $"ids [{string.Join(' ', sequences[i])}] = [{pieces}]: " +
                $"spm_decode \"{expected[i]}\", Decode \"{actual}\"");
        }

        return expected;
    }
}
