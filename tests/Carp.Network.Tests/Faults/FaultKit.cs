using System.Globalization;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Linux;
using Carp.Network.Tests.Scenarios;

namespace Carp.Network.Tests.Faults;

/// <summary>
/// An nftables table of the <c>bridge</c> family in the scenario's bridge namespace, with one chain on
/// the forward hook: what its rules drop never reaches the other ports. Deleted on Dispose (and with
/// the namespace in any case).
/// </summary>
internal sealed class BridgeFilter : IDisposable
{
    private readonly Scenario _scenario;
    private readonly string _table;
    private bool _deleted;

    private BridgeFilter(Scenario scenario, string table)
    {
        _scenario = scenario;
        _table = table;
    }

    /// <summary>Loads a table whose forward chain holds <paramref name="rules"/> (nft syntax, one per line).</summary>
    public static BridgeFilter Add(Scenario s, string table, params string[] rules)
    {
        string script = $"table bridge {table} {{\n  chain forward {{\n    type filter hook forward priority 0; policy accept;\n" +
                        string.Concat(rules.Select(r => "    " + r + "\n")) + "  }\n}\n";
        string path = Path.Combine(s.WorkDirectory, table + ".nft");
        File.WriteAllText(path, script);
        s.Exec(s.Bridge, "nft", "-f", path).EnsureSuccess();
        s.Log("nft", $"table bridge {table}: {string.Join("; ", rules)}");
        return s.Own(new BridgeFilter(s, table));
    }

    /// <summary>Every frame between two bridge ports, both ways (a partition that leaves both links up).</summary>
    public static BridgeFilter Partition(Scenario s, string table, TestNode a, TestNode b) => Add(s, table,
        $"iifname \"{a.BridgePort}\" oifname \"{b.BridgePort}\" drop",
        $"iifname \"{b.BridgePort}\" oifname \"{a.BridgePort}\" drop");

    /// <summary>A random <paramref name="percent"/> % of CARP (IPv4 protocol 112) frames, each frame drawn independently.</summary>
    public static BridgeFilter Loss(Scenario s, string table, int percent) => Add(s, table,
        $"ip protocol 112 numgen random mod 100 < {percent.ToString(CultureInfo.InvariantCulture)} counter drop");

    /// <summary>Packets the chain's counter rules dropped so far.</summary>
    public long Dropped()
    {
        string listing = _scenario.Exec(_scenario.Bridge, "nft", "list", "table", "bridge", _table).EnsureSuccess().StandardOutput;
        long sum = 0;
        foreach (var part in listing.Split("counter packets ", StringSplitOptions.None).Skip(1))
        {
            sum += long.Parse(part.Split(' ')[0], CultureInfo.InvariantCulture);
        }

        return sum;
    }

    /// <summary>Puts an accept rule in front of the others: from its return on nothing is dropped, and the counters stand still.</summary>
    public void Suspend()
    {
        _scenario.Exec(_scenario.Bridge, "nft", "insert", "rule", "bridge", _table, "forward", "accept").EnsureSuccess();
        _scenario.Log("nft", $"table bridge {_table} suspended");
    }

    /// <summary>Removes the table (the heal).</summary>
    public void Delete()
    {
        if (_deleted)
        {
            return;
        }

        _deleted = true;
        _scenario.Exec(_scenario.Bridge, "nft", "delete", "table", "bridge", _table).EnsureSuccess();
        _scenario.Log("nft", $"table bridge {_table} deleted");
    }

    public void Dispose()
    {
        if (!_deleted)
        {
            _deleted = true;
            _ = _scenario.Exec(_scenario.Bridge, "nft", "delete", "table", "bridge", _table);
        }
    }
}

/// <summary>CARP adverts captured on any interface of any namespace of the scenario, with a pcap direction of choice.</summary>
internal sealed class AdvertCapture : IDisposable
{
    private readonly PacketDevice _device;

    private AdvertCapture(PacketDevice device, Recorder<Advert> adverts)
    {
        _device = device;
        Adverts = adverts;
    }

    public Recorder<Advert> Adverts { get; }

    /// <summary>Starts capturing IPv4 and IPv6 protocol 112 on <paramref name="ifname"/> in <paramref name="ns"/>.</summary>
    public static AdvertCapture Start(Scenario s, string ns, string ifname, string direction = "inbound")
    {
        var adverts = new Recorder<Advert>($"adverts {direction} at {ifname}");
        var device = CaptureDevice.Start(ns, ifname, $"{direction} and (ip proto 112 or ip6 proto 112)", frame =>
        {
            if (Advert.Parse(frame) is { } advert)
            {
                adverts.Add(advert);
            }
        });
        s.Log("capture", $"adverts {direction} at {ifname} in {ns}");
        return s.Own(new AdvertCapture(device, adverts));
    }

    public void Dispose() => _device.Dispose();
}

/// <summary>Figures shared by the fault scenarios.</summary>
internal static class FaultBed
{
    /// <summary>CARP_SOAK=1 (./build.sh soak): the long variants.</summary>
    public static bool Soak => Environment.GetEnvironmentVariable("CARP_SOAK") == "1";

    /// <summary>B's master-down interval with advbase 1, advskew 100 (FreeBSD profile): 3391 ms.</summary>
    public static readonly double MasterDownMs = CarpTiming.MasterDown(MasterDownFormula.ThreeAdvBasePlusSkew, 1, 100) / 1000.0;

    public static VirtualHostConfig Config(byte advSkew, string carpDev = "eth0") => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = carpDev,
        AdvSkew = advSkew,
        Key = CarpKey.FromPassphrase("foobar"),
        Addresses = [CarpAddress.Parse("192.0.2.1/24")],
    };

    /// <summary>A (advskew 0) MASTER and B (advskew 100) BACKUP on nodes 1 and 2, in-process.</summary>
    public static (EngineNode A, EngineNode B) Elect(Scenario s)
    {
        var a = s.Engine("A", s.Node(1).Namespace);
        a.Create(Config(0));
        var b = s.Engine("B", s.Node(2).Namespace);
        b.Create(Config(100));
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));
        Assert.True(Scenario.Eventually(() => b.Stats.IPackets >= 1, TimeSpan.FromSeconds(3)), "B heard no advert of A");
        Assert.Equal(CarpState.Backup, b.State());
        return (a, b);
    }
}
