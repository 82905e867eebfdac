using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Engine.Hosting;
using Carpd.Notify;

namespace Carpd.Configuration;

/// <summary>
/// What carpd runs: the global sysctls and the carp interfaces, as read from (and written back to)
/// a configuration file such as <c>/etc/carpd/carpd.conf</c>:
/// <code>
/// net.inet.carp.preempt=1
/// carp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24
/// carp2 vhid 2 carpdev eth1 passfile /etc/carpd/carp2.pass advskew 128 198.51.100.10/24 2001:db8::10/64
/// </code>
/// Immutable. <see cref="ToString"/> and <see cref="Describe"/> never show a pass.
/// </summary>
public sealed record CarpdConfiguration
{
    public const string DefaultPath = "/etc/carpd/carpd.conf";

    public static CarpdConfiguration Empty { get; } = new();

    public CarpSysctls Sysctls { get; init; } = CarpSysctls.Default;

    public IReadOnlyList<VirtualHostConfig> Interfaces { get; init; } = [];

    /// <summary>Interface name → the passfile its key was read from, as written in the file (kept when the file is rewritten).</summary>
    public IReadOnlyDictionary<string, string> PassFiles { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The notify hooks, their timeout and the event FIFO (docs/protocol.md#notify-hooks); changed only by editing the file and reloading.</summary>
    public NotifySettings Notify { get; init; } = NotifySettings.Empty;
    /// <summary>The health trackers (<c>track</c> lines, docs/protocol.md#trackers), in file order.</summary>
    public IReadOnlyList<TrackerConfig> Trackers { get; init; } = [];

    /// <summary>Things that work but deserve attention (e.g. a pass cut to 19 bytes), with file and line; never a pass.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Where carpd serves Prometheus metrics (<c>metrics listen …</c>, docs/metrics.md); null: off.</summary>
    public MetricsSettings? Metrics { get; init; }

    /// <summary>Some interface has a pass written in the file itself (not in a passfile), so the file must be private.</summary>
    public bool ContainsPass => Interfaces.Any(i => !i.Key.IsEmpty && !PassFiles.ContainsKey(i.Name));

    /// <summary>
    /// Reads a configuration file and the passfiles it names. Refuses (with
    /// <see cref="CarpdConfigurationException"/>) a file that is not owned by root, that others may
    /// change, or that contains a pass and others may read; the same for passfiles.
    /// </summary>
    public static CarpdConfiguration Load(string path) => CarpdConfigurationParser.Load(path);

    /// <summary>As <see cref="Load(string)"/>, with the SHA-256 of the bytes read (what a reload remembers as "the file as last saved").</summary>
    internal static CarpdConfiguration Load(string path, out byte[] sha256) => CarpdConfigurationParser.Load(path, out sha256);

    /// <summary>Parses configuration text. Passfiles are read relative to <paramref name="baseDirectory"/> (default: the current directory).</summary>
    public static CarpdConfiguration Parse(string text, string fileName = "carpd.conf", string? baseDirectory = null) =>
        CarpdConfigurationParser.Parse(text, fileName, baseDirectory);

    /// <summary>
    /// The configuration as file text. With <paramref name="previousText"/> (the file as it is now),
    /// comments, blank lines, order and unchanged lines are kept. The text contains the passes that are
    /// not in passfiles: it is for tests and tools, never for a log; carpd itself saves bytes (<see cref="Save"/>).
    /// </summary>
    public string Format(string? previousText = null) => CarpdConfigurationFormatter.Format(this, previousText);

    /// <summary>
    /// Writes the configuration to <paramref name="path"/> atomically (temporary file with mode 0600 in
    /// the same directory, fsync, rename), keeping the comments of the file it replaces. The passes go
    /// from their keys into a byte buffer that is zeroed afterwards, as is the old file's content.
    /// </summary>
    public void Save(string path)
    {
        var previous = TryReadBytes(path);
        try
        {
            Save(path, previous);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(previous);
        }
    }

    /// <summary>Saves with <paramref name="previous"/> as the file's current bytes; returns the SHA-256 of what was written.</summary>
    internal byte[] Save(string path, ReadOnlySpan<byte> previous)
    {
        using var text = new SecretBufferWriter(4096);
        CarpdConfigurationFormatter.Format(this, previous, text);
        AtomicFile.WriteAllBytes(path, text.WrittenSpan);
        return SHA256.HashData(text.WrittenSpan);
    }

    /// <summary>Refuses (with <see cref="CarpdConfigurationException"/>) a configuration whose saved form would not parse again.</summary>
    internal void CheckReadsBack(string fileName, string? baseDirectory)
    {
        using var text = new SecretBufferWriter(4096);
        CarpdConfigurationFormatter.Format(this, [], text);
        CarpdConfigurationParser.Parse(text.WrittenSpan, fileName, baseDirectory);
    }

    public VirtualHostConfig? Find(string name) => Interfaces.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.Ordinal));

    public string? PassFileOf(string name) => PassFiles.TryGetValue(name, out var path) ? path : null;

    /// <summary>Adds the interface, or replaces the one with the same name in place. Its key is then written inline.</summary>
    public CarpdConfiguration WithInterface(VirtualHostConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var interfaces = Interfaces.ToList();
        var index = interfaces.FindIndex(i => string.Equals(i.Name, config.Name, StringComparison.Ordinal));
        if (index >= 0)
        {
            interfaces[index] = config;
        }
        else
        {
            interfaces.Add(config);
        }

        return this with { Interfaces = interfaces, PassFiles = Without(PassFiles, config.Name) };
    }

    /// <summary>As <see cref="WithInterface(VirtualHostConfig)"/>, with the key kept in <paramref name="passFile"/> when one is given.</summary>
    public CarpdConfiguration WithInterface(VirtualHostConfig config, string? passFile)
    {
        var updated = WithInterface(config);
        if (passFile is null)
        {
            return updated;
        }

        var passFiles = new Dictionary<string, string>(updated.PassFiles, StringComparer.Ordinal) { [config.Name] = passFile };
        return updated with { PassFiles = passFiles };
    }

    public CarpdConfiguration WithoutInterface(string name) => this with
    {
        Interfaces = [.. Interfaces.Where(i => !string.Equals(i.Name, name, StringComparison.Ordinal))],
        PassFiles = Without(PassFiles, name),
    };

    /// <summary>
    /// Applies the persistent parts of an <see cref="InterfaceChange"/> (<see cref="InterfaceChange.ApplyTo"/>: not
    /// <c>State</c> or <c>DemoteAdjustment</c>, which are run-time only). A passfile stays in use while the key is unchanged.
    /// </summary>
    public CarpdConfiguration WithChange(string name, InterfaceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var current = Find(name) ?? throw CarpRefusals.NoSuchInterface(name);
        var updated = change.ApplyTo(current);
        var keyChanged = change.Key is not null && !change.Key.Equals(current.Key);
        return this with
        {
            Interfaces = [.. Interfaces.Select(i => ReferenceEquals(i, current) ? updated : i)],
            PassFiles = keyChanged ? Without(PassFiles, name) : PassFiles,
        };
    }

    /// <summary>Adds the tracker, or replaces the one with its name in place.</summary>
    public CarpdConfiguration WithTracker(TrackerConfig tracker)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var trackers = Trackers.ToList();
        var index = trackers.FindIndex(t => string.Equals(t.Name, tracker.Name, StringComparison.Ordinal));
        if (index >= 0)
        {
            trackers[index] = tracker;
        }
        else
        {
            trackers.Add(tracker);
        }

        return this with { Trackers = trackers };
    }

    public CarpdConfiguration WithoutTracker(string name) =>
        this with { Trackers = [.. Trackers.Where(t => !string.Equals(t.Name, name, StringComparison.Ordinal))] };

    public CarpdConfiguration WithSysctls(CarpSysctls sysctls) => this with { Sysctls = sysctls ?? throw new ArgumentNullException(nameof(sysctls)) };

    /// <summary>The writable sysctls whose value differs from the default (short names), in catalog order.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ChangedSysctls() =>
        [.. CarpdConfigurationFormatter.ChangedSysctls(Sysctls).Select(s => KeyValuePair.Create(s.Descriptor.Name, s.Value))];

    /// <summary>A human summary, one line per sysctl that differs from its default and per interface; no pass.</summary>
    public IReadOnlyList<string> Describe()
    {
        var lines = new List<string>();
        foreach (var (descriptor, value) in CarpdConfigurationFormatter.ChangedSysctls(Sysctls))
        {
            lines.Add(CarpdConfigurationFormatter.FormatSysctl(descriptor, value));
        }

        foreach (var config in Interfaces)
        {
            var text = new StringBuilder();
            if (config.IsVrrp)
            {
                text.Append(CultureInfo.InvariantCulture, $"{config.Name}: VRRPv3 vhid {config.Vhid} carpdev {config.CarpDev} priority {config.Priority} interval {config.Interval} cs");
                text.Append(config.Preempt ? string.Empty : " nopreempt").Append(config.Accept ? string.Empty : " noaccept").Append(config.VrrpChecksum == VrrpChecksumMode.MessageOnly ? " checksum v2" : string.Empty);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"{config.Name}: vhid {config.Vhid} carpdev {config.CarpDev} advbase {config.AdvBase} advskew {config.AdvSkew}");
            }

            text.Append(config.Key.IsEmpty ? " no pass" : " pass set");
            if (PassFileOf(config.Name) is { } passFile)
            {
                text.Append(" (passfile ").Append(passFile).Append(')');
            }

            text.Append(" macmode ").Append(config.MacMode == MacMode.Virtual ? "virtual" : "real");
            text.Append(" profile ").Append(CarpdConfigurationFormatter.ProfileKeyword(config.Profile));
            if (config.Groups.Count > 0)
            {
                text.Append(" groups ").Append(string.Join(',', config.Groups));
            }

            if (config.Peer is not null)
            {
                text.Append(" peer ").Append(config.Peer);
            }

            if (config.Peer6 is not null)
            {
                text.Append(" peer6 ").Append(config.Peer6);
            }

            if (config.AnnounceCount != 1 || config.AnnounceSpacingMs != 0 || config.AnnounceRefreshSeconds != 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" announce {config.AnnounceCount}x every {config.AnnounceSpacingMs} ms");
                text.Append(config.AnnounceRefreshSeconds == 0 ? string.Empty : $" refresh {config.AnnounceRefreshSeconds} s");
            }

            if (config.Maintenance)
            {
                text.Append(" maintenance");
            }

            text.Append(config.Addresses.Count == 0 ? " (no address)" : " " + string.Join(' ', config.Addresses));
            lines.Add(text.ToString());
        }

        if (Metrics is not null)
        {
            lines.Add(Metrics.Format());
        }

        lines.AddRange(Notify.Statements());
        foreach (var tracker in Trackers)
        {
            lines.Add("tracker " + tracker);
        }

        return lines;
    }

    public override string ToString()
    {
        var sysctls = CarpdConfigurationFormatter.ChangedSysctls(Sysctls).Select(s => $"{s.Descriptor.Name}={s.Value}").ToList();
        var names = Interfaces.Count == 0 ? "no interfaces" : $"{Interfaces.Count} interface(s): {string.Join(", ", Interfaces.Select(i => i.Name))}";
        return sysctls.Count == 0 ? names : $"{names}; {string.Join(' ', sysctls)}";
    }

    /// <summary>The file's bytes, or null when it is missing, unreadable or too large. The caller zeroes them: they may hold a pass.</summary>
    internal static byte[]? TryReadBytes(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.Length <= CarpdConfigurationParser.MaxFileBytes ? File.ReadAllBytes(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Dictionary<string, string> Without(IReadOnlyDictionary<string, string> map, string name)
    {
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map)
        {
            if (!string.Equals(key, name, StringComparison.Ordinal))
            {
                copy.Add(key, value);
            }
        }

        return copy;
    }
}
