using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Linux;

namespace Carpd.Configuration;

/// <summary>
/// Reads the carpd configuration language: one statement per line (<see cref="ConfigurationStatementParser"/>),
/// <c>#</c> starts a comment (at the start of a line or after white space), <c>net.inet.carp.NAME=VALUE</c>
/// sets a sysctl and <c>carpN vhid … carpdev … [keywords] [addresses]</c> declares a virtual host with
/// ifconfig's words. The file is parsed as UTF-8 bytes, so a pass goes from them into its key without
/// a string; the buffers are zeroed. Error messages name file and line and never contain a pass.
/// </summary>
internal static class CarpdConfigurationParser
{
    public const int MaxFileBytes = 1 << 20;

    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    public static CarpdConfiguration Load(string path) => Load(path, out _);

    /// <summary>As <see cref="Load(string)"/>; <paramref name="sha256"/> is the hash of exactly the bytes that were parsed.</summary>
    public static CarpdConfiguration Load(string path, out byte[] sha256)
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

            TrustedFile.CheckTrusted(full, status, full, 0, "the configuration file");
            bytes = TrustedFile.ReadBytes(handle, full, 0, MaxFileBytes, "the configuration file");
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CarpdConfigurationException(full, 0, CarpErrorCode.InvalidArgument, "does not exist.",
                $"Create it (an empty file is a valid configuration): install -m 600 /dev/null {full}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CarpdConfigurationException(full, 0, CarpErrorCode.NotPermitted, "cannot be read by this user.", CarpdAdvice.For(CarpErrorCode.NotPermitted), ex);
        }
        catch (IOException ex)
        {
            throw new CarpdConfigurationException(full, 0, CarpErrorCode.InvalidArgument, $"cannot be read: {ex.Message}", "Check the path and the file system.", ex);
        }

        CarpdConfiguration configuration;
        try
        {
            if (!Utf8.IsValid(bytes))
            {
                throw new CarpdConfigurationException(full, 0, CarpErrorCode.InvalidArgument, "is not UTF-8 text.",
                    "Save it as UTF-8; write a pass that is not text with passhex.");
            }

            configuration = Parse(bytes, full, Path.GetDirectoryName(full));
            sha256 = SHA256.HashData(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        if (configuration.ContainsPass && status.IsGroupOrWorldReadable)
        {
            throw new CarpdConfigurationException(full, 0, CarpErrorCode.NotPermitted,
                $"contains a pass but other users can read it (mode {TrustedFile.Octal(status.Mode)}).",
                $"Make it private: chmod 600 {full}");
        }

        return configuration;
    }

    /// <summary>Parses configuration text given as a string (tests, tools); carpd itself parses the file's bytes.</summary>
    public static CarpdConfiguration Parse(string text, string fileName, string? baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var utf8 = new SecretBufferWriter(Encoding.UTF8.GetMaxByteCount(text.Length));
        utf8.WriteUtf8(text);
        return Parse(utf8.WrittenSpan, fileName, baseDirectory);
    }

    /// <summary>Parses the UTF-8 text of a configuration file. Passfiles are read relative to <paramref name="baseDirectory"/>.</summary>
    public static CarpdConfiguration Parse(ReadOnlySpan<byte> utf8, string fileName, string? baseDirectory)
    {
        var sysctls = CarpSysctls.Default;
        var sysctlLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var interfaces = new List<VirtualHostConfig>();
        var passFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        var nameLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var vhids = new Dictionary<(string CarpDev, byte Vhid), InterfaceStatement>();
        var warnings = new List<string>();
        MetricsStatement? metrics = null;
        var notify = new NotifySettingsBuilder(fileName);
        var trackers = new List<Carp.Engine.Hosting.TrackerConfig>();
        var trackerLines = new Dictionary<string, int>(StringComparer.Ordinal);
        if (utf8.StartsWith(ByteOrderMark))
        {
            utf8 = utf8[ByteOrderMark.Length..];
        }

        var lineNumber = 0;
        foreach (var range in utf8.Split((byte)'\n'))
        {
            lineNumber++;
            switch (ConfigurationStatementParser.Parse(utf8[range], lineNumber, fileName))
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

                case TrackStatement track:
                    if (!trackerLines.TryAdd(track.Config.Name, lineNumber))
                    {
                        throw new CarpdConfigurationException(fileName, lineNumber, CarpErrorCode.TrackerExists,
                            $"tracker {track.Config.Name} is already defined on line {trackerLines[track.Config.Name]}.", "Give each tracker its own name.");
                    }

                    trackers.Add(track.Config);
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

                case MetricsStatement statement:
                    metrics = MetricsConfiguration.Add(metrics, statement, fileName, warnings);
                    break;

                case NotifyStatement notifyStatement:
                    notify.Add(notifyStatement);
                    break;
            }
        }

        CheckArpBalance(sysctls, interfaces, nameLines, fileName);
        return new CarpdConfiguration
        {
            Sysctls = sysctls,
            Interfaces = interfaces,
            PassFiles = passFiles,
            Warnings = warnings,
            Metrics = metrics?.Settings,
            Notify = notify.Build(),
            Trackers = trackers,
        };
    }

    /// <summary>
    /// With net.inet.carp.arpbalance=1 every interface that shares an IPv4 address with another on its carpdev needs the
    /// virtual MAC (docs/protocol.md#arpbalance-rule), as the engine would refuse at start.
    /// </summary>
    private static void CheckArpBalance(CarpSysctls sysctls, List<VirtualHostConfig> interfaces, Dictionary<string, int> nameLines, string fileName)
    {
        if (!sysctls.ArpBalance)
        {
            return;
        }

        foreach (var config in interfaces.Where(c => c.MacMode == MacMode.Real))
        {
            var shared = config.Addresses.Where(a => !a.IsIPv6).FirstOrDefault(a => interfaces.Any(o =>
                !ReferenceEquals(o, config) && o.CarpDev == config.CarpDev && o.Addresses.Any(b => b.Address.Equals(a.Address))));
            if (shared != default)
            {
                var refusal = CarpRefusals.ArpBalanceNeedsVirtualMac(config.Name, shared.Address);
                throw new CarpdConfigurationException(fileName, nameLines[config.Name], refusal.Code, refusal.Message, CarpdAdvice.For(refusal.Code), refusal);
            }
        }
    }

    /// <summary>The virtual host of a statement: reads its passfile, checks it as a whole.</summary>
    private static VirtualHostConfig Resolve(InterfaceStatement statement, string fileName, string? baseDirectory, List<string> warnings)
    {
        var key = statement.InlineKey ?? CarpKey.Empty;
        if (statement.PassFile is not null)
        {
            var path = Path.GetFullPath(statement.PassFile, baseDirectory ?? Environment.CurrentDirectory);
            key = PassFileReader.Read(path, fileName, statement.Line, warnings, statement.Name);
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
                ? new CarpdConfigurationException(fileName, statement.Line, CarpErrorCode.InvalidVhid, $"{statement.Name} has no vhid.", CarpdAdvice.For(CarpErrorCode.InvalidVhid))
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
}
