using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Svod.IntegrationTests;

/// <summary>A real <c>svod node</c> process on a loopback port, killed on dispose if still running.</summary>
internal sealed partial class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private TempDirectory? _ownData;

    private NodeProcess(Process process, int port, string scheme)
    {
        _process = process;
        Port = port;
        Scheme = scheme;
    }

    public int Port { get; }

    /// <summary><c>http</c> or <c>https</c>.</summary>
    public string Scheme { get; }

    public Uri StreamUri => new($"{(Scheme == "https" ? "wss" : "ws")}://127.0.0.1:{Port}/v1/stream");

    public Uri BaseUri => new($"{Scheme}://127.0.0.1:{Port}");

    /// <summary>Its member name in a cluster (<c>svod.cluster.node-id</c> defaults to the advertised host:port).
    /// </summary>
    public string NodeId => $"127.0.0.1:{Port}";

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    /// <summary>Lines of its output so far that contain <paramref name="text"/> (e.g. a log event's id).</summary>
    public int CountOutput(string text) => _output.Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>Stopped with <see cref="Pause"/> and not resumed: it answers nothing, not even its admin endpoints.
    /// </summary>
    public bool IsPaused { get; private set; }

    /// <summary>Starts a node on a free port.</summary>
    public static Task<NodeProcess> StartAsync(params string[] extra) => StartOnAsync(FreePort(), extra);

    /// <summary>Starts a node on <paramref name="port"/> (e.g. to restart one where its clients expect it).</summary>
    public static Task<NodeProcess> StartOnAsync(int port, params string[] extra) =>
        StartOnAsync(port, "http", null, extra);

    /// <summary>Starts a node on <paramref name="port"/>; with <paramref name="http"/> the readiness probe uses it (e.g.
    /// one that trusts a test certificate).</summary>
    public static async Task<NodeProcess> StartOnAsync(int port, string scheme, HttpClient? http, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Every node keeps its snapshot log in a directory of its own, unless the test names one (to restart a node on
        // its data).
        var ownData = extra.Any(a => a.StartsWith("svod.persistence.directory=", StringComparison.Ordinal))
            ? null
            : new TempDirectory();
        var data = ownData is null ? [] : new[] { "-D", $"svod.persistence.directory={ownData.Path}" };
        foreach (var a in new[] { RepositoryPaths.SvodDll, "node", "--urls", $"{scheme}://127.0.0.1:{port}" }
                     .Concat(data).Concat(extra))
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start svod node");
        var node = new NodeProcess(process, port, scheme) { _ownData = ownData };
        process.OutputDataReceived += (_, e) => node.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => node.Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var owned = http is null ? new HttpClient() : null;
        var probe = http ?? owned!;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(process.HasExited,
                $"svod node exited with {(process.HasExited ? process.ExitCode : 0)} before it was ready:\n{node.Output}");
            try
            {
                var ready = await probe.GetAsync(new Uri(node.BaseUri, "/readyz"));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return node;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"svod node on port {port} not ready after 60 s:\n{node.Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>Starts a node serving wss:// with <paramref name="certificate"/>, written as PEM files into
    /// <paramref name="dir"/>.</summary>
    public static async Task<NodeProcess> StartTlsAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate,
        TempDirectory dir, params string[] extra)
    {
        var (crt, key) = TestCertificates.WritePem(certificate, dir["node.crt"], dir["node.key"]);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, c, _, _) =>
                c is not null && c.RawData.AsSpan().SequenceEqual(certificate.RawData),
        };
        using var http = new HttpClient(handler);
        return await StartOnAsync(FreePort(), "https", http,
            [.. extra, "-D", $"svod.node.tls.certificate={crt}", "-D", $"svod.node.tls.key={key}"]);
    }

    /// <summary>The node's /v1/stats document.</summary>
    public async Task<System.Text.Json.JsonElement> StatsAsync()
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(BaseUri, "/v1/stats"));
        return System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary><c>kill -9</c>: the node vanishes without a word.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Sends SIGTERM (what an orchestrator sends to stop a node).</summary>
    public void Terminate() => Assert.Equal(0, SysKill(_process.Id, 15));

    /// <summary>SIGSTOP: the process freezes as a stalled VM or a long GC pause would, its sockets left open.</summary>
    public void Pause()
    {
        Assert.Equal(0, SysKill(_process.Id, 19));
        IsPaused = true;
    }

    /// <summary>SIGCONT: the paused process goes on where it stopped, its monotonic clock having moved on.</summary>
    public void Resume()
    {
        Assert.Equal(0, SysKill(_process.Id, 18));
        IsPaused = false;
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan patience)
    {
        await _process.WaitForExitAsync().WaitAsync(patience);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _ownData?.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Capture(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SysKill(int pid, int signal);
}
