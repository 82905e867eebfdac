namespace Carp.Engine.Core;

/// <summary>Refusals that several layers raise, worded once (docs/ARCHITECTURE.md#errors).</summary>
public static class CarpRefusals
{
    public static CarpException NoSuchInterface(string name) =>
        new(CarpErrorCode.InterfaceNotFound, $"There is no carp interface named '{name}'.");

    public static CarpException UnknownProfile(string name) =>
        new(CarpErrorCode.InvalidArgument, $"There is no compatibility profile '{name}'; the profiles are {CompatibilityProfile.NameList}.");
}
