using Svod.Gpu.Cuda;

namespace Svod.IntegrationTests;

/// <summary>
/// Which backend the commands decode on: <c>cuda</c> fails at once with the reason where there is no CUDA device
/// (exit 69), <c>auto</c> falls back to the cpu and says why, and a node configured for cuda refuses to start. On a
/// machine with a GPU the same commands must succeed on it instead.
/// </summary>
public sealed class BackendSelectionTests
{
    private static readonly bool HasCuda = CudaRuntime.TryInitialize(out _);

    [Fact]
    public async Task Decode_with_backend_cuda_fails_fast_without_a_device_and_auto_falls_back_with_the_reason()
    {
        using var dir = new TempDirectory();
        var frames = await ProcessRun.SvodAsync("frames", "--model", "demo", "--text", "on any device",
            "--out", dir["one.npy"]);
        Assert.True(frames.ExitCode == 0, frames.ToString());

        var cuda = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", dir.Path, "--backend", "cuda");
        var auto = await ProcessRun.SvodAsync("decode", "--model", "demo", "--frames", dir.Path, "--backend", "auto");

        Assert.True(auto.ExitCode == 0, auto.ToString());
        Assert.Contains("on any device", auto.Stdout, StringComparison.Ordinal);
        if (HasCuda)
        {
            Assert.True(cuda.ExitCode == 0, cuda.ToString());
            Assert.Equal(auto.Stdout, cuda.Stdout);
            return;
        }

        Assert.True(cuda.ExitCode == 69, cuda.ToString());
        Assert.StartsWith("svod: CUDA backend unavailable: ", cuda.Stderr, StringComparison.Ordinal);
        Assert.Empty(cuda.Stdout);
        Assert.Contains("CUDA backend unavailable: ", auto.Stderr, StringComparison.Ordinal);
        Assert.Contains("decoding on the cpu backend", auto.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_configured_for_cuda_without_a_device_exits_69_naming_the_key()
    {
        if (HasCuda)
        {
            return; // it would start and serve: NodeTests cover a serving node
        }

        var run = await ProcessRun.SvodAsync("node", "--urls", "http://127.0.0.1:0", "-D", "svod.decoding.backend=cuda");

        Assert.True(run.ExitCode == 69, run.ToString());
        Assert.Contains("svod.decoding.backend = cuda: CUDA backend unavailable: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_on_auto_serves_on_the_backend_it_could_start_and_says_so_in_stats_and_log()
    {
        await using var node = await NodeProcess.StartAsync("-D", "svod.decoding.backend=auto");
        using var http = new HttpClient();

        using var stats = System.Text.Json.JsonDocument.Parse(
            await http.GetStringAsync(new Uri(node.BaseUri, "/v1/stats")));

        var demo = stats.RootElement.GetProperty("models").EnumerateArray()
            .Single(m => m.GetProperty("name").GetString() == "demo");
        Assert.Equal(HasCuda ? "cuda" : "cpu", demo.GetProperty("backend").GetString());
        if (!HasCuda)
        {
            Assert.Equal(1, node.CountOutput("demo: CUDA backend unavailable: "));
        }
    }

    [Fact]
    public async Task Gpu_check_without_a_device_exits_69_with_the_reason()
    {
        if (HasCuda)
        {
            return; // the check itself runs: tools/gpu/check.sh
        }

        var run = await ProcessRun.SvodAsync("gpu-check", "--json");

        Assert.True(run.ExitCode == 69, run.ToString());
        Assert.StartsWith("svod: CUDA backend unavailable: ", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }
}
