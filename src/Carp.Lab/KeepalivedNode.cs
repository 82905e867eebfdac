using System.Globalization;
using System.Text.RegularExpressions;
using Carp.Engine.Core;
using Carp.Testbed;

namespace Carp.Lab;

/// <summary>
/// Debian's keepalived as a lab node, speaking VRRPv3 (on both nodes, or beside our carpd with --vrrp): a configuration in
/// the lab's temp directory, run in the foreground in the node's namespace with its pid files there too, VRRP only.
/// The vrrp_instance names are the lab's carp interface names; its state changes are read from its log lines.
/// </summary>
internal sealed partial class KeepalivedNode(TestNetwork net, string name, string @namespace, string workDirectory, IReadOnlyList<KeepalivedNode.Instance> instances, byte priority, byte advBase, ushort? intervalCentiseconds = null)
    : LabNode(name, @namespace)
{
    internal sealed record Instance(string Name, string Interface, byte Vrid, string Address, int Prefix);

    public override string Implementation => "keepalived (VRRPv3)";

    /// <summary>keepalived's advert_int: seconds, fractional for a VRRPv3 interval below one second.</summary>
    private string AdvertInt => intervalCentiseconds is { } cs
        ? (cs / 100.0).ToString("0.##", CultureInfo.InvariantCulture)
        : advBase.ToString(CultureInfo.InvariantCulture);

    private string VrrpPidFile => Path.Combine(workDirectory, $"keepalived-{Name}-vrrp.pid");

    public override void Start()
    {
        var config = Path.Combine(workDirectory, $"keepalived-{Name}.conf");
        var text = $"global_defs {{\n  router_id {Name}\n  vrrp_version 3\n}}\n" + string.Concat(instances.Select(i => $$"""
            vrrp_instance {{i.Name}} {
              state BACKUP
              interface {{i.Interface}}
              virtual_router_id {{i.Vrid}}
              priority {{priority}}
              advert_int {{AdvertInt}}
              virtual_ipaddress {
                {{i.Address}}/{{i.Prefix}} dev {{i.Interface}}
              }
            }

            """));
        SecretFile.Write(config, text);
        File.Delete(VrrpPidFile);
        var ready = new CountdownEvent(instances.Count);
        var started = new HashSet<string>(StringComparer.Ordinal);
        var states = new Dictionary<string, CarpState>(StringComparer.Ordinal);
        var p = net.Start(Namespace, "keepalived", "-n", "-l", "-D", "-P", "-f", config,
            "-p", Path.Combine(workDirectory, $"keepalived-{Name}.pid"), "-r", VrrpPidFile, "-c", Path.Combine(workDirectory, $"keepalived-{Name}-checkers.pid"));
        void OnLine(string? line)
        {
            if (line is null || StateLine().Match(line) is not { Success: true } m ||
                !Enum.TryParse<CarpState>(m.Groups[2].Value, ignoreCase: true, out var next))
            {
                return;
            }

            lock (states)
            {
                var instance = m.Groups[1].Value;
                Report(DateTimeOffset.UtcNow, instance, states.GetValueOrDefault(instance, CarpState.Init), next, "keepalived");
                states[instance] = next;
                if (started.Add(instance) && !ready.IsSet)
                {
                    ready.Signal();
                }
            }
        }

        p.ErrorDataReceived += (_, e) => OnLine(e.Data);
        p.OutputDataReceived += (_, e) => OnLine(e.Data);
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        Process = p;
        if (!ready.Wait(TimeSpan.FromSeconds(15)))
        {
            throw new InvalidOperationException($"keepalived in {Namespace} did not start");
        }
    }

    /// <summary>
    /// A crash: the parent and its VRRP child stopped first (so neither a respawn nor a priority-0 goodbye can happen), then
    /// both killed; the child's pid comes from the pid file this node gave it.
    /// </summary>
    protected override void BeforeKill()
    {
        var child = File.Exists(VrrpPidFile) && int.TryParse(File.ReadAllText(VrrpPidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        var pids = new[] { Process is { HasExited: false } p ? p.Id : 0, child }.Where(id => id > 0).ToArray();
        foreach (var id in pids)
        {
            Command.Run("kill", "-STOP", id.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var id in pids.Reverse())
        {
            Command.Run("kill", "-KILL", id.ToString(CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"\((\w+)\) Entering (MASTER|BACKUP|FAULT) STATE")]
    private static partial Regex StateLine();
}
