namespace Carp.Engine.Core;

/// <summary>Which link-layer address a virtual host answers and advertises with.</summary>
public enum MacMode
{
    /// <summary>Kernel CARP: the virtual MAC 00:00:5e:00:01:vhid on its own link (a macvlan on Linux).</summary>
    Virtual,
    /// <summary>ucarp's model: the addresses go on the carpdev itself and answer with its real MAC.</summary>
    Real,
}
