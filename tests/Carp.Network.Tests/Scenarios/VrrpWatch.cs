using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Carp.Engine.Protocol;
using Carp.Linux;

namespace Carp.Network.Tests.Scenarios;

/// <summary>One VRRPv3 advert as captured on the wire, decoded by the test itself.</summary>
internal sealed record VrrpAdvert(IPAddress Source, byte Version, byte Vrid, byte Priority, ushort Interval)
{
    public static VrrpAdvert? Parse(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return null;
        }

        int etherType = (frame[12] << 8) | frame[13];
        var ip = frame[14..];
        ReadOnlySpan<byte> message;
        IPAddress source;
        if (etherType == 0x0800 && ip.Length >= 20 && ip[9] == 112)
        {
            source = new IPAddress(ip[12..16]);
            message = ip[((ip[0] & 0x0F) * 4)..];
        }
        else if (etherType == 0x86DD && ip.Length >= 40 && ip[6] == 112)
        {
            source = new IPAddress(ip[8..24]);
            message = ip[40..];
        }
        else
        {
            return null;
        }

        return message.Length >= 8 && message[0] >> 4 == VrrpConstants.Version
            ? new VrrpAdvert(source, 3, message[1], message[2], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(message[4..]) & 0x0FFF))
            : null;
    }
}

/// <summary>
/// A capture in the bridge namespace on the bridge itself: every protocol-112 frame of the LAN, decoded as VRRPv3 and
/// written to a pcap file that tshark reads afterwards (<see cref="TsharkVerdicts"/>).
/// </summary>
internal sealed class VrrpWatch : IDisposable
{
    private readonly PacketDevice _device;
    private readonly FileStream _pcap;
    private readonly object _gate = new();
    private bool _closed;

    private VrrpWatch(Scenario scenario)
    {
        PcapPath = Path.Combine(scenario.WorkDirectory, "vrrp.pcap");
        _pcap = new FileStream(PcapPath, FileMode.Create, FileAccess.Write);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1); // Ethernet
        _pcap.Write(header);
        _device = CaptureDevice.Start(scenario.Bridge, "br0", "ip proto 112 or ip6 proto 112", OnFrame);
        scenario.Log("watch", "capturing VRRP on br0 to " + PcapPath);
    }

    public Recorder<VrrpAdvert> Adverts { get; } = new("VRRP adverts on br0");

    public string PcapPath { get; }

    public static VrrpWatch Start(Scenario scenario) => scenario.Own(new VrrpWatch(scenario));

    private void OnFrame(ReadOnlySpan<byte> frame)
    {
        lock (_gate)
        {
            if (!_closed)
            {
                var now = DateTimeOffset.UtcNow;
                Span<byte> record = stackalloc byte[16];
                BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)now.ToUnixTimeSeconds());
                BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(now.ToUnixTimeMilliseconds() % 1000 * 1000));
                BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
                _pcap.Write(record);
                _pcap.Write(frame);
            }
        }

        if (VrrpAdvert.Parse(frame) is { } advert)
        {
            Adverts.Add(advert);
        }
    }

    /// <summary>
    /// Stops the capture and asks tshark (with its default preferences) about every VRRP packet: one line per packet,
    /// "source version checksum-status" (status 1 = good).
    /// </summary>
    public string[] TsharkVerdicts()
    {
        Dispose();
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-r", PcapPath, "-Y", "vrrp", "-T", "fields", "-E", "separator= ", "-e", "ip.src", "-e", "ipv6.src", "-e", "vrrp.version", "-e", "vrrp.checksum.status" })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start tshark");
        var output = p.StandardOutput.ReadToEnd();
        _ = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "tshark did not finish");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
        }

        _device.Dispose();
        lock (_gate)
        {
            _pcap.Dispose();
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Adverts.Snapshot().Count} VRRP adverts");
}
