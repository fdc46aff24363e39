using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Svod.Cluster.Persistence;

// The log's layout, all integers little-endian:
//
//   file    := header record*
//   header  := "SVODLOG" 0x01                                   (8 bytes: magic and format version)
//   record  := length:int32 crc:uint32 payload                  (crc: CRC-32 of the payload's `length` bytes)
//   payload := kind:uint8 idLength:int32 id:utf8 shard:int32 epoch:int64 rest
//   rest    := frames:int64 stateLength:int32 state             kind 1, snapshot
//            | expiresAt:int64 resultLength:int32 result         kind 2, complete (expiry in Unix ms)
//            | (nothing)                                         kind 3, delete
//
// A record is valid when its length fits in the file, its CRC matches and its payload parses to exactly its length;
// the first invalid one ends the log.
public sealed partial class FileSnapshotStore
{
    private const int HeaderSize = 8;
    private const int RecordHeaderSize = 8; // length, crc
    private const int IdStart = 1 + 4;      // kind, idLength

    private static ReadOnlySpan<byte> Magic => "SVODLOG\u0001"u8;

    private enum RecordKind : byte
    {
        Snapshot = 1,
        Complete = 2,
        Delete = 3,
    }

    /// <summary>Appends one record to <paramref name="into"/>; returns its size with its length and CRC.
    /// <paramref name="value"/> and <paramref name="data"/> are left out of a delete.</summary>
    private static int EncodeRecord(IBufferWriter<byte> into, RecordKind kind, string id, int shard, long epoch,
        long value, ReadOnlySpan<byte> data)
    {
        var idLength = Encoding.UTF8.GetByteCount(id);
        var payloadLength = checked(IdStart + idLength + 4 + 8 + (kind == RecordKind.Delete ? 0 : 8 + 4 + data.Length));
        var size = checked(RecordHeaderSize + payloadLength);
        var record = into.GetSpan(size)[..size];
        var payload = record[RecordHeaderSize..];
        payload[0] = (byte)kind;
        BinaryPrimitives.WriteInt32LittleEndian(payload[1..], idLength);
        var at = IdStart + Encoding.UTF8.GetBytes(id, payload[IdStart..]);
        BinaryPrimitives.WriteInt32LittleEndian(payload[at..], shard);
        BinaryPrimitives.WriteInt64LittleEndian(payload[(at + 4)..], epoch);
        at += 12;
        if (kind != RecordKind.Delete)
        {
            BinaryPrimitives.WriteInt64LittleEndian(payload[at..], value);
            BinaryPrimitives.WriteInt32LittleEndian(payload[(at + 8)..], data.Length);
            data.CopyTo(payload[(at + 12)..]);
        }

        BinaryPrimitives.WriteInt32LittleEndian(record, payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32.Compute(payload));
        into.Advance(size);
        return size;
    }

    /// <summary>Checks and parses a whole record (length, CRC, payload); false when any part is wrong.</summary>
    private static bool TryDecodeRecord(ReadOnlySpan<byte> record, out DecodedRecord decoded)
    {
        decoded = default;
        return record.Length >= RecordHeaderSize
            && BinaryPrimitives.ReadInt32LittleEndian(record) == record.Length - RecordHeaderSize
            && BinaryPrimitives.ReadUInt32LittleEndian(record[4..]) == Crc32.Compute(record[RecordHeaderSize..])
            && TryDecodePayload(record[RecordHeaderSize..], out decoded);
    }

    /// <summary>Parses a payload whose CRC matched. <see cref="DecodedRecord.DataStart"/> is counted from the start of
    /// the record (its length field), so a reader slices the record it read.</summary>
    private static bool TryDecodePayload(ReadOnlySpan<byte> payload, out DecodedRecord decoded)
    {
        decoded = default;
        if (payload.Length < IdStart)
        {
            return false;
        }

        var kind = (RecordKind)payload[0];
        var idLength = BinaryPrimitives.ReadInt32LittleEndian(payload[1..]);
        if (kind is not (RecordKind.Snapshot or RecordKind.Complete or RecordKind.Delete) || idLength < 0
            || idLength > payload.Length - IdStart - 12)
        {
            return false;
        }

        var id = Encoding.UTF8.GetString(payload.Slice(IdStart, idLength));
        var at = IdStart + idLength;
        var shard = BinaryPrimitives.ReadInt32LittleEndian(payload[at..]);
        var epoch = BinaryPrimitives.ReadInt64LittleEndian(payload[(at + 4)..]);
        at += 12;
        if (kind == RecordKind.Delete)
        {
            decoded = new DecodedRecord(kind, id, shard, epoch, 0, 0, 0);
            return at == payload.Length;
        }

        if (payload.Length - at < 12)
        {
            return false;
        }

        var value = BinaryPrimitives.ReadInt64LittleEndian(payload[at..]);
        var dataLength = BinaryPrimitives.ReadInt32LittleEndian(payload[(at + 8)..]);
        at += 12;
        if (dataLength != payload.Length - at)
        {
            return false;
        }

        decoded = new DecodedRecord(kind, id, shard, epoch, value, RecordHeaderSize + at, dataLength);
        return true;
    }

    /// <summary>A parsed record; its data (state or final) is <see cref="DataLength"/> bytes from
    /// <see cref="DataStart"/>, counted from the start of the record.</summary>
    private readonly record struct DecodedRecord(RecordKind Kind, string Id, int Shard, long Epoch, long Value,
        int DataStart, int DataLength);
}
