using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Carp.Engine.Tests.Hosting;

/// <summary>
/// A host's address list changed in place reaches the wire (ICarpWire.AddressesReconfigured), so that what it learnt of
/// the old addresses when the interface was prepared (the address guardian's, the advert source's) follows the new ones.
/// </summary>
public sealed class AddressReconfigurationTests
{
    [Fact]
    public void A_changed_address_list_is_reported_once_with_the_old_and_the_new_config_and_other_changes_are_not()
    {
        var wire = new BatchingWire();
        using var service = new CarpService(wire, new CarpServiceOptions { TimeProvider = new FakeTimeProvider() });
        service.CreateInterface(new VirtualHostConfig
        {
            Name = "carp1",
            Vhid = 1,
            CarpDev = "eth0",
            Key = CarpKey.FromPassphrase("reconfigured"),
            Addresses = [CarpAddress.Parse("192.0.2.101/32")],
        });

        service.SetInterface("carp1", new InterfaceChange { AdvSkew = 10 });
        Assert.Empty(wire.Reconfigured);

        service.SetInterface("carp1", new InterfaceChange { Addresses = [CarpAddress.Parse("192.0.2.102/32")] });
        var (old, changed) = Assert.Single(wire.Reconfigured);
        Assert.Equal([CarpAddress.Parse("192.0.2.101/32")], old.Addresses);
        Assert.Equal([CarpAddress.Parse("192.0.2.102/32")], changed.Addresses);
        Assert.Equal(10, changed.AdvSkew);
    }
}
