using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;

namespace Carp.Testbed;

/// <summary>A host of the test network: a namespace with "eth0" plugged into the bridge.</summary>
/// <param name="Number">1-based node number.</param>
/// <param name="Namespace">The node's network namespace.</param>
/// <param name="Interface">Its interface ("eth0").</param>
/// <param name="BridgePort">The peer end in the bridge namespace ("p1", "p2", …).</param>
/// <param name="IPv4">192.0.2.(10+n), /24.</param>
/// <param name="IPv6">2001:db8::(10+n), /64, configured with nodad.</param>
public sealed record TestNode(int Number, string Namespace, string Interface, string BridgePort, IPAddress IPv4, IPAddress IPv6);

/// <summary>
/// Builds a throw-away topology of network namespaces with unique names ("carpt-PID-RAND-…"):
/// optionally a bridge namespace with br0 and N node namespaces each linked to it by a veth
/// pair. Only documentation address ranges are used. <see cref="Dispose"/> kills the processes it
/// started (by PID) and deletes every namespace it created, whatever happened before.
/// </summary>
public sealed class TestNetwork : IDisposable
{
    public const string NamePrefix = "carpt-";

    private static readonly Lock RegistryGate = new();
    private static readonly HashSet<TestNetwork> Live = [];
    private static bool _exitHookInstalled;

    private readonly List<string> _namespaces = [];
    private readonly List<Process> _processes = [];
    private readonly List<TestNode> _nodes = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    private TestNetwork()
    {
        Id = NamePrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" +
             Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        lock (RegistryGate)
        {
            Live.Add(this);
            if (!_exitHookInstalled)
            {
                _exitHookInstalled = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAllLive();
            }
        }
    }

    /// <summary>Common prefix of every namespace of this network.</summary>
    public string Id { get; }

    /// <summary>The namespace holding br0, or null when created without a bridge.</summary>
    public string? BridgeNamespace { get; private set; }

    public IReadOnlyList<TestNode> Nodes => _nodes;

    /// <summary>Namespaces created so far (deleted on Dispose).</summary>
    public IReadOnlyList<string> Namespaces
    {
        get
        {
            lock (_gate)
            {
                return [.. _namespaces];
            }
        }
    }

    /// <summary>
    /// Creates a bridge namespace with br0 and <paramref name="nodeCount"/> node namespaces (none
    /// when 0), each with eth0 up, 192.0.2.(10+n)/24 and 2001:db8::(10+n)/64.
    /// </summary>
    public static TestNetwork Create(int nodeCount = 2)
    {
        if (TestbedPrerequisites.MissingReason is { } missing)
        {
            throw new InvalidOperationException($"A namespace testbed needs {missing}.");
        }

        SweepStale();
        var net = new TestNetwork();
        try
        {
            if (nodeCount > 0)
            {
                string br = net.AddNamespace("br");
                net.BridgeNamespace = br;
                net.AddBridge(br, "br0");
                for (int i = 1; i <= nodeCount; i++)
                {
                    net.AddNode(i);
                }
            }
        }
        catch
        {
            net.Dispose();
            throw;
        }

        return net;
    }

    /// <summary>Creates (and tracks) a namespace "{Id}-{role}" with lo up.</summary>
    public string AddNamespace(string role)
    {
        string name = Id + "-" + role;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _namespaces.Add(name); // tracked before creation: Dispose removes it even if setup fails midway
        }

        Ip("netns", "add", name);
        Ip("-n", name, "link", "set", "lo", "up");
        return name;
    }

    /// <summary>A veth pair with one end in each namespace, both ends up.</summary>
    public void AddVethPair(string namespaceA, string nameA, string namespaceB, string nameB)
    {
        Ip("link", "add", nameA, "netns", namespaceA, "type", "veth", "peer", "name", nameB, "netns", namespaceB);
        Ip("-n", namespaceA, "link", "set", nameA, "up");
        Ip("-n", namespaceB, "link", "set", nameB, "up");
    }

    /// <summary>A bridge in <paramref name="bridgeNamespace"/> that floods multicast to every port (no snooping), up.</summary>
    public void AddBridge(string bridgeNamespace, string bridge)
    {
        Ip("-n", bridgeNamespace, "link", "add", bridge, "type", "bridge", "mcast_snooping", "0");
        Ip("-n", bridgeNamespace, "link", "set", bridge, "up");
    }

    /// <summary>
    /// Makes the bridges of <paramref name="bridgeNamespace"/> plain switches: where br_netfilter is loaded, it otherwise
    /// passes every bridged frame through the IP, IPv6 and ARP netfilter hooks, checking headers (and dropping broken
    /// ones) in the sending host's system call. Scenarios that filter on the bridge with nftables' bridge family do not
    /// need it.
    /// </summary>
    public void MakePlainSwitch(string bridgeNamespace)
    {
        foreach (var key in new[] { "net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.bridge.bridge-nf-call-arptables" })
        {
            if (File.Exists("/proc/sys/" + key.Replace('.', '/')))
            {
                Exec(bridgeNamespace, "sysctl", "-qw", key + "=0").EnsureSuccess();
            }
        }
    }

    /// <summary>
    /// Connects <paramref name="hostNamespace"/> to <paramref name="bridge"/>: a veth pair whose host end
    /// <paramref name="hostInterface"/> gets <paramref name="addresses"/> (IPv6 without DAD) and whose other
    /// end <paramref name="port"/> joins the bridge.
    /// </summary>
    public void Plug(string hostNamespace, string hostInterface, string bridgeNamespace, string bridge, string port, params string[] addresses)
    {
        AddVethPair(bridgeNamespace, port, hostNamespace, hostInterface);
        Ip("-n", bridgeNamespace, "link", "set", port, "master", bridge);
        foreach (var address in addresses)
        {
            if (address.Contains(':', StringComparison.Ordinal))
            {
                Ip("-n", hostNamespace, "addr", "add", address, "dev", hostInterface, "nodad");
            }
            else
            {
                Ip("-n", hostNamespace, "addr", "add", address, "dev", hostInterface);
            }
        }
    }

    /// <summary>Sets a node's bridge-side port up or down (a cable pull, seen as carrier loss on eth0).</summary>
    public void SetBridgePort(TestNode node, bool up) =>
        Ip("-n", BridgeNamespace ?? throw new InvalidOperationException("No bridge."), "link", "set", node.BridgePort, up ? "up" : "down");

    /// <summary>Runs "ip ARGS" and requires success.</summary>
    public CommandResult Ip(params string[] arguments) => Command.Run("ip", arguments).EnsureSuccess();

    /// <summary>Runs a program inside a namespace ("ip netns exec NS FILE ARGS"); does not check the exit code.</summary>
    public CommandResult Exec(string ns, string file, params string[] arguments) =>
        Command.Run("ip", new[] { "netns", "exec", ns, file }.Concat(arguments));

    /// <summary>Like <see cref="Exec(string, string, string[])"/> with an explicit timeout (the program is killed when it expires).</summary>
    public CommandResult Exec(string ns, TimeSpan timeout, string file, params string[] arguments) =>
        Command.Run("ip", new[] { "netns", "exec", ns, file }.Concat(arguments), timeout);

    /// <summary>Starts a long-running program inside a namespace; it is killed on Dispose.</summary>
    public Process Start(string ns, string file, params string[] arguments) => Start(ns, file, null, arguments);

    /// <summary>Starts a long-running program inside a namespace with extra environment variables; it is killed on Dispose.</summary>
    public Process Start(string ns, string file, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var psi = new ProcessStartInfo(Command.Find("ip") ?? "ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        foreach (string a in new[] { "netns", "exec", ns, file }.Concat(arguments))
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"Cannot start {file} in {ns}.");
        lock (_gate)
        {
            _processes.Add(process);
        }

        return process;
    }

    public void Dispose()
    {
        List<Process> processes;
        List<string> namespaces;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            processes = [.. _processes];
            namespaces = [.. _namespaces];
            _processes.Clear();
            _namespaces.Clear();
        }

        foreach (Process p in processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    _ = p.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // already exited
            }
            finally
            {
                p.Dispose();
            }
        }

        // Deleting a namespace destroys its veth ends (and with them their peers) and bridges.
        foreach (string ns in Enumerable.Reverse(namespaces))
        {
            try
            {
                _ = Command.Run("ip", "netns", "del", ns);
            }
            catch (TimeoutException)
            {
                // keep deleting the others
            }
        }

        lock (RegistryGate)
        {
            Live.Remove(this);
        }
    }

    private void AddNode(int number)
    {
        string ns = AddNamespace("n" + number.ToString(CultureInfo.InvariantCulture));
        string port = "p" + number.ToString(CultureInfo.InvariantCulture);
        var v4 = IPAddress.Parse("192.0.2." + (10 + number).ToString(CultureInfo.InvariantCulture));
        var v6 = IPAddress.Parse("2001:db8::" + (10 + number).ToString(CultureInfo.InvariantCulture));
        Plug(ns, "eth0", BridgeNamespace!, "br0", port, v4 + "/24", v6 + "/64");
        _nodes.Add(new TestNode(number, ns, "eth0", port, v4, v6));
    }

    private static void DisposeAllLive()
    {
        TestNetwork[] live;
        lock (RegistryGate)
        {
            live = [.. Live];
        }

        foreach (TestNetwork net in live)
        {
            net.Dispose();
        }
    }

    /// <summary>Deletes namespaces left by earlier test processes that no longer exist (carpt-PID-…).</summary>
    private static void SweepStale()
    {
        if (!Directory.Exists("/var/run/netns"))
        {
            return;
        }

        foreach (string path in Directory.EnumerateFiles("/var/run/netns", NamePrefix + "*"))
        {
            string name = Path.GetFileName(path);
            string[] parts = name.Split('-');
            if (parts.Length >= 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) &&
                pid != Environment.ProcessId && !Directory.Exists("/proc/" + parts[1]))
            {
                _ = Command.Run("ip", "netns", "del", name);
            }
        }
    }
}
