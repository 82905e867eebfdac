using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Core;

namespace Carp.Engine.Tests.Core;

/// <summary>A test-only <see cref="ICarpOutput"/> that records every call the core makes.</summary>
internal sealed class RecordingOutput : ICarpOutput
{
    public sealed record SentAdvert(string Host, AddressFamily Family, byte[] Header, bool Succeeded)
    {
        public byte AdvSkew => Header[2];

        public byte DemoteCount => Header[4];

        public byte AdvBase => Header[5];
    }

    public sealed record StateChange(string Host, CarpState From, CarpState To, TransitionReason Reason);

    public sealed record AddressChange(string Host, IReadOnlyList<CarpAddress> Addresses, bool Present);

    public sealed record DemotionChange(string Host, byte OldAdvertisedAdvSkew, byte NewAdvertisedAdvSkew, byte OldDemoteCount, byte NewDemoteCount);

    public sealed record BadPacketReport(CarpStatistic Counter, string CarpDev, byte Vhid, string Detail);

    public List<SentAdvert> Sent { get; } = [];

    public List<StateChange> StateChanges { get; } = [];

    public List<AddressChange> AddressChanges { get; } = [];

    public List<string> Announcements { get; } = [];

    public List<DemotionChange> DemotionChanges { get; } = [];

    public List<BadPacketReport> BadPackets { get; } = [];

    /// <summary>Each maintenance change: the host and its new value.</summary>
    public List<(string Host, bool Maintenance)> MaintenanceChanges { get; } = [];

    /// <summary>What <see cref="ICarpOutput.SendAdvertisement"/> returns (false simulates ENOBUFS).</summary>
    public bool SendSucceeds { get; set; } = true;

    /// <summary>Each ARP-balancing frame sent: the host and the frame.</summary>
    public List<(string Host, byte[] Frame)> ArpSent { get; } = [];

    /// <summary>Each change of a carpdev's ARP-balanced addresses.</summary>
    public List<(string CarpDev, IReadOnlyList<System.Net.IPAddress> Addresses)> ArpBalanced { get; } = [];

    /// <summary>Each change of a host's Accept_Mode-refused addresses, with how many adverts and address changes came before it.</summary>
    public List<(string Host, IReadOnlyList<System.Net.IPAddress> Addresses, int SentBefore, int AddressChangesBefore)> AcceptRefused { get; } = [];

    public int TotalCalls =>
        Sent.Count + StateChanges.Count + AddressChanges.Count + Announcements.Count + DemotionChanges.Count + BadPackets.Count + MaintenanceChanges.Count +
        ArpSent.Count + ArpBalanced.Count + AcceptRefused.Count;

    public void Clear()
    {
        Sent.Clear();
        SentTo.Clear();
        StateChanges.Clear();
        AddressChanges.Clear();
        Announcements.Clear();
        DemotionChanges.Clear();
        BadPackets.Clear();
        MaintenanceChanges.Clear();
        ArpSent.Clear();
        ArpBalanced.Clear();
        AcceptRefused.Clear();
    }

    public void AcceptRefusedChanged(VirtualHost host, IReadOnlyList<System.Net.IPAddress> addresses) =>
        AcceptRefused.Add((host.Name, addresses.ToArray(), Sent.Count, AddressChanges.Count));

    public void SendArp(VirtualHost host, byte[] frame) => ArpSent.Add((host.Name, frame));

    public void ArpBalanceChanged(string carpDev, IReadOnlyList<System.Net.IPAddress> addresses) => ArpBalanced.Add((carpDev, addresses.ToArray()));

    /// <summary>Last adverts of a yielding master, each with the one MAC it went to (docs/protocol.md#split-brain-heal).</summary>
    public List<(SentAdvert Advert, PhysicalAddress To)> SentTo { get; } = [];

    public bool? SendAdvertisementTo(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> destinationMac)
    {
        SentTo.Add((new SentAdvert(host.Name, family, payload.ToArray(), SendSucceeds), new PhysicalAddress(destinationMac.ToArray())));
        return SendSucceeds;
    }

    public bool SendAdvertisement(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> carpHeader)
    {
        Sent.Add(new SentAdvert(host.Name, family, carpHeader.ToArray(), SendSucceeds));
        return SendSucceeds;
    }

    public void SetAddresses(VirtualHost host, IReadOnlyList<CarpAddress> addresses, bool present) =>
        AddressChanges.Add(new AddressChange(host.Name, addresses.ToArray(), present));

    public void Announce(VirtualHost host) => Announcements.Add(host.Name);

    public void StateChanged(VirtualHost host, CarpState oldState, CarpState newState, TransitionReason reason) =>
        StateChanges.Add(new StateChange(host.Name, oldState, newState, reason));

    public void DemotionChanged(VirtualHost host, byte oldAdvertisedAdvSkew, byte newAdvertisedAdvSkew, byte oldDemoteCount, byte newDemoteCount) =>
        DemotionChanges.Add(new DemotionChange(host.Name, oldAdvertisedAdvSkew, newAdvertisedAdvSkew, oldDemoteCount, newDemoteCount));

    public void MaintenanceChanged(VirtualHost host, bool maintenance) => MaintenanceChanges.Add((host.Name, maintenance));

    public void BadPacket(CarpStatistic counter, string carpDev, byte vhid, string detail) =>
        BadPackets.Add(new BadPacketReport(counter, carpDev, vhid, detail));
}
