using System.Net.NetworkInformation;

namespace Carp.Linux;

/// <summary>Tuning for <see cref="PacketDevice"/>; the defaults suit CARP.</summary>
public sealed class PacketDeviceOptions
{
    /// <summary>01:00:5e:00:00:12 (224.0.0.18) and 33:33:00:00:00:12 (ff02::12).</summary>
    public static IReadOnlyList<PhysicalAddress> CarpMulticastGroups { get; } =
    [
        new PhysicalAddress([0x01, 0x00, 0x5e, 0x00, 0x00, 0x12]),
        new PhysicalAddress([0x33, 0x33, 0x00, 0x00, 0x00, 0x12]),
    ];

    /// <summary>Link-layer multicast groups joined on the device for its lifetime.</summary>
    public IReadOnlyList<PhysicalAddress> MulticastGroups { get; init; } = CarpMulticastGroups;

    /// <summary>Put the device in promiscuous mode (needed to see frames sent to a virtual MAC
    /// on a parent device without a macvlan). Default false.</summary>
    public bool Promiscuous { get; init; }

    /// <summary>How long one blocking read waits; bounds how long <see cref="PacketDevice.Dispose"/>
    /// can take when pcap_breakloop cannot wake the reader. Default 250 ms.</summary>
    public int ReadTimeoutMilliseconds { get; init; } = 250;

    /// <summary>
    /// Hand each frame over as it arrives (the default, what CARP needs). False lets the kernel fill a block first and wake
    /// the reader once per block or <see cref="ReadTimeoutMilliseconds"/>: a capture that only records (the lab's, with each
    /// frame's kernel time stamp) then no longer wakes a thread per frame inside the sender's system call.
    /// </summary>
    public bool Immediate { get; init; } = true;

    /// <summary>Bytes captured per frame. Default 2048 (CARP, ARP, ND are far smaller).</summary>
    public int SnapLength { get; init; } = 2048;

    /// <summary>Kernel ring size in bytes; null keeps libpcap's default (2 MiB).</summary>
    public int? BufferSizeBytes { get; init; }
}
