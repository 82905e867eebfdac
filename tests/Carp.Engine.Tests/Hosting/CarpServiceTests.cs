using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Engine.Tests.Hosting;

public class CarpServiceTests
{
    private static VirtualHostConfig Config(string device, byte skew, string name = "carp1") => new()
    {
        Name = name,
        Vhid = 1,
        CarpDev = device,
        AdvSkew = skew,
        Key = CarpKey.FromPassphrase("Zq9-sekrit-77"),
        Addresses = [CarpAddress.Parse("192.0.2.100/24")],
    };

    private static Task<CarpStateChangedEvent> NextState(ICarpService service, string name, CarpState state)
    {
        var completion = new TaskCompletionSource<CarpStateChangedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = service.Subscribe(e =>
        {
            if (e is CarpStateChangedEvent s && s.Interface == name && s.NewState == state)
            {
                completion.TrySetResult(s);
            }
        });
        _ = completion.Task.ContinueWith(_ => subscription.Dispose(), TaskScheduler.Default);
        return completion.Task;
    }

    [Fact]
    public async Task Two_engines_in_one_process_elect_one_master_and_fail_over_when_it_leaves()
    {
        var device = "simt" + Guid.NewGuid().ToString("N")[..6];
        using var one = CarpServices.CreateInMemory(device);
        using var two = CarpServices.CreateInMemory(device);
        var oneMaster = NextState(one, "carp1", CarpState.Master);

        one.CreateInterface(Config(device, 0));
        two.CreateInterface(Config(device, 100));
        await oneMaster.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        var status = two.GetInterfaces().Single();
        Assert.Equal(CarpState.Backup, status.State);
        Assert.NotNull(status.MasterSeen);

        var twoMaster = NextState(two, "carp1", CarpState.Master);
        one.RemoveInterface("carp1");
        var takeover = await twoMaster.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        // The bow-out advert makes the backup take over at once, not after master-down.
        Assert.Equal(TransitionReason.MasterWillTimeOut, takeover.Reason);
        Assert.True(DateTimeOffset.UtcNow - takeover.Timestamp < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Refused_requests_change_nothing()
    {
        using var service = CarpServices.CreateInMemory("simr");
        service.CreateInterface(Config("simr", 0));

        var duplicate = Assert.Throws<CarpException>(() => service.CreateInterface(Config("simr", 0, name: "carp2")));
        var unknown = Assert.Throws<CarpException>(() => service.CreateInterface(Config("nosuchdev", 0, name: "carp3")));
        var badSkew = Assert.Throws<CarpException>(() => service.SetInterface("carp1", new InterfaceChange { AdvSkew = 255 }));
        var readOnly = Assert.Throws<CarpException>(() => service.SetSysctl("suppress_preempt", 1));

        Assert.Equal(CarpErrorCode.DuplicateVhid, duplicate.Code);
        Assert.Equal(CarpErrorCode.UnknownCarpDev, unknown.Code);
        Assert.Equal(CarpErrorCode.InvalidAdvSkew, badSkew.Code);
        Assert.Equal(CarpErrorCode.ReadOnlySysctl, readOnly.Code);
        var only = Assert.Single(service.GetInterfaces());
        Assert.Equal(0, only.AdvSkew);
        Assert.Equal(CarpSysctls.Default, service.GetSysctls());
    }

    [Fact]
    public void Interfaces_created_together_are_each_created_or_refused_in_order_and_a_refusal_stops_none()
    {
        using var service = CarpServices.CreateInMemory("simc");
        VirtualHostConfig[] configs =
        [
            Config("simc", 0, name: "carp1"),
            Config("simc", 0, name: "carp2"), // vhid 1 again
            Config("nosuchdev", 0, name: "carp3") with { Vhid = 3 },
            Config("simc", 0, name: "carp4") with { Vhid = 4 },
        ];

        var results = service.CreateInterfaces(configs);

        Assert.Equal(["carp1", "carp2", "carp3", "carp4"], results.Select(r => r.Config.Name));
        Assert.Equal([null, CarpErrorCode.DuplicateVhid, CarpErrorCode.UnknownCarpDev, null], results.Select(r => r.Error?.Code));
        Assert.Equal([CarpState.Backup, null, null, CarpState.Backup], results.Select(r => r.Status?.State));
        Assert.Equal(["carp1", "carp4"], service.GetInterfaces().Select(i => i.Name));
    }

    [Fact]
    public void Status_never_carries_the_pass()
    {
        using var service = CarpServices.CreateInMemory("sims");
        var status = service.CreateInterface(Config("sims", 0));

        Assert.True(status.HasPass);
        Assert.DoesNotContain("sekrit", status.ToString(), StringComparison.Ordinal);
        var rendered = string.Join('|', typeof(VirtualHostStatus).GetProperties().Select(p => p.GetValue(status) switch
        {
            System.Collections.IEnumerable list and not string => string.Join(',', list.Cast<object>()),
            var v => v?.ToString(),
        }));
        Assert.DoesNotContain("sekrit", rendered, StringComparison.Ordinal);
        Assert.Contains("192.0.2.100/24", rendered, StringComparison.Ordinal);
    }
}
