using System.Globalization;
using System.Net.Sockets;
using System.Net;
using System.Text;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carp.Linux;
using Microsoft.Win32.SafeHandles;

namespace Carpd.Configuration;

/// <summary>
/// Reads the carpd configuration language: one statement per line, <c>#</c> starts a comment (at the
/// start of a line or after white space), <c>net.inet.carp.NAME=VALUE</c> sets a sysctl and
/// <c>carpN vhid … carpdev … [keywords] [addresses]</c> declares a virtual host with ifconfig's words.
/// Error messages name file and line and never contain a pass.
/// </summary>
internal static class CarpdConfigurationParser
{
    public const int MaxFileBytes = 1 << 20;
    public const int MaxPassFileBytes = 64 * 1024;

    /// <summary>Every interface keyword; each takes one value.</summary>
    public static readonly IReadOnlyList<string> Keywords =
        ["vhid", "carpdev", "pass", "passhex", "passfile", "advbase", "advskew", "macmode", "profile", "group", "peer", "peer6"];

    private const string KeywordHelp =
        "Keywords: vhid N, carpdev IF, pass WORD, passhex HEX, passfile PATH, advbase N, advskew N, macmode virtual|real, " +
        "profile freebsd|openbsd|classic|ucarp, group NAME, peer A.B.C.D, peer6 X::Y; addresses are written as 192.0.2.1/24 or 2001:db8::1/64.";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static CarpdConfiguration Load(string path)
    {
        var full = Path.GetFullPath(path);
        UnixFileStatus status;
        byte[] bytes;
        try
        {
            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            status = UnixFile.GetStatus(handle);
            if (status.Kind != UnixFileKind.Regular)
            {
                throw new CarpdConfigurationException(full, 0, CarpErrorCode.InvalidArgument, "is not a regular file.", "Name the configuration file, e.g. /etc/carpd/carpd.conf.");
            }

            CheckTrusted(full, status, full, 0, "the configuration file");
            bytes = ReadBytes(handle, full, 0, MaxFileBytes, "the configuration file");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CarpdConfigurationException(full, 0, CarpErrorCode.InvalidArgument, "does not exist.",
                $"Create it (an empty file is a valid configuration): install -m 600 /dev/null {full}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CarpdConfigurationException(full, 0, CarpErrorCode.NotPermitted, "cannot be read by this user.", "Run carpd as root.", ex);
        }
        catch (IOException ex)
        {
            throw new CarpdConfigurationException(full, 0, CarpErrorCode.InvalidArgument, $"cannot be read: {ex.Message}", "Check the path and the file system.", ex);
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new CarpdConfigurationException(full, 0, CarpErrorCode.InvalidArgument, "is not UTF-8 text.",
                "Save it as UTF-8; write a pass that is not text with passhex.", ex);
        }

        var configuration = Parse(text, full, Path.GetDirectoryName(full));
        if (configuration.ContainsPass && status.IsGroupOrWorldReadable)
        {
            throw new CarpdConfigurationException(full, 0, CarpErrorCode.NotPermitted,
                $"contains a pass but other users can read it (mode {Octal(status.Mode)}).",
                $"Make it private: chmod 600 {full}");
        }

        return configuration;
    }

    public static CarpdConfiguration Parse(string text, string fileName, string? baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sysctls = CarpSysctls.Default;
        var sysctlLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var interfaces = new List<VirtualHostConfig>();
        var passFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        var nameLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var vhids = new Dictionary<(string CarpDev, byte Vhid), InterfaceStatement>();
        var warnings = new List<string>();
        var lines = text.Split('\n');
        if (lines.Length > 0 && lines[0].StartsWith('\uFEFF'))
        {
            lines[0] = lines[0][1..];
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            switch (ParseStatement(lines[i], lineNumber, fileName))
            {
                case null:
                    break;

                case SysctlStatement sysctl:
                    if (sysctlLines.TryGetValue(sysctl.Descriptor.Name, out var firstLine))
                    {
                        throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidArgument,
                            $"{sysctl.Descriptor.FullName} is already set on line {firstLine}.", "Keep one line per sysctl.");
                    }

                    sysctlLines.Add(sysctl.Descriptor.Name, lineNumber);
                    try
                    {
                        sysctls = SysctlCatalog.Apply(sysctls, sysctl.Descriptor.Name, sysctl.Value);
                    }
                    catch (CarpException ex)
                    {
                        throw new CarpdConfigurationException(fileName, lineNumber, ex.Code, ex.Message, CarpdAdvice.For(ex.Code), ex);
                    }

                    break;

                case InterfaceStatement statement:
                    if (nameLines.TryGetValue(statement.Name, out var definedOn))
                    {
                        throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InterfaceExists,
                            $"{statement.Name} is already defined on line {definedOn}.", "Write each interface on one line, or give this one another name.");
                    }

                    nameLines.Add(statement.Name, lineNumber);
                    var config = Resolve(statement, fileName, baseDirectory, warnings);
                    var slot = (config.CarpDev, config.Vhid);
                    if (vhids.TryGetValue(slot, out var other))
                    {
                        throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.DuplicateVhid,
                            $"vhid {config.Vhid} on {config.CarpDev} is already used by {other.Name} (line {other.Line}).",
                            "Give each virtual host a vhid that is unique on its carpdev.");
                    }

                    vhids.Add(slot, statement);
                    interfaces.Add(config);
                    if (statement.PassFile is not null)
                    {
                        passFiles.Add(statement.Name, statement.PassFile);
                    }

                    break;
            }
        }

        return new CarpdConfiguration
        {
            Sysctls = sysctls,
            Interfaces = interfaces,
            PassFiles = passFiles,
            Warnings = warnings,
        };
    }

    /// <summary>Splits a line into its statement and its comment (which starts at a '#' at the start of the line or after white space).</summary>
    public static (string Statement, string Comment) SplitComment(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return (line[..i], line[i..].TrimEnd('\r'));
            }
        }

        return (line, string.Empty);
    }

    /// <summary>Parses one line without reading passfiles or checking the whole file; null for a blank or comment line.</summary>
    public static ConfigurationStatement? ParseStatement(string line, int lineNumber, string fileName)
    {
        var tokens = Tokenize(SplitComment(line).Statement);
        if (tokens.Count == 0)
        {
            return null;
        }

        var start = 0;
        var prefix = tokens[0];
        if (prefix is "sysctl" or "ifconfig")
        {
            start = 1;
            if (tokens.Count == 1)
            {
                throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidArgument,
                    $"'{prefix}' is not followed by anything.", prefix == "sysctl" ? "Write net.inet.carp.NAME=VALUE." : "Write carpN vhid N carpdev IF ….");
            }
        }

        var isSysctl = tokens[start].Contains('=', StringComparison.Ordinal) ||
            (tokens.Count > start + 1 && tokens[start + 1].StartsWith('='));
        if (prefix == "sysctl" && !isSysctl)
        {
            throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidArgument,
                "a sysctl line must assign a value.", "Write it as net.inet.carp.NAME=VALUE, e.g. net.inet.carp.preempt=1.");
        }

        if (prefix == "ifconfig" && isSysctl)
        {
            throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidArgument,
                "an ifconfig line cannot assign a sysctl.", "Write the sysctl on its own line as net.inet.carp.NAME=VALUE.");
        }

        return isSysctl
            ? ParseSysctl(tokens, start, lineNumber, fileName)
            : ParseInterface(tokens, start, lineNumber, fileName);
    }

    private static List<string> Tokenize(string statement) =>
        [.. statement.Split([' ', '\t', '\r', '\v', '\f'], StringSplitOptions.RemoveEmptyEntries)];

    private static SysctlStatement ParseSysctl(List<string> tokens, int start, int lineNumber, string fileName)
    {
        var joined = string.Concat(tokens.Skip(start));
        var equals = joined.IndexOf('=', StringComparison.Ordinal);
        var name = joined[..equals];
        var valueText = joined[(equals + 1)..];
        var descriptor = SysctlCatalog.Find(name) ?? throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.UnknownSysctl,
            name.Length == 0 ? "a sysctl line has no name before '='." : $"there is no CARP sysctl named '{name}'.",
            "Use one of: " + string.Join(", ", SysctlCatalog.All.Select(d => d.FullName)) + ".");
        if (!long.TryParse(valueText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidSysctlValue,
                $"the value of {descriptor.FullName} must be a whole number.", $"Write e.g. {descriptor.FullName}={descriptor.DefaultValue}.");
        }

        return new SysctlStatement(lineNumber, descriptor, value);
    }

    private static InterfaceStatement ParseInterface(List<string> tokens, int start, int lineNumber, string fileName)
    {
        var name = tokens[start];
        if (FindKeyword(name) is not null)
        {
            throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.InvalidInterfaceName,
                "the line does not start with an interface name.", "Start it with the carp interface's name, e.g. carp1 vhid 1 carpdev eth0 192.0.2.100/24.");
        }

        var statement = new InterfaceStatement(lineNumber, name);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = start + 1; i < tokens.Count; i++)
        {
            var word = tokens[i];
            var keyword = FindKeyword(word);
            if (keyword is null)
            {
                if (word.Contains('.', StringComparison.Ordinal) || word.Contains(':', StringComparison.Ordinal))
                {
                    if (!CarpAddress.TryParse(word, out var address, out var error))
                    {
                        throw Error(CarpErrorCode.InvalidAddress,
                            LooksLikeAddress(word) ? error : $"word {i + 1} of the line is neither a keyword nor an IPv4/IPv6 address.",
                            "Write addresses as 192.0.2.1/24 or 2001:db8::1/64. " + KeywordHelp);
                    }

                    statement.Addresses.Add(address);
                    continue;
                }

                var suggestion = ClosestKeyword(word);
                throw Error(CarpErrorCode.InvalidArgument,
                    suggestion is null
                        ? $"word {i + 1} of the line is neither a keyword nor an address."
                        : $"word {i + 1} of the line is not a keyword; did you mean '{suggestion}'?",
                    KeywordHelp);
            }

            if (i + 1 >= tokens.Count)
            {
                throw Error(CarpErrorCode.InvalidArgument, $"'{keyword}' needs a value.", KeywordHelp);
            }

            var value = tokens[++i];
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
                    statement.Vhid = ParseByte(value, 1, 255, keyword, CarpErrorCode.InvalidVhid, "Use a vhid from 1 to 255, unique on the carpdev.");
                    break;
                case "advbase":
                    statement.AdvBase = ParseByte(value, 0, 255, keyword, CarpErrorCode.InvalidAdvBase, "Use an advbase from 1 to 255 seconds.");
                    break;
                case "advskew":
                    statement.AdvSkew = ParseByte(value, 0, 255, keyword, CarpErrorCode.InvalidAdvSkew, "Use an advskew from 0 to 254.");
                    break;
                case "carpdev":
                    statement.CarpDev = value;
                    break;
                case "pass":
                    statement.PassTruncated = Encoding.UTF8.GetByteCount(value) > CarpKey.MaxPassphraseBytes;
                    statement.InlineKey = CarpKey.FromPassphrase(value);
                    break;
                case "passhex":
                    statement.InlineKey = ParseHexKey(value);
                    break;
                case "passfile":
                    statement.PassFile = value;
                    break;
                case "macmode":
                    statement.MacMode = Enum.TryParse<MacMode>(value, ignoreCase: true, out var mode) && Enum.IsDefined(mode) && !char.IsDigit(value[0])
                        ? mode
                        : throw Error(CarpErrorCode.InvalidArgument, "macmode must be 'virtual' or 'real'.",
                            "Use macmode virtual (kernel CARP: virtual MAC on a macvlan) or macmode real (ucarp: the carpdev's own MAC).");
                    break;
                case "profile":
                    statement.Profile = CompatibilityProfile.Find(value) ?? throw Error(CarpErrorCode.InvalidArgument,
                        $"there is no profile '{value}'.", "Use profile freebsd, openbsd, classic or ucarp.");
                    break;
                case "group":
                    if (!VirtualHostConfig.IsValidInterfaceName(value))
                    {
                        throw Error(CarpErrorCode.InvalidArgument, "a group name must be 1 to 15 letters, digits, '.', '-' or '_'.", "Write e.g. group lan.");
                    }

                    if (statement.Groups.Contains(value, StringComparer.Ordinal))
                    {
                        throw Error(CarpErrorCode.InvalidArgument, $"group {value} is listed twice.", "List each group once.");
                    }

                    statement.Groups.Add(value);
                    break;
                case "peer":
                    statement.Peer = ParsePeer(value, AddressFamily.InterNetwork, "peer needs an IPv4 address.", "Write e.g. peer 192.0.2.2; use peer6 for IPv6.");
                    break;
                case "peer6":
                    statement.Peer6 = ParsePeer(value, AddressFamily.InterNetworkV6, "peer6 needs an IPv6 address.", "Write e.g. peer6 2001:db8::2; use peer for IPv4.");
                    break;
            }
        }

        return statement;

        CarpdConfigurationException Error(CarpErrorCode code, string problem, string action) =>
            new(fileName, lineNumber, code, $"{name}: {problem}", action);

        // advbase 0 and advskew 255 parse, so that Validate explains why they are refused.
        byte ParseByte(string text, int min, int max, string keyword, CarpErrorCode code, string action) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
                ? (byte)number
                : throw Error(code, $"{keyword} must be a number from {(keyword == "advbase" ? 1 : min)} to {(keyword == "advskew" ? 254 : max)}.", action);

        CarpKey ParseHexKey(string text)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromHexString(text);
            }
            catch (FormatException)
            {
                throw Error(CarpErrorCode.InvalidPass, "passhex must be hexadecimal digits, two per byte.", "Write the key as e.g. passhex 6c616e70617373.");
            }

            if (bytes.Length is 0 or > CarpKey.MaxRawKeyBytes)
            {
                throw Error(CarpErrorCode.InvalidPass, $"passhex must give 1 to {CarpKey.MaxRawKeyBytes} bytes.", "Shorten the key.");
            }

            return CarpKey.FromRawKey(bytes);
        }

        IPAddress ParsePeer(string text, AddressFamily family, string problem, string action) =>
            IPAddress.TryParse(text, out var peer) && peer.AddressFamily == family && !text.Contains('/', StringComparison.Ordinal)
                ? peer
                : throw Error(CarpErrorCode.InvalidAddress, LooksLikeAddress(text) ? $"{problem} '{text}' is not one." : problem, action);
    }

    /// <summary>The virtual host of a statement: reads its passfile, checks it as a whole.</summary>
    private static VirtualHostConfig Resolve(InterfaceStatement statement, string fileName, string? baseDirectory, List<string> warnings)
    {
        var key = statement.InlineKey ?? CarpKey.Empty;
        if (statement.PassFile is not null)
        {
            var path = Path.GetFullPath(statement.PassFile, baseDirectory ?? Environment.CurrentDirectory);
            key = ReadPassFile(path, fileName, statement.Line, warnings, statement.Name);
        }

        if (statement.PassTruncated)
        {
            warnings.Add($"{fileName}:{statement.Line}: the pass of {statement.Name} is longer than {CarpKey.MaxPassphraseBytes} bytes; " +
                $"only the first {CarpKey.MaxPassphraseBytes} are used, as ifconfig does.");
        }

        var config = statement.ToConfig(key);
        if (config is null)
        {
            throw statement.Vhid is null
                ? new CarpdConfigurationException(fileName, statement.Line, CarpErrorCode.InvalidVhid, $"{statement.Name} has no vhid.", "Add vhid N (1 to 255, unique on the carpdev).")
                : new CarpdConfigurationException(fileName, statement.Line, CarpErrorCode.UnknownCarpDev, $"{statement.Name} has no carpdev.", "Add carpdev IF naming the interface it runs on, e.g. carpdev eth0.");
        }

        try
        {
            config.Validate();
        }
        catch (CarpException ex)
        {
            throw new CarpdConfigurationException(fileName, statement.Line, ex.Code, $"{statement.Name}: {ex.Message}", CarpdAdvice.For(ex.Code), ex);
        }

        return config;
    }

    /// <summary>ucarp's --passfile: the first line of a private file, without its line end.</summary>
    private static CarpKey ReadPassFile(string path, string fileName, int line, List<string> warnings, string name)
    {
        byte[] bytes;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var status = UnixFile.GetStatus(handle);
            if (status.Kind != UnixFileKind.Regular)
            {
                throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidPass, $"{name}: passfile {path} is not a regular file.", "Name a file holding the pass on its first line.");
            }

            CheckTrusted(path, status, fileName, line, $"{name}: passfile {path}");
            if (status.IsGroupOrWorldReadable || status.IsGroupOrWorldWritable)
            {
                throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted,
                    $"{name}: passfile {path} can be read or written by other users (mode {Octal(status.Mode)}).", $"Make it private: chmod 600 {path}");
            }

            bytes = ReadBytes(handle, fileName, line, MaxPassFileBytes, $"{name}: passfile {path}");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidPass, $"{name}: passfile {path} does not exist.",
                $"Write the pass on its first line and make it private: chmod 600 {path}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted, $"{name}: passfile {path} cannot be read by this user.", "Run carpd as root.", ex);
        }
        catch (IOException ex)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidPass, $"{name}: passfile {path} cannot be read: {ex.Message}", "Check the path.", ex);
        }

        var length = Array.IndexOf(bytes, (byte)'\n');
        if (length < 0)
        {
            length = bytes.Length;
        }

        if (length > 0 && bytes[length - 1] == '\r')
        {
            length--;
        }

        if (length == 0)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidPass, $"{name}: passfile {path} has an empty first line.",
                "Write the pass on the first line of the file.");
        }

        if (length > CarpKey.MaxPassphraseBytes)
        {
            warnings.Add($"{fileName}:{line}: the pass in {path} is longer than {CarpKey.MaxPassphraseBytes} bytes; " +
                $"only the first {CarpKey.MaxPassphraseBytes} are used, as ifconfig does.");
            length = CarpKey.MaxPassphraseBytes;
        }

        var key = CarpKey.FromRawKey(bytes.AsSpan(0, length));
        Array.Clear(bytes);
        return key;
    }

    /// <summary>Refuses files that another user owns or may change: they could inject settings or a pass.</summary>
    private static void CheckTrusted(string path, UnixFileStatus status, string fileName, int line, string what)
    {
        var euid = UnixFile.EffectiveUserId;
        if (status.OwnerId != 0 && status.OwnerId != euid)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted,
                $"{what} is owned by uid {status.OwnerId}, not by root.", $"Give it to root: chown root {path}; chmod 600 {path}");
        }

        if (status.IsGroupOrWorldWritable)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted,
                $"{what} can be changed by other users (mode {Octal(status.Mode)}).", $"Make it private: chmod 600 {path}");
        }
    }

    private static byte[] ReadBytes(SafeFileHandle handle, string fileName, int line, int limit, string what)
    {
        var length = RandomAccess.GetLength(handle);
        if (length > limit)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidArgument,
                $"{what} is larger than {limit} bytes.", "Check that it names the right file.");
        }

        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read == bytes.Length ? bytes : bytes[..read];
    }

    private static string? FindKeyword(string word) =>
        Keywords.FirstOrDefault(k => string.Equals(k, word, StringComparison.OrdinalIgnoreCase));

    /// <summary>Only a word this close to a keyword is echoed in an error: anything else may be a misplaced pass.</summary>
    private static string? ClosestKeyword(string word)
    {
        if (word.Length > 12)
        {
            return null;
        }

        string? best = null;
        var bestDistance = 3;
        foreach (var keyword in Keywords)
        {
            var distance = EditDistance(word.ToUpperInvariant(), keyword.ToUpperInvariant());
            if (distance < bestDistance && distance < keyword.Length / 2 + 1)
            {
                best = keyword;
                bestDistance = distance;
            }
        }

        return best;
    }

    private static int EditDistance(string a, string b)
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

    /// <summary>Only text made of address characters is echoed in an address error.</summary>
    private static bool LooksLikeAddress(string word) =>
        word.Length <= 50 && word.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':' or '/');

    internal static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8).PadLeft(3, '0');
}
