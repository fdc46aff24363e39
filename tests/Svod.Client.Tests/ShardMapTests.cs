namespace Svod.Client.Tests;

/// <summary>The shard function is part of the protocol: clients and nodes of any version must agree on it.</summary>
public sealed class ShardMapTests
{
    [Theory]
    [InlineData("", 64, 2166136261u % 64)] // FNV-1a offset basis: no bytes hashed
    [InlineData("a", 1024, 0xe40c292cu % 1024)] // FNV-1a 32 of "a" is 0xe40c292c
    [InlineData("foobar", 1000, 0xbf9cf968u % 1000)] // FNV-1a 32 of "foobar" is 0xbf9cf968
    public void Shards_are_fnv1a_of_the_utf8_id_modulo_the_shard_count(string id, int shards, uint expected) =>
        Assert.Equal((int)expected, ShardMap.ShardOf(id, shards));

    [Fact]
    public void Long_and_non_ascii_ids_hash_their_utf8_bytes()
    {
        var longId = new string('я', 300); // 600 UTF-8 bytes: past the stack buffer
        Assert.Equal((int)(Fnv1a(System.Text.Encoding.UTF8.GetBytes(longId)) % 97), ShardMap.ShardOf(longId, 97));
        Assert.InRange(ShardMap.ShardOf("utt-1", 64), 0, 63);
    }

    private static uint Fnv1a(byte[] bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
