using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Svod.IntegrationTests;

/// <summary>Certificates for nodes serving TLS in tests.</summary>
internal static class TestCertificates
{
    /// <summary>A self-signed certificate for 127.0.0.1, valid from yesterday to tomorrow.</summary>
    public static X509Certificate2 SelfSigned(string subject = "CN=127.0.0.1")
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>Writes the certificate and its private key as PEM files; returns their paths.</summary>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        using var key = certificate.GetRSAPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
