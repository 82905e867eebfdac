namespace Carp.Engine.Core;

/// <summary>The three states of a CARP virtual host (values as in the kernels' <c>carp_states</c>).</summary>
public enum CarpState
{
    Init = 0,
    Backup = 1,
    Master = 2,
}
