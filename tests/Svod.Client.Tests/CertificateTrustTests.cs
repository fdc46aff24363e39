using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Svod.Client.Tests;

/// <summary>A node's TLS certificate is accepted if the system trusts it or if it is the one the client pins.</summary>
public sealed class CertificateTrustTests
{
    [Fact]
    public void The_pinned_certificate_is_accepted_whatever_its_chain_and_no_other()
    {
        using var pinned = SelfSigned("svod-node");
        using var other = SelfSigned("svod-node");
        const SslPolicyErrors untrusted = SslPolicyErrors.RemoteCertificateChainErrors;
        Assert.True(CertificateTrust.Accepts(pinned, untrusted, pinned));
        var misnamed = untrusted | SslPolicyErrors.RemoteCertificateNameMismatch;
        Assert.True(CertificateTrust.Accepts(pinned, misnamed, pinned));
        Assert.False(CertificateTrust.Accepts(other, untrusted, pinned));
        Assert.False(CertificateTrust.Accepts(pinned, untrusted, null));
        Assert.False(CertificateTrust.Accepts(null, SslPolicyErrors.RemoteCertificateNotAvailable, pinned));
        Assert.True(CertificateTrust.Accepts(other, SslPolicyErrors.None, pinned));
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}
