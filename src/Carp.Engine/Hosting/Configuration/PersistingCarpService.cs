using Carp.Engine.Core;

namespace Carp.Engine.Hosting.Configuration;

/// <summary>
/// An <see cref="ICarpService"/> that writes every successful change of interfaces or sysctls back
/// to carpd's configuration file (atomically), so that a restart brings back what was running.
/// Status, statistics, events and run-time-only changes (forced state, demote adjustments) pass
/// straight through. If the file was edited by hand since carpd read or wrote it, the edited copy is
/// kept as <c>FILE.bak</c> before it is replaced. Disposing disposes the inner service.
/// </summary>
public sealed class PersistingCarpService : ICarpService
{
    private readonly ICarpService _inner;
    private readonly string _path;
    private readonly Action<CarpLogLevel, string>? _log;
    private readonly Lock _gate = new();
    private CarpdConfiguration _configuration;
    private string? _lastText;

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
        _lastText = CarpdConfiguration.TryReadText(_path);
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
            var status = _inner.CreateInterface(config);
            Persist(_configuration.WithInterface(config), $"{config.Name} created");
            return status;
        }
    }

    public VirtualHostStatus SetInterface(string name, InterfaceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            var status = _inner.SetInterface(name, change);
            if (IsPersistent(change) && _configuration.Find(name) is not null)
            {
                Persist(_configuration.WithChange(name, change), $"{name} changed");
            }

            return status;
        }
    }

    public void RemoveInterface(string name)
    {
        lock (_gate)
        {
            _inner.RemoveInterface(name);
            Persist(_configuration.WithoutInterface(name), $"{name} removed");
        }
    }

    public CarpSysctls GetSysctls() => _inner.GetSysctls();

    public CarpSysctls SetSysctl(string name, long value)
    {
        lock (_gate)
        {
            var sysctls = _inner.SetSysctl(name, value);
            Persist(_configuration.WithSysctls(sysctls), $"sysctl {name} set");
            return sysctls;
        }
    }

    public CarpStatisticsSnapshot GetStatistics() => _inner.GetStatistics();

    public void ResetStatistics() => _inner.ResetStatistics();

    public IDisposable Subscribe(Action<CarpEvent> handler) => _inner.Subscribe(handler);

    public void Dispose() => _inner.Dispose();

    private static bool IsPersistent(InterfaceChange change) =>
        change.Vhid is not null || change.AdvBase is not null || change.AdvSkew is not null || change.Key is not null ||
        change.Addresses is not null || change.CarpDev is not null || change.MacMode is not null || change.Profile is not null ||
        change.Groups is not null;

    // Called under _gate after the engine accepted the change: a failed save is logged, not thrown,
    // because the change is already active and the caller must not believe it was refused.
    private void Persist(CarpdConfiguration updated, string what)
    {
        _configuration = updated;
        try
        {
            var onDisk = CarpdConfiguration.TryReadText(_path);
            if (onDisk is not null && _lastText is not null && !string.Equals(onDisk, _lastText, StringComparison.Ordinal))
            {
                AtomicFile.WriteAllText(_path + ".bak", onDisk);
                _log?.Invoke(CarpLogLevel.Warning,
                    $"{_path} was edited while carpd was running; the edited copy is kept as {_path}.bak. Edit the file only while carpd is stopped.");
            }

            var text = updated.Format(onDisk);
            AtomicFile.WriteAllText(_path, text);
            _lastText = text;
            _log?.Invoke(CarpLogLevel.Debug, $"{what}; saved to {_path}.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log?.Invoke(CarpLogLevel.Error,
                $"{what}, but {_path} could not be written ({ex.Message}); the change is active now and will be lost when carpd restarts.");
        }
    }
}
