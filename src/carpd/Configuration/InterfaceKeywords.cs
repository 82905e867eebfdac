using System.Security.Cryptography;
using System.Text;
using Carp.Engine.Core;

namespace Carpd.Configuration;

/// <summary>The keywords of an interface line, and the help and spelling suggestions the parser gives with them.</summary>
internal static class InterfaceKeywords
{
    private const int MaxSuggestedLength = 12;

    /// <summary>Every interface keyword; each takes one value but the <see cref="Flags"/>.</summary>
    public static readonly IReadOnlyList<string> All =
        ["vhid", "carpdev", "pass", "passhex", "passfile", "advbase", "advskew", "macmode", "profile", "group", "peer", "peer6", Mcast, Mcast6, Maintenance,
         "carpver", "vrrpprio", "vrrpinterval", NoPreempt, NoAccept, "vrrpchecksum",
         "announcecount", "announcespacing", "announcerefresh"];

    /// <summary>Maintenance mode (docs/protocol.md#maintenance): a keyword without a value.</summary>
    public const string Maintenance = "maintenance";

    /// <summary>IPv4 adverts to 224.0.0.18 (the default; FreeBSD's word for dropping a <c>peer</c>): a keyword without a value.</summary>
    public const string Mcast = "mcast";

    /// <summary>IPv6 adverts to ff02::12 (the default; FreeBSD's word for dropping a <c>peer6</c>): a keyword without a value.</summary>
    public const string Mcast6 = "mcast6";

    /// <summary>VRRP without Preempt_Mode (docs/protocol.md#vrrp): a keyword without a value.</summary>
    public const string NoPreempt = "nopreempt";

    /// <summary>VRRP without Accept_Mode (docs/protocol.md#vrrp-accept-mode): a keyword without a value.</summary>
    public const string NoAccept = "noaccept";

    /// <summary>The keywords that take no value.</summary>
    public static bool IsFlag(string keyword) => keyword is Maintenance or Mcast or Mcast6 or NoPreempt or NoAccept;

    public static readonly string Help =
        "Keywords: vhid N, carpdev IF, pass WORD, passhex HEX, passfile PATH, advbase N, advskew N, macmode virtual|real, " +
        $"profile {string.Join('|', CompatibilityProfile.All.Select(CarpdConfigurationFormatter.ProfileKeyword))}, group NAME, " +
        "peer A.B.C.D, peer6 X::Y (unicast adverts; mcast, mcast6: multicast, the default), maintenance (stay out of mastership); " +
        "VRRPv3: carpver 3, vrrpprio N (1-254), vrrpinterval N (centiseconds), nopreempt, noaccept, vrrpchecksum pseudoheader|v2; " +
        "announcecount N (1-100), announcespacing MS, announcerefresh S (gratuitous ARP / NA burst and refresh); " +
        "addresses are written as 192.0.2.1/24 or 2001:db8::1/64.";

    /// <summary>The keyword <paramref name="word"/> is (any case), or null.</summary>
    public static string? Find(ReadOnlySpan<byte> word)
    {
        foreach (var keyword in All)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(word, keyword))
            {
                return keyword;
            }
        }

        return null;
    }

    /// <summary>Only a word this close to a keyword is echoed in an error: anything else may be a misplaced pass.</summary>
    public static string? Closest(ReadOnlySpan<byte> word)
    {
        if (word.Length > 4 * MaxSuggestedLength || Encoding.UTF8.GetCharCount(word) > MaxSuggestedLength)
        {
            return null;
        }

        Span<char> chars = stackalloc char[MaxSuggestedLength];
        Span<char> upper = stackalloc char[MaxSuggestedLength];
        try
        {
            var length = Encoding.UTF8.GetChars(word, chars);
            length = chars[..length].ToUpperInvariant(upper);
            string? best = null;
            var bestDistance = 3;
            foreach (var keyword in All)
            {
                var distance = EditDistance(upper[..length], keyword.ToUpperInvariant());
                if (distance < bestDistance && distance < keyword.Length / 2 + 1)
                {
                    best = keyword;
                    bestDistance = distance;
                }
            }

            return best;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(chars));
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(upper));
        }
    }

    private static int EditDistance(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
