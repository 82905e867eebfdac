using System.Runtime.InteropServices;

namespace Carp.Linux;

/// <summary>
/// Sends queued Ethernet frames on one interface together: one sendmmsg(2) for a whole timer pass's adverts, instead of
/// one pcap_inject (one sendto) per frame (docs/protocol.md#advert-coalescing). It sends on the capture's own packet
/// socket (pcap_fileno), as pcap_inject does: the kernel does not hand a socket its own frames, so the capture thread is
/// not woken by what we send (another socket's frames would reach it as outgoing and be dropped only in user space).
/// libpcap has no batch send (pcap_sendqueue is WinPcap/Npcap only) and SharpPcap none on Linux, so this is written
/// against libc. Frames are copied into native memory that is reused from flush to flush; nothing is allocated once it
/// has grown. Does not own the socket; one thread at a time (the engine's loop).
/// </summary>
internal sealed unsafe class PacketSender : IDisposable
{
    /// <summary>The largest frame it queues: adverts are 70 or 90 bytes, announcements 42 or 86.</summary>
    public const int MaxFrameLength = 128;

    private const ushort ArpHardwareEther = 1;

    private readonly int _socket;
    private readonly int _ifIndex;
    private byte* _frames;
    private int* _lengths;
    private LibC.IoVec* _iovecs;
    private LibC.SockAddrLl* _addresses;
    private LibC.MMsgHdr* _messages;
    private int _capacity;
    private bool _disposed;

    /// <param name="packetSocket">An AF_PACKET socket that outlives this sender (the capture's).</param>
    /// <param name="ifIndex">The interface the frames go out on.</param>
    public PacketSender(int packetSocket, int ifIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(packetSocket);
        _socket = packetSocket;
        _ifIndex = ifIndex;
        Grow(64);
    }

    /// <summary>Frames queued since the last <see cref="Flush"/>.</summary>
    public int Queued { get; private set; }

    /// <summary>Frames sent by <see cref="Flush"/> since it was opened.</summary>
    public long FramesSent { get; private set; }

    /// <summary>sendmmsg(2) calls made.</summary>
    public long SystemCalls { get; private set; }

    /// <summary>Copies <paramref name="frame"/> into the queue; false for a frame shorter than an Ethernet header or longer than <see cref="MaxFrameLength"/>.</summary>
    public bool Queue(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame.Length is < 14 or > MaxFrameLength)
        {
            return false;
        }

        if (Queued == _capacity)
        {
            Grow(_capacity * 2);
        }

        frame.CopyTo(new Span<byte>(_frames + ((nint)Queued * MaxFrameLength), MaxFrameLength));
        _lengths[Queued++] = frame.Length;
        return true;
    }

    /// <summary>Grows the queue to <paramref name="frames"/> now, so that a mass takeover's pass neither reallocates nor maps pages.</summary>
    public void Reserve(int frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frames > _capacity)
        {
            Grow(frames);
        }
    }

    /// <summary>
    /// Sends the queue and empties it: <paramref name="sent"/> (<see cref="Queued"/> elements) receives whether each frame
    /// went out; returns the errno text of the first failure, or null. sendmmsg stops at a failing frame, so the rest is
    /// sent by a further call that starts behind it.
    /// </summary>
    public string? Flush(Span<bool> sent)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count = Queued;
        Queued = 0;
        BuildMessages(count);

        string? error = null;
        int offset = 0;
        while (offset < count)
        {
            int n = LibC.SendMMsg(_socket, _messages + offset, (uint)(count - offset), 0);
            SystemCalls++;
            if (n > 0)
            {
                sent.Slice(offset, n).Fill(true);
                offset += n;
                FramesSent += n;
                continue;
            }

            int errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno == LibC.EINTR)
            {
                continue;
            }

            // The frame at offset failed; the ones behind it get their own try.
            error ??= $"sendmmsg on interface {_ifIndex} failed: {Errno.Describe(errno)}";
            sent[offset++] = false;
        }

        return error;
    }

    /// <summary>
    /// Runs the queue and the message building once with a frame that is then dropped, nothing sent, so that a takeover's
    /// first advert finds the code compiled and the buffers' pages mapped (BENCHMARKS.md#first-takeover).
    /// </summary>
    public void Rehearse()
    {
        Span<byte> frame = stackalloc byte[MaxFrameLength];
        Queue(frame);
        BuildMessages(Queued);
        Queued = 0;
    }

    /// <summary>The iovec, destination and mmsghdr of each of the first <paramref name="count"/> queued frames.</summary>
    private void BuildMessages(int count)
    {
        for (int i = 0; i < count; i++)
        {
            byte* frame = _frames + ((nint)i * MaxFrameLength);
            _iovecs[i] = new LibC.IoVec { Base = frame, Length = (nuint)_lengths[i] };
            // The EtherType and destination of the frame itself: the kernel sends the bytes as they are.
            var address = new LibC.SockAddrLl
            {
                Family = LibC.AF_PACKET,
                Protocol = *(ushort*)(frame + 12),
                IfIndex = _ifIndex,
                HaType = ArpHardwareEther,
                HaLength = 6,
            };
            Buffer.MemoryCopy(frame, address.Address, 8, 6);
            _addresses[i] = address;
            _messages[i] = new LibC.MMsgHdr
            {
                Header = new LibC.MsgHdr
                {
                    Name = &_addresses[i],
                    NameLength = (uint)sizeof(LibC.SockAddrLl),
                    Iov = &_iovecs[i],
                    IovLength = 1,
                },
            };
        }
    }

    private void Grow(int capacity)
    {
        _frames = (byte*)NativeMemory.Realloc(_frames, (nuint)capacity * MaxFrameLength);
        _lengths = (int*)NativeMemory.Realloc(_lengths, (nuint)capacity * sizeof(int));
        _iovecs = (LibC.IoVec*)NativeMemory.Realloc(_iovecs, (nuint)capacity * (nuint)sizeof(LibC.IoVec));
        _addresses = (LibC.SockAddrLl*)NativeMemory.Realloc(_addresses, (nuint)capacity * (nuint)sizeof(LibC.SockAddrLl));
        _messages = (LibC.MMsgHdr*)NativeMemory.Realloc(_messages, (nuint)capacity * (nuint)sizeof(LibC.MMsgHdr));
        // Touched now, so that no page of the queue is first mapped while a takeover's advert waits (BENCHMARKS.md#first-takeover).
        new Span<byte>(_frames + ((nint)_capacity * MaxFrameLength), (capacity - _capacity) * MaxFrameLength).Clear();
        new Span<byte>(_messages + _capacity, (capacity - _capacity) * sizeof(LibC.MMsgHdr)).Clear();
        new Span<byte>(_addresses + _capacity, (capacity - _capacity) * sizeof(LibC.SockAddrLl)).Clear();
        new Span<byte>(_iovecs + _capacity, (capacity - _capacity) * sizeof(LibC.IoVec)).Clear();
        new Span<int>(_lengths + _capacity, capacity - _capacity).Clear();
        _capacity = capacity;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.Free(_frames);
        NativeMemory.Free(_lengths);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_addresses);
        NativeMemory.Free(_messages);
        _frames = null;
    }
}
