using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Svod.Cluster.Configuration;

namespace Svod.Cluster.Node;

/// <summary>The certificate of a node's <c>https://</c> URLs, from <c>svod.node.tls</c>.</summary>
internal static class NodeTls
{
    public static void Configure(IWebHostBuilder web, TlsOptions tls, IReadOnlyList<string> urls)
    {
        var https = urls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        if (!https)
        {
            return;
        }

        if (string.IsNullOrEmpty(tls.Certificate))
        {
            throw new ConfigurationException(
                $"svod.node.urls has an https:// URL ({string.Join(";", urls)}) but svod.node.tls.certificate is empty");
        }

        var certificate = Load(tls);
        web.UseKestrelHttpsConfiguration(); // the slim builder leaves HTTPS out until asked
        web.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
    }

    /// <summary>PKCS#12 by its extension, PEM otherwise (the key in <see cref="TlsOptions.Key"/> or in the same file).</summary>
    public static X509Certificate2 Load(TlsOptions tls)
    {
        var path = tls.Certificate;
        var password = string.IsNullOrEmpty(tls.Password) ? null : tls.Password;
        var key = string.IsNullOrEmpty(tls.Key) ? null : tls.Key;
        try
        {
            var extension = Path.GetExtension(path).ToUpperInvariant();
            if (extension is ".PFX" or ".P12")
            {
                return X509CertificateLoader.LoadPkcs12FromFile(path, password);
            }

            return password is null
                ? X509Certificate2.CreateFromPemFile(path, key)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password, key);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ConfigurationException(
                $"svod.node.tls: cannot load the certificate {path}{(key is null ? "" : $" with key {key}")}: {e.Message}", e);
        }
    }
}
