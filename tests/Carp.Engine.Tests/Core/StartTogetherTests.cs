using Carp.Engine.Core;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>Virtual hosts created in one step time out, and take over, together (docs/protocol.md#started-together).</summary>
public sealed class StartTogetherTests : IDisposable
{
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>carp1, carp2, carp3 created at 0, 50 and 100 ms, each BACKUP with no master (master-down 3 s).</summary>
    private VirtualHost[] ThreeStartedApart()
    {
        var hosts = new List<VirtualHost>();
        for (var i = 1; i <= 3; i++)
        {
            _h.At((i - 1) * 0.050);
            hosts.Add(_h.Add(Config("carp" + i, vhid: (byte)i, addresses: $"192.0.2.10{i}/24")));
        }

        return [.. hosts];
    }

    private string[] TookOverAt(double seconds)
    {
        _h.Output.StateChanges.Clear();
        _h.At(seconds);
        return [.. _h.Output.StateChanges.Where(c => c.To == CarpState.Master).Select(c => c.Host)];
    }

    private string[] SentAt(double seconds)
    {
        _h.Output.Sent.Clear();
        _h.At(seconds);
        return [.. _h.Output.Sent.Select(s => s.Host)];
    }

    [Fact]
    public void Hosts_started_apart_take_over_apart_and_keep_advertising_apart()
    {
        ThreeStartedApart();
        Assert.Equal(["carp1"], TookOverAt(3.0));
        Assert.Equal(["carp2"], TookOverAt(3.050));
        Assert.Equal(["carp3"], TookOverAt(3.100));
        Assert.Equal(["carp1"], SentAt(4.0)); // 50 ms apart: beyond the 20 ms coalescing window
    }

    [Fact]
    public void Hosts_started_together_take_over_in_one_pass_and_none_before_its_own_interval()
    {
        var hosts = ThreeStartedApart();
        _h.Node.StartTogether(hosts); // at 100 ms, the end of the step

        Assert.Empty(TookOverAt(3.0));
        Assert.Empty(TookOverAt(3.099));
        Assert.Equal(["carp1", "carp2", "carp3"], TookOverAt(3.100).Order());
        // Re-armed in the same pass, so their adverts share one pass from now on.
        Assert.Equal(["carp1", "carp2", "carp3"], SentAt(4.100).Order());
    }

    [Fact]
    public void Only_a_backup_waiting_for_master_down_starts_again()
    {
        var master = _h.Add(Config("carp1", vhid: 1, addresses: "192.0.2.101/24"));
        _h.Node.Force("carp1", CarpState.Master); // its next advert at 1 s
        _h.At(0.5);
        var backup = _h.Add(Config("carp2", vhid: 2, addresses: "192.0.2.102/24"));
        _h.At(0.6);
        _h.Node.StartTogether([master, backup]);

        Assert.Equal(["carp1"], SentAt(1.0));
        Assert.Empty(TookOverAt(3.5));
        Assert.Equal(["carp2"], TookOverAt(3.6));
    }

    [Fact]
    public void A_host_of_another_node_is_refused_and_nothing_restarts()
    {
        using var other = new CoreHarness();
        var mine = _h.Add(Config("carp1", vhid: 1, addresses: "192.0.2.101/24"));
        var theirs = other.Add(Config("carp1", vhid: 1, addresses: "192.0.2.101/24"));
        _h.At(1.0);

        Assert.Throws<ArgumentException>(() => _h.Node.StartTogether([theirs]));
        Assert.Equal(["carp1"], TookOverAt(3.0));
        Assert.Equal(CarpState.Master, mine.State);
    }
}
