using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Svod.Cluster.Node;

/// <summary>
/// The admin endpoints behind <c>svod cluster</c>: members, shards, leave, down. They need an admin key
/// (<c>svod.security.admin-keys</c>, sent as <c>Authorization: Bearer KEY</c>) when any is configured; client keys
/// do not open them.
/// </summary>
public sealed partial class NodeHost
{
    public const string AdminPath = "/v1/admin";

    private void MapAdmin()
    {
        var admin = _app.MapGroup(AdminPath);
        admin.AddEndpointFilter(async (context, next) =>
            _adminKeys.Count > 0 && !_adminKeys.Contains(ApiKey(context.HttpContext.Request), StringComparer.Ordinal)
                ? Problem(StatusCodes.Status401Unauthorized, "missing or wrong admin key (Authorization: Bearer KEY)")
                : await next(context));
        admin.MapGet("/members", async (CancellationToken ct) => Json(w =>
        {
            w.WriteStartArray();
            foreach (var m in AwaitResult(_admin.MembersAsync(ct)))
            {
                w.WriteStartObject();
                w.WriteString("node", m.NodeId);
                w.WriteString("address", m.Address);
                w.WriteString("state", m.State);
                w.WriteNumber("heartbeat_age_ms", Math.Round(m.HeartbeatAge.TotalMilliseconds));
                w.WriteNumber("shards", m.Shards);
                w.WriteNumber("channels", m.Channels);
                w.WriteNumber("lanes_busy", Math.Round(m.LanesBusy, 3));
                w.WriteBoolean("coordinator", m.Coordinator);
                w.WriteBoolean("self", m.NodeId == NodeId);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            return Task.CompletedTask;
        }));
        admin.MapGet("/shards", (CancellationToken ct) => Json(w =>
        {
            w.WriteStartArray();
            foreach (var s in AwaitResult(_admin.ShardsAsync(ct)))
            {
                w.WriteStartObject();
                w.WriteNumber("shard", s.Shard);
                WriteNullable(w, "owner", s.Owner);
                w.WriteNumber("epoch", s.Epoch);
                w.WriteString("state", s.State);
                WriteNullable(w, "handoff_to", s.HandoffTo);
                w.WriteNumber("channels", s.Channels);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            return Task.CompletedTask;
        }));
        admin.MapPost("/members/{node}/leave", async (string node, CancellationToken ct) =>
            await _admin.LeaveAsync(node, ct)
                ? Results.Accepted()
                : Problem(StatusCodes.Status404NotFound, $"no member {node}"));
        admin.MapPost("/members/{node}/down", async (string node, CancellationToken ct) =>
        {
            try
            {
                return await _admin.DownAsync(node, ct)
                    ? Results.Accepted()
                    : Problem(StatusCodes.Status404NotFound, $"no member {node}");
            }
            catch (InvalidOperationException e)
            {
                return Problem(StatusCodes.Status409Conflict, e.Message);
            }
        });
    }

    private static T AwaitResult<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static IResult Json(Func<Utf8JsonWriter, Task> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            write(w).GetAwaiter().GetResult();
        }

        return Results.Text(System.Text.Encoding.UTF8.GetString(stream.ToArray()), "application/json");
    }

    private static IResult Problem(int status, string message) =>
        Results.Json(new Dictionary<string, string> { ["error"] = message }, statusCode: status);

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
