using System.Globalization;
using Npgsql;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Cluster;

/// <summary>
/// The cluster's shard count, fixed by the first node that uses the database (<c>svod.settings</c> key
/// <c>shards</c>), and the shard rows 0..N-1 it implies. Every node checks it agrees before it joins: two counts would
/// route one utterance to two shards.
/// </summary>
public static class ShardTable
{
    /// <summary>Records <paramref name="shards"/> when the database has no count yet, creates the missing shard rows
    /// (unowned, epoch 0), and refuses a node configured with another count.</summary>
    /// <exception cref="ConfigurationException">The database holds another shard count.</exception>
    public static async Task EnsureAsync(NpgsqlDataSource database, int shards, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
                         "INSERT INTO svod.settings (key, value) VALUES ('shards', $1) ON CONFLICT (key) DO NOTHING",
                         connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = shards.ToString(CultureInfo.InvariantCulture) });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var read = new NpgsqlCommand("SELECT value FROM svod.settings WHERE key = 'shards'", connection,
                         transaction))
        {
            var stored = (string)(await read.ExecuteScalarAsync(cancellationToken))!;
            if (!int.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ||
                count != shards)
            {
                throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture,
                    $"svod.cluster.shards is {shards} but the cluster's database was created with {stored} shards " +
                    $"(svod.settings 'shards'); the shard count is fixed when the database is first used, so every " +
                    $"node must be configured with svod.cluster.shards = {stored}"));
            }
        }

        // Idempotent: nodes starting together both insert, the second finds the rows there.
        await using (var rows = new NpgsqlCommand(
                         "INSERT INTO svod.shards (shard_id, owner, epoch, state) " +
                         "SELECT g, NULL, 0, 'unowned' FROM generate_series(0, $1 - 1) AS g " +
                         "ON CONFLICT (shard_id) DO NOTHING", connection, transaction))
        {
            rows.Parameters.Add(new NpgsqlParameter { Value = shards });
            await rows.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
