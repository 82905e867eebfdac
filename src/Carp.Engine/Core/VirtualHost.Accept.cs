using System.Net;

namespace Carp.Engine.Core;

/// <summary>
/// VRRP's Accept_Mode (docs/protocol.md#vrrp-accept-mode): while a VRRP virtual host with Accept off is MASTER, packets
/// addressed to its virtual addresses are not the host's to take. The core decides which addresses those are and tells
/// the output (<see cref="ICarpOutput.AcceptRefusedChanged"/>) whenever that set changes; the wire enforces it.
/// </summary>
public sealed partial class VirtualHost
{
    private IPAddress[] _acceptRefused = [];

    /// <summary>The virtual addresses whose packets this host must drop now: all of them while a VRRP MASTER without Accept_Mode.</summary>
    public IReadOnlyList<IPAddress> AcceptRefused => _acceptRefused;

    /// <summary>Reports a change of <see cref="AcceptRefused"/> after a transition or a new configuration.</summary>
    private void RefreshAcceptRefused()
    {
        IPAddress[] refused = IsVrrp && !Config.Accept && State == CarpState.Master && !_removed
            ? [.. Config.Addresses.Select(a => a.Address)]
            : [];
        if (refused.SequenceEqual(_acceptRefused))
        {
            return;
        }

        _acceptRefused = refused;
        _node.Output.AcceptRefusedChanged(this, refused);
    }
}
