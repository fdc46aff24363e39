namespace Svod.Cluster.Persistence;

/// <summary>
/// The standard CRC-32 (IEEE 802.3, zlib, PNG: reflected polynomial 0xEDB88320, initial value and final xor
/// 0xFFFFFFFF), table-driven one byte at a time. It checks the records of the snapshot log, where a few hundred MB/s
/// is ample; System.IO.Hashing is not among the packages this build may use.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = CreateTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var table = Table;
        var crc = 0xFFFF_FFFFu;
        foreach (var b in data)
        {
            crc = table[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? 0xEDB8_8320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
