using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Svod.Client;
using Svod.Client.Protocol;

namespace Svod.Cluster.Cli;

/// <summary>How a client command reaches nodes: <c>--server</c> (one or more), <c>--api-key</c>, <c>--ca-cert</c>.</summary>
internal sealed class ServerOptions
{
    public ServerOptions(string serverHelp, bool required)
    {
        Server = new Option<string[]>("--server")
        {
            Description = serverHelp + " Several nodes: repeat --server or separate URLs with commas; each utterance is " +
                "placed on one of them and moves to another if its node is lost.",
            Required = required,
        };
    }

    public Option<string[]> Server { get; }

    public Option<string?> ApiKey { get; } = new("--api-key") { Description = "API key, when the nodes require one." };

    public Option<string?> CaCert { get; } = new("--ca-cert")
    {
        Description = "PEM certificate to trust for wss:// nodes besides the system's (a self-signed node certificate).",
    };

    public IEnumerable<Option> All => [Server, ApiKey, CaCert];

    /// <summary>The stream URLs given, or none when --server is absent.</summary>
    public IReadOnlyList<Uri> Nodes(ParseResult parse) =>
        [.. (parse.GetValue(Server) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(StreamUri).Distinct()];

    public SvodClientOptions ClientOptions(ParseResult parse)
    {
        X509Certificate2? trusted = null;
        if (parse.GetValue(CaCert) is { } path)
        {
            try
            {
                trusted = X509CertificateLoader.LoadCertificateFromFile(path);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new CliException($"--ca-cert {path}: {e.Message}");
            }
        }

        return new SvodClientOptions { ApiKey = parse.GetValue(ApiKey), TrustedCertificate = trusted };
    }

    /// <summary>Connects; no node reachable is a bad-input error naming each URL.</summary>
    public static async Task<SvodClient> ConnectAsync(IReadOnlyList<Uri> nodes, SvodClientOptions options,
        CancellationToken cancellationToken)
    {
        try
        {
            return await SvodClient.ConnectAsync(nodes, options, cancellationToken);
        }
        catch (SvodException e) when (e.Code == ErrorCode.Unavailable)
        {
            throw new CliException($"cannot connect: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")}");
        }
    }

    /// <summary>A node URL as given (ws, wss, http, https; host and port) made its stream endpoint.</summary>
    public static Uri StreamUri(string server)
    {
        var (uri, secure) = Parse(server);
        var path = uri.AbsolutePath is "/" or "" ? Node.NodeHost.StreamPath : uri.AbsolutePath;
        return new UriBuilder(uri) { Scheme = secure ? "wss" : "ws", Path = path }.Uri;
    }

    /// <summary>A node URL as given made the base of its admin endpoints (http(s)://host:port/v1/admin/).</summary>
    public static Uri AdminUri(string server)
    {
        var (uri, secure) = Parse(server);
        return new UriBuilder(secure ? "https" : "http", uri.Host, uri.Port, Node.NodeHost.AdminPath + "/").Uri;
    }

    /// <summary>The URL and whether it asks for TLS; a bad-input error naming it when it is not a node URL.</summary>
    private static (Uri Uri, bool Secure) Parse(string server)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri))
        {
            throw new CliException($"--server {server}: not a URL (ws://HOST:PORT or http://HOST:PORT)");
        }

        return uri.Scheme switch
        {
            "http" or "ws" => (uri, false),
            "https" or "wss" => (uri, true),
            _ => throw new CliException($"--server {server}: use ws://, wss://, http:// or https://"),
        };
    }
}
