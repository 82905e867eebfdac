using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Carp.Engine.Tests.Hosting;

/// <summary>
/// The wire hears of the engine's life from its adverts: after every timer pass that sent some, and only then, so that the
/// address guardian's clock starts where a peer's master-down timer does (docs/ARCHITECTURE.md#address-guardian).
/// </summary>
public sealed class ProofOfLifeTests
{
    [Fact]
    public void The_wire_hears_after_each_pass_that_advertised_and_not_after_turns_without_adverts()
    {
        var time = new FakeTimeProvider();
        var wire = new BatchingWire();
        using var service = new CarpService(wire, new CarpServiceOptions { TimeProvider = time });
        service.CreateInterface(new VirtualHostConfig
        {
            Name = "carp1",
            Vhid = 1,
            CarpDev = "eth0",
            Key = CarpKey.FromPassphrase("proof-of-life"),
            Addresses = [CarpAddress.Parse("192.0.2.101/32")],
        });

        LoopTurns.Turn(service);
        Assert.Equal(0, wire.Advertised); // a BACKUP sends nothing

        time.Advance(TimeSpan.FromSeconds(3)); // master-down: the takeover's advert
        LoopTurns.Turn(service);
        Assert.Equal(CarpState.Master, service.GetInterfaces().Single().State);
        Assert.Equal(1, wire.Advertised);

        time.Advance(TimeSpan.FromMilliseconds(500)); // a turn with no advert due
        LoopTurns.Turn(service);
        Assert.Equal(1, wire.Advertised);

        time.Advance(TimeSpan.FromMilliseconds(500)); // the next advert, one interval on
        LoopTurns.Turn(service);
        Assert.Equal(2, wire.Advertised);
    }
}
