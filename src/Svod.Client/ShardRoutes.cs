using System.Net.Http.Headers;
using System.Text.Json;

namespace Svod.Client;

/// <summary>
/// A node's shard map (<c>GET /v1/shards</c>): which node owns each shard, so a new utterance goes straight to its
/// owner. Only a hint: a node that no longer owns a shard answers Redirect, and the utterance follows it.
/// </summary>
internal sealed class ShardRoutes(long version, Uri?[] owners)
{
    public long Version => version;

    /// <summary>The stream URL of the node owning <paramref name="utteranceId"/>'s shard, or null when unowned.</summary>
    public Uri? OwnerOf(string utteranceId) => owners[ShardMap.ShardOf(utteranceId, owners.Length)];

    /// <summary>The map of the node at <paramref name="node"/> (its stream URL); null when it has none to give (an
    /// older node, or an error: routing then falls back to the node order).</summary>
    public static async Task<ShardRoutes?> FetchAsync(Uri node, SvodClientOptions options,
        CancellationToken cancellationToken)
    {
        var uri = new UriBuilder(node)
        {
            Scheme = node.Scheme is "wss" or "https" ? "https" : "http",
            Path = "/v1/shards",
        }.Uri;
        using var handler = new HttpClientHandler();
        if (options.TrustedCertificate is { } trusted)
        {
            handler.ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
                CertificateTrust.Accepts(certificate, errors, trusted);
        }

        using var http = new HttpClient(handler) { Timeout = options.ConnectTimeout };
        if (options.ApiKey is { } key)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        try
        {
            var text = await http.GetStringAsync(uri, cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.TryGetProperty("cluster", out var cluster) && !cluster.GetBoolean())
            {
                return null; // a node alone: nothing to route by
            }

            var owners = root.GetProperty("owners").EnumerateArray()
                .Select(o => o.GetProperty("address").GetString() is { } a && Uri.TryCreate(a, UriKind.Absolute, out var u)
                    ? u
                    : null)
                .ToArray();
            return owners.Length == 0 ? null : new ShardRoutes(root.GetProperty("version").GetInt64(), owners);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException
                                      or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
