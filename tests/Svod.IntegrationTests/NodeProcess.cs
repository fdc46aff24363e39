using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Svod.IntegrationTests;

/// <summary>A real <c>svod node</c> process on a free loopback port, stopped on dispose.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NodeProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public Uri StreamUri => new($"ws://127.0.0.1:{Port}/v1/stream");

    public static async Task<NodeProcess> StartAsync(params string[] extra)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { RepositoryPaths.SvodDll, "node", "--urls", $"http://127.0.0.1:{port}" }.Concat(extra))
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start svod node");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var node = new NodeProcess(process, port);
        using var http = new HttpClient();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(process.HasExited, $"svod node exited with {(process.HasExited ? process.ExitCode : 0)} before it was ready");
            try
            {
                var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return node;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"svod node on port {port} not ready after 60 s");
            await Task.Delay(50);
        }
    }

    /// <summary>The node's /v1/stats document.</summary>
    public async Task<System.Text.Json.JsonElement> StatsAsync()
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/v1/stats"));
        return System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
