using System.Runtime.InteropServices;
using Carp.Engine.Core;
using static Carp.Linux.NetlinkConstants;

namespace Carp.Linux;

/// <summary>Called for each reply message of a request (not for ACK/DONE).</summary>
internal delegate void NetlinkReplyHandler(NetlinkMessage message);

/// <summary>
/// rtnetlink requests over a raw NETLINK_ROUTE socket: link queries and changes (NetlinkRouteSocket.Links.cs),
/// addresses (NetlinkRouteSocket.Addresses.cs) and macvlan creation (NetlinkRouteSocket.Macvlan.cs); this file holds the transport.
/// The socket works in the network namespace of the thread that created it (see
/// <see cref="NetworkNamespace"/>). Every request asks for an ACK; kernel errors become
/// <see cref="NetlinkException"/> with the errno name. Thread-safe (requests are serialised).
/// </summary>
public sealed partial class NetlinkRouteSocket : IDisposable
{
    private const int ErrnoENOENT = 2;
    private const int ErrnoEEXIST = 17;
    private const int ErrnoENODEV = 19;
    private const int ErrnoEADDRNOTAVAIL = 99;
    private const int ErrnoETIMEDOUT = 110;
    private const int MaxDumpAttempts = 5;

    private readonly NetlinkChannel _channel;
    private readonly Lock _gate = new();
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private uint _sequence = (uint)Environment.TickCount;
    private bool _disposed;

    /// <summary>Opens the socket in the calling thread's network namespace.</summary>
    /// <param name="replyTimeout">How long to wait for the kernel's answer (default 5 s).</param>
    public NetlinkRouteSocket(TimeSpan? replyTimeout = null)
    {
        _channel = new NetlinkChannel(replyTimeout ?? TimeSpan.FromSeconds(5));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _channel.Dispose();
        }
    }

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > CarpLimits.InterfaceNameMaxLength)
        {
            throw new ArgumentException($"Interface name '{name}' is longer than {CarpLimits.InterfaceNameMaxLength} characters.", nameof(name));
        }
    }

    private delegate int DumpRequestBuilder(Span<byte> buffer, uint sequence);

    /// <summary>Runs a dump; restarts it when the kernel flags it as interrupted (NLM_F_DUMP_INTR).</summary>
    private void Dump<T>(string operation, List<T> result, DumpRequestBuilder build, NetlinkReplyHandler onMessage)
    {
        Span<byte> buffer = stackalloc byte[64];
        for (int attempt = 1; ; attempt++)
        {
            result.Clear();
            uint seq = NextSequence();
            int length = build(buffer, seq);
            bool interrupted = false;
            int errno = Execute(buffer[..length], seq, m =>
            {
                if ((m.Flags & NLM_F_DUMP_INTR) != 0)
                {
                    interrupted = true;
                }

                onMessage(m);
            }, out string? kernelMessage);
            if (errno != 0)
            {
                throw new NetlinkException(operation, errno, kernelMessage);
            }

            if (!interrupted || attempt >= MaxDumpAttempts)
            {
                return;
            }
        }
    }

    private uint NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>
    /// Sends one request and reads replies until its ACK/error (or DONE for dumps).
    /// Returns 0 or the positive errno the kernel reported.
    /// </summary>
    private int Execute(ReadOnlySpan<byte> request, uint seq, NetlinkReplyHandler? onMessage, out string? kernelMessage)
    {
        kernelMessage = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _channel.Send(request);
            while (true)
            {
                int n = _channel.Receive(_receiveBuffer);
                if (n < 0)
                {
                    int errno = -n;
                    throw errno == LibC.EAGAIN
                        ? new NetlinkException("waiting for the kernel's netlink reply", ErrnoETIMEDOUT)
                        : new NetlinkException("recv(netlink)", errno);
                }

                var reader = new NetlinkMessageReader(_receiveBuffer.AsSpan(0, n));
                while (reader.TryRead(out NetlinkMessage m))
                {
                    if (m.Sequence != seq)
                    {
                        continue; // a stale reply of an earlier, timed-out request
                    }

                    switch (m.Type)
                    {
                        case NLMSG_ERROR:
                            int error = m.Payload.Length >= 4 ? MemoryMarshal.Read<int>(m.Payload) : -LibC.EAGAIN;
                            if (error != 0)
                            {
                                kernelMessage = ReadExtendedAck(m);
                            }

                            return -error;
                        case NLMSG_DONE:
                            int status = m.Payload.Length >= 4 ? MemoryMarshal.Read<int>(m.Payload) : 0;
                            return status < 0 ? -status : 0;
                        case NLMSG_NOOP:
                            break;
                        default:
                            onMessage?.Invoke(m);
                            break;
                    }
                }
            }
        }
    }

    /// <summary>The NLMSGERR_ATTR_MSG text of an error reply, if the kernel sent one.</summary>
    private static string? ReadExtendedAck(NetlinkMessage m)
    {
        if ((m.Flags & NLM_F_ACK_TLVS) == 0 || m.Payload.Length < 4 + HeaderLength)
        {
            return null;
        }

        int offset = 4 + HeaderLength;
        if ((m.Flags & NLM_F_CAPPED) == 0)
        {
            uint originalLength = MemoryMarshal.Read<uint>(m.Payload[4..]);
            offset = 4 + Align((int)originalLength);
        }

        if (offset >= m.Payload.Length)
        {
            return null;
        }

        var attrs = new NetlinkAttributeReader(m.Payload[offset..]);
        while (attrs.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            if (type == NLMSGERR_ATTR_MSG)
            {
                return NetlinkAttributeReader.ReadString(value);
            }
        }

        return null;
    }
}
