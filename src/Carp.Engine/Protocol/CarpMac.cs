using System.Net.NetworkInformation;

namespace Carp.Engine.Protocol;

/// <summary>Link-layer addresses CARP uses (docs/protocol.md#advert-source-mac, docs/protocol.md#virtual-mac).</summary>
public static class CarpMac
{
    /// <summary>00:00:5e:00:01:vhid, the kernels' virtual MAC.</summary>
    public static PhysicalAddress Virtual(byte vhid) => new([0x00, 0x00, 0x5E, 0x00, 0x01, vhid]);

    /// <summary>00:00:5e:00:00:vhid, the source MAC of ucarp's adverts.</summary>
    public static PhysicalAddress Ucarp(byte vhid) => new([0x00, 0x00, 0x5E, 0x00, 0x00, vhid]);
}
