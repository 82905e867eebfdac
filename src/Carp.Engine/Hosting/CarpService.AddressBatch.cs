using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// A timer pass's takeovers carried out together (docs/ARCHITECTURE.md#address-batches): the core's takeover adverts leave
/// in the pass's advert batch at its end (docs/protocol.md#advert-coalescing), the wire holds back the addresses of the pass and adds them in one batch at its end, and the
/// announcements of the pass wait for the batch, so every host still goes advert, then addresses, then gratuitous ARP.
/// </summary>
public sealed partial class CarpService
{
    private readonly List<VirtualHost> _announceAfterBatch = [];
    private readonly List<(VirtualHost Host, byte[] Frame)> _arpAfterBatch = [];
    private readonly List<(CarpLogLevel Level, string Message, CarpEvent Event)> _noticesAfterPass = [];
    private bool _inTimerPass;
    private Action<VirtualHostConfig, string>? _batchAddFailed;
    private bool _addressBatchOpen;
    private bool _announcingBatch;

    /// <summary>The loop's timer step: the core's due timers inside an address batch (when the wire batches), then the batch.</summary>
    private void RunTimers()
    {
        _inTimerPass = true;
        _addressBatchOpen = _wire.BeginAddressBatch();
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

            _inTimerPass = false;
            NotifyAfterPass();
        }
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

        Log(level, 1, message);
        Publish(e);
    }

    private void NotifyAfterPass()
    {
        if (_noticesAfterPass.Count == 0)
        {
            return;
        }

        foreach (var (level, message, e) in _noticesAfterPass)
        {
            Log(level, 1, message);
            Publish(e);
        }

        _noticesAfterPass.Clear();
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

    private void FlushAddressBatch()
    {
        _addressBatchOpen = false;
        try
        {
            _wire.FlushAddressBatch(_batchAddFailed ??= (config, error) =>
                Log(CarpLogLevel.Error, 0, $"{config.Name}: could not add an address: {error}"));
        }
        catch (Exception ex)
        {
            Log(CarpLogLevel.Error, 0, $"could not add the addresses of this timer pass: {ex.Message}");
        }

        _announcingBatch = true;
        // The pass's announcements leave together too: one sendmmsg per carpdev for a mass switch's gratuitous ARPs.
        _batch.Begin();
        try
        {
            foreach (var host in _announceAfterBatch)
            {
                // A host that left MASTER later in the same pass announces nothing.
                if (host.State == CarpState.Master)
                {
                    ((ICarpOutput)this).Announce(host);
                }
            }

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
