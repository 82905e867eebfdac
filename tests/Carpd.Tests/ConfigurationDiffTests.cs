using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carpd.Configuration;

namespace Carpd.Tests;

/// <summary>What a reload asks of the engine: only what differs, and nothing for an unchanged interface.</summary>
public sealed class ConfigurationDiffTests
{
    private static readonly VirtualHostConfig Carp1 = ControlHarness.Carp1();

    [Fact]
    public void An_identical_interface_needs_no_change_even_with_equal_lists_and_keys_that_are_other_objects()
    {
        var copy = Carp1 with
        {
            Key = CarpKey.FromPassphrase("lanpasswd"),
            Addresses = [.. Carp1.Addresses],
            Groups = [.. Carp1.Groups],
            Peer = IPAddress.Parse("192.0.2.2"),
        };

        Assert.Null(ConfigurationDiff.ChangeBetween(Carp1, copy));
    }

    [Fact]
    public void A_change_holds_only_what_differs()
    {
        var change = ConfigurationDiff.ChangeBetween(Carp1, Carp1 with { AdvSkew = 7, Key = CarpKey.FromPassphrase("other") });

        Assert.Equal(new InterfaceChange { AdvSkew = 7, Key = CarpKey.FromPassphrase("other") }, change);
    }

    [Fact]
    public void A_new_peer_changes_in_place_and_a_peer_gone_from_the_file_is_mcast()
    {
        var running = CarpdConfiguration.Empty.WithInterface(Carp1);
        var file = CarpdConfiguration.Empty.WithInterface(Carp1 with { Peer = IPAddress.Parse("192.0.2.3"), Peer6 = null });

        var diff = ConfigurationDiff.Between(running, ["carp1"], file);

        var update = Assert.Single(diff.Changed);
        Assert.Equal(new InterfaceChange { Peer = IPAddress.Parse("192.0.2.3"), Mcast6 = true }, update.Change);
        Assert.Empty(diff.Unchanged);
        Assert.Equal(file.Find("carp1"), update.Change!.ApplyTo(Carp1));
    }

    [Fact]
    public void Only_the_changed_interface_reaches_the_engine_and_only_with_its_change()
    {
        var carp2 = Carp1 with { Name = "carp2", Vhid = 2 };
        var running = CarpdConfiguration.Empty.WithInterface(Carp1).WithInterface(carp2);
        var file = running.WithInterface(carp2 with { AdvSkew = 200 });
        var engine = new FakeCarpService();
        engine.CreateInterface(Carp1);
        engine.CreateInterface(carp2);
        engine.Calls.Clear();

        var outcome = ReloadApplication.Apply(ConfigurationDiff.Between(running, ["carp1", "carp2"], file), engine, running, file);

        Assert.Empty(outcome.Failures);
        Assert.Equal(["SetInterface"], engine.Calls);
        Assert.Equal(("carp2", new InterfaceChange { AdvSkew = 200 }), engine.LastChange!.Value);
        Assert.Same(file, outcome.Applied);
    }
}
