using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Configuration;

/// <summary>
/// Carries out a <see cref="ConfigurationDiff"/> on the engine: destroys what left the file, sets the
/// sysctls, changes interfaces in place, creates the new ones; unchanged interfaces are not touched. A
/// step the engine refuses is recorded and the others still run (nothing is rolled back), so
/// <see cref="ReloadOutcome.Applied"/> is what runs afterwards.
/// </summary>
internal static class ReloadApplication
{
    public static ReloadOutcome Apply(ConfigurationDiff diff, ICarpService engine, CarpdConfiguration running, CarpdConfiguration file)
    {
        var applied = running with { Notify = file.Notify }; // nothing of the engine: it always applies
        var failures = new List<ReloadFailure>();
        var added = new List<string>();
        var changed = new List<string>();
        var removed = new List<string>();
        var sysctls = new List<string>();

        void Step(string what, Action action, Action succeeded)
        {
            try
            {
                action();
                succeeded();
            }
            catch (CarpException ex)
            {
                failures.Add(new ReloadFailure(what, ex));
            }
        }

        foreach (var name in diff.Removed)
        {
            Step($"{name} not removed", () => RemoveRunning(engine, name), () =>
            {
                applied = applied.WithoutInterface(name);
                removed.Add(name);
            });
        }

        foreach (var (descriptor, value) in diff.Sysctls)
        {
            var current = SysctlCatalog.Get(applied.Sysctls, descriptor);
            Step($"{descriptor.FullName} not set to {value}", () => SetSysctl(engine, descriptor, current, value), () =>
            {
                applied = applied.WithSysctls(SysctlCatalog.With(applied.Sysctls, descriptor, value));
                sysctls.Add($"{descriptor.Name}={value}");
            });
        }

        foreach (var (wanted, change) in diff.Changed)
        {
            Step(change is null ? $"{wanted.Name} not re-created" : $"{wanted.Name} not changed", () =>
            {
                if (change is null)
                {
                    RemoveRunning(engine, wanted.Name);
                    engine.CreateInterface(wanted);
                }
                else
                {
                    engine.SetInterface(wanted.Name, change);
                }
            }, () =>
            {
                applied = applied.WithInterface(wanted, file.PassFileOf(wanted.Name));
                changed.Add(wanted.Name);
            });
        }

        foreach (var wanted in diff.Added)
        {
            Step($"{wanted.Name} not created", () => engine.CreateInterface(wanted), () =>
            {
                applied = applied.WithInterface(wanted, file.PassFileOf(wanted.Name));
                added.Add(wanted.Name);
            });
        }

        applied = applied with { Trackers = TrackerReload.Apply(engine, running.Trackers, file.Trackers, failures) };
        var result = new ConfigurationReloadResult
        {
            Added = added,
            Changed = changed,
            Removed = removed,
            Unchanged = diff.Unchanged,
            Sysctls = sysctls,
        };

        // All done: the file is what runs, with its order and warnings.
        // The metrics listener is carpd's, not the engine's: it follows the file either way (ConfigurationReloader).
        return new ReloadOutcome(result, failures.Count == 0 ? file : applied with { Metrics = file.Metrics }, failures);
    }

    private static void RemoveRunning(ICarpService engine, string name)
    {
        try
        {
            engine.RemoveInterface(name);
        }
        catch (CarpException ex) when (ex.Code == CarpErrorCode.InterfaceNotFound)
        {
            // Configured but not running (it failed to start): nothing to stop.
        }
    }

    /// <summary>Sets a sysctl to <paramref name="value"/>; <c>demotion</c> is written as the difference, in steps the engine accepts, because writing it adds.</summary>
    private static void SetSysctl(ICarpService engine, SysctlDescriptor descriptor, long current, long value)
    {
        if (descriptor.Name != "demotion")
        {
            engine.SetSysctl(descriptor.Name, value);
            return;
        }

        for (var delta = value - current; delta != 0;)
        {
            var step = Math.Clamp(delta, descriptor.Minimum, descriptor.Maximum);
            engine.SetSysctl(descriptor.Name, step);
            delta -= step;
        }
    }
}

/// <summary>A step of a reload the engine refused: what was not done, and why.</summary>
internal sealed record ReloadFailure(string What, CarpException Error)
{
    public override string ToString() => $"{What}: {Error.Message}";
}

/// <summary>The result of a reload, the configuration that runs after it, and the steps that failed (none when it all applied).</summary>
internal sealed record ReloadOutcome(ConfigurationReloadResult Result, CarpdConfiguration Applied, IReadOnlyList<ReloadFailure> Failures);
