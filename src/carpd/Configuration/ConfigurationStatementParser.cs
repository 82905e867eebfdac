using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carpd.Configuration;

/// <summary>
/// Parses one line of the configuration language into its statement, without reading passfiles or
/// looking at other lines: <c>[sysctl] net.inet.carp.NAME=VALUE</c> or
/// <c>[ifconfig] carpN vhid N carpdev IF [keywords] [addresses]</c>. A pass goes from the line's
/// bytes into the key; errors never contain it.
/// </summary>
internal static class ConfigurationStatementParser
{
    private static readonly SearchValues<byte> HexDigits = SearchValues.Create("0123456789abcdefABCDEF"u8);
    private static readonly SearchValues<byte> AddressMarks = SearchValues.Create(".:"u8);

    /// <summary>The statement of <paramref name="text"/> (a line without its '\n'); null for a blank or comment line.</summary>
    public static ConfigurationStatement? Parse(ReadOnlySpan<byte> text, int lineNumber, string fileName)
    {
        var line = new ConfigurationLine(text);
        if (line.Count == 0)
        {
            return null;
        }

        if (NotifyStatementParser.IsNotify(line))
        {
            return NotifyStatementParser.Parse(line, lineNumber, fileName);
        }

        if (TrackStatementParser.IsTrack(line))
        {
            return TrackStatementParser.Parse(text, lineNumber, fileName);
        }

        var start = 0;
        var isSysctlPrefix = line.Is(0, "sysctl"u8);
        var isIfconfigPrefix = line.Is(0, "ifconfig"u8);
        if (isSysctlPrefix || isIfconfigPrefix)
        {
            start = 1;
            if (line.Count == 1)
            {
                throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidArgument,
                    $"'{line.Word(0)}' is not followed by anything.", isSysctlPrefix ? "Write net.inet.carp.NAME=VALUE." : "Write carpN vhid N carpdev IF ….");
            }
        }

        if (start == 0 && line.Is(0, "metrics"u8))
        {
            return MetricsStatementParser.Parse(line, 0, lineNumber, fileName);
        }

        var isSysctl = SysctlLineParser.IsAssignment(line, start);
        if (isSysctlPrefix && !isSysctl)
        {
            throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidArgument,
                "a sysctl line must assign a value.", "Write it as net.inet.carp.NAME=VALUE, e.g. net.inet.carp.preempt=1.");
        }

        if (isIfconfigPrefix && isSysctl)
        {
            throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidArgument,
                "an ifconfig line cannot assign a sysctl.", "Write the sysctl on its own line as net.inet.carp.NAME=VALUE.");
        }

        return isSysctl
            ? SysctlLineParser.Parse(line, start, lineNumber, fileName)
            : ParseInterface(line, start, lineNumber, fileName);
    }

    private static InterfaceStatement ParseInterface(ConfigurationLine line, int start, int lineNumber, string fileName)
    {
        if (InterfaceKeywords.Find(line[start]) is not null)
        {
            throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidInterfaceName,
                "the line does not start with an interface name.", "Start it with the carp interface's name, e.g. carp1 vhid 1 carpdev eth0 192.0.2.100/24.");
        }

        var name = line.Word(start);
        var statement = new InterfaceStatement(lineNumber, name);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = start + 1; i < line.Count; i++)
        {
            var keyword = InterfaceKeywords.Find(line[i]);
            if (keyword is null)
            {
                statement.Addresses.Add(ParseAddress(line, i, Error));
                continue;
            }

            if (InterfaceKeywords.IsFlag(keyword))
            {
                if (!seen.Add(keyword))
                {
                    throw Error(CarpErrorCode.InvalidArgument, $"'{keyword}' is given twice.", $"Keep one '{keyword}'.");
                }

                if (keyword == InterfaceKeywords.NoPreempt)
                {
                    statement.NoPreempt = true;
                }
                else if (keyword == InterfaceKeywords.NoAccept)
                {
                    statement.NoAccept = true;
                }
                else if (keyword == InterfaceKeywords.Maintenance)
                {
                    statement.Maintenance = true;
                }

                continue;
            }

            if (i + 1 >= line.Count)
            {
                throw Error(CarpErrorCode.InvalidArgument, $"'{keyword}' needs a value.", InterfaceKeywords.Help);
            }

            var value = ++i;
            var group = keyword is "pass" or "passhex" or "passfile" ? "pass" : keyword;
            if (keyword != "group" && !seen.Add(group))
            {
                throw Error(CarpErrorCode.InvalidArgument,
                    group == "pass" ? "the line gives more than one of pass, passhex and passfile." : $"'{keyword}' is given twice.",
                    group == "pass" ? "Keep one." : $"Keep one '{keyword}'.");
            }

            switch (keyword)
            {
                case "vhid":
                    statement.Vhid = ParseNumber(line[value], CarpLimits.VhidMin, CarpLimits.VhidMax, keyword, CarpLimits.VhidRange, CarpErrorCode.InvalidVhid);
                    break;
                case "advbase":
                    // advbase 0 and advskew 255 parse, so that Validate explains why they are refused.
                    statement.AdvBase = ParseNumber(line[value], 0, byte.MaxValue, keyword, CarpLimits.AdvBaseRange, CarpErrorCode.InvalidAdvBase);
                    break;
                case "advskew":
                    statement.AdvSkew = ParseNumber(line[value], 0, byte.MaxValue, keyword, CarpLimits.AdvSkewRange, CarpErrorCode.InvalidAdvSkew);
                    break;
                case "carpdev":
                    statement.CarpDev = line.Word(value);
                    break;
                case "pass":
                    statement.PassTruncated = line[value].Length > CarpKey.MaxPassphraseBytes;
                    statement.InlineKey = CarpKey.FromPassphraseUtf8(line[value]);
                    break;
                case "passhex":
                    statement.InlineKey = ParseHexKey(line[value]);
                    break;
                case "passfile":
                    statement.PassFile = line.Word(value);
                    break;
                case "macmode":
                    var modeText = line.Word(value);
                    statement.MacMode = Enum.TryParse<MacMode>(modeText, ignoreCase: true, out var mode) && Enum.IsDefined(mode) && !char.IsDigit(modeText[0])
                        ? mode
                        : throw Error(CarpErrorCode.InvalidArgument, "macmode must be 'virtual' or 'real'.",
                            "Use macmode virtual (kernel CARP: virtual MAC on a macvlan) or macmode real (ucarp: the carpdev's own MAC).");
                    break;
                case "profile":
                    var profile = line.Word(value);
                    statement.Profile = CompatibilityProfile.Find(profile)
                        ?? throw Error(CarpErrorCode.InvalidArgument, CarpRefusals.UnknownProfile(profile).Message, "Write e.g. profile openbsd.");
                    break;
                case "group":
                    AddGroup(statement, line.Word(value), Error);
                    break;
                case "peer":
                    statement.Peer = ParsePeer(line.Word(value), AddressFamily.InterNetwork, "peer needs an IPv4 address.", "Write e.g. peer 192.0.2.2; use peer6 for IPv6.", Error);
                    break;
                case "carpver":
                    // FreeBSD's words: 2 is CARP, 3 is VRRPv3.
                    statement.Protocol = line.Word(value) switch
                    {
                        "2" => VirtualHostProtocol.Carp,
                        "3" => VirtualHostProtocol.Vrrp,
                        _ => throw Error(CarpErrorCode.InvalidArgument, "carpver must be 2 (CARP) or 3 (VRRPv3).", "Write carpver 3 for VRRPv3, or leave it out for CARP."),
                    };
                    break;
                case "vrrpprio":
                    statement.Priority = ParseNumber(line[value], 0, byte.MaxValue, keyword, CarpLimits.PriorityRange, CarpErrorCode.InvalidPriority);
                    break;
                case "vrrpinterval":
                    statement.Interval = int.TryParse(line[value], NumberStyles.None, CultureInfo.InvariantCulture, out var centiseconds) && centiseconds <= ushort.MaxValue
                        ? (ushort)centiseconds
                        : throw Error(CarpErrorCode.InvalidInterval, $"vrrpinterval must be a number from {CarpLimits.IntervalRange}.", CarpdAdvice.For(CarpErrorCode.InvalidInterval));
                    break;
                case "vrrpchecksum":
                    statement.VrrpChecksum = line.Word(value).ToLowerInvariant() switch
                    {
                        "pseudoheader" => VrrpChecksumMode.PseudoHeader,
                        "v2" => VrrpChecksumMode.MessageOnly,
                        _ => throw Error(CarpErrorCode.InvalidArgument, "vrrpchecksum must be 'pseudoheader' or 'v2'.",
                            "Write vrrpchecksum v2 for a peer with keepalived's v3_checksum_as_v2, or leave it out (pseudoheader)."),
                    };
                    break;
                case "announcecount":
                    statement.AnnounceCount = ParseNumber(line[value], CarpLimits.AnnounceCountMin, CarpLimits.AnnounceCountMax, keyword,
                        CarpLimits.AnnounceCountRange, CarpErrorCode.InvalidArgument);
                    break;
                case "announcespacing":
                    statement.AnnounceSpacingMs = int.TryParse(line[value], NumberStyles.None, CultureInfo.InvariantCulture, out var spacing) && CarpLimits.IsValidAnnounceSpacing(spacing)
                        ? (ushort)spacing
                        : throw Error(CarpErrorCode.InvalidArgument, $"announcespacing must be a number of milliseconds from 0 to {CarpLimits.AnnounceSpacingMaxMs}.",
                            "Write e.g. announcespacing 200 (0: back to back).");
                    break;
                case "announcerefresh":
                    statement.AnnounceRefreshSeconds = int.TryParse(line[value], NumberStyles.None, CultureInfo.InvariantCulture, out var refresh) && CarpLimits.IsValidAnnounceRefresh(refresh)
                        ? refresh
                        : throw Error(CarpErrorCode.InvalidArgument, $"announcerefresh must be a number of seconds from 0 to {CarpLimits.AnnounceRefreshMaxSeconds}.",
                            "Write e.g. announcerefresh 60 (0: off).");
                    break;
                case "peer6":
                    statement.Peer6 = ParsePeer(line.Word(value), AddressFamily.InterNetworkV6, "peer6 needs an IPv6 address.", "Write e.g. peer6 2001:db8::2; use peer for IPv4.", Error);
                    break;
            }
        }

        // mcast / mcast6 name the default, multicast; with a peer of the same family the line says two things.
        foreach (var (flag, peer) in new[] { (InterfaceKeywords.Mcast, "peer"), (InterfaceKeywords.Mcast6, "peer6") })
        {
            if (seen.Contains(flag) && seen.Contains(peer))
            {
                throw Error(CarpErrorCode.InvalidArgument, $"the line gives both '{peer}' and '{flag}'.",
                    $"Keep '{peer}' for unicast adverts to that address, or '{flag}' (or neither) for multicast.");
            }
        }

        return statement;

        CarpdConfigurationException Error(CarpErrorCode code, string problem, string action) =>
            new(fileName, lineNumber, code, $"{name}: {problem}", action);

        byte ParseNumber(ReadOnlySpan<byte> text, int min, int max, string keyword, string range, CarpErrorCode code) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
                ? (byte)number
                : throw Error(code, $"{keyword} must be a number from {range}.", CarpdAdvice.For(code));

        CarpKey ParseHexKey(ReadOnlySpan<byte> hex)
        {
            if (hex.Length % 2 != 0 || hex.ContainsAnyExcept(HexDigits))
            {
                throw Error(CarpErrorCode.InvalidPass, "passhex must be hexadecimal digits, two per byte.", "Write the key as e.g. passhex 6c616e70617373.");
            }

            if (hex.Length / 2 > CarpKey.MaxRawKeyBytes)
            {
                throw Error(CarpErrorCode.InvalidPass, $"passhex must give 1 to {CarpKey.MaxRawKeyBytes} bytes.", "Shorten the key.");
            }

            Span<byte> key = stackalloc byte[CarpKey.MaxRawKeyBytes];
            try
            {
                for (var j = 0; j < hex.Length / 2; j++)
                {
                    key[j] = (byte)((Nibble(hex[2 * j]) << 4) | Nibble(hex[(2 * j) + 1]));
                }

                return CarpKey.FromRawKey(key[..(hex.Length / 2)]);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private delegate CarpdConfigurationException ErrorFactory(CarpErrorCode code, string problem, string action);

    /// <summary>A word that is not a keyword: an address, or a mistake that is never echoed unless it is close to a keyword.</summary>
    private static CarpAddress ParseAddress(ConfigurationLine line, int index, ErrorFactory error)
    {
        var word = line[index];
        if (word.ContainsAny(AddressMarks))
        {
            var text = line.Word(index);
            return CarpAddress.TryParse(text, out var address, out var problem)
                ? address
                : throw error(CarpErrorCode.InvalidAddress,
                    LooksLikeAddress(text) ? problem : $"word {index + 1} of the line is neither a keyword nor an IPv4/IPv6 address.",
                    "Write addresses as 192.0.2.1/24 or 2001:db8::1/64. " + InterfaceKeywords.Help);
        }

        var suggestion = InterfaceKeywords.Closest(word);
        throw error(CarpErrorCode.InvalidArgument,
            suggestion is null
                ? $"word {index + 1} of the line is neither a keyword nor an address."
                : $"word {index + 1} of the line is not a keyword; did you mean '{suggestion}'?",
            InterfaceKeywords.Help);
    }

    private static void AddGroup(InterfaceStatement statement, string group, ErrorFactory error)
    {
        if (!VirtualHostConfig.IsValidInterfaceName(group))
        {
            throw error(CarpErrorCode.InvalidArgument,
                $"a group name must be 1 to {CarpLimits.InterfaceNameMaxLength} letters, digits, '.', '-' or '_'.", "Write e.g. group lan.");
        }

        if (statement.Groups.Contains(group, StringComparer.Ordinal))
        {
            throw error(CarpErrorCode.InvalidArgument, $"group {group} is listed twice.", "List each group once.");
        }

        statement.Groups.Add(group);
    }

    private static IPAddress ParsePeer(string text, AddressFamily family, string problem, string action, ErrorFactory error) =>
        IPAddress.TryParse(text, out var peer) && peer.AddressFamily == family && !text.Contains('/', StringComparison.Ordinal)
            ? peer
            : throw error(CarpErrorCode.InvalidAddress, LooksLikeAddress(text) ? $"{problem} '{text}' is not one." : problem, action);

    /// <summary>Only text made of address characters is echoed in an address error.</summary>
    private static bool LooksLikeAddress(string word) =>
        word.Length <= 50 && word.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':' or '/');

    private static int Nibble(byte digit) => digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10;
}
