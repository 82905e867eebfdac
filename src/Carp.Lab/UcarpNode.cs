using System.Globalization;
using System.Text.RegularExpressions;
using Carp.Engine.Core;
using Carp.Testbed;

namespace Carp.Lab;

/// <summary>Debian's ucarp as the peer: one process per vhid, its transitions read from its log lines.</summary>
internal sealed partial class UcarpNode(TestNetwork net, string name, string @namespace, string workDirectory, IReadOnlyList<UcarpNode.Vhost> vhosts, byte advBase)
    : LabNode(name, @namespace)
{
    private readonly List<System.Diagnostics.Process> _processes = [];

    internal sealed record Vhost(string Interface, string CarpDev, string Source, byte Vhid, string Pass, string Address, int Prefix, byte AdvSkew);

    public override string Implementation => "ucarp";

    public override void Start()
    {
        var script = Path.Combine(workDirectory, "ucarp-vip.sh");
        File.WriteAllText(script, "#!/bin/sh\n# ucarp calls: <script> <interface> <address> <prefix>\nip addr $UCARP_OP \"$2/$3\" dev \"$1\"\n");
        File.WriteAllText(script + ".up", $"#!/bin/sh\nUCARP_OP=add exec {script} \"$@\"\n");
        File.WriteAllText(script + ".down", $"#!/bin/sh\nUCARP_OP=del exec {script} \"$@\" 2>/dev/null\n");
        foreach (var f in new[] { script, script + ".up", script + ".down" })
        {
            File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var ready = new CountdownEvent(vhosts.Count);
        foreach (var v in vhosts)
        {
            // The pass goes in a 0600 file: on the command line every local user could read it in ps.
            var passFile = SecretFile.Write(Path.Combine(workDirectory, $"ucarp-{v.Interface}.pass"), v.Pass + "\n");
            var p = net.Start(Namespace, "ucarp",
                "-i", v.CarpDev, "-s", v.Source, "-v", v.Vhid.ToString(CultureInfo.InvariantCulture), "-o", passFile,
                "-a", v.Address, "-b", advBase.ToString(CultureInfo.InvariantCulture), "-k", v.AdvSkew.ToString(CultureInfo.InvariantCulture),
                "-P", "-z", "-u", script + ".up", "-d", script + ".down", "-x", v.Prefix.ToString(CultureInfo.InvariantCulture));
            var state = CarpState.Init;
            void OnLine(string? line)
            {
                if (line is not null && StateLine().Match(line) is { Success: true } m &&
                    Enum.TryParse<CarpState>(m.Groups[2].Value, ignoreCase: true, out var next))
                {
                    var at = DateTime.ParseExact(m.Groups[1].Value, "yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal);
                    Report(new DateTimeOffset(at), v.Interface, state, next, "ucarp");
                    if (state == CarpState.Init && !ready.IsSet)
                    {
                        ready.Signal();
                    }

                    state = next;
                }
            }

            p.ErrorDataReceived += (_, e) => OnLine(e.Data);
            p.OutputDataReceived += (_, e) => OnLine(e.Data);
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            _processes.Add(p);
        }

        Process = _processes[0];
        if (!ready.Wait(TimeSpan.FromSeconds(15)))
        {
            throw new InvalidOperationException($"ucarp in {Namespace} did not start");
        }
    }

    protected override void OnKilled()
    {
        foreach (var p in _processes.Where(p => !p.HasExited))
        {
            p.Kill();
            p.WaitForExit(5000);
        }

        _processes.Clear();
    }

    [GeneratedRegex(@"^(\S+): \[\w+\] Switching to state: (\w+)")]
    private static partial Regex StateLine();
}
