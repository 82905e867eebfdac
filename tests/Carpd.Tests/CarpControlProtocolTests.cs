using System.Net;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carpd.Tests;

/// <summary>Round trips of every ICarpService call through CarpdClient, carpd's control server and back.</summary>
public sealed class CarpControlProtocolTests : IDisposable
{
    private readonly ControlHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void CreateInterface_delivers_every_setting_and_the_same_key()
    {
        var key = CarpKey.FromPassphrase("lanpasswd");

        var status = _h.Client.CreateInterface(ControlHarness.Carp1(key));

        var created = _h.Fake.LastCreated!;
        Assert.Equal(key, created.Key);
        Assert.Equal("carp1", created.Name);
        Assert.Equal(1, created.Vhid);
        Assert.Equal("eth0", created.CarpDev);
        Assert.Equal(128, created.AdvSkew);
        Assert.Equal(1, created.AdvBase);
        Assert.Equal(ControlHarness.Carp1().Addresses, created.Addresses);
        Assert.Equal(MacMode.Real, created.MacMode);
        Assert.Same(CompatibilityProfile.OpenBsd, created.Profile);
        Assert.Equal(["lan"], created.Groups);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), created.Peer);
        Assert.Equal(IPAddress.Parse("2001:db8::2"), created.Peer6);

        Assert.Equal("carp1", status.Name);
        Assert.Equal(CarpState.Backup, status.State);
        Assert.True(status.HasPass);
        Assert.Equal(ControlHarness.Carp1().Addresses, status.Addresses);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), status.MasterSeen);
        Assert.Equal((byte?)1, status.MasterSeenAdvBase);
        Assert.Equal((byte?)50, status.MasterSeenAdvSkew);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero), status.LastTransition);
        Assert.Equal(TransitionReason.Started, status.LastTransitionReason);
        Assert.Equal("OpenBSD", status.Profile);
        Assert.Equal(["lan"], status.Groups);
    }

    [Fact]
    public void A_raw_key_survives_the_trip()
    {
        var key = CarpKey.FromRawKey([1, 2, 3, 0, 255, 254, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 7]);

        _h.Client.CreateInterface(ControlHarness.Carp1(key));

        Assert.Equal(key, _h.Fake.LastCreated!.Key);
    }

    [Fact]
    public void GetInterfaces_SetInterface_and_RemoveInterface_round_trip()
    {
        _h.Client.CreateInterface(ControlHarness.Carp1());
        Assert.Equal(["carp1"], _h.Client.GetInterfaces().Select(s => s.Name));

        var status = _h.Client.SetInterface("carp1", new InterfaceChange
        {
            AdvSkew = 10,
            Key = CarpKey.FromPassphrase("newpass"),
            Addresses = [CarpAddress.Parse("192.0.2.101/24")],
            State = CarpState.Master,
            DemoteAdjustment = -3,
            Profile = "ucarp",
            Groups = ["a", "b"],
        });

        var (name, change) = _h.Fake.LastChange!.Value;
        Assert.Equal("carp1", name);
        Assert.Equal((byte)10, change.AdvSkew);
        Assert.Equal(CarpKey.FromPassphrase("newpass"), change.Key);
        Assert.Equal([CarpAddress.Parse("192.0.2.101/24")], change.Addresses);
        Assert.Equal(CarpState.Master, change.State);
        Assert.Equal(-3, change.DemoteAdjustment);
        Assert.Equal("ucarp", change.Profile);
        Assert.Equal(["a", "b"], change.Groups);
        Assert.Null(change.Vhid);
        Assert.Null(change.AdvBase);
        Assert.Null(change.CarpDev);
        Assert.Null(change.MacMode);
        Assert.Equal(10, status.AdvSkew);
        Assert.Equal(CarpState.Master, status.ForcedState);

        _h.Client.RemoveInterface("carp1");
        Assert.Equal("carp1", _h.Fake.LastRemoved);
        Assert.Empty(_h.Client.GetInterfaces());
    }

    [Fact]
    public void Sysctls_round_trip()
    {
        Assert.Equal(CarpSysctls.Default, _h.Client.GetSysctls());

        var after = _h.Client.SetSysctl("net.inet.carp.preempt", 1);
        after = _h.Client.SetSysctl("demotion", 20);
        after = _h.Client.SetSysctl("log", 2);

        Assert.True(after.Preempt);
        Assert.Equal(20, after.Demotion);
        Assert.Equal(2, after.Log);
        Assert.Equal(_h.Fake.Sysctls, after);
        Assert.Equal(_h.Fake.Sysctls, _h.Client.GetSysctls());
    }

    [Fact]
    public void Statistics_round_trip()
    {
        _h.Fake.SetStatistics([.. Enumerable.Range(1, CarpStatistics.Count).Select(i => (long)i * 1000)]);

        var snapshot = _h.Client.GetStatistics();

        Assert.Equal(Enumerable.Range(1, CarpStatistics.Count).Select(i => (long)i * 1000), snapshot.Values);
        Assert.Equal(9000, snapshot.BadAuth);

        _h.Client.ResetStatistics();
        Assert.All(_h.Client.GetStatistics().Values, v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData(CarpErrorCode.DuplicateVhid)]
    [InlineData(CarpErrorCode.NotPermitted)]
    [InlineData(CarpErrorCode.UnknownCarpDev)]
    public void A_refusal_comes_back_as_the_same_CarpException(CarpErrorCode code)
    {
        _h.Fake.NextError = new CarpException(code, "refused for a reason.");

        var ex = Assert.Throws<CarpException>(() => _h.Client.CreateInterface(ControlHarness.Carp1()));

        Assert.Equal(code, ex.Code);
        Assert.Equal("refused for a reason.", ex.Message);
    }

    [Fact]
    public void Engine_validation_errors_keep_their_codes()
    {
        var ex = Assert.Throws<CarpException>(() => _h.Client.CreateInterface(ControlHarness.Carp1() with { AdvSkew = 255 }));
        Assert.Equal(CarpErrorCode.InvalidAdvSkew, ex.Code);

        ex = Assert.Throws<CarpException>(() => _h.Client.SetInterface("nosuch", new InterfaceChange { AdvSkew = 1 }));
        Assert.Equal(CarpErrorCode.InterfaceNotFound, ex.Code);

        ex = Assert.Throws<CarpException>(() => _h.Client.SetSysctl("nosuch", 1));
        Assert.Equal(CarpErrorCode.UnknownSysctl, ex.Code);

        ex = Assert.Throws<CarpException>(() => _h.Client.SetSysctl("suppress_preempt", 1));
        Assert.Equal(CarpErrorCode.ReadOnlySysctl, ex.Code);
        Assert.Contains("read-only", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unexpected_engine_failure_is_a_ServiceError_and_the_connection_lives_on()
    {
        _h.Fake.NextError = new InvalidOperationException("boom");

        var ex = Assert.Throws<CarpException>(() => _h.Client.GetInterfaces());

        Assert.Equal(CarpErrorCode.ServiceError, ex.Code);
        Assert.Contains("boom", ex.Message);
        Assert.Empty(_h.Client.GetInterfaces());
    }

    [Fact]
    public void Many_clients_are_served_at_once()
    {
        _h.Client.CreateInterface(ControlHarness.Carp1());
        var clients = Enumerable.Range(0, 8).Select(_ => new CarpdClient(_h.Server.SocketPath, ControlHarness.Patience)).ToList();
        try
        {
            Parallel.ForEach(clients, client =>
            {
                for (var i = 0; i < 20; i++)
                {
                    Assert.Equal("carp1", Assert.Single(client.GetInterfaces()).Name);
                }
            });
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}
