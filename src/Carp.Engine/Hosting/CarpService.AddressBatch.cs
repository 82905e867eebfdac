using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// A timer pass's takeovers carried out together (docs/ARCHITECTURE.md#address-batches): the core's takeover adverts leave
/// in the pass's advert batch at its end (docs/protocol.md#advert-coalescing), the wire holds back the addresses of the pass
/// and adds them in batches (at its end, or meanwhile on a thread of its own), and each host's announcements wait until its
/// addresses are in.
/// </summary>
public sealed partial class CarpService
{
    private readonly List<VirtualHost> _announceAfterBatch = [];
    private readonly List<(VirtualHost Host, byte[] Frame)> _arpAfterBatch = [];
    private readonly List<(CarpLogLevel Level, string Message, CarpEvent Event)> _noticesAfterPass = [];
    private static readonly TimeSpan NoticeHoldWindow = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan NoticeHoldLimit = TimeSpan.FromMilliseconds(50);
    private bool _inTimerPass;
    private bool _advertisedInPass;
    private long? _noticesHeldSince;
    private Action<VirtualHostConfig, string>? _batchAddFailed;
    private Action<VirtualHostConfig>? _batchAdded;
    private int _announced;
    private bool _addressBatchOpen;
    private bool _wireBatchesAddresses;
    private bool _announcingBatch;

    /// <summary>
    /// The loop's timer step: the core's due timers inside an address batch (when the wire batches), then the batch; when
    /// the pass sent adverts, the wire hears so (its proof of life: <see cref="ICarpWire.Advertised"/>).
    /// </summary>
    private void RunTimers()
    {
        BeginPass();
        _addressBatchOpen = _wire.BeginAddressBatch();
        _wireBatchesAddresses = _addressBatchOpen;
        try
        {
            _node.RunDueTimers();
        }
        finally
        {
            if (_addressBatchOpen)
            {
                FlushAddressBatch();
            }

            EndPass();
        }
    }

    private void BeginPass()
    {
        _inTimerPass = true;
        _advertisedInPass = false;
    }

    /// <summary>
    /// The end of a timer pass: the wire hears of its adverts, then the notices go out (or wait). The rehearsal's passes
    /// tell the wire too: nobody holds addresses yet, so nothing is written, but a BACKUP's first takeover no longer makes
    /// that call for the first time (it took 0.7 ms there: BENCHMARKS.md#scale).
    /// </summary>
    private void EndPass()
    {
        _inTimerPass = false;
        if (_advertisedInPass)
        {
            _wire.Advertised();
        }

        NotifyAfterPass();
    }

    /// <summary>
    /// A transition's log line and event: told at once, or, inside a timer pass, after the pass's adverts, addresses and
    /// announcements, so that writing a log line never delays a takeover's advert (docs/ARCHITECTURE.md#address-batches).
    /// </summary>
    private void Notify(CarpLogLevel level, string message, CarpEvent e)
    {
        if (_inTimerPass)
        {
            _noticesAfterPass.Add((level, message, e));
            return;
        }

        if (_rehearsing)
        {
            return;
        }

        DeliverHeldNotices(); // what earlier passes held goes first: notices keep their order
        Log(level, 1, message);
        Publish(e);
    }

    /// <summary>
    /// After a timer pass: the pass's notices, unless this wire batches addresses and another timer falls due within
    /// <see cref="NoticeHoldWindow"/> — in a mass takeover the next vhids' deadlines are microseconds apart, and 255 log lines
    /// and events between two passes made the later takeovers late (BENCHMARKS.md#scale). Held notices go out after the first
    /// pass with no timer that close, and never later than <see cref="NoticeHoldLimit"/> after they were first held.
    /// </summary>
    private void NotifyAfterPass()
    {
        if (_noticesAfterPass.Count == 0)
        {
            return;
        }

        var now = _node.Now;
        _noticesHeldSince ??= now;
        if (_wireBatchesAddresses && !_rehearsing && _node.NextDeadline is { } next &&
            next - now <= _node.ToTimestamp((long)NoticeHoldWindow.TotalMicroseconds) &&
            now - _noticesHeldSince.Value < _node.ToTimestamp((long)NoticeHoldLimit.TotalMicroseconds))
        {
            return;
        }

        DeliverHeldNotices();
    }

    private void DeliverHeldNotices()
    {
        _noticesHeldSince = null;
        if (_noticesAfterPass.Count == 0)
        {
            return;
        }

        foreach (var (level, message, e) in _noticesAfterPass)
        {
            if (!_rehearsing)
            {
                Log(level, 1, message);
                Publish(e);
            }
        }

        _noticesAfterPass.Clear();
    }

    /// <summary>
    /// Makes room for a pass in which every virtual host of <paramref name="device"/> takes over (BENCHMARKS.md#scale): its
    /// adverts (IPv4 and IPv6) and then its announcements (one per address) are queued on the port, and the service's
    /// queues grow to match, as hosts are created rather than in the pass.
    /// </summary>
    private void ReserveBatches(CarpDevice device)
    {
        var addresses = 0;
        foreach (var host in _node.VirtualHosts)
        {
            if (host.Device == device)
            {
                addresses += host.Config.Addresses.Count;
            }
        }

        var frames = Math.Max(2 * device.Count, addresses);
        _ports[device.Name].Reserve(frames);
        _batch.Reserve(2 * _node.VirtualHosts.Count);
        _announceAfterBatch.EnsureCapacity(_node.VirtualHosts.Count);
        _noticesAfterPass.EnsureCapacity(_node.VirtualHosts.Count);
    }

    /// <summary>True when the announcement of <paramref name="host"/> waits for the pass's address batch (its addresses are in it).</summary>
    private bool DeferAnnounce(VirtualHost host)
    {
        if (!_addressBatchOpen || _announcingBatch || host.State != CarpState.Master)
        {
            return false;
        }

        _announceAfterBatch.Add(host);
        return true;
    }

    /// <summary>
    /// The wire has added the addresses of the host of <paramref name="config"/> and of every host held before it: their
    /// announcements (hosts were held and their announcements deferred in the same order) leave now.
    /// </summary>
    private void AnnounceAdded(VirtualHostConfig config)
    {
        for (var i = _announced; i < _announceAfterBatch.Count; i++)
        {
            if (ReferenceEquals(_announceAfterBatch[i].Config, config))
            {
                AnnounceHeld(i + 1);
                _batch.Flush([], static (_, _) => { });
                _batch.Begin();
                return;
            }
        }
    }

    /// <summary>Announces the deferred hosts up to <paramref name="end"/> not announced yet.</summary>
    private void AnnounceHeld(int end)
    {
        for (; _announced < end; _announced++)
        {
            // A host that left MASTER later in the same pass announces nothing.
            var host = _announceAfterBatch[_announced];
            if (host.State == CarpState.Master)
            {
                ((ICarpOutput)this).Announce(host);
            }
        }
    }

    /// <summary>
    /// The end of the pass's address batch: the pass's announcements leave together too (one sendmmsg per carpdev for a
    /// mass switch's gratuitous ARPs), and while the wire still adds on a thread of its own, those of the hosts it reports
    /// added leave meanwhile, a run at a time (docs/ARCHITECTURE.md#address-batches).
    /// </summary>
    private void FlushAddressBatch()
    {
        _addressBatchOpen = false;
        _announcingBatch = true;
        _announced = 0;
        _batch.Begin();
        try
        {
            try
            {
                _wire.FlushAddressBatch(
                    _batchAddFailed ??= (config, error) => Log(CarpLogLevel.Error, 0, $"{config.Name}: could not add an address: {error}"),
                    _batchAdded ??= AnnounceAdded);
            }
            catch (Exception ex)
            {
                Log(CarpLogLevel.Error, 0, $"could not add the addresses of this timer pass: {ex.Message}");
            }

            AnnounceHeld(_announceAfterBatch.Count);
            foreach (var (host, frame) in _arpAfterBatch)
            {
                ((ICarpOutput)this).SendArp(host, frame);
            }
        }
        finally
        {
            _batch.Flush([], static (_, _) => { });
            _announcingBatch = false;
            _announceAfterBatch.Clear();
            _arpAfterBatch.Clear();
        }
    }
}
