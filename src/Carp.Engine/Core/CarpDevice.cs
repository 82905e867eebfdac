using System.Net;

namespace Carp.Engine.Core;

/// <summary>A parent interface (carpdev) as the core sees it: link state, source address, its vhids.</summary>
public sealed class CarpDevice
{
    private readonly VirtualHost?[] _byVhid = new VirtualHost?[256];

    internal CarpDevice(string name, bool linkUp, IPAddress? sourceV4)
    {
        Name = name;
        LinkUp = linkUp;
        SourceV4 = sourceV4;
    }

    public string Name { get; }

    public bool LinkUp { get; internal set; }

    /// <summary>Our IPv4 address on this carpdev (the ucarp tie-break compares it).</summary>
    public IPAddress? SourceV4 { get; internal set; }

    /// <summary>Our IPv6 source address on this carpdev, if known.</summary>
    public IPAddress? SourceV6 { get; internal set; }

    internal bool IsOwnAddress(ReadOnlySpan<byte> address)
    {
        var own = address.Length == 4 ? SourceV4 : SourceV6;
        Span<byte> bytes = stackalloc byte[16];
        return own is not null && own.TryWriteBytes(bytes, out var written) && bytes[..written].SequenceEqual(address);
    }

    public int Count { get; private set; }

    internal VirtualHost? this[byte vhid] => _byVhid[vhid];

    internal void Attach(VirtualHost host)
    {
        _byVhid[host.Vhid] = host;
        Count++;
    }

    internal void Detach(VirtualHost host)
    {
        if (ReferenceEquals(_byVhid[host.Vhid], host))
        {
            _byVhid[host.Vhid] = null;
            Count--;
        }
    }

    public override string ToString() => $"{Name} ({(LinkUp ? "up" : "down")})";
}
