using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Svod.Cluster.Cli;

/// <summary><c>svod cluster show | shards | leave NODE | down NODE</c>: the admin endpoints of any node.</summary>
internal static class ClusterCommand
{
    public static Command Create(ConfigOptions config)
    {
        var server = new Option<string>("--server")
        {
            Description = "Any node of the cluster: http://HOST:PORT (ws:// and the stream path are accepted too).",
            Required = true,
            Recursive = true,
        };
        var adminKey = new Option<string?>("--admin-key")
        {
            Description = "Admin key, when the nodes require one (svod.security.admin-keys; client keys do not work).",
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print the node's JSON instead of a table.", Recursive = true };
        var command = new Command("cluster",
            "Watch and steer a cluster through any node: members, shards, graceful leave, marking a node down.");
        command.Options.Add(server);
        command.Options.Add(adminKey);
        command.Options.Add(json);

        var show = new Command("show",
            "Members: node, state, address, shards, open channels, lane pool busy time, heartbeat age; the coordinator " +
            "is marked.");
        show.SetAction(async (parse, ct) =>
        {
            _ = config.Load(parse);
            var body = await GetAsync(parse.GetValue(server)!, parse.GetValue(adminKey), "members", ct);
            Print(parse.GetValue(json), body, ["node", "state", "address", "shards", "channels", "lanes busy", "heartbeat", "role"],
                m =>
                [
                    m.GetProperty("node").GetString()! + (m.GetProperty("self").GetBoolean() ? " (asked)" : ""),
                    m.GetProperty("state").GetString()!,
                    m.GetProperty("address").GetString()!,
                    Number(m, "shards"),
                    Number(m, "channels"),
                    string.Create(CultureInfo.InvariantCulture, $"{m.GetProperty("lanes_busy").GetDouble():P0}"),
                    string.Create(CultureInfo.InvariantCulture, $"{m.GetProperty("heartbeat_age_ms").GetDouble():N0} ms"),
                    m.GetProperty("coordinator").GetBoolean() ? "coordinator" : "",
                ]);
            return ExitCodes.Ok;
        });

        var shards = new Command("shards", "Shards: owner, epoch, state (owned, handoff, unowned), hand-off target, channels.");
        shards.SetAction(async (parse, ct) =>
        {
            _ = config.Load(parse);
            var body = await GetAsync(parse.GetValue(server)!, parse.GetValue(adminKey), "shards", ct);
            Print(parse.GetValue(json), body, ["shard", "owner", "epoch", "state", "handoff to", "channels"], s =>
            [
                Number(s, "shard"),
                s.GetProperty("owner").GetString() ?? "-",
                Number(s, "epoch"),
                s.GetProperty("state").GetString()!,
                s.GetProperty("handoff_to").GetString() ?? "",
                Number(s, "channels"),
            ]);
            return ExitCodes.Ok;
        });

        command.Subcommands.Add(show);
        command.Subcommands.Add(shards);
        command.Subcommands.Add(Change("leave", "Ask NODE to leave gracefully: it hands its shards off, then exits.", config,
            server, adminKey));
        command.Subcommands.Add(Change("down", "Mark NODE down at once (it is dead or must not serve): its shards move to " +
            "other members at the next epoch, and its writes are fenced.", config, server, adminKey));
        return command;
    }

    private static Command Change(string verb, string description, ConfigOptions config, Option<string> server,
        Option<string?> adminKey)
    {
        var node = new Argument<string>("node") { Description = "The member's node id, as 'svod cluster show' lists it." };
        var command = new Command(verb, description);
        command.Arguments.Add(node);
        command.SetAction(async (parse, ct) =>
        {
            _ = config.Load(parse);
            var id = parse.GetValue(node)!;
            await SendAsync(parse.GetValue(server)!, parse.GetValue(adminKey), HttpMethod.Post,
                $"members/{Uri.EscapeDataString(id)}/{verb}", ct);
            Console.Out.WriteLine($"{verb}: {id} accepted");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<JsonElement> GetAsync(string server, string? key, string what, CancellationToken ct)
    {
        var text = await SendAsync(server, key, HttpMethod.Get, what, ct);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<string> SendAsync(string server, string? key, HttpMethod method, string path,
        CancellationToken ct)
    {
        var uri = new Uri(ServerOptions.AdminUri(server), path);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(method, uri);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach {uri}: {e.Message}");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                return body;
            }

            var reason = TryError(body) ?? body;
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new CliException($"{uri}: {reason} (--admin-key)"),
                HttpStatusCode.NotFound => new CliException($"{uri}: {reason}", ExitCodes.SomeFailed),
                _ => new CliException($"{uri}: {(int)response.StatusCode} {reason}", ExitCodes.SomeFailed),
            };
        }
    }

    private static string? TryError(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("error", out var e) ? e.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Number(JsonElement e, string name) =>
        e.GetProperty(name).GetInt64().ToString("N0", CultureInfo.InvariantCulture);

    private static void Print(bool json, JsonElement rows, string[] headers, Func<JsonElement, string[]> cells)
    {
        if (json)
        {
            Console.Out.WriteLine(rows.GetRawText());
            return;
        }

        var table = rows.EnumerateArray().Select(cells).ToArray();
        var widths = headers.Select((h, i) => Math.Max(h.Length, table.Length == 0 ? 0 : table.Max(r => r[i].Length)))
            .ToArray();
        Console.Out.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in table)
        {
            Console.Out.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }
}
