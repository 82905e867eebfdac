using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Carp.Engine.Protocol;

namespace Carp.Benchmarks;

/// <summary>
/// Where the HMAC time goes: the engine's CarpHmac (one reused IncrementalHash) against the other
/// HMAC-SHA1 entry points .NET offers for the same 8-byte-counter message. On Linux all of them
/// call OpenSSL; the difference is how many OpenSSL context set-ups each call pays.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
public class HmacBackendBenchmarks
{
    private readonly byte[] _digest = new byte[CarpConstants.HmacLength];
    private byte[] _message = null!;
    private byte[] _key = null!;
    private CarpHmac _carpHmac = null!;
    private IncrementalHash _incremental = null!;
    private HMACSHA1 _hmacSha1 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = CarpFixture.Key.Bytes.ToArray();
        _carpHmac = new CarpHmac(CarpFixture.Key, CarpFixture.Vhid, [CarpFixture.VirtualAddress.Address]);

        // The message CarpHmac hashes for vhid 1 and 192.0.2.254: version, type, vhid, address, counter.
        _message = [CarpConstants.Version, CarpConstants.TypeAdvertisement, CarpFixture.Vhid, 192, 0, 2, 254, 0, 0, 0, 0, 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt64BigEndian(_message.AsSpan(_message.Length - 8), CarpFixture.PeerCounter);
        _incremental = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, _key); // the wire protocol mandates HMAC-SHA1
        _hmacSha1 = new HMACSHA1(_key); // CA5350 is off for this project: HMAC-SHA1 is what CARP puts on the wire

        var expected = new byte[CarpConstants.HmacLength];
        _carpHmac.Compute(CarpFixture.PeerCounter, expected);
        CarpFixture.Require(HMACSHA1.HashData(_key, _message).AsSpan().SequenceEqual(expected), "the benchmark message is the one CarpHmac hashes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _carpHmac.Dispose();
        _incremental.Dispose();
        _hmacSha1.Dispose();
    }

    /// <summary>The engine: CarpHmac.Compute (IncrementalHash.AppendData + GetHashAndReset).</summary>
    [Benchmark(Baseline = true)]
    public void CarpHmacCompute() => _carpHmac.Compute(CarpFixture.PeerCounter, _digest);

    [Benchmark]
    public void IncrementalHashReused()
    {
        _incremental.AppendData(_message);
        _incremental.GetHashAndReset(_digest);
    }

    [Benchmark]
    public int OneShotHashData() => HMACSHA1.HashData(_key, _message, _digest);

    [Benchmark]
    public bool HmacSha1Instance() => _hmacSha1.TryComputeHash(_message, _digest, out _);

    /// <summary>Plain SHA-1 of the same message (no key): the floor of one OpenSSL digest call.</summary>
    [Benchmark]
    public int Sha1OneShot() => SHA1.HashData(_message, _digest);
}
