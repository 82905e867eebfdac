using System.Diagnostics;
using System.Globalization;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS;

/// <summary>What a drill may do: how long the peer keeps the vhid, whether to force mastership back, the margin.</summary>
internal sealed record FailoverDrillOptions(TimeSpan Duration, bool Return, TimeSpan Margin);

/// <summary>
/// One failover drill of one MASTER vhid (docs/protocol.md#failover-test): hand over as maintenance mode does (a
/// bow-out, then BACKUP), measure the takeover through <see cref="FailoverProbe"/>, take the vhid back at once when no
/// backup takes over within the bound plus the margin, otherwise return after the duration, and tell it as a
/// <see cref="CarpFailoverTestResult"/>. The vhid is never left in maintenance mode.
/// </summary>
internal sealed class FailoverDrill(ICarpService service, VirtualHostStatus status, FailoverProbe probe, FailoverDrillOptions options,
    Action<string> verbose, CancellationToken cancel)
{
    private readonly List<(long At, string Kind, string? Detail)> _local = [];
    private readonly string _name = status.Name;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly DateTimeOffset _startTime = DateTimeOffset.Now;

    /// <summary>3 × advbase + 255/256 s: the master-down interval of a backup with this advbase and the largest advskew.</summary>
    public static double BoundMs(byte advBase) => (3 * advBase * 1000.0) + (255 * 1000.0 / 256);

    public CarpFailoverTestResult Run()
    {
        var result = new CarpFailoverTestResult
        {
            Name = _name,
            Vhid = status.Vhid,
            CarpDev = status.CarpDev,
            Address = status.Addresses.Count > 0 ? status.Addresses[0].ToString() : null,
            ComputerName = Environment.MachineName,
            StartTime = _startTime,
            BoundMs = BoundMs(status.AdvBase),
            MarginMs = options.Margin.TotalMilliseconds,
            DurationSeconds = options.Duration.TotalSeconds,
            MeasuredOn = probe.MeasuredOn,
        };
        var suspended = false;
        long t0 = 0;
        try
        {
            probe.Poll();
            if (probe is FailoverWireProbe &&
                !probe.WaitUntil(() => probe.First(_start, o => o.Own && o.Kind == FailoverObservation.Advert) is not null, After(_start, TimeSpan.FromSeconds(status.AdvBase + 1)), cancel))
            {
                result.Reasons.Add($"note: the capture on {status.CarpDev} saw no advert of this node before the bow-out");
            }

            var suspendAt = Mark("Suspend", "maintenance mode on: bow-out");
            _ = service.SetInterface(_name, new InterfaceChange { Maintenance = true });
            suspended = true;
            probe.StartProbing();
            verbose($"{_name} bowed out; waiting up to {result.BoundMs + result.MarginMs:0} ms for a backup to take over vhid {status.Vhid}.");

            // The margin also pays for taking the address back (docs/protocol.md#failover-test): the outage stays within bound + margin.
            var deadline = After(suspendAt, TimeSpan.FromMilliseconds(result.BoundMs) + options.Margin - TakeBackAllowance(options.Margin));
            FailoverObservation? NewMaster() => probe.First(suspendAt, o => !o.Own && o.Kind == FailoverObservation.Advert);
            var taken = probe.WaitUntil(() => NewMaster() is not null, deadline, cancel);
            t0 = probe.First(suspendAt - Stopwatch.Frequency / 100, o => o.Own && o.Kind == FailoverObservation.BowOut)?.Timestamp ?? suspendAt;
            if (!taken)
            {
                verbose($"No backup took over vhid {status.Vhid}: taking it back.");
                var restoreAt = TakeBack(force: true);
                suspended = false;
                result.Verdict = CarpFailoverVerdict.Failed;
                result.Reasons.Add($"no backup took over vhid {status.Vhid} within {result.BoundMs + result.MarginMs:0} ms " +
                    $"(the bound {result.BoundMs:0} ms plus a margin of {result.MarginMs:0} ms); this node took the address back");
                result.Return = "Restored";
                result.OutageMs = Ms(t0, WaitOwnMaster(restoreAt) ?? Stopwatch.GetTimestamp());
                return Finish(result, t0);
            }

            var master = NewMaster()!;
            result.NewMaster = new CarpFailoverPeer { Address = master.Source?.ToString(), Mac = master.Mac };
            result.HandoverMs = Ms(t0, master.Timestamp);
            if (result.HandoverMs > result.BoundMs)
            {
                result.Reasons.Add($"{master.Source} took vhid {status.Vhid} over after {result.HandoverMs:0} ms, beyond the bound of {result.BoundMs:0} ms");
            }

            MeasureOutage(result, suspendAt, deadline);
            _ = probe.WaitUntil(() => false, After(Stopwatch.GetTimestamp(), options.Duration), cancel);
            Return(result, master);
            suspended = false;
            return Finish(result, t0);
        }
        finally
        {
            if (suspended)
            {
                // Stopped (Ctrl+C) or failed halfway: the vhid competes again, never left in maintenance mode.
                _ = service.SetInterface(_name, new InterfaceChange { Maintenance = false });
            }
        }
    }

    private void MeasureOutage(CarpFailoverTestResult result, long suspendAt, long deadline)
    {
        if (probe is not FailoverWireProbe { CanProbe: true })
        {
            return;
        }

        FailoverObservation? Echo() => probe.First(suspendAt, o => o.Kind == FailoverObservation.EchoReply);
        if (!probe.WaitUntil(() => Echo() is not null, deadline, cancel))
        {
            result.Reasons.Add($"{result.Address} gave no echo reply through the wire within {result.BoundMs + result.MarginMs:0} ms of the bow-out");
        }

        var t0 = probe.First(suspendAt - Stopwatch.Frequency / 100, o => o.Own && o.Kind == FailoverObservation.BowOut)?.Timestamp ?? suspendAt;
        if (probe.First(suspendAt, o => o.Kind == FailoverObservation.ArpReply) is { } arp)
        {
            result.ArpMs = Ms(t0, arp.Timestamp);
            result.NewMaster!.ArpMac = arp.Mac;
        }

        if (Echo() is { } echo)
        {
            result.OutageMs = Ms(t0, echo.Timestamp);
        }
    }

    /// <summary>After the duration: resume; with preempt and a faster advert this node takes the vhid back, -Return forces it.</summary>
    private void Return(CarpFailoverTestResult result, FailoverObservation peer)
    {
        var preempt = service.GetSysctls().Preempt;
        var peerInterval = CarpTiming.Interval(peer.AdvBase, peer.AdvSkew);
        var byPreempt = preempt && CarpTiming.Interval(status.AdvBase, status.AdvertisedAdvSkew) < peerInterval;
        var resumeAt = Mark("Resume", "maintenance mode off");
        _ = service.SetInterface(_name, new InterfaceChange { Maintenance = false });
        if (byPreempt)
        {
            var master = WaitOwnMaster(resumeAt, TimeSpan.FromMilliseconds(peerInterval / 1000.0) + options.Margin);
            if (master is { } at)
            {
                result.Return = "Preempt";
                result.ReturnMs = Ms(resumeAt, at);
                return;
            }

            result.Reasons.Add($"vhid {status.Vhid} did not come back by preempt within {(peerInterval / 1000.0) + result.MarginMs:0} ms of the resume");
            result.Verdict = CarpFailoverVerdict.Failed;
        }

        if (options.Return)
        {
            var forceAt = TakeBack(force: true, resume: false);
            result.Return = "Forced";
            result.ReturnMs = WaitOwnMaster(forceAt) is { } at ? Ms(forceAt, at) : null;
            return;
        }

        if (!byPreempt)
        {
            result.Reasons.Add(preempt
                ? $"note: vhid {status.Vhid} stays with {peer.Source}: it advertises as fast or faster; -Return takes it back"
                : $"note: vhid {status.Vhid} stays with {peer.Source}: preempt is off; -Return takes it back");
        }
    }

    /// <summary>Resumes (unless told not to) and forces MASTER; returns when it was asked.</summary>
    private long TakeBack(bool force, bool resume = true)
    {
        var at = Mark(resume ? "Resume" : "ForceMaster", resume ? "maintenance mode off, forced MASTER" : "forced MASTER");
        if (resume)
        {
            _ = service.SetInterface(_name, new InterfaceChange { Maintenance = false });
        }

        if (force)
        {
            _ = service.SetInterface(_name, new InterfaceChange { State = CarpState.Master });
        }

        return at;
    }

    /// <summary>When this node was master again after <paramref name="since"/>: its first advert on the wire, or the engine's state.</summary>
    private long? WaitOwnMaster(long since, TimeSpan? within = null)
    {
        long? stateAt = null;
        bool Done()
        {
            if (stateAt is null && service.GetInterfaces().FirstOrDefault(s => s.Name == _name)?.State == CarpState.Master)
            {
                stateAt = Mark("Master", "this node is MASTER");
            }

            return probe is FailoverWireProbe
                ? probe.First(since, o => o.Own && o.Kind == FailoverObservation.Advert) is not null
                : stateAt is not null;
        }

        var deadline = After(since, within ?? TimeSpan.FromSeconds(status.AdvBase) + options.Margin);
        if (!probe.WaitUntil(Done, deadline, cancel))
        {
            return stateAt;
        }

        return probe is FailoverWireProbe ? probe.First(since, o => o.Own && o.Kind == FailoverObservation.Advert)!.Timestamp : stateAt;
    }

    private CarpFailoverTestResult Finish(CarpFailoverTestResult result, long t0)
    {
        if (result.Verdict == CarpFailoverVerdict.Passed && result.Reasons.Any(r => !r.StartsWith("note: ", StringComparison.Ordinal)))
        {
            result.Verdict = CarpFailoverVerdict.Failed;
        }

        var events = probe.Observations.Where(o => o.Timestamp >= _start)
            .Select(o => (o.Timestamp, Event: new CarpFailoverEvent
            {
                Kind = o.Kind,
                Source = o.Own ? $"{o.Source} (this node)" : o.Source?.ToString(),
                Mac = o.Mac,
                Detail = o.Kind is FailoverObservation.Advert or FailoverObservation.BowOut
                    ? string.Create(CultureInfo.InvariantCulture, $"advbase {o.AdvBase} advskew {o.AdvSkew}") : null,
            }))
            .Concat(_local.Select(l => (Timestamp: l.At, Event: new CarpFailoverEvent { Kind = l.Kind, Source = "this node", Detail = l.Detail })))
            .OrderBy(e => e.Timestamp);
        foreach (var (at, e) in events)
        {
            e.OffsetMs = Math.Round(Ms(t0, at), 1);
            e.Time = _startTime + Stopwatch.GetElapsedTime(_start, at);
            result.Timeline.Add(e);
        }

        return result;
    }

    private long Mark(string kind, string detail)
    {
        var at = Stopwatch.GetTimestamp();
        _local.Add((at, kind, detail));
        return at;
    }

    private static long After(long from, TimeSpan span) => from + (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>The part of the margin kept for taking the address back when no backup came: a fifth of it, at most 200 ms.</summary>
    private static TimeSpan TakeBackAllowance(TimeSpan margin) => TimeSpan.FromTicks(Math.Min(margin.Ticks / 5, TimeSpan.FromMilliseconds(200).Ticks));

    private static double Ms(long from, long to) => Math.Round((to - from) * 1000.0 / Stopwatch.Frequency, 1);
}
