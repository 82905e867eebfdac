using System.Diagnostics;
using System.Text;

namespace Carp.Linux;

/// <summary>
/// A small process that outlives the engine's and takes away what the engine put up. The engine
/// records every macvlan and address before it creates them (write-ahead, so a death between the
/// two cannot leak one) and forgets them after it removes them. When the engine's process dies in
/// any way (SIGKILL, a crash, the OOM killer, <see cref="Environment.FailFast(string)"/>), the kernel
/// closes the pipe and the guardian removes what is still recorded at once, links and addresses;
/// when the engine stops beating for longer than the stall timeout (SIGSTOP, a wedged loop thread),
/// it removes the addresses (the links stay for the engine's return) and reports <c>revoked</c>. A kernel's CARP interface dies with its host; this makes a process's
/// addresses die with the process (docs/ARCHITECTURE.md#address-guardian).
/// </summary>
/// <remarks>
/// The guardian is bash and <c>ip -batch</c>, not a .NET process: it starts in milliseconds, holds a
/// few MB, and needs nothing but iproute2. It ignores the terminal's SIGINT/SIGHUP/SIGQUIT (an SSH
/// disconnect or Ctrl-C reaches the whole process group) so that it is still there to clean up.
/// It runs in the network namespace of the thread that creates it, like the wire that owns it.
/// </remarks>
public sealed unsafe class AddressGuardian : IDisposable
{
    // Lines on stdin: link NAME | unlink NAME | addr DEV CIDR | unaddr DEV CIDR | nft TABLE [FAMILY] | unnft TABLE | stall SECONDS GENERATION (0 = off) | beat.
    // On stdout: ready, then "revoked GENERATION" each time a stall timeout fired.
    private const string Script = """
        trap '' INT HUP QUIT PIPE
        declare -A links=() addrs=() tables=()
        stall=0 gen=0
        # ip runs from the start and waits for commands: at the engine's death nothing needs to be forked.
        coproc IPB { exec ip -force -batch - >/dev/null 2>&1; }
        # release addresses: after a stall the engine may come back; its links stay, their addresses go.
        # release all: the engine is gone; its links (and their addresses) go too.
        release() {
          local cmds="" key
          if [ "$1" = all ]; then for key in "${!links[@]}"; do cmds+="link del dev $key"$'\n'; done; links=(); fi
          for key in "${!addrs[@]}"; do cmds+="address del ${key#* } dev ${key%% *}"$'\n'; done
          if [ -n "$cmds" ]; then printf '%s' "$cmds" >&"${IPB[1]}"; fi
          addrs=()
          # the engine's nftables tables (ARP balancing: arp; Accept_Mode: inet) go with it, after its addresses
          if [ "$1" = all ]; then for key in "${!tables[@]}"; do nft delete table "${tables[$key]}" "$key" >/dev/null 2>&1; done; tables=(); fi
        }
        trap 'release all; exec {IPB[1]}>&-; wait "$IPB_PID"; exit 0' TERM
        echo ready
        while :; do
          if [ "$stall" != 0 ]; then IFS= read -r -t "$stall" line; rc=$?; else IFS= read -r line; rc=$?; fi
          if [ $rc -gt 128 ]; then release addresses; stall=0; echo "revoked $gen"; continue; fi
          if [ $rc -ne 0 ]; then release all; exec {IPB[1]}>&-; wait "$IPB_PID"; exit 0; fi
          set -- $line
          case "$1" in
            link) links[$2]=1 ;;
            unlink) unset "links[$2]" ;;
            addr) addrs["$2 $3"]=1 ;;
            unaddr) unset "addrs[$2 $3]" ;;
            nft) tables[$2]=${3:-arp} ;;
            unnft) unset "tables[$2]" ;;
            stall) stall=$2 gen=$3 ;;
          esac
        done
        """;

    private readonly Process _process;
    private readonly StreamWriter _input;
    private readonly Lock _gate = new();
    private readonly Thread _reader;
    private bool _disposed;

    private AddressGuardian(Process process)
    {
        _process = process;
        _input = process.StandardInput;
        _input.AutoFlush = true;
        _input.NewLine = "\n";
        _reader = new Thread(ReadReports) { IsBackground = true, Name = "carp-guardian-reader" };
    }

    /// <summary>Raised (on a background thread) with the stall timeout's generation when the guardian removed the addresses because the engine stalled.</summary>
    public event Action<int>? Revoked;

    /// <summary>The guardian's process id (for tests and logs).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts a guardian in the calling thread's network namespace; waits until it reads commands.</summary>
    public static AddressGuardian Start()
    {
        var info = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Script);
        info.ArgumentList.Add("carp-guardian");
        var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        if (process.StandardOutput.ReadLine() != "ready")
        {
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException("carp-guardian did not start");
        }

        RaisePriority(process.Id);
        var guardian = new AddressGuardian(process);
        guardian._reader.Start();
        return guardian;
    }

    /// <summary>
    /// SCHED_FIFO 1 where allowed, inherited by the <c>ip</c> it runs: the guardian sleeps in read() until the engine
    /// dies, and then its clean-up must not queue behind a busy host's other work (docs/ARCHITECTURE.md#address-guardian).
    /// </summary>
    private static void RaisePriority(int pid)
    {
        var param = new LibC.SchedParam { Priority = 1 };
        _ = LibC.SchedSetScheduler(pid, LibC.SCHED_FIFO, &param);
    }

    /// <summary>Records a link (a macvlan) the engine is about to create; call before creating it.</summary>
    public void OwnLink(string name) => Send($"link {name}");

    /// <summary>Forgets a link the engine has deleted.</summary>
    public void DisownLink(string name) => Send($"unlink {name}");

    /// <summary>Records addresses the engine is about to add, with one write; call before adding them.</summary>
    public void OwnAddresses(IReadOnlyList<(string Device, string Cidr)> addresses)
    {
        if (addresses.Count == 0)
        {
            return;
        }

        var lines = new StringBuilder();
        foreach (var (device, cidr) in addresses)
        {
            lines.Append(lines.Length == 0 ? "addr " : "\naddr ").Append(device).Append(' ').Append(cidr);
        }

        Send(lines.ToString());
    }

    /// <summary>
    /// Records an nftables table of <paramref name="family"/> the engine is about to create (ARP balancing: <c>arp</c>;
    /// Accept_Mode: <c>inet</c>); call before creating it.
    /// </summary>
    public void OwnNftTable(string name, string family = "arp") => Send($"nft {name} {family}");

    /// <summary>Forgets an nftables table the engine has deleted (table names are unique over the families it uses).</summary>
    public void DisownNftTable(string name) => Send($"unnft {name}");

    /// <summary>Forgets an address the engine has removed.</summary>
    public void DisownAddress(string device, string cidr) => Send($"unaddr {device} {cidr}");

    /// <summary>
    /// How long the engine may go without <see cref="Beat"/> before its addresses are taken away (zero turns it off);
    /// <paramref name="generation"/> comes back with the report if it fires.
    /// </summary>
    public void SetStallTimeout(TimeSpan timeout, int generation) => Send(StallLine(timeout, generation));

    /// <summary>The line that sets the stall timeout; the wire formats one at start-up, so a takeover's first one costs no first call.</summary>
    internal static string StallLine(TimeSpan timeout, int generation) =>
        FormattableString.Invariant($"stall {Math.Max(0, timeout.TotalSeconds):0.###} {generation}");

    /// <summary>Tells the guardian the engine's loop is alive.</summary>
    public void Beat() => Send("beat");

    private void Send(string line)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                _input.WriteLine(line);
            }
            catch (IOException)
            {
                // The guardian is gone (EPIPE): nothing more can be told to it.
            }
        }
    }

    private void ReadReports()
    {
        try
        {
            while (_process.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("revoked ", StringComparison.Ordinal) &&
                    int.TryParse(line.AsSpan(8), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var generation))
                {
                    Revoked?.Invoke(generation);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes the pipe: the guardian removes whatever is still recorded and exits.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                _input.Dispose();
            }
            catch (IOException)
            {
            }
        }

        _process.WaitForExit(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }
}
