using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Svod.Client;

/// <summary>Which TLS server certificates a client accepts (see <see cref="SvodClientOptions.TrustedCertificate"/>).
/// </summary>
internal static class CertificateTrust
{
    /// <summary>
    /// A certificate the system store validates for the host, or exactly the trusted one: the same bytes, whatever its
    /// chain or name (a node with a self-signed certificate, pinned by the client).
    /// </summary>
    public static bool Accepts(X509Certificate? presented, SslPolicyErrors errors, X509Certificate2? trusted) =>
        errors == SslPolicyErrors.None ||
        (trusted is not null && presented is not null &&
            presented.GetRawCertData().AsSpan().SequenceEqual(trusted.RawData));
}
