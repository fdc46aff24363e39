using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Svod.Testing;

/// <summary>
/// A private PostgreSQL started from the machine's binaries (Debian's <c>postgresql</c> package) in a temporary
/// directory, on a free loopback port, with trust authentication for the superuser <c>svod</c>. Tests stop, kill and
/// restart it to see what the cluster does. Missing binaries: <see cref="StartAsync"/> returns null locally (the test
/// skips) and throws on CI.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string User = "svod";
    private readonly string _bin;
    private readonly TempDirectory _dir = new();
    private readonly bool _asRoot = Environment.UserName == "root";

    private readonly bool _durable;

    private PostgresServer(string bin, bool durable)
    {
        _bin = bin;
        _durable = durable;
        Port = FreePort();
    }

    public int Port { get; }

    /// <summary>Where the server's log goes: read it when a test fails.</summary>
    public string LogFile => _dir["postgres.log"];

    private string DataDir => _dir["data"];

    /// <summary>Starts a fresh server; null when PostgreSQL is not installed (and not on CI). Tests run it with
    /// <c>fsync=off</c>; <paramref name="durable"/> keeps PostgreSQL's default (benchmarks of what a write costs).
    /// </summary>
    public static async Task<PostgresServer?> StartAsync(bool durable = false)
    {
        var bin = FindBin();
        if (bin is null)
        {
            return Ci.IsCi
                ? throw new InvalidOperationException(
                    "PostgreSQL is required on CI but /usr/lib/postgresql/*/bin/initdb is missing (Debian package: postgresql)")
                : null;
        }

        var server = new PostgresServer(bin, durable);
        try
        {
            if (server._asRoot)
            {
                // initdb and postgres refuse to run as root: the data directory belongs to the postgres user.
                await RunAsync("chown", ["-R", "postgres:postgres", server._dir.Path]);
            }

            await server.PgAsync("initdb", "-D", server.DataDir, "-U", User, "--auth=trust", "-E", "UTF8", "--no-sync");
            await server.BeginAsync();
            await server.PgAsync("createdb", "-h", "127.0.0.1", "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-U", User, "svod");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection string to <paramref name="database"/> (created by <see cref="CreateDatabaseAsync"/>; the
    /// database <c>svod</c> always exists).</summary>
    public string ConnectionString(string database = "svod") =>
        $"Host=127.0.0.1;Port={Port};Username={User};Database={database};Pooling=true;Timeout=5;Command Timeout=10";

    /// <summary>A fresh empty database, so that tests sharing one server share no tables.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await PgAsync("createdb", "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", User, name);
        return ConnectionString(name);
    }

    /// <summary>A clean shutdown (<c>pg_ctl stop -m fast</c>): sessions are ended, the data stays.</summary>
    public Task StopAsync() => PgAsync("pg_ctl", "-D", DataDir, "-m", "fast", "-w", "stop");

    /// <summary>Starts the stopped (or killed) server again on the same port with the same data. After a kill the
    /// old backends may hold its shared memory for a moment: it retries for up to 30 s.</summary>
    public async Task RestartAsync()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await BeginAsync();
                return;
            }
            catch (InvalidOperationException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>SIGKILL to the postmaster, as a crash: its children exit when they notice.</summary>
    public async Task KillAsync()
    {
        var pid = int.Parse((await File.ReadAllLinesAsync(Path.Combine(DataDir, "postmaster.pid")))[0],
            System.Globalization.CultureInfo.InvariantCulture);
        using var postmaster = Process.GetProcessById(pid);
        postmaster.Kill();
        await postmaster.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
        {
            try
            {
                await PgAsync("pg_ctl", "-D", DataDir, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }

        _dir.Dispose();
    }

    private Task BeginAsync() => PgAsync("pg_ctl", "-D", DataDir, "-l", LogFile, "-w", "-t", "60", "-o",
        $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={_dir.Path}{(_durable ? "" : " -c fsync=off")} " +
        "-c max_connections=300 -c shared_buffers=64MB", "start");

    private Task PgAsync(string tool, params string[] args)
    {
        var path = Path.Combine(_bin, tool);
        return _asRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args]) : RunAsync(path, args);
    }

    private static async Task RunAsync(string program, string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }
    }

    private static string? FindBin() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb"))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
