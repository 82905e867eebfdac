using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Hosting;

/// <summary>The settings <c>Set-CarpInterface</c> / <c>ifconfig carpN …</c> change; null = unchanged.</summary>
public sealed record InterfaceChange
{
    public byte? Vhid { get; init; }
    public byte? AdvBase { get; init; }
    public byte? AdvSkew { get; init; }
    public CarpKey? Key { get; init; }
    public IReadOnlyList<CarpAddress>? Addresses { get; init; }
    public string? CarpDev { get; init; }
    public MacMode? MacMode { get; init; }
    public string? Profile { get; init; }
    public IReadOnlyList<string>? Groups { get; init; }

    /// <summary>Force MASTER or BACKUP now (FreeBSD <c>state master|backup</c>); the protocol then runs on from there.</summary>
    public CarpState? State { get; init; }

    /// <summary>Adjust this interface's OpenBSD demote counter by this amount (<c>carpdemote n</c>).</summary>
    public int? DemoteAdjustment { get; init; }
}
