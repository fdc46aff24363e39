using System.Globalization;
using System.Text;
using Google.Protobuf;
using Svod.Gpu.Models;
using Svod.Gpu.Text.SentencePieceProto;
using PieceType = Svod.Gpu.Text.SentencePieceProto.ModelProto.Types.SentencePiece.Types.Type;

namespace Svod.Gpu.Text;

/// <summary>
/// A SentencePiece model (<c>tokenizer.model</c>) used for decoding only. <see cref="Decode"/> returns what
/// SentencePiece's <c>DecodeIds</c> returns (src/sentencepiece_processor.cc, <c>Decode</c>): control pieces are
/// invisible, unknown pieces become the unk surface, byte pieces are gathered into UTF-8 (each invalid byte a
/// U+FFFD), <c>▁</c> becomes a space, and the leading space of the text is dropped when the normalizer adds a dummy
/// prefix or removes extra whitespace.
/// </summary>
public sealed class SentencePieceTokenizer : ITokenizer
{
    private const char SpaceSymbol = '\u2581';

    private readonly byte[] _bytes;
    private readonly Entry[] _entries;
    private readonly bool _stripLeadingSpace;
    private readonly bool _removeExtraWhitespaces;
    private readonly string _unknownSurface;

    private SentencePieceTokenizer(byte[] bytes, Entry[] entries, ModelProto proto, string source)
    {
        _bytes = bytes;
        _entries = entries;
        var normalizer = proto.NormalizerSpec ?? new NormalizerSpec();
        _removeExtraWhitespaces = normalizer.RemoveExtraWhitespaces;
        _stripLeadingSpace = normalizer.AddDummyPrefix || normalizer.RemoveExtraWhitespaces;
        _unknownSurface = (proto.TrainerSpec ?? new TrainerSpec()).UnkSurface;
        Source = source;
    }

    private enum Kind
    {
        Text,
        Control,
        Unknown,
        Byte,
    }

    /// <summary>The model file exactly as read, so a model directory can be saved again.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>Where the model was read from; used in messages.</summary>
    public string Source { get; }

    public int Count => _entries.Length;

    public string Piece(int id) => _entries[CheckId(id)].Piece;

    public static SentencePieceTokenizer Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelFormatException($"{path}: file not found", e);
        }

        return Parse(bytes, path);
    }

    /// <summary>Parses a serialized <c>ModelProto</c>; <paramref name="source"/> names it in messages.</summary>
    public static SentencePieceTokenizer Parse(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelFormatException($"{source}: not a SentencePiece model ({e.Message})", e);
        }

        if (proto.Pieces.Count == 0)
        {
            throw new ModelFormatException($"{source}: not a SentencePiece model (it has no pieces)");
        }

        if (proto.DenormalizerSpec is { PrecompiledCharsmap.IsEmpty: false })
        {
            throw new ModelFormatException(
                $"{source}: the model has denormalization rules (denormalizer_spec), which are not supported");
        }

        var entries = new Entry[proto.Pieces.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var id = 0; id < entries.Length; id++)
        {
            var piece = proto.Pieces[id];
            if (string.IsNullOrEmpty(piece.Piece))
            {
                throw new ModelFormatException($"{source}: piece {id} is empty");
            }

            if (!seen.Add(piece.Piece))
            {
                throw new ModelFormatException($"{source}: piece {id} \"{piece.Piece}\" appears twice");
            }

            entries[id] = CreateEntry(piece, id, source);
        }

        return new SentencePieceTokenizer([.. bytes], entries, proto, source);
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder();
        var byteStart = 0;
        var isBosWs = true;
        var bosWsSeen = false;
        for (var i = 0; i < ids.Length; i++)
        {
            var entry = _entries[CheckId(ids[i])];
            if (entry.Kind == Kind.Byte)
            {
                continue;
            }

            AppendBytes(text, ids[byteStart..i]);
            byteStart = i + 1;
            if (bosWsSeen || text.Length > 0)
            {
                isBosWs = false;
            }

            bosWsSeen = false;
            switch (entry.Kind)
            {
                case Kind.Control:
                    break;
                case Kind.Unknown:
                    text.Append(_unknownSurface);
                    break;
                case Kind.Text when isBosWs && _stripLeadingSpace && entry.StartsWithSpace:
                    text.Append(entry.Surface, 1, entry.Surface.Length - 1);
                    // Without remove_extra_whitespaces only the first leading space is the dummy prefix.
                    bosWsSeen = !_removeExtraWhitespaces;
                    break;
                default:
                    text.Append(entry.Surface);
                    break;
            }
        }

        AppendBytes(text, ids[byteStart..]);
        return text.ToString();
    }

    private static Entry CreateEntry(ModelProto.Types.SentencePiece piece, int id, string source)
    {
        var text = piece.Piece;
        switch (piece.Type)
        {
            case PieceType.Normal or PieceType.UserDefined or PieceType.Unused:
                // SentencePiece decodes UNUSED pieces like normal ones (only CONTROL is invisible).
                return new Entry(text, Kind.Text, text.Replace(SpaceSymbol, ' '), text[0] == SpaceSymbol, 0);
            case PieceType.Control:
                return new Entry(text, Kind.Control, "", false, 0);
            case PieceType.Unknown:
                return new Entry(text, Kind.Unknown, "", false, 0);
            case PieceType.Byte:
                if (text.Length != 6 || !text.StartsWith("<0x", StringComparison.Ordinal) || text[5] != '>'
                    || !byte.TryParse(text.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture,
                        out var value))
                {
                    throw new ModelFormatException($"{source}: piece {id} \"{text}\" is of type BYTE but not <0xHH>");
                }

                return new Entry(text, Kind.Byte, "", false, value);
            default:
                throw new ModelFormatException($"{source}: piece {id} \"{text}\" has unknown type {(int)piece.Type}");
        }
    }

    /// <summary>UTF-8 of a run of byte pieces, decoded as SentencePiece's <c>string_util::DecodeUTF8</c> does: a
    /// structurally invalid byte becomes one U+FFFD and decoding resumes at the next byte.</summary>
    private void AppendBytes(StringBuilder text, ReadOnlySpan<int> run)
    {
        if (run.IsEmpty)
        {
            return;
        }

        Span<byte> bytes = run.Length <= 256 ? stackalloc byte[run.Length] : new byte[run.Length];
        for (var k = 0; k < run.Length; k++)
        {
            bytes[k] = _entries[run[k]].Byte;
        }

        Span<char> utf16 = stackalloc char[2];
        var offset = 0;
        while (offset < bytes.Length)
        {
            var length = DecodeUtf8(bytes[offset..], out var codePoint);
            if (length == 0)
            {
                text.Append('\uFFFD');
                offset++;
            }
            else
            {
                text.Append(utf16[..new Rune(codePoint).EncodeToUtf16(utf16)]);
                offset += length;
            }
        }
    }

    /// <summary>Bytes of the code point that starts <paramref name="b"/>, or 0 when its first byte is
    /// invalid.</summary>
    private static int DecodeUtf8(ReadOnlySpan<byte> b, out int codePoint)
    {
        static bool IsTrail(byte x) => (x & 0xC0) == 0x80;
        static bool IsValid(int c) => c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF);

        codePoint = b[0];
        if (b[0] < 0x80)
        {
            return 1;
        }

        if (b.Length >= 2 && (b[0] & 0xE0) == 0xC0)
        {
            codePoint = ((b[0] & 0x1F) << 6) | (b[1] & 0x3F);
            return IsTrail(b[1]) && codePoint >= 0x80 && IsValid(codePoint) ? 2 : 0;
        }

        if (b.Length >= 3 && (b[0] & 0xF0) == 0xE0)
        {
            codePoint = ((b[0] & 0x0F) << 12) | ((b[1] & 0x3F) << 6) | (b[2] & 0x3F);
            return IsTrail(b[1]) && IsTrail(b[2]) && codePoint >= 0x800 && IsValid(codePoint) ? 3 : 0;
        }

        if (b.Length >= 4 && (b[0] & 0xF8) == 0xF0)
        {
            codePoint = ((b[0] & 0x07) << 18) | ((b[1] & 0x3F) << 12) | ((b[2] & 0x3F) << 6) | (b[3] & 0x3F);
            return IsTrail(b[1]) && IsTrail(b[2]) && IsTrail(b[3]) && codePoint >= 0x10000 && IsValid(codePoint)
                ? 4
                : 0;
        }

        return 0;
    }

    private int CheckId(int id) =>
        (uint)id < (uint)_entries.Length
            ? id
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token ids are 0..{_entries.Length - 1}");

    /// <param name="Surface">Decoded text of a Text piece (<c>▁</c> replaced by a space).</param>
    /// <param name="Byte">The byte of a Byte piece.</param>
    private readonly record struct Entry(string Piece, Kind Kind, string Surface, bool StartsWithSpace, byte Byte);
}
