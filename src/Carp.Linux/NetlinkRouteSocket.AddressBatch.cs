using System.Net;
using System.Runtime.InteropServices;
using static Carp.Linux.NetlinkConstants;

namespace Carp.Linux;

/// <summary>One address of <see cref="NetlinkRouteSocket.AddAddresses(ReadOnlySpan{AddressRequest}, Span{NetlinkException})"/>: <paramref name="Address"/>/<paramref name="PrefixLength"/> on the interface <paramref name="InterfaceIndex"/>.</summary>
public readonly record struct AddressRequest(int InterfaceIndex, IPAddress Address, int PrefixLength)
{
    public override string ToString() => $"{Address}/{PrefixLength} on ifindex {InterfaceIndex}";
}

// Many RTM_NEWADDR in one sendmsg (a mass takeover: docs/ARCHITECTURE.md#address-batches).
public sealed partial class NetlinkRouteSocket
{
    /// <summary>
    /// Requests per sendmsg. The kernel answers only the failed ones (they carry no NLM_F_ACK) and the closing NOOP, so the
    /// receive buffer holds at most this many error replies (about 1 KB of buffer each, far below the default 208 KB).
    /// </summary>
    private const int AddressBatchSize = 128;

    /// <summary>An RTM_NEWADDR with IPv4 or IPv6 attributes fits in this many bytes.</summary>
    private const int AddressRequestMaxLength = 64;

    /// <summary>Where a batch's requests are framed; used under the socket's lock only.</summary>
    private byte[]? _addressBuffer;

    /// <summary>
    /// Adds every address of <paramref name="requests"/> with one sendmsg per 128 of them: each RTM_NEWADDR goes without
    /// NLM_F_ACK and a NLMSG_NOOP with NLM_F_ACK closes the batch, so the kernel, which handles the requests one after the
    /// other in the sender's context and goes on after a failed one, answers only the failures and then the NOOP. Like
    /// <see cref="AddAddress"/>, an address that is already there counts as added.
    /// </summary>
    /// <returns>One element per request, in order: null when the address is present, else why it could not be added.</returns>
    public NetlinkException?[] AddAddresses(IReadOnlyList<AddressRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var all = requests.ToArray();
        var results = new NetlinkException?[all.Length];
        AddAddresses(all, results);
        return results;
    }

    /// <summary>
    /// <see cref="AddAddresses(IReadOnlyList{AddressRequest})"/> without allocating: <paramref name="results"/> (as long as
    /// <paramref name="requests"/>) receives each outcome. Safe to call from any thread; the requests are framed in a
    /// buffer of this socket's under its lock.
    /// </summary>
    public void AddAddresses(ReadOnlySpan<AddressRequest> requests, Span<NetlinkException?> results)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(results.Length, requests.Length, nameof(results));
        for (var start = 0; start < requests.Length; start += AddressBatchSize)
        {
            var count = Math.Min(AddressBatchSize, requests.Length - start);
            var chunk = requests.Slice(start, count);
            var chunkResults = results.Slice(start, count);
            chunkResults.Clear();
            if (!TryAddChunk(chunk, chunkResults))
            {
                // The kernel's replies overran our receive buffer: which requests failed is unknown, so ask one by one (idempotent).
                for (var i = 0; i < count; i++)
                {
                    chunkResults[i] = AddOne(chunk[i]);
                }
            }
        }
    }

    private NetlinkException? AddOne(AddressRequest request)
    {
        try
        {
            AddAddress(request.InterfaceIndex, request.Address, request.PrefixLength);
            return null;
        }
        catch (NetlinkException ex)
        {
            return ex;
        }
    }

    /// <summary>Sends <paramref name="requests"/> and the closing NOOP, then reads replies until the NOOP's ACK; false on an overrun.</summary>
    private bool TryAddChunk(ReadOnlySpan<AddressRequest> requests, Span<NetlinkException?> results)
    {
        var count = requests.Length;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var buffer = _addressBuffer ??= new byte[(AddressBatchSize * AddressRequestMaxLength) + HeaderLength];
            var length = 0;
            uint firstSeq = 0;
            for (var i = 0; i < count; i++)
            {
                var r = requests[i];
                var w = BuildAddressRequest(buffer.AsSpan(length, AddressRequestMaxLength), RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
                    r.InterfaceIndex, r.Address, r.PrefixLength, out var seq, ack: false);
                if (i == 0)
                {
                    firstSeq = seq;
                }
                else if (seq != firstSeq + (uint)i)
                {
                    // Sequence numbers are drawn under no lock: another thread's request took one; keep ours consecutive.
                    MemoryMarshal.Write(buffer.AsSpan(length + 8), firstSeq + (uint)i);
                }

                length += w.Finish().Length;
            }

            var closing = NextSequence();
            while (closing - firstSeq < (uint)count)
            {
                closing = NextSequence();
            }

            var noop = new NetlinkMessageWriter(buffer.AsSpan(length, HeaderLength), NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, closing);
            length += noop.Finish().Length;
            _channel.Send(buffer.AsSpan(0, length));
            while (true)
            {
                int n = _channel.Receive(_receiveBuffer);
                if (n == -LibC.ENOBUFS)
                {
                    return false;
                }

                if (n < 0)
                {
                    throw -n == LibC.EAGAIN
                        ? new NetlinkException("waiting for the kernel's netlink reply", ErrnoETIMEDOUT)
                        : new NetlinkException("recv(netlink)", -n);
                }

                var reader = new NetlinkMessageReader(_receiveBuffer.AsSpan(0, n));
                while (reader.TryRead(out NetlinkMessage m))
                {
                    if (m.Type != NLMSG_ERROR)
                    {
                        continue;
                    }

                    if (m.Sequence == closing)
                    {
                        return true;
                    }

                    var index = m.Sequence - firstSeq;
                    if (index >= (uint)count)
                    {
                        continue; // a stale reply of an earlier, timed-out request
                    }

                    int errno = m.Payload.Length >= 4 ? -MemoryMarshal.Read<int>(m.Payload) : LibC.EAGAIN;
                    if (errno is not 0 and not ErrnoEEXIST)
                    {
                        var r = requests[(int)index];
                        results[(int)index] = new NetlinkException($"RTM_NEWADDR {r.Address}/{r.PrefixLength} on ifindex {r.InterfaceIndex}", errno, ReadExtendedAck(m));
                    }
                }
            }
        }
    }
}
