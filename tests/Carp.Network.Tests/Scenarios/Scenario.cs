using System.Globalization;
using System.Text;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carp.Network.Tests.Scenarios;

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
    public EngineNode Engine(string label, string ns, CarpSysctls? sysctls = null, Func<CarpServiceOptions, CarpServiceOptions>? configure = null) =>
        Own(EngineNode.Start(this, label, ns, sysctls, configure));

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
