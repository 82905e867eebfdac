using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Engine.Tests.Hosting;

/// <summary>
/// One carpdev "eth0" that takes every frame and, like the Linux wire, holds a pass's addresses for its end; its
/// <see cref="Journal"/> tells in which order addresses, adverts and gratuitous ARPs came.
/// </summary>
internal sealed class BatchingWire : ICarpWire
{
    private readonly List<VirtualHostConfig> _held = [];
    private int _advertised;
    private bool _batching;

    public bool Batches { get; init; } = true;

    /// <summary>
    /// While the batch is flushed, report the host held in this place (1-based) as added, as the Linux wire does while its
    /// second thread still adds the rest; 0: report nothing early.
    /// </summary>
    public int ReportAddedAt { get; init; }

    /// <summary>
    /// What happened, in order: <c>hold NAME</c> (an address held for the batch), <c>add NAME</c> (added at once),
    /// <c>flush-begin</c> / <c>flush-end</c> (the address batch), <c>advert VHID</c> and <c>garp IP</c> (frames as they left).
    /// </summary>
    public ConcurrentQueue<string> Journal { get; } = new();

    /// <summary>How often the service said a timer pass sent adverts (<see cref="ICarpWire.Advertised"/>).</summary>
    public int Advertised => Volatile.Read(ref _advertised);

    public event Action<string, bool>? LinkChanged
    {
        add { }
        remove { }
    }

    public event Action<string?>? AddressesChanged
    {
        add { }
        remove { }
    }

    public IWirePort OpenPort(string carpDev, FrameHandler onFrame) => new Port(Journal);

    public void PrepareInterface(VirtualHostConfig config)
    {
    }

    public void ReleaseInterface(VirtualHostConfig config)
    {
    }

    public void SetAddresses(VirtualHostConfig config, IReadOnlyList<CarpAddress> addresses, bool present)
    {
        if (!present)
        {
            return;
        }

        var held = _batching;
        Journal.Enqueue($"{(held ? "hold" : "add")} {config.Name}");
        if (held)
        {
            _held.Add(config);
        }
    }

    public bool BeginAddressBatch() => _batching = Batches;

    void ICarpWire.FlushAddressBatch(Action<VirtualHostConfig, string> failed, Action<VirtualHostConfig>? added)
    {
        _batching = false;
        Journal.Enqueue("flush-begin");
        if (ReportAddedAt > 0 && ReportAddedAt <= _held.Count)
        {
            added?.Invoke(_held[ReportAddedAt - 1]);
        }

        Journal.Enqueue("flush-end");
        _held.Clear();
    }

    /// <summary>Each in-place change of a host's address list the service reported, old and new.</summary>
    public List<(VirtualHostConfig Old, VirtualHostConfig New)> Reconfigured { get; } = [];

    void ICarpWire.AddressesReconfigured(VirtualHostConfig old, VirtualHostConfig config) => Reconfigured.Add((old, config));

    void ICarpWire.Advertised() => Interlocked.Increment(ref _advertised);

    public void Dispose()
    {
    }

    private sealed class Port(ConcurrentQueue<string> journal) : IWirePort
    {
        private readonly List<string> _queued = [];

        public string Name => "eth0";

        public PhysicalAddress Mac { get; } = new([0x02, 0, 0, 0, 0, 1]);

        public IPAddress? IPv4 => IPAddress.Parse("192.0.2.1");

        public IPAddress? IPv6 => null;

        public bool LinkUp => true;

        public long CaptureDrops => 0;

        public void RefreshAddresses()
        {
        }

        public bool Send(ReadOnlySpan<byte> frame)
        {
            journal.Enqueue(Describe(frame));
            return true;
        }

        public bool CanQueue => true;

        public int Queued => _queued.Count;

        public bool Queue(ReadOnlySpan<byte> frame)
        {
            if (frame.IsEmpty)
            {
                return false; // like the Linux port: an empty frame is refused
            }

            _queued.Add(Describe(frame));
            return true;
        }

        public string? Flush(Span<bool> sent)
        {
            for (var i = 0; i < _queued.Count; i++)
            {
                journal.Enqueue(_queued[i]);
                if (i < sent.Length)
                {
                    sent[i] = true;
                }
            }

            _queued.Clear();
            return null;
        }

        /// <summary>An IPv4 CARP advert by its vhid, a gratuitous ARP by its sender address, anything else by its EtherType.</summary>
        private static string Describe(ReadOnlySpan<byte> frame) =>
            frame.Length >= 36 && frame[12] == 0x08 && frame[13] == 0x00 && frame[23] == 112 ? $"advert {frame[35]}"
            : frame.Length >= 32 && frame[12] == 0x08 && frame[13] == 0x06 ? $"garp {new IPAddress(frame.Slice(28, 4))}"
            : $"frame 0x{frame[12]:x2}{frame[13]:x2}";

        public void Dispose()
        {
        }
    }
}
