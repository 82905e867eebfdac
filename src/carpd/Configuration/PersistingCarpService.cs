using System.Security.Cryptography;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Configuration;

/// <summary>
/// An <see cref="ICarpService"/> that writes every successful change of interfaces or sysctls back
/// to carpd's configuration file (atomically), so that a restart brings back what was running.
/// Maintenance mode is configuration and is saved too. Status, statistics, events and run-time-only changes (forced state, demote adjustments) pass
/// straight through. If the file was edited by hand since carpd read, wrote or reloaded it, the edited
/// copy is kept as <c>FILE.bak</c> before it is replaced. <see cref="Reload"/> applies an edited file
/// without writing it. Disposing disposes the inner service.
/// </summary>
public sealed partial class PersistingCarpService : ICarpService
{
    private readonly ICarpService _inner;
    private readonly string _path;
    private readonly Action<CarpLogLevel, string>? _log;
    private readonly Lock _gate = new();
    private CarpdConfiguration _configuration;
    private byte[]? _lastSavedHash;

    /// <param name="inner">The engine.</param>
    /// <param name="configuration">What <paramref name="path"/> contains now (as <see cref="CarpdConfiguration.Load"/> read it).</param>
    /// <param name="path">The configuration file to keep up to date.</param>
    /// <param name="log">Receives save failures and warnings; never a pass.</param>
    public PersistingCarpService(ICarpService inner, CarpdConfiguration configuration, string path, Action<CarpLogLevel, string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrEmpty(path);
        _inner = inner;
        _configuration = configuration;
        _path = Path.GetFullPath(path);
        _log = log;
        _lastSavedHash = HashOf(CarpdConfiguration.TryReadBytes(_path));
        RemoveLeftoverTemporaryFiles();
    }

    /// <summary>The configuration as last persisted.</summary>
    public CarpdConfiguration Configuration
    {
        get
        {
            lock (_gate)
            {
                return _configuration;
            }
        }
    }

    public string ConfigurationPath => _path;

    public IReadOnlyList<VirtualHostStatus> GetInterfaces() => _inner.GetInterfaces();

    public VirtualHostStatus CreateInterface(VirtualHostConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_gate)
        {
            // An interface kept in the file but not running (its carpdev was missing at start) still owns its vhid there.
            if (_configuration.Interfaces.FirstOrDefault(i => i.Name != config.Name && i.CarpDev == config.CarpDev && i.Vhid == config.Vhid) is { } clash)
            {
                throw new CarpException(CarpErrorCode.DuplicateVhid,
                    $"vhid {config.Vhid} on {config.CarpDev} belongs to {clash.Name} in {_path}, which is configured but not running.");
            }

            var updated = Loadable(_configuration.WithInterface(config));
            var status = _inner.CreateInterface(config);
            Persist(updated, $"{config.Name} created");
            return status;
        }
    }

    public VirtualHostStatus SetInterface(string name, InterfaceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            var persistent = IsPersistent(change) && _configuration.Find(name) is not null;
            var updated = persistent ? Loadable(_configuration.WithChange(name, change)) : _configuration;
            var status = _inner.SetInterface(name, change);
            if (persistent)
            {
                Persist(updated, $"{name} changed");
            }

            return status;
        }
    }

    public void RemoveInterface(string name)
    {
        lock (_gate)
        {
            try
            {
                _inner.RemoveInterface(name);
            }
            catch (CarpException ex) when (ex.Code == CarpErrorCode.InterfaceNotFound && _configuration.Find(name) is not null)
            {
                // Configured but not running (it failed to start): removing it means taking it out of the file.
            }

            Persist(_configuration.WithoutInterface(name), $"{name} removed");
        }
    }

    public bool PassMatches(string name, Carp.Engine.Protocol.CarpKey pass) => _inner.PassMatches(name, pass);

    public CarpSysctls GetSysctls() => _inner.GetSysctls();

    public CarpSysctls SetSysctl(string name, long value)
    {
        lock (_gate)
        {
            var sysctls = _inner.SetSysctl(name, value);
            // Only what the administrator wrote: the engine's values include automatic demotion (a carpdev down
            // adds ifdown_demotion_factor), which must not come back as a permanent demotion after a restart.
            Persist(_configuration.WithSysctls(SysctlCatalog.Apply(_configuration.Sysctls, name, value)), $"sysctl {name} set");
            return sysctls;
        }
    }

    public CarpStatisticsSnapshot GetStatistics() => _inner.GetStatistics();

    public void ResetStatistics() => _inner.ResetStatistics();

    public IDisposable Subscribe(Action<CarpEvent> handler) => _inner.Subscribe(handler);

    /// <summary>
    /// Applies <paramref name="file"/>, the configuration file as just loaded, without writing it: only what
    /// differs from the running configuration reaches the engine (<see cref="ConfigurationDiff"/>). When every
    /// step applied, the file becomes "the file as last saved" (<paramref name="fileHash"/>), so a later run-time
    /// change keeps the administrator's edit; when the engine refused a step, the configuration is what runs and
    /// the file counts as edited, so a later save keeps it as <c>FILE.bak</c>.
    /// </summary>
    internal ReloadOutcome Reload(CarpdConfiguration file, byte[] fileHash)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(fileHash);
        lock (_gate)
        {
            string[] running = [.. _inner.GetInterfaces().Select(i => i.Name)];
            var outcome = ReloadApplication.Apply(ConfigurationDiff.Between(_configuration, running, file), _inner, _configuration, file);
            _configuration = outcome.Applied;
            if (outcome.Failures.Count == 0)
            {
                _lastSavedHash = fileHash;
            }

            return outcome;
        }
    }

    public void Dispose() => _inner.Dispose();

    /// <summary>
    /// Refuses a change whose saved form carpd could not load again (e.g. an interface named like a keyword),
    /// before the engine applies it: a restart must never meet a file it refuses.
    /// </summary>
    private CarpdConfiguration Loadable(CarpdConfiguration updated)
    {
        try
        {
            updated.CheckReadsBack(Path.GetFileName(_path), Path.GetDirectoryName(_path));
            return updated;
        }
        catch (CarpdConfigurationException ex)
        {
            throw new CarpException(ex.Code, $"carpd could not read this back from its configuration file: {ex.Problem}", ex);
        }
    }

    /// <summary>Temporary files of a save interrupted by a crash hold passes: remove them (they are ours: same name pattern, same owner).</summary>
    private void RemoveLeftoverTemporaryFiles()
    {
        var directory = Path.GetDirectoryName(_path);
        if (directory is null || !Directory.Exists(directory))
        {
            return;
        }

        foreach (var leftover in Directory.EnumerateFiles(directory, $".{Path.GetFileName(_path)}.*.tmp"))
        {
            try
            {
                File.Delete(leftover);
                _log?.Invoke(CarpLogLevel.Warning, $"removed {leftover}, left by an interrupted save");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _log?.Invoke(CarpLogLevel.Warning, $"cannot remove {leftover}: {ex.Message}");
            }
        }
    }

    private static byte[]? HashOf(byte[]? bytes)
    {
        if (bytes is null)
        {
            return null;
        }

        var hash = SHA256.HashData(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return hash;
    }

    private static bool IsPersistent(InterfaceChange change) =>
        change.Vhid is not null || change.AdvBase is not null || change.AdvSkew is not null || change.Key is not null ||
        change.Addresses is not null || change.CarpDev is not null || change.MacMode is not null || change.Profile is not null ||
        change.Groups is not null || change.Maintenance is not null ||
        change.Peer is not null || change.Peer6 is not null || change.Mcast || change.Mcast6;

    // Called under _gate after the engine accepted the change: a failed save is logged, not thrown,
    // because the change is already active and the caller must not believe it was refused.
    private void Persist(CarpdConfiguration updated, string what)
    {
        _configuration = updated;
        try
        {
            // Only a hash of the last save is kept: the file's text holds passes.
            var onDisk = CarpdConfiguration.TryReadBytes(_path);
            try
            {
                if (onDisk is not null && _lastSavedHash is not null && !SHA256.HashData(onDisk).AsSpan().SequenceEqual(_lastSavedHash))
                {
                    AtomicFile.WriteAllBytes(_path + ".bak", onDisk);
                    _log?.Invoke(CarpLogLevel.Warning,
                        $"{_path} was edited since carpd last saved or reloaded it; the edited copy is kept as {_path}.bak. After editing the file, reload carpd (systemctl reload carpd) before changing it through the control socket.");
                }

                _lastSavedHash = updated.Save(_path, onDisk);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(onDisk);
            }
            _log?.Invoke(CarpLogLevel.Debug, $"{what}; saved to {_path}.");
        }
        catch (Exception ex)
        {
            _log?.Invoke(CarpLogLevel.Error,
                $"{what}, but {_path} could not be written ({ex.Message}); the change is active now and will be lost when carpd restarts.");
        }
    }
}
