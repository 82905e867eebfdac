using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Security;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace CarpPS.Commands;

/// <summary>
/// Listens passively on a segment and reports every CARP vhid and VRRP VRID seen, with findings: split brain, vhid
/// collision, pass mismatch, protocol clash, a master gone silent (docs/protocol.md#segment-watch). Sends nothing, needs
/// no carp interface and no Connect-CarpService: a pcap capture here (CAP_NET_RAW), the in-memory LAN of a
/// -Simulation session, or carpd's watchNetwork with -Service. Frames are read on capture threads and written from the
/// pipeline thread only.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "CarpNetwork", DefaultParameterSetName = Here, HelpUri = CarpHelpUri.Base + "Watch-CarpNetwork.md")]
[OutputType(typeof(CarpSegmentEntry))]
public sealed class WatchCarpNetworkCommand : PSCmdlet, IDisposable
{
    private const string Here = "Here";
    private const string ViaCarpd = "Service";
    private static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The interfaces to listen on (the segment's carpdevs, or any interface of this host).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("CarpDev")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CarpDevCompleter))]
    public string[] Interface { get; set; } = [];

    /// <summary>How long to listen: seconds, or a duration such as '30s' or 500ms. Default 10 s; with -Continuous, until Ctrl+C.</summary>
    [Parameter]
    [SegmentDurationTransformation]
    public TimeSpan Duration { get; set; }

    /// <summary>Write each change as it happens instead of one object per vhid at the end.</summary>
    [Parameter(ParameterSetName = Here)]
    public SwitchParameter Continuous { get; set; }

    /// <summary>Only this vhid / VRID.</summary>
    [Parameter]
    [ValidateRange(1, 255)]
    public byte Vhid { get; set; }

    /// <summary>The CARP pass: adverts whose HMAC fails with it are a PassMismatch.</summary>
    [Parameter]
    [CarpPassTransformation]
    public SecureString? Pass { get; set; }

    /// <summary>Addresses the vhids are expected to carry (CARP's HMAC covers them; adverts do not carry them).</summary>
    [Parameter]
    public IPAddress[] Address { get; set; } = [];

    /// <summary>Ask carpd (the -Session or connected carpd, else /run/carpd/carpd.sock) to watch from its host.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ViaCarpd)]
    public SwitchParameter Service { get; set; }

    /// <summary>A session from Connect-CarpService -PassThru: a Simulation session listens on its in-memory LAN, a carpd one serves -Service.</summary>
    [Parameter]
    public CarpSession? Session { get; set; }

    protected override void EndProcessing()
    {
        var key = CarpPass.ToKey(Pass, out var truncated);
        if (truncated)
        {
            WriteWarning(CarpPass.TruncatedWarning);
        }

        var duration = MyInvocation.BoundParameters.ContainsKey(nameof(Duration)) ? Duration : Continuous ? Timeout.InfiniteTimeSpan : DefaultDuration;
        if (duration != Timeout.InfiniteTimeSpan && (duration <= TimeSpan.Zero || (Service && duration > SegmentWatchRequest.MaxDuration)))
        {
            ThrowTerminatingError(CarpErrors.Create(CarpErrorCode.InvalidArgument,
                $"-Duration {duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s is not valid: a watch lasts more than 0 s{(Service ? $" and, through carpd, at most {SegmentWatchRequest.MaxDuration.TotalSeconds:0} s" : string.Empty)}.",
                "Pass to -Duration a number of seconds or a duration such as '30s'.", Duration));
        }

        var options = new SegmentWatchOptions
        {
            Pass = key.IsEmpty ? null : key,
            Vhid = MyInvocation.BoundParameters.ContainsKey(nameof(Vhid)) ? Vhid : null,
            Addresses = Address,
        };
        var session = Session ?? CarpSessionRegistry.PeekCurrent();
        if (Service)
        {
            WatchThroughCarpd(session, options, duration);
            return;
        }

        using var monitor = new SegmentMonitor(options);
        try
        {
            Open(monitor, session);
        }
        catch (CarpException e)
        {
            ThrowTerminatingError(CarpErrors.FromException(e.Code == CarpErrorCode.UnknownCarpDev
                ? CarpErrors.Refusal(e.Code, e.Message, "Pass to -Interface an interface of this host ('ip link'); with Connect-CarpService -Simulation, one of its -CarpDev names.", e)
                : e.Code == CarpErrorCode.NotPermitted
                    ? CarpErrors.Refusal(e.Code, e.Message, "Run PowerShell as root (or grant CAP_NET_RAW), or ask carpd to watch with -Service.", e)
                    : e, Interface));
        }

        var end = duration == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + duration;
        while (!_stop.IsCancellationRequested && DateTime.UtcNow < end)
        {
            var left = end - DateTime.UtcNow;
            monitor.WaitForChange(left < Poll ? left : Poll, _stop.Token);
            if (Continuous)
            {
                WriteChanges(monitor, monitor.TakeChanges());
            }
        }

        if (Continuous)
        {
            WriteChanges(monitor, monitor.TakeChanges());
        }
        else
        {
            foreach (var entry in monitor.Snapshot())
            {
                WriteObject(new CarpSegmentEntry(entry, CarpSegmentEventKind.Summary));
            }
        }

        WriteVerbose($"{monitor.Frames} frames read, {monitor.BadPackets} bad packets dropped, {monitor.IgnoredPackets} ignored, {monitor.HmacUnchecked} HMACs unchecked (no address of their vhid known).");
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();

    private void Open(SegmentMonitor monitor, CarpSession? session)
    {
        if (session is { Kind: CarpSessionKind.Simulation, IsOpen: true })
        {
            foreach (var name in Interface)
            {
                if (!session.CarpDev.Contains(name, StringComparer.Ordinal))
                {
                    throw CarpRefusals.NoSuchCarpDev(name, $"on the simulated LAN; its carpdevs are {string.Join(", ", session.CarpDev)}");
                }

                monitor.AddSource(new InMemoryWire([name]).OpenPort(name, monitor.Attach(name)));
            }

            return;
        }

        SegmentCapture.Open(monitor, Interface);
    }

    private void WatchThroughCarpd(CarpSession? session, SegmentWatchOptions options, TimeSpan duration)
    {
        if (duration == Timeout.InfiniteTimeSpan)
        {
            duration = DefaultDuration;
        }

        var path = session is { Kind: CarpSessionKind.Carpd, Path: { } p } ? p : CarpSessionRegistry.DefaultSocketPath;
        SegmentWatchResult result;
        try
        {
            result = SegmentWatchControl.Watch(path, new SegmentWatchRequest
            {
                Interfaces = Interface,
                Duration = duration,
                Vhid = options.Vhid,
                Pass = options.Pass,
                Addresses = options.Addresses,
            });
        }
        catch (CarpException e)
        {
            ThrowTerminatingError(CarpErrors.FromException(e, Interface));
            return;
        }

        foreach (var entry in result.Entries)
        {
            WriteObject(new CarpSegmentEntry(entry, CarpSegmentEventKind.Summary));
        }

        WriteVerbose($"carpd read {result.Frames} frames, dropped {result.BadPackets} bad packets, ignored {result.IgnoredPackets}, left {result.HmacUnchecked} HMACs unchecked.");
    }

    private void WriteChanges(SegmentMonitor monitor, IReadOnlyList<object> changes)
    {
        // A finding is written with its vhid as it is now; entry changes as they were.
        IReadOnlyList<SegmentEntry>? now = null;
        foreach (var change in changes)
        {
            switch (change)
            {
                case SegmentFinding finding:
                    now ??= monitor.Snapshot();
                    if (now.FirstOrDefault(e => e.Interface == finding.Interface && e.Protocol == finding.Protocol && e.Family == finding.Family
                        && e.Vhid == finding.Vhid) is { } current)
                    {
                        WriteObject(new CarpSegmentEntry(current, CarpSegmentEventKind.Finding, finding));
                    }

                    break;
                case SegmentEntry entry:
                    WriteObject(new CarpSegmentEntry(entry, CarpSegmentEventKind.Update));
                    break;
            }
        }
    }
}

/// <summary>-Duration takes seconds as a number, a TimeSpan, or a duration such as '30s' or 500ms.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SegmentDurationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        try
        {
            return value switch
            {
                TimeSpan span => span,
                string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) => TimeSpan.FromSeconds(seconds),
                string text => CarpInterval.Parse(text),
                _ when value is not null && (value.GetType().IsPrimitive || value is decimal) =>
                    TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
                _ => throw new ArgumentTransformationMetadataException("-Duration takes seconds or a duration such as '30s'."),
            };
        }
        catch (ArgumentTransformationMetadataException)
        {
            throw new ArgumentTransformationMetadataException($"-Duration '{value}' is not a duration: write seconds (10) or e.g. '30s', 500ms.");
        }
    }
}
