using System.Globalization;
using System.Reflection;
using Npgsql;

namespace Svod.Cluster.Persistence;

/// <summary>
/// Creates and migrates the cluster's schema <c>svod</c>: the embedded <c>Migrations/NNN_name.sql</c> scripts run in
/// order, each in its own transaction with its row in <c>svod.schema_version</c>. Nodes starting together take a
/// transaction-scoped advisory lock, so one migrates and the others find it done. A database newer than this build
/// is refused, since this build cannot know what the newer schema means.
/// </summary>
public static class SchemaMigrator
{
    /// <summary>Key of the advisory lock serializing migrations (arbitrary, fixed).</summary>
    private const long MigrationLock = 0x5356_4F44_0001;

    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } = Load();

    /// <summary>The version this build creates.</summary>
    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Brings the database to <see cref="LatestVersion"/>; returns the versions it applied.</summary>
    public static async Task<IReadOnlyList<int>> MigrateAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        var applied = new List<int>();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLock})", cancellationToken);
        await ExecuteAsync(connection, transaction,
            "CREATE SCHEMA IF NOT EXISTS svod; " +
            "CREATE TABLE IF NOT EXISTS svod.schema_version (version int PRIMARY KEY, description text NOT NULL, " +
            "applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
        await using (var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM svod.schema_version", connection,
                         transaction))
        {
            var current = (int)(await read.ExecuteScalarAsync(cancellationToken))!;
            if (current > LatestVersion)
            {
                throw new InvalidOperationException(
                    $"the database's svod schema is at version {current}, newer than this build's {LatestVersion}: " +
                    "upgrade svod before pointing it at this database");
            }

            foreach (var (version, name, sql) in Migrations.Where(m => m.Version > current))
            {
                await ExecuteAsync(connection, transaction, sql, cancellationToken);
                await using var record = new NpgsqlCommand(
                    "INSERT INTO svod.schema_version (version, description) VALUES ($1, $2)", connection, transaction)
                {
                    Parameters = { new() { Value = version }, new() { Value = name } },
                };
                await record.ExecuteNonQueryAsync(cancellationToken);
                applied.Add(version);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static (int, string, string)[] Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var scripts = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n["migrations/".Length..^".sql".Length];
                var version = int.Parse(file[..file.IndexOf('_', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (version, file, reader.ReadToEnd());
            })
            .OrderBy(m => m.version)
            .ToArray();
        if (scripts.Length == 0 || scripts.Select((m, i) => m.version != i + 1).Any(gap => gap))
        {
            throw new InvalidOperationException("the embedded schema migrations are not numbered 1, 2, 3, ...");
        }

        return scripts;
    }
}
