using System.Diagnostics;
using System.Globalization;
using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// Interop with Debian's ucarp (docs/protocol.md#hmac-interop, docs/protocol.md#ucarp): one VIP per ucarp process, same vhid and pass.
/// ucarp reads packets in ~1 s batches, so its reactions get generous deadlines; ours keep the
/// master-down bound.
/// </summary>
public sealed class UcarpInteropScenarios
{
    private const string Pass = "foobar";
    private const string Vip = "192.0.2.1";
    private const byte SlowSkew = 100;

    /// <summary>3 × 1 s + 100/256 s: the master-down of the slower node, ours or ucarp's (same formula).</summary>
    private static readonly double MasterDownMs = CarpTiming.MasterDown(MasterDownFormula.ThreeAdvBasePlusSkew, 1, SlowSkew) / 1000.0;

    /// <summary>Debian's ucarp may see a packet up to about a second late (pcap read timeout without immediate mode) and checks its master-down only when poll() returns.</summary>
    private const double UcarpLagMs = 2000;

    private static VirtualHostConfig Ours(byte advSkew, string pass = Pass, CompatibilityProfile? profile = null) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        AdvSkew = advSkew,
        Key = CarpKey.FromPassphrase(pass),
        Addresses = [CarpAddress.Parse(Vip + "/24")],
        Profile = profile ?? CompatibilityProfile.FreeBsd,
    };

    [Fact]
    public void Ucarp_master_dies_and_our_backup_takes_over()
    {
        using var s = new Scenario();
        var watch = s.Watch(s.Node(1));
        var ucarp = UcarpProcess.Start(s, s.Node(1), Pass, advSkew: 0);
        ucarp.WaitState("MASTER", TimeSpan.FromSeconds(8));

        var ours = s.Engine("ours", s.Node(2).Namespace);
        ours.Create(Ours(SlowSkew));
        ours.WaitState(CarpState.Backup, TimeSpan.FromSeconds(2));

        // ucarp's adverts authenticate with the same pass: four of them keep us BACKUP past our master-down.
        Assert.True(Scenario.Eventually(() => ours.Stats.IPackets >= 4, TimeSpan.FromSeconds(8)), $"we heard {ours.Stats.IPackets} adverts of ucarp");
        Assert.Equal(0, ours.Stats.BadAuth);
        Assert.Equal(CarpState.Backup, ours.State());
        Assert.Equal(s.Node(1).IPv4, ours.Status().MasterSeen);
        Assert.Contains(ucarp.Interfaces(), i => i == "eth0");

        long killed = Clock.Now;
        ucarp.Kill();
        var master = ours.WaitState(CarpState.Master, TimeSpan.FromMilliseconds(MasterDownMs + 2000), killed);
        var last = watch.Adverts.Last(_ => true, before: master.At) ?? throw new InvalidOperationException("no advert of ucarp captured");
        double lag = Clock.Ms(last.At, master.At);
        s.Measure($"ucarp killed: ours MASTER {lag:0.0} ms after ucarp's last advert (bound {MasterDownMs:0.0} ms)");
        Assert.Equal(TransitionReason.MasterDown, master.Item.Reason);
        Assert.InRange(lag, MasterDownMs - 50, MasterDownMs + 300);
    }

    [Fact]
    public void Our_master_bows_out_and_ucarp_takes_over_at_once() =>
        OurMasterStops(CompatibilityProfile.FreeBsd, bowOut: true);

    [Fact]
    public void Our_master_dies_and_ucarp_takes_over_after_master_down() =>
        OurMasterStops(CompatibilityProfile.Ucarp, bowOut: false);

    private static void OurMasterStops(CompatibilityProfile profile, bool bowOut)
    {
        using var s = new Scenario();
        var watch = s.Watch(s.Node(1));
        var ours = s.Engine("ours", s.Node(1).Namespace);
        ours.Create(Ours(0, profile: profile));
        ours.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));

        var ucarp = UcarpProcess.Start(s, s.Node(2), Pass, advSkew: SlowSkew);
        var backup = ucarp.WaitState("BACKUP", TimeSpan.FromSeconds(5));
        // ucarp accepts our adverts: it stays BACKUP well past its master-down plus its batching lag.
        watch.WaitCount(5, TimeSpan.FromSeconds(3), backup.At);
        Assert.Empty(ucarp.Lines.All(l => l.Contains("MASTER", StringComparison.Ordinal) || l.Contains("Bad digest", StringComparison.Ordinal)));
        Assert.Empty(ucarp.Interfaces());
        Assert.Equal(CarpState.Master, ours.State());

        long stopped = Clock.Now;
        ours.Dispose();
        var took = ucarp.WaitState("MASTER", TimeSpan.FromMilliseconds(MasterDownMs + UcarpLagMs + 2000), stopped);
        var last = watch.Adverts.Last(_ => true, before: took.At) ?? throw new InvalidOperationException("no advert of ours captured");
        Assert.Equal(bowOut, last.Item.IsBowOut);
        double lag = Clock.Ms(last.At, took.At);
        s.Measure($"ours stopped ({(bowOut ? "bow-out" : "silent")}): ucarp MASTER {lag:0.0} ms after our last advert " +
                  $"(master-down {MasterDownMs:0.0} ms, ucarp batching up to ~1000 ms)");
        if (bowOut)
        {
            Assert.True(lag < MasterDownMs - 300, $"ucarp ignored our bow-out advert: it took {lag:0} ms");
        }
        else
        {
            Assert.InRange(lag, MasterDownMs - 100, MasterDownMs + UcarpLagMs);
        }

        Assert.True(Scenario.Eventually(() => ucarp.Interfaces().SequenceEqual(["eth0"]), TimeSpan.FromSeconds(2)), "ucarp's upscript did not add the VIP");
    }

    [Fact]
    public void Mismatched_pass_is_rejected_on_both_sides()
    {
        using var s = new Scenario();
        var ucarp = UcarpProcess.Start(s, s.Node(1), Pass, advSkew: 0);
        var ours = s.Engine("ours", s.Node(2).Namespace);
        ours.Create(Ours(SlowSkew, "notfoobar"));

        ucarp.WaitState("MASTER", TimeSpan.FromSeconds(8));
        var master = ours.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));
        Assert.Equal(TransitionReason.MasterDown, master.Item.Reason);
        Assert.True(Scenario.Eventually(() => ours.Stats.BadAuth >= 3, TimeSpan.FromSeconds(5)), $"our badauth is {ours.Stats.BadAuth}");
        Assert.Null(ours.Status().MasterSeen);
        var bad = ucarp.Lines.Wait(l => l.Contains("Bad digest", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "ucarp's Bad digest");
        s.Measure($"mismatched pass: our badauth {ours.Stats.BadAuth}; ucarp logged '{bad.Item.Trim()}'");
        Assert.Equal(CarpState.Master, ours.State());
    }
}

/// <summary>Debian's ucarp in a node namespace, its log lines recorded; its up/down scripts add and remove the VIP on eth0.</summary>
internal sealed class UcarpProcess
{
    private readonly Scenario _scenario;
    private readonly TestNode _node;

    private UcarpProcess(Scenario scenario, TestNode node, Process process, Recorder<string> lines)
    {
        _scenario = scenario;
        _node = node;
        Process = process;
        Lines = lines;
    }

    public Process Process { get; }

    public Recorder<string> Lines { get; }

    public static UcarpProcess Start(Scenario s, TestNode node, string pass, byte advSkew, string vip = "192.0.2.1", byte vhid = 1)
    {
        string dir = s.WorkDirectory;
        string up = Path.Combine(dir, "vip-up.sh");
        string down = Path.Combine(dir, "vip-down.sh");
        if (!File.Exists(up))
        {
            // ucarp runs: <script> <interface> <vip> <xparam>
            File.WriteAllText(up, "#!/bin/sh\nexec ip addr add \"$2/$3\" dev \"$1\"\n");
            File.WriteAllText(down, "#!/bin/sh\nip addr del \"$2/$3\" dev \"$1\" 2>/dev/null\nexit 0\n");
            File.SetUnixFileMode(up, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(down, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var lines = new Recorder<string>("ucarp@" + node.Namespace[^2..]);
        string label = "ucarp" + node.Number.ToString(CultureInfo.InvariantCulture);
        // The pass goes in a 0600 file: on the command line every local user could read it in ps.
        string passFile = SecretFile.Write(Path.Combine(dir, $"ucarp-{node.Number.ToString(CultureInfo.InvariantCulture)}-{vhid.ToString(CultureInfo.InvariantCulture)}.pass"), pass + "\n");
        var process = s.Net.Start(node.Namespace, "ucarp",
            "--interface=" + node.Interface, "--srcip=" + node.IPv4, "--vhid=" + vhid.ToString(CultureInfo.InvariantCulture),
            "--passfile=" + passFile, "--addr=" + vip, "--advbase=1", "--advskew=" + advSkew.ToString(CultureInfo.InvariantCulture),
            "--mcast=224.0.0.18", "--upscript=" + up, "--downscript=" + down, "--xparam=24", "--facility=none");
        void OnLine(string? line)
        {
            if (line is not null)
            {
                lines.Add(line);
                s.Log(label, line);
            }
        }

        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        s.Log(label, $"started, PID {process.Id}");
        return new UcarpProcess(s, node, process, lines);
    }

    /// <summary>ucarp's "[WARNING] Switching to state: STATE" line at or after <paramref name="since"/>.</summary>
    public Stamped<string> WaitState(string state, TimeSpan timeout, long since = 0) =>
        Lines.Wait(l => l.Contains("Switching to state: " + state, StringComparison.Ordinal), timeout, "ucarp switching to " + state, since);

    /// <summary>Interfaces of ucarp's namespace that carry the VIP.</summary>
    public string[] Interfaces(string vip = "192.0.2.1") => _scenario.InterfacesWith(_node.Namespace, vip);

    /// <summary>SIGKILL, by PID: no downscript, no last advert.</summary>
    public void Kill()
    {
        _scenario.Log("ucarp", $"killing PID {Process.Id}");
        Process.Kill();
        Assert.True(Process.WaitForExit(5000), "ucarp did not die");
    }
}
