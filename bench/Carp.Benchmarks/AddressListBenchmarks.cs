using BenchmarkDotNet.Attributes;
using Carp.Engine.Core;

namespace Carp.Benchmarks;

/// <summary>
/// The same receive and send paths as <see cref="ReceiveBenchmarks"/> and <see cref="SendBenchmarks"/>,
/// with <see cref="VirtualHostConfig.Addresses"/> built the way each producer of a config builds it:
/// an array, a <see cref="List{T}"/> (New-/Set-CarpInterface), a collection expression <c>[.. list]</c>
/// into <see cref="IReadOnlyList{T}"/> (the carpd configuration file, ConfigurationStatement.ToConfig)
/// and a one-element literal <c>[address]</c> (the tests and the simulator). VirtualHostConfig.HasIPv4/HasIPv6 run LINQ Any over that list on
/// every re-arm and every send, so its runtime type decides whether the hot path allocates.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
public class AddressListBenchmarks
{
    private static readonly long Step = 4 * TimeSpan.TicksPerSecond;

    private readonly NullOutput _output = new();
    private readonly ManualClock _backupClock = new();
    private readonly ManualClock _masterClock = new();
    private CarpNode _backup = null!;
    private CarpDevice _device = null!;
    private CarpNode _master = null!;
    private byte[] _frame = null!;
    private VirtualHost _host = null!;

    public enum Shape
    {
        Array,
        List,
        CollectionExpression,
        SingleElementLiteral,
    }

    [Params(Shape.Array, Shape.List, Shape.CollectionExpression, Shape.SingleElementLiteral)]
    public Shape AddressList { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var addresses = Addresses(AddressList);
        Console.WriteLine($"// {AddressList}: VirtualHostConfig.Addresses is {addresses.GetType()}");

        _backup = new CarpNode(_output, _backupClock);
        _device = _backup.AddDevice(CarpFixture.CarpDev, linkUp: true, CarpFixture.OwnSource);
        _host = _backup.AddVirtualHost(CarpFixture.Config("carp0", CarpFixture.Vhid, addresses, advSkew: 100));
        _frame = CarpFixture.PeerFrame(CarpFixture.PeerHeader(advSkew: 0, CarpFixture.PeerCounter));

        _master = new CarpNode(_output, _masterClock);
        _master.AddDevice(CarpFixture.CarpDev, linkUp: true, CarpFixture.OwnSource);
        var master = _master.AddVirtualHost(CarpFixture.Config("carp0", CarpFixture.Vhid, addresses, advSkew: 0));
        _master.Force("carp0", CarpState.Master);

        var before = _backup.Statistics.Snapshot();
        var sent = _output.Sent;
        for (var i = 0; i < 1000; i++)
        {
            ReceiveFullPath();
            SendTimerPath();
        }

        CarpFixture.RequireOnlyMoved(before, _backup.Statistics.Snapshot(), CarpStatistic.IPackets);
        CarpFixture.Require(_host.State == CarpState.Backup && master.State == CarpState.Master, "the backup stays BACKUP and the master MASTER");
        CarpFixture.Require(_output.Sent - sent == 1000, "the master sends one advert per timer");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _backup.Dispose();
        _master.Dispose();
    }

    [Benchmark]
    public void ReceiveFullPath()
    {
        _backupClock.Advance(Step);
        _backup.Receive(_device, _frame);
        _backup.RunDueTimers();
    }

    [Benchmark]
    public void SendTimerPath()
    {
        _masterClock.Advance(TimeSpan.TicksPerSecond);
        _master.RunDueTimers();
    }

    /// <summary>The property VirtualHost reads on every master-down re-arm (VirtualHost.ArmMasterDown) and every send (SendAdvertisements).</summary>
    [Benchmark]
    public bool ConfigHasIPv4() => _host.Config.HasIPv4;

    private static IReadOnlyList<CarpAddress> Addresses(Shape shape)
    {
        List<CarpAddress> parsed = [CarpFixture.VirtualAddress];
        return shape switch
        {
            Shape.Array => parsed.ToArray(),
            Shape.List => parsed,
            Shape.CollectionExpression => FromConfigurationFile(parsed),
            _ => SingleElement(CarpFixture.VirtualAddress),
        };
    }

    private static IReadOnlyList<CarpAddress> SingleElement(CarpAddress address) => [address];

    // Exactly the expression of ConfigurationStatement.ToConfig: `Addresses = [.. Addresses]`.
    private static IReadOnlyList<CarpAddress> FromConfigurationFile(List<CarpAddress> statementAddresses) => [.. statementAddresses];
}
