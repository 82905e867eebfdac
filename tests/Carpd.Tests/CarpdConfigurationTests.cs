using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;
using Carp.Engine.Protocol;

namespace Carpd.Tests;

public sealed class CarpdConfigurationTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode WorldReadable = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Parses_the_seed_example()
    {
        _dir.Write("carp3.pass", "s3cretfile\n");
        var text = """
            net.inet.carp.preempt=1
            net.inet.carp.log=2
            carp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24
            carp2 vhid 2 carpdev eth1 pass wanpasswd advskew 128 advbase 1 198.51.100.10/24 2001:db8::10/64
            carp3 vhid 3 carpdev eth0 passfile carp3.pass macmode real profile openbsd group lan
            """;

        var config = CarpdConfiguration.Parse(text, "test.conf", _dir.Path);

        Assert.True(config.Sysctls.Preempt);
        Assert.Equal(2, config.Sysctls.Log);
        Assert.Equal(["carp1", "carp2", "carp3"], config.Interfaces.Select(i => i.Name));

        var carp1 = config.Find("carp1")!;
        Assert.Equal(1, carp1.Vhid);
        Assert.Equal("eth0", carp1.CarpDev);
        Assert.Equal(CarpKey.FromPassphrase("lanpasswd"), carp1.Key);
        Assert.Equal([CarpAddress.Parse("192.0.2.100/24")], carp1.Addresses);
        Assert.Equal(1, carp1.AdvBase);
        Assert.Equal(0, carp1.AdvSkew);
        Assert.Equal(MacMode.Virtual, carp1.MacMode);
        Assert.Same(CompatibilityProfile.FreeBsd, carp1.Profile);

        var carp2 = config.Find("carp2")!;
        Assert.Equal(128, carp2.AdvSkew);
        Assert.Equal(CarpKey.FromPassphrase("wanpasswd"), carp2.Key);
        Assert.Equal([CarpAddress.Parse("198.51.100.10/24"), CarpAddress.Parse("2001:db8::10/64")], carp2.Addresses);

        var carp3 = config.Find("carp3")!;
        Assert.Equal(CarpKey.FromPassphrase("s3cretfile"), carp3.Key);
        Assert.Equal(MacMode.Real, carp3.MacMode);
        Assert.Same(CompatibilityProfile.OpenBsd, carp3.Profile);
        Assert.Equal(["lan"], carp3.Groups);
        Assert.Empty(carp3.Addresses);
        Assert.Equal("carp3.pass", config.PassFileOf("carp3"));
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void Parses_every_keyword()
    {
        var config = CarpdConfiguration.Parse(
            "carp9 vhid 200 carpdev eth2 pass pw advbase 3 advskew 254 macmode real profile ucarp group lan group dmz " +
            "peer 192.0.2.2 peer6 2001:db8::2 192.0.2.9/24 2001:db8::9/64 203.0.113.1\n" +
            "carp8 vhid 8 carpdev eth2 passhex 00ff10 profile classic macmode virtual\n");

        var c = config.Find("carp9")!;
        Assert.Equal(200, c.Vhid);
        Assert.Equal("eth2", c.CarpDev);
        Assert.Equal(CarpKey.FromPassphrase("pw"), c.Key);
        Assert.Equal(3, c.AdvBase);
        Assert.Equal(254, c.AdvSkew);
        Assert.Equal(MacMode.Real, c.MacMode);
        Assert.Same(CompatibilityProfile.Ucarp, c.Profile);
        Assert.Equal(["lan", "dmz"], c.Groups);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), c.Peer);
        Assert.Equal(IPAddress.Parse("2001:db8::2"), c.Peer6);
        Assert.Equal(["192.0.2.9/24", "2001:db8::9/64", "203.0.113.1/32"], c.Addresses.Select(a => a.ToString()));

        var h = config.Find("carp8")!;
        Assert.Equal(CarpKey.FromRawKey([0x00, 0xff, 0x10]), h.Key);
        Assert.Same(CompatibilityProfile.Classic, h.Profile);
        Assert.Equal(MacMode.Virtual, h.MacMode);
    }

    [Fact]
    public void Accepts_short_names_prefixes_comments_and_spacing()
    {
        var config = CarpdConfiguration.Parse("""
            # a comment
               preempt = 1   # trailing comment
            sysctl net.inet.carp.dscp=10

            ifconfig carp1 vhid 1 carpdev eth0 pass ab#cd 192.0.2.100/24 # the pass keeps its '#'
            	carp2	vhid 2	carpdev eth0 # tabs
            net.inet.carp.demotion=-10
            """);

        Assert.True(config.Sysctls.Preempt);
        Assert.Equal(10, config.Sysctls.Dscp);
        Assert.Equal(-10, config.Sysctls.Demotion);
        Assert.Equal(CarpKey.FromPassphrase("ab#cd"), config.Find("carp1")!.Key);
        Assert.True(config.Find("carp2")!.Key.IsEmpty);
    }

    [Fact]
    public void A_pass_longer_than_19_bytes_is_cut_like_ifconfig_with_a_warning_that_does_not_show_it()
    {
        var config = CarpdConfiguration.Parse("carp1 vhid 1 carpdev eth0 pass abcdefghijklmnopqrstuvwxyz\n", "x.conf");

        Assert.Equal(CarpKey.FromPassphrase("abcdefghijklmnopqrs"), config.Find("carp1")!.Key);
        var warning = Assert.Single(config.Warnings);
        Assert.StartsWith("x.conf:1:", warning);
        Assert.DoesNotContain("abcdefghijklmnopqrs", warning);
    }

    [Theory]
    [InlineData("carp1 vhd 1 carpdev eth0", 2, CarpErrorCode.InvalidArgument, "did you mean 'vhid'")]
    [InlineData("carp1 vhid 0 carpdev eth0", 2, CarpErrorCode.InvalidVhid, "vhid")]
    [InlineData("carp1 vhid 256 carpdev eth0", 2, CarpErrorCode.InvalidVhid, "1 to 255")]
    [InlineData("carp1 vhid x carpdev eth0", 2, CarpErrorCode.InvalidVhid, "vhid")]
    [InlineData("carp1 vhid 1 carpdev eth0 advbase 0", 2, CarpErrorCode.InvalidAdvBase, "advbase")]
    [InlineData("carp1 vhid 1 carpdev eth0 advskew 255", 2, CarpErrorCode.InvalidAdvSkew, "advskew")]
    [InlineData("carp1 vhid 1", 2, CarpErrorCode.UnknownCarpDev, "carpdev")]
    [InlineData("carp1 carpdev eth0", 2, CarpErrorCode.InvalidVhid, "no vhid")]
    [InlineData("carp1 vhid 1 carpdev eth0 192.0.2.300/24", 2, CarpErrorCode.InvalidAddress, "192.0.2.300/24")]
    [InlineData("carp1 vhid 1 carpdev eth0 192.0.2.1/33", 2, CarpErrorCode.InvalidAddress, "prefix")]
    [InlineData("carp1 vhid 1 carpdev eth0 192.0.2.1 192.0.2.1/24", 2, CarpErrorCode.InvalidAddress, "twice")]
    [InlineData("carp1 vhid 1 carpdev eth0 macmode fancy", 2, CarpErrorCode.InvalidArgument, "macmode")]
    [InlineData("carp1 vhid 1 carpdev eth0 profile netbsd", 2, CarpErrorCode.InvalidArgument, "profile")]
    [InlineData("carp1 vhid 1 carpdev eth0 peer 2001:db8::1", 2, CarpErrorCode.InvalidAddress, "IPv4")]
    [InlineData("carp1 vhid 1 carpdev eth0 peer6 192.0.2.1", 2, CarpErrorCode.InvalidAddress, "IPv6")]
    [InlineData("carp1 vhid 1 carpdev eth0 vhid 2", 2, CarpErrorCode.InvalidArgument, "twice")]
    [InlineData("carp1 vhid 1 carpdev eth0 group lan group lan", 2, CarpErrorCode.InvalidArgument, "twice")]
    [InlineData("carp1 vhid 1 carpdev eth0 passhex zz", 2, CarpErrorCode.InvalidPass, "hexadecimal")]
    [InlineData("carp1 vhid 1 carpdev eth0 advskew", 2, CarpErrorCode.InvalidArgument, "needs a value")]
    [InlineData("vhid 1 carpdev eth0", 2, CarpErrorCode.InvalidInterfaceName, "interface name")]
    [InlineData("carp1/x vhid 1 carpdev eth0", 2, CarpErrorCode.InvalidInterfaceName, "carp1/x")]
    [InlineData("net.inet.carp.nosuch=1", 2, CarpErrorCode.UnknownSysctl, "nosuch")]
    [InlineData("net.inet.carp.preempt=yes", 2, CarpErrorCode.InvalidSysctlValue, "whole number")]
    [InlineData("net.inet.carp.dscp=64", 2, CarpErrorCode.InvalidSysctlValue, "0 to 63")]
    [InlineData("net.inet.carp.suppress_preempt=1", 2, CarpErrorCode.ReadOnlySysctl, "read-only")]
    [InlineData("net.inet.carp.log=3", 2, CarpErrorCode.InvalidArgument, "already set on line 1")]
    [InlineData("carp0 vhid 9 carpdev eth9", 2, CarpErrorCode.InterfaceExists, "already defined on line 1")]
    [InlineData("carp5 vhid 7 carpdev eth0", 2, CarpErrorCode.DuplicateVhid, "carp0 (line 1)")]
    public void Errors_name_the_file_line_and_what_to_do(string secondLine, int line, CarpErrorCode code, string fragment)
    {
        var first = secondLine.StartsWith("net.inet.carp.log", StringComparison.Ordinal) ? "net.inet.carp.log=2" : "carp0 vhid 7 carpdev eth0";

        var ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Parse(first + "\n" + secondLine + "\n", "/etc/carpd/carpd.conf"));

        Assert.Equal(code, ex.Code);
        Assert.Equal(line, ex.Line);
        Assert.Equal("/etc/carpd/carpd.conf", ex.FileName);
        Assert.StartsWith($"/etc/carpd/carpd.conf:{line}: ", ex.Message);
        Assert.Contains(fragment, ex.Message);
        Assert.False(string.IsNullOrWhiteSpace(ex.RecommendedAction));
        Assert.Contains(ex.RecommendedAction!, ex.Message);
        Assert.Equal(code, ex.ToCarpException().Code);
    }

    [Fact]
    public void An_arp_balancing_set_is_accepted_and_a_real_mac_member_is_refused_at_its_line()
    {
        const string set = "net.inet.carp.arpbalance=1\n" +
            "carp0 vhid 1 carpdev eth0 192.0.2.10/24\n" +
            "carp1 vhid 2 carpdev eth0 advskew 100 192.0.2.10/24\n";
        var parsed = CarpdConfiguration.Parse(set, "/etc/carpd/carpd.conf");
        Assert.True(parsed.Sysctls.ArpBalance);
        Assert.Equal(2, parsed.Interfaces.Count);

        var ex = Assert.Throws<CarpdConfigurationException>(() =>
            CarpdConfiguration.Parse(set.Replace("carp1 vhid 2 carpdev eth0", "carp1 vhid 2 carpdev eth0 macmode real", StringComparison.Ordinal), "/etc/carpd/carpd.conf"));
        Assert.Equal(CarpErrorCode.ArpBalanceNeedsVirtualMac, ex.Code);
        Assert.Equal(3, ex.Line);
        Assert.Contains("macmode virtual", ex.RecommendedAction, StringComparison.Ordinal);

        // Without arpbalance the same file is the engine's business (two vhids, one address), not the parser's.
        Assert.Equal(2, CarpdConfiguration.Parse(set.Replace("arpbalance=1", "arpbalance=0", StringComparison.Ordinal)
            .Replace("carp1 vhid 2 carpdev eth0", "carp1 vhid 2 carpdev eth0 macmode real", StringComparison.Ordinal), "/etc/carpd/carpd.conf").Interfaces.Count);
    }

    [Theory]
    [InlineData("carp1 vhid 1 carpdev eth0 Hunter2Secret 192.0.2.1/24")]           // 'pass' forgotten
    [InlineData("carp1 vhid 1 carpdev eth0 Hunter2.Secret 192.0.2.1/24")]          // looks like an address
    [InlineData("carp1 vhid 1 carpdev eth0 pass Hunter2Secret passfile /x")]       // two pass sources
    [InlineData("carp1 vhid 0 carpdev eth0 pass Hunter2Secret")]                   // invalid after the pass
    [InlineData("carp1 vhid 1 carpdev eth0 pass Hunter2Secret pass Hunter2Secret")]
    [InlineData("carp1 vhid 1 carpdev eth0 passhex Hunter2Secret")]
    [InlineData("carp1 vhid 1 carpdev eth0 peer Hunter2Secret")]
    [InlineData("carp1 vhid 1 carpdev eth0 pass Hunter2Secret 192.0.2.1/24 192.0.2.1/24")]
    [InlineData("carp1 vhid Hunter2Secret carpdev eth0")]
    [InlineData("carp1 vhid 1 carpdev eth0 pass Hunter2Secret\ncarp2 vhid 1 carpdev eth0 pass Hunter2Secret")]
    public void An_error_never_shows_a_pass(string text)
    {
        var ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Parse(text));

        Assert.DoesNotContain("Hunter2", ex.Message);
        Assert.DoesNotContain("Hunter2", ex.ToString());
        Assert.DoesNotContain("48756e746572", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ToString_and_Describe_never_show_a_pass()
    {
        var config = CarpdConfiguration.Parse("net.inet.carp.preempt=1\ncarp1 vhid 1 carpdev eth0 pass Hunter2Secret advskew 128 192.0.2.100/24\n");

        Assert.DoesNotContain("Hunter2", config.ToString());
        Assert.Contains("carp1", config.ToString());
        Assert.Contains("preempt=1", config.ToString());
        var described = string.Join('\n', config.Describe());
        Assert.DoesNotContain("Hunter2", described);
        Assert.Contains("carp1: vhid 1 carpdev eth0 advbase 1 advskew 128 pass set", described);
        Assert.Contains("192.0.2.100/24", described);
        Assert.DoesNotContain("Hunter2", config.Interfaces[0].ToString());
    }

    [Fact]
    public void Load_refuses_a_file_with_a_pass_that_others_can_read()
    {
        var path = _dir.Write("carpd.conf", "carp1 vhid 1 carpdev eth0 pass Hunter2Secret 192.0.2.100/24\n", WorldReadable);

        var ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Load(path));

        Assert.Equal(CarpErrorCode.NotPermitted, ex.Code);
        Assert.Contains($"chmod 600 {path}", ex.Message);
        Assert.Contains("0644", ex.Message);
        Assert.DoesNotContain("Hunter2", ex.Message);

        File.SetUnixFileMode(path, Private);
        Assert.Equal("carp1", Assert.Single(CarpdConfiguration.Load(path).Interfaces).Name);
    }

    [Fact]
    public void Load_accepts_a_readable_file_without_a_pass_and_refuses_one_others_can_write()
    {
        _dir.Write("lan.pass", "Hunter2Secret\n");
        var path = _dir.Write("carpd.conf", "carp1 vhid 1 carpdev eth0 passfile lan.pass 192.0.2.100/24\n", WorldReadable);

        var config = CarpdConfiguration.Load(path);
        Assert.Equal(CarpKey.FromPassphrase("Hunter2Secret"), config.Interfaces[0].Key);

        File.SetUnixFileMode(path, WorldReadable | UnixFileMode.GroupWrite);
        var ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Load(path));
        Assert.Equal(CarpErrorCode.NotPermitted, ex.Code);
        Assert.Contains("chmod 600", ex.Message);
    }

    [Fact]
    public void Load_refuses_a_passfile_that_others_can_read()
    {
        var passFile = _dir.Write("lan.pass", "Hunter2Secret\n", WorldReadable);
        var path = _dir.Write("carpd.conf", "\n\ncarp1 vhid 1 carpdev eth0 passfile lan.pass\n");

        var ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Load(path));

        Assert.Equal(CarpErrorCode.NotPermitted, ex.Code);
        Assert.Equal(3, ex.Line);
        Assert.Contains($"chmod 600 {passFile}", ex.Message);
        Assert.DoesNotContain("Hunter2", ex.Message);
    }

    [Fact]
    public void Load_reports_a_missing_file_or_passfile_with_what_to_do()
    {
        var missing = _dir.File("nope.conf");
        var ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Load(missing));
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("install -m 600 /dev/null", ex.Message);

        var path = _dir.Write("carpd.conf", "carp1 vhid 1 carpdev eth0 passfile missing.pass\n");
        ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Load(path));
        Assert.Equal(CarpErrorCode.InvalidPass, ex.Code);
        Assert.Equal(1, ex.Line);

        _dir.Write("empty.pass", "\n");
        File.WriteAllText(path, "carp1 vhid 1 carpdev eth0 passfile empty.pass\n");
        ex = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Load(path));
        Assert.Equal(CarpErrorCode.InvalidPass, ex.Code);
        Assert.Contains("empty", ex.Message);
    }

    [Fact]
    public void Save_writes_a_private_file_atomically_that_reads_back_the_same()
    {
        var original = CarpdConfiguration.Parse("""
            net.inet.carp.preempt=1
            net.inet.carp.log=2
            carp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24
            carp2 vhid 2 carpdev eth1 passhex 00010203fffe advskew 128 advbase 2 macmode real profile openbsd group lan group dmz peer 198.51.100.2 peer6 2001:db8::2 198.51.100.10/24 2001:db8::10/64
            """);
        var raw = original.WithInterface(new VirtualHostConfig
        {
            Name = "carp3", Vhid = 3, CarpDev = "eth0", Key = CarpKey.FromRawKey("with space\t#"u8), Addresses = [CarpAddress.Parse("203.0.113.5/24")],
        });
        var path = _dir.File("carpd.conf");

        raw.Save(path);

        Assert.Equal(Private, File.GetUnixFileMode(path));
        Assert.Equal(["carpd.conf"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        var loaded = CarpdConfiguration.Load(path);
        AssertSame(raw, loaded);
        Assert.Equal(raw.Format(), loaded.Format());
    }

    [Fact]
    public void Save_keeps_comments_and_untouched_lines_and_rewrites_only_what_changed()
    {
        _dir.Write("lan.pass", "filepass\n");
        var before = """
            # Firewall A
            net.inet.carp.preempt=1   # take over when back
            carp1   vhid 1 carpdev eth0 passfile lan.pass 192.0.2.100/24   # LAN
            # WAN side
            carp2 vhid 2 carpdev eth1 pass wanpasswd 198.51.100.10/24 # WAN
            carp3 vhid 3 carpdev eth1 pass dmz 203.0.113.1/24

            """;
        var path = _dir.Write("carpd.conf", before);
        var config = CarpdConfiguration.Load(path);

        var changed = config
            .WithChange("carp2", new InterfaceChange { AdvSkew = 100 })
            .WithChange("carp1", new InterfaceChange { State = CarpState.Master })
            .WithoutInterface("carp3")
            .WithInterface(new VirtualHostConfig { Name = "carp4", Vhid = 4, CarpDev = "eth2", Key = CarpKey.FromPassphrase("newpass") })
            .WithSysctls(SysctlCatalog.Apply(config.Sysctls, "log", 2));
        changed.Save(path);

        Assert.Equal("""
            # Firewall A
            net.inet.carp.preempt=1   # take over when back
            net.inet.carp.log=2
            carp1   vhid 1 carpdev eth0 passfile lan.pass 192.0.2.100/24   # LAN
            # WAN side
            carp2 vhid 2 carpdev eth1 pass wanpasswd advskew 100 198.51.100.10/24 # WAN
            carp4 vhid 4 carpdev eth2 pass newpass

            """, File.ReadAllText(path));
        AssertSame(changed, CarpdConfiguration.Load(path));
    }

    [Fact]
    public void A_new_key_replaces_the_passfile_reference()
    {
        _dir.Write("lan.pass", "filepass\n");
        var path = _dir.Write("carpd.conf", "carp1 vhid 1 carpdev eth0 passfile lan.pass\n");
        var config = CarpdConfiguration.Load(path);

        Assert.Equal("lan.pass", config.WithChange("carp1", new InterfaceChange { Key = CarpKey.FromPassphrase("filepass") }).PassFileOf("carp1"));
        var changed = config.WithChange("carp1", new InterfaceChange { Key = CarpKey.FromPassphrase("other") });
        Assert.Null(changed.PassFileOf("carp1"));
        Assert.Contains("carp1 vhid 1 carpdev eth0 pass other", changed.Format(File.ReadAllText(path)));
    }

    [Fact]
    public void Save_replaces_the_target_of_a_symbolic_link()
    {
        var target = _dir.Write("real.conf", "net.inet.carp.preempt=1\n");
        var link = _dir.File("carpd.conf");
        File.CreateSymbolicLink(link, target);

        CarpdConfiguration.Load(link).WithSysctls(CarpSysctls.Default).Save(link);

        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal("net.inet.carp.preempt=0\n", File.ReadAllText(target));
    }

    internal static void AssertSame(CarpdConfiguration expected, CarpdConfiguration actual)
    {
        Assert.Equal(expected.Sysctls, actual.Sysctls);
        Assert.Equal(expected.Interfaces.Count, actual.Interfaces.Count);
        foreach (var (e, a) in expected.Interfaces.Zip(actual.Interfaces))
        {
            Assert.Equal(e.Name, a.Name);
            Assert.Equal(e.Vhid, a.Vhid);
            Assert.Equal(e.CarpDev, a.CarpDev);
            Assert.Equal(e.Addresses, a.Addresses);
            Assert.Equal(e.AdvBase, a.AdvBase);
            Assert.Equal(e.AdvSkew, a.AdvSkew);
            Assert.Equal(e.Key, a.Key);
            Assert.Equal(e.MacMode, a.MacMode);
            Assert.Equal(e.Profile, a.Profile);
            Assert.Equal(e.Groups, a.Groups);
            Assert.Equal(e.Peer, a.Peer);
            Assert.Equal(e.Peer6, a.Peer6);
            Assert.Equal(expected.PassFileOf(e.Name), actual.PassFileOf(a.Name));
        }
    }
}
