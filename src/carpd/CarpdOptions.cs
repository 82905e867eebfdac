using Carp.Control;

namespace Carpd;

/// <summary>carpd's command line, parsed by hand (no extra packages).</summary>
internal sealed record CarpdOptions
{
    public const string Usage = """
        Usage: carpd [--config FILE] [--socket PATH] [--simulate] [--simulate-carpdev DEV[,DEV]] [--verbose] [--foreground]
               carpd --check-config FILE
               carpd --status [--json] [--output FILE] [--socket PATH]
               carpd --help | --version

        Runs the CARP engine in the foreground (systemd Type=notify) and serves its control socket.

          --config FILE        load interfaces and sysctls from FILE (e.g. /etc/carpd/carpd.conf) and write
                               run-time changes back to it; without it carpd starts empty and keeps
                               changes in memory only
          --socket PATH        control socket (default /run/carpd/carpd.sock)
          --simulate           run on an in-memory LAN instead of the wire: no root, no packets; its carpdevs
                               are those the configuration names (sim0 if it names none)
          --simulate-carpdev DEV[,DEV]
                               --simulate with these carpdevs too (e.g. em0,em1), for interfaces created
                               later over the control socket
          --verbose            also log control-socket connections and requests
          --foreground         accepted for compatibility; carpd always runs in the foreground
          --check-config FILE  check FILE (syntax, values, permissions, passfiles), print a summary
                               without passes, exit 0 if it is valid and 1 if not
          --status             ask the running carpd (--socket) for its state and print it: one line per
                               interface, or with --json the whole state as JSON (getState; never a pass)
          --output FILE        with --status: write to FILE instead (atomically, mode 0644), e.g. for a
                               monitoring agent

        Signals: SIGTERM/SIGINT bow out, release the addresses and exit; SIGHUP reloads --config (only what
        changed; a file with an error changes nothing). If carpd dies without that chance (SIGKILL, a
        crash), its address guardian removes the addresses it held.
        """;

    public string? ConfigPath { get; init; }

    public string SocketPath { get; init; } = CarpdProtocol.DefaultSocketPath;

    public bool Simulate { get; init; }

    /// <summary>Carpdevs of the simulated LAN besides those the configuration names (--simulate-carpdev).</summary>
    public IReadOnlyList<string> SimulatedCarpDevs { get; init; } = [];

    public bool Verbose { get; init; }

    public string? CheckConfigPath { get; init; }

    public bool Help { get; init; }

    /// <summary>--status: print the running carpd's state (<see cref="StatusCommand"/>).</summary>
    public bool Status { get; init; }

    /// <summary>--json: with --status, the whole state as JSON.</summary>
    public bool Json { get; init; }

    /// <summary>--output FILE: with --status, written there atomically.</summary>
    public string? OutputPath { get; init; }

    public bool Version { get; init; }

    /// <summary>Parses <paramref name="args"/>; returns null and an error for a bad command line.</summary>
    public static CarpdOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new CarpdOptions();
        var i = 0;
        while (i < args.Count)
        {
            var arg = args[i++];
            string? value = null;
            var hasInlineValue = false;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                value = arg[(eq + 1)..];
                arg = arg[..eq];
                hasInlineValue = true;
            }

            var takesValue = arg is "--config" or "-c" or "--socket" or "-s" or "--check-config" or "--simulate-carpdev" or "--output" or "-o";
            if (takesValue && !hasInlineValue && i < args.Count)
            {
                value = args[i++];
            }

            if (takesValue && string.IsNullOrEmpty(value))
            {
                error = $"{arg} needs a value.";
                return null;
            }

            if (!takesValue && hasInlineValue)
            {
                error = $"{arg} takes no value.";
                return null;
            }

            switch (arg)
            {
                case "--config" or "-c":
                    options = options with { ConfigPath = value };
                    break;
                case "--socket" or "-s":
                    options = options with { SocketPath = value! };
                    break;
                case "--check-config":
                    options = options with { CheckConfigPath = value };
                    break;
                case "--simulate":
                    options = options with { Simulate = true };
                    break;
                case "--simulate-carpdev":
                    var devs = value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (devs.Length == 0 || !devs.All(Carp.Engine.Core.VirtualHostConfig.IsValidInterfaceName))
                    {
                        error = $"--simulate-carpdev needs carpdev names ({Carp.Engine.Core.CarpLimits.InterfaceNameRule}), e.g. em0,em1.";
                        return null;
                    }

                    options = options with { Simulate = true, SimulatedCarpDevs = [.. options.SimulatedCarpDevs, .. devs] };
                    break;
                case "--verbose" or "-v":
                    options = options with { Verbose = true };
                    break;
                case "--foreground" or "-f":
                    break;
                case "--help" or "-h":
                    options = options with { Help = true };
                    break;
                case "--version":
                    options = options with { Version = true };
                    break;
                case "--status":
                    options = options with { Status = true };
                    break;
                case "--json":
                    options = options with { Json = true };
                    break;
                case "--output" or "-o":
                    options = options with { OutputPath = value };
                    break;
                default:
                    error = arg.StartsWith('-') ? $"unknown option '{arg}'." : $"unexpected argument '{arg}'.";
                    return null;
            }
        }

        if (options.CheckConfigPath is not null && (options.Simulate || options.ConfigPath is not null))
        {
            error = "--check-config only checks a file; give it alone.";
            return null;
        }

        if (options.Status && (options.Simulate || options.ConfigPath is not null || options.CheckConfigPath is not null))
        {
            error = "--status asks a running carpd (--socket PATH); give it without --config, --simulate or --check-config.";
            return null;
        }

        if (!options.Status && (options.Json || options.OutputPath is not null))
        {
            error = "--json and --output go with --status.";
            return null;
        }

        error = null;
        return options;
    }
}
