using System.Text.Json;

namespace Svod.IntegrationTests;

/// <summary><c>svod cluster</c> against a real node: what it shows, who may ask, and leave / down.</summary>
public sealed class ClusterCommandTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_single_node_shows_itself_owning_every_shard_and_leaves_when_asked()
    {
        await using var node = await NodeProcess.StartAsync("-D", "svod.security.admin-keys=[admin-1]",
            "-D", "svod.security.api-keys=[client-1]");
        var server = node.BaseUri.ToString();

        var show = await ProcessRun.SvodAsync("cluster", "show", "--server", server, "--admin-key", "admin-1", "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        var member = Assert.Single(JsonDocument.Parse(show.Stdout).RootElement.EnumerateArray().ToArray());
        Assert.Equal($"127.0.0.1:{node.Port}", member.GetProperty("node").GetString());
        Assert.Equal("up", member.GetProperty("state").GetString());
        Assert.Equal(64, member.GetProperty("shards").GetInt32());
        Assert.True(member.GetProperty("coordinator").GetBoolean());

        var table = await ProcessRun.SvodAsync("cluster", "shards", "--server", server, "--admin-key", "admin-1");
        Assert.True(table.ExitCode == 0, table.ToString());
        var rows = table.Stdout.Trim().Split('\n');
        Assert.Equal(65, rows.Length); // header and 64 shards
        Assert.StartsWith("shard", rows[0], StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{node.Port}", rows[1], StringComparison.Ordinal);

        // A client key does not open the admin endpoints; neither does nothing.
        foreach (var key in new[] { "client-1", null })
        {
            var refused = await ProcessRun.SvodAsync(key is null
                ? ["cluster", "show", "--server", server]
                : ["cluster", "show", "--server", server, "--admin-key", key]);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("admin key", refused.Stderr, StringComparison.Ordinal);
        }

        var down = await ProcessRun.SvodAsync("cluster", "down", $"127.0.0.1:{node.Port}", "--server", server,
            "--admin-key", "admin-1");
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("cannot be marked down", down.Stderr, StringComparison.Ordinal);
        var unknown = await ProcessRun.SvodAsync("cluster", "leave", "no-such-node", "--server", server,
            "--admin-key", "admin-1");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no member no-such-node", unknown.Stderr, StringComparison.Ordinal);

        var leave = await ProcessRun.SvodAsync("cluster", "leave", $"127.0.0.1:{node.Port}", "--server", server,
            "--admin-key", "admin-1");
        Assert.True(leave.ExitCode == 0, leave.ToString());
        Assert.Equal(0, await node.ExitCodeAsync(Patience));
    }

    [Fact]
    public async Task An_unreachable_server_is_reported_with_its_address()
    {
        var port = NodeProcess.FreePort();
        var run = await ProcessRun.SvodAsync("cluster", "show", "--server", $"http://127.0.0.1:{port}");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"cannot reach http://127.0.0.1:{port}/v1/admin/members", run.Stderr, StringComparison.Ordinal);
    }
}
