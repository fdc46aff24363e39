using System.Text;
using Svod.Cluster.Persistence;

namespace Svod.Cluster.Tests.Persistence;

/// <summary>The snapshot log's checksum is the standard CRC-32, so other tools can check a log.</summary>
public sealed class Crc32Tests
{
    [Theory]
    [InlineData("123456789", 0xCBF43926u)] // the catalogued check value of CRC-32/ISO-HDLC
    [InlineData("", 0x00000000u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
    public void The_checksum_of_known_inputs_is_the_standard_value(string input, uint expected) =>
        Assert.Equal(expected, Crc32.Compute(Encoding.ASCII.GetBytes(input)));
}
