namespace Carp.Engine.Core;

/// <summary>
/// The ranges of a virtual host's numbers (docs/protocol.md#parameter-ranges), in one place: the
/// engine validates with them, and the front ends use them for their own checks and advice. Constants,
/// so that attributes such as PowerShell's ValidateRange can name them.
/// </summary>
public static class CarpLimits
{
    public const int VhidMin = 1;
    public const int VhidMax = 255;

    /// <summary>advbase in seconds; 0 is not valid on the wire (it would make every interval zero).</summary>
    public const int AdvBaseMin = 1;
    public const int AdvBaseMax = 255;

    /// <summary>advskew; 255 is reserved for bow-out adverts.</summary>
    public const int AdvSkewMin = 0;
    public const int AdvSkewMax = 254;

    /// <summary>VRRPv3 priority of a backup; 0 is the shutdown priority and 255 the address owner's (docs/protocol.md#vrrp).</summary>
    public const int PriorityMin = 1;
    public const int PriorityMax = 254;

    /// <summary>The priority a VRRP virtual host gets unless told otherwise (RFC 5798's default).</summary>
    public const int PriorityDefault = 100;

    /// <summary>VRRPv3 advertisement interval in centiseconds (a 12-bit field; 0 is not valid).</summary>
    public const int IntervalMin = 1;
    public const int IntervalMax = 4095;

    /// <summary>The VRRP advertisement interval unless told otherwise: 100 centiseconds (1 s, RFC 5798's default).</summary>
    public const int IntervalDefault = 100;

    /// <summary>Announcements (gratuitous ARPs / unsolicited NAs) a new MASTER sends in its first burst (docs/protocol.md#announcements).</summary>
    public const int AnnounceCountMin = 1;
    public const int AnnounceCountMax = 100;

    /// <summary>Milliseconds between the announcements of a burst; 0 sends them back to back.</summary>
    public const int AnnounceSpacingMaxMs = 10_000;

    /// <summary>Seconds between a MASTER's periodic re-announcements; 0 is off.</summary>
    public const int AnnounceRefreshMaxSeconds = 86_400;

    /// <summary>Interface names as Linux takes them (IFNAMSIZ − 1).</summary>
    public const int InterfaceNameMaxLength = 15;

    /// <summary>What an interface (or group) name may be, as messages say it.</summary>
    public static string InterfaceNameRule { get; } = $"1 to {InterfaceNameMaxLength} letters, digits, '.', '-' or '_'";

    public static string VhidRange { get; } = $"{VhidMin} to {VhidMax}";

    public static string AdvBaseRange { get; } = $"{AdvBaseMin} to {AdvBaseMax} seconds";

    public static string AdvSkewRange { get; } = $"{AdvSkewMin} to {AdvSkewMax}";

    public static string PriorityRange { get; } = $"{PriorityMin} to {PriorityMax}";

    public static string IntervalRange { get; } = $"{IntervalMin} to {IntervalMax} centiseconds (10 ms to 40.95 s)";

    public static string AnnounceCountRange { get; } = $"{AnnounceCountMin} to {AnnounceCountMax}";

    public static bool IsValidAnnounceCount(int value) => value is >= AnnounceCountMin and <= AnnounceCountMax;

    public static bool IsValidAnnounceSpacing(int milliseconds) => milliseconds is >= 0 and <= AnnounceSpacingMaxMs;

    public static bool IsValidAnnounceRefresh(int seconds) => seconds is >= 0 and <= AnnounceRefreshMaxSeconds;

    public static bool IsValidPriority(int value) => value is >= PriorityMin and <= PriorityMax;

    public static bool IsValidInterval(int value) => value is >= IntervalMin and <= IntervalMax;

    public static bool IsValidVhid(int value) => value is >= VhidMin and <= VhidMax;

    public static bool IsValidAdvBase(int value) => value is >= AdvBaseMin and <= AdvBaseMax;

    public static bool IsValidAdvSkew(int value) => value is >= AdvSkewMin and <= AdvSkewMax;
}
