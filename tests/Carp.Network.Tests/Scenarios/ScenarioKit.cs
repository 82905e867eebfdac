using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carp.Network.Tests.Scenarios;

/// <summary>Monotonic time for measurements (Stopwatch ticks).</summary>
internal static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    public static long After(long from, TimeSpan span) => from + (long)(span.TotalSeconds * Stopwatch.Frequency);
}

/// <summary>Something observed, with the monotonic time it was observed at.</summary>
internal readonly record struct Stamped<T>(long At, T Item);

/// <summary>
/// An append-only record of observations (engine events, captured adverts, log lines of external
/// tools) that a test can await: <see cref="Wait"/> returns the first matching observation at or
/// after a point in time, or fails the test when none comes before the deadline.
/// </summary>
internal sealed class Recorder<T>(string name)
{
    private readonly Lock _gate = new();
    private readonly List<Stamped<T>> _items = [];
    private readonly List<(Func<T, bool> Match, long Since, TaskCompletionSource<Stamped<T>> Done)> _waiters = [];

    public string Name { get; } = name;

    public void Add(T item)
    {
        var stamped = new Stamped<T>(Clock.Now, item);
        List<TaskCompletionSource<Stamped<T>>> done = [];
        lock (_gate)
        {
            _items.Add(stamped);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                var w = _waiters[i];
                if (stamped.At >= w.Since && w.Match(item))
                {
                    done.Add(w.Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var tcs in done)
        {
            tcs.TrySetResult(stamped);
        }
    }

    public IReadOnlyList<Stamped<T>> Snapshot()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }

    public IReadOnlyList<Stamped<T>> All(Func<T, bool> match, long since = 0) =>
        [.. Snapshot().Where(s => s.At >= since && match(s.Item))];

    public Stamped<T>? Last(Func<T, bool> match, long since = 0, long before = long.MaxValue) =>
        Snapshot().LastOrDefault(s => s.At >= since && s.At <= before && match(s.Item)) is { At: > 0 } last ? last : null;

    /// <summary>Completes with the first observation at or after <paramref name="since"/> that matches (possibly one already recorded).</summary>
    public Task<Stamped<T>> When(Func<T, bool> match, long since = 0)
    {
        var tcs = new TaskCompletionSource<Stamped<T>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var s in _items)
            {
                if (s.At >= since && match(s.Item))
                {
                    tcs.SetResult(s);
                    return tcs.Task;
                }
            }

            _waiters.Add((match, since, tcs));
        }

        return tcs.Task;
    }

    /// <summary>The first observation at or after <paramref name="since"/> that matches, awaited up to <paramref name="timeout"/>.</summary>
    public Stamped<T> Wait(Func<T, bool> match, TimeSpan timeout, string what, long since = 0)
    {
        var task = When(match, since);
        if (!task.Wait(timeout, TestContext.Current.CancellationToken))
        {
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.Done.Task == task);
            }

            Assert.Fail($"{Name}: {what} did not happen within {timeout.TotalSeconds:0.###} s. Observed: {Describe()}");
        }

        return task.Result;
    }

    public string Describe()
    {
        var items = Snapshot();
        return items.Count == 0 ? "(nothing)" : string.Join("; ", items.TakeLast(30).Select(s => s.Item?.ToString()));
    }
}

/// <summary>
/// One scenario's world: its <see cref="TestNetwork"/>, everything started in it (disposed in
/// reverse order, then the network, in every outcome) and a log of what happened with times
/// relative to the start, written to the test output at the end.
/// </summary>
internal sealed class Scenario : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly StringBuilder _log = new();
    private readonly List<string> _measurements = [];
    private DirectoryInfo? _work;
    private bool _disposed;

    public Scenario(int nodes = 2, bool bridgeAddresses = true)
    {
        Started = Clock.Now;
        Net = NetworkPrerequisites.Network(nodes);
        try
        {
            if (bridgeAddresses && Net.BridgeNamespace is { } br)
            {
                // Like the FreeBSD tests: the bridge namespace has an address of its own to ping from.
                Net.Ip("-n", br, "addr", "add", "192.0.2.4/24", "dev", "br0");
                Net.Ip("-n", br, "addr", "add", "2001:db8::4/64", "dev", "br0", "nodad");
            }
        }
        catch
        {
            Net.Dispose();
            throw;
        }
    }

    public TestNetwork Net { get; }

    public long Started { get; }

    public string Bridge => Net.BridgeNamespace!;

    public TestNode Node(int number) => Net.Nodes[number - 1];

    /// <summary>A private directory (mode 0700) for scripts, configs and captures; deleted on Dispose.</summary>
    public string WorkDirectory => (_work ??= Directory.CreateTempSubdirectory("carp-scenario-")).FullName;

    public T Own<T>(T item)
        where T : IDisposable
    {
        lock (_owned)
        {
            _owned.Add(item);
        }

        return item;
    }

    public void Log(string source, string line)
    {
        lock (_log)
        {
            _log.Append(CultureInfo.InvariantCulture, $"{Clock.Ms(Started, Clock.Now),9:0.0} ms  {source,-8} {line}\n");
        }
    }

    /// <summary>A measured value worth reporting (written to the test output with a MEASURED prefix).</summary>
    public void Measure(string text)
    {
        Log("measure", text);
        lock (_log)
        {
            _measurements.Add(text);
        }
    }

    /// <summary>An engine of our own, in-process, living in <paramref name="ns"/>.</summary>
    public EngineNode Engine(string label, string ns, CarpSysctls? sysctls = null) =>
        Own(EngineNode.Start(this, label, ns, sysctls));

    /// <summary>Captures what <paramref name="node"/> sends, at its bridge port.</summary>
    public AdvertWatch Watch(TestNode node) => Own(AdvertWatch.Start(this, node.BridgePort, node.Namespace));

    public CommandResult Exec(string ns, params string[] args) => Net.Exec(ns, TimeSpan.FromSeconds(15), args[0], args[1..]);

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes (for external tools' output).</summary>
    public static bool Eventually(Func<bool> condition, TimeSpan timeout, int pollMs = 50)
    {
        long deadline = Clock.After(Clock.Now, timeout);
        while (true)
        {
            if (condition())
            {
                return true;
            }

            if (Clock.Now > deadline)
            {
                return false;
            }

            TestContext.Current.CancellationToken.WaitHandle.WaitOne(pollMs);
        }
    }

    /// <summary>Addresses of one namespace as "ip -o addr" shows them (one per line).</summary>
    public string[] Addresses(string ns) =>
        Net.Ip("-n", ns, "-o", "addr").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Interfaces of <paramref name="ns"/> that carry <paramref name="address"/> (exact match).</summary>
    public string[] InterfacesWith(string ns, string address) =>
        [.. Addresses(ns)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 3 && f[3].Split('/')[0] == address)
            .Select(f => f[1])];

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        List<Exception> errors = [];
        IDisposable[] owned;
        lock (_owned)
        {
            owned = [.. _owned];
        }

        foreach (var item in owned.Reverse())
        {
            try
            {
                item.Dispose();
            }
            catch (Exception ex)
            {
                errors.Add(ex);
                Log("dispose", ex.GetType().Name + ": " + ex.Message);
            }
        }

        Net.Dispose();
        try
        {
            _work?.Delete(recursive: true);
        }
        catch (IOException)
        {
        }

        var output = TestContext.Current.TestOutputHelper;
        if (output is not null)
        {
            lock (_log)
            {
                foreach (var m in _measurements)
                {
                    output.WriteLine("MEASURED: " + m);
                }

                output.WriteLine(_log.ToString());
            }
        }
    }
}

/// <summary>Our engine in a node namespace, with every event it raises recorded.</summary>
internal sealed class EngineNode : IDisposable
{
    private readonly IDisposable _subscription;
    private bool _disposed;

    private EngineNode(string label, string ns, ICarpService service, Recorder<CarpEvent> events, IDisposable subscription)
    {
        Label = label;
        Namespace = ns;
        Service = service;
        Events = events;
        _subscription = subscription;
    }

    public string Label { get; }

    public string Namespace { get; }

    public ICarpService Service { get; }

    public Recorder<CarpEvent> Events { get; }

    public bool IsDisposed => _disposed;

    public static EngineNode Start(Scenario scenario, string label, string ns, CarpSysctls? sysctls)
    {
        var events = new Recorder<CarpEvent>(label);
        var service = NetworkNamespace.Run(ns, () => LinuxCarpServices.CreateLocal(new CarpServiceOptions
        {
            Sysctls = sysctls ?? CarpSysctls.Default,
            Log = (level, line) => scenario.Log(label, $"[{level}] {line}"),
        }));
        try
        {
            var subscription = service.Subscribe(e =>
            {
                events.Add(e);
                if (e is not CarpStateChangedEvent)
                {
                    scenario.Log(label, "event " + e);
                }
            });
            return new EngineNode(label, ns, service, events, subscription);
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    public VirtualHostStatus Create(VirtualHostConfig config) => Service.CreateInterface(config);

    public VirtualHostStatus Status(string name = "carp1") => Service.GetInterfaces().Single(i => i.Name == name);

    public CarpState State(string name = "carp1") => Status(name).State;

    public CarpStatisticsSnapshot Stats => Service.GetStatistics();

    /// <summary>The first transition into <paramref name="state"/> at or after <paramref name="since"/>.</summary>
    public Stamped<CarpStateChangedEvent> WaitState(CarpState state, TimeSpan timeout, long since = 0, string name = "carp1")
    {
        var s = Events.Wait(e => e is CarpStateChangedEvent c && c.Interface == name && c.NewState == state, timeout,
            $"{name} entering {state}", since);
        return new Stamped<CarpStateChangedEvent>(s.At, (CarpStateChangedEvent)s.Item);
    }

    public IReadOnlyList<Stamped<CarpStateChangedEvent>> Transitions(long since = 0, string name = "carp1") =>
        [.. Events.All(e => e is CarpStateChangedEvent c && c.Interface == name, since)
            .Select(s => new Stamped<CarpStateChangedEvent>(s.At, (CarpStateChangedEvent)s.Item))];

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            Service.Dispose();
        }
        finally
        {
            _subscription.Dispose();
        }
    }
}

/// <summary>One CARP advertisement as captured on the wire, decoded by the test itself.</summary>
internal sealed record Advert(PhysicalAddress SourceMac, IPAddress Source, byte Version, byte Type, byte Vhid, byte AdvSkew, byte AuthLen,
    byte Demote, byte AdvBase, ulong Counter, byte[] Hmac)
{
    public bool IsBowOut => AdvBase == 255 && AdvSkew == 255;

    public override string ToString() =>
        $"advert vhid {Vhid} from {Source} ({SourceMac}) advbase {AdvBase} advskew {AdvSkew} demote {Demote} counter {Counter:x16}";

    /// <summary>Decodes an Ethernet frame carrying IPv4 or IPv6 protocol 112; null for anything else.</summary>
    public static Advert? Parse(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return null;
        }

        var mac = new PhysicalAddress(frame[6..12].ToArray());
        int etherType = (frame[12] << 8) | frame[13];
        ReadOnlySpan<byte> ip = frame[14..];
        ReadOnlySpan<byte> carp;
        IPAddress source;
        if (etherType == 0x0800 && ip.Length >= 20 && ip[9] == 112)
        {
            int ihl = (ip[0] & 0x0F) * 4;
            source = new IPAddress(ip[12..16]);
            carp = ip[ihl..];
        }
        else if (etherType == 0x86DD && ip.Length >= 40 && ip[6] == 112)
        {
            source = new IPAddress(ip[8..24]);
            carp = ip[40..];
        }
        else
        {
            return null;
        }

        if (carp.Length < 36)
        {
            return null;
        }

        ulong counter = 0;
        for (int i = 8; i < 16; i++)
        {
            counter = (counter << 8) | carp[i];
        }

        return new Advert(mac, source, (byte)(carp[0] >> 4), (byte)(carp[0] & 0x0F), carp[1], carp[2], carp[3], carp[4], carp[5],
            counter, carp[16..36].ToArray());
    }
}

/// <summary>
/// A capture in the bridge namespace on one node's bridge port: every CARP advert that node puts
/// on the wire, time-stamped on arrival (immediate mode: well under a millisecond after sending).
/// </summary>
internal sealed class AdvertWatch : IDisposable
{
    private readonly PacketDevice _device;

    private AdvertWatch(PacketDevice device, Recorder<Advert> adverts)
    {
        _device = device;
        Adverts = adverts;
    }

    public Recorder<Advert> Adverts { get; }

    public static AdvertWatch Start(Scenario scenario, string port, string label)
    {
        var adverts = new Recorder<Advert>("adverts at " + port);
        var device = NetworkNamespace.Run(scenario.Bridge, () =>
        {
            var d = new PacketDevice(port, frame =>
            {
                if (Advert.Parse(frame) is { } advert)
                {
                    adverts.Add(advert);
                }
            }, "inbound and (ip proto 112 or ip6 proto 112)");
            try
            {
                d.Start();
            }
            catch
            {
                d.Dispose();
                throw;
            }

            return d;
        });
        scenario.Log("watch", $"capturing adverts of {label} at {port}");
        return new AdvertWatch(device, adverts);
    }

    /// <summary>Waits until <paramref name="count"/> adverts matching <paramref name="match"/> were seen since <paramref name="since"/>.</summary>
    public Stamped<Advert> WaitCount(int count, TimeSpan timeout, long since, Func<Advert, bool>? match = null)
    {
        match ??= _ => true;
        Stamped<Advert> last = default;
        long from = since;
        for (int i = 0; i < count; i++)
        {
            last = Adverts.Wait(match, timeout, $"advert {i + 1} of {count}", from);
            from = last.At + 1;
        }

        return last;
    }

    public void Dispose() => _device.Dispose();
}
