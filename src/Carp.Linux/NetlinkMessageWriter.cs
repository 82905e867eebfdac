using System.Runtime.InteropServices;
using System.Text;
using static Carp.Linux.NetlinkConstants;

namespace Carp.Linux;

/// <summary>
/// Builds one netlink message (header, fixed family header, attributes) in a caller-supplied span.
/// All integers are written in host byte order as netlink requires; attributes are 4-byte aligned
/// and padded with zeros.
/// </summary>
internal ref struct NetlinkMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public NetlinkMessageWriter(Span<byte> buffer, ushort type, ushort flags, uint sequence)
    {
        if (buffer.Length < HeaderLength)
        {
            throw new ArgumentException("Buffer too small for a netlink header.", nameof(buffer));
        }

        _buffer = buffer;
        _buffer.Clear();
        MemoryMarshal.Write(_buffer[4..], in type);
        MemoryMarshal.Write(_buffer[6..], in flags);
        MemoryMarshal.Write(_buffer[8..], in sequence);
        // nlmsg_pid stays 0: the kernel fills in the sender's port id.
        _length = HeaderLength;
    }

    /// <summary>Bytes written so far (the value nlmsg_len will get).</summary>
    public readonly int Length => _length;

    /// <summary>struct ifaddrmsg.</summary>
    public void WriteIfAddrMsg(byte family, byte prefixLength, byte flags, byte scope, int ifIndex)
    {
        Span<byte> s = Reserve(IfAddrMsgLength);
        s[0] = family;
        s[1] = prefixLength;
        s[2] = flags;
        s[3] = scope;
        MemoryMarshal.Write(s[4..], in ifIndex);
    }

    /// <summary>struct ifinfomsg.</summary>
    public void WriteIfInfoMsg(byte family, int ifIndex, uint flags, uint change)
    {
        Span<byte> s = Reserve(IfInfoMsgLength);
        s[0] = family;
        // s[1] padding, s[2..4] ifi_type (0 = any)
        MemoryMarshal.Write(s[4..], in ifIndex);
        MemoryMarshal.Write(s[8..], in flags);
        MemoryMarshal.Write(s[12..], in change);
    }

    public void AddAttribute(ushort type, scoped ReadOnlySpan<byte> value)
    {
        int start = BeginAttribute(type);
        value.CopyTo(Reserve(value.Length));
        EndAttribute(start);
    }

    public void AddAttribute(ushort type, uint value)
    {
        Span<byte> v = stackalloc byte[4];
        MemoryMarshal.Write(v, in value);
        AddAttribute(type, v);
    }

    /// <summary>A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND).</summary>
    public void AddAttribute(ushort type, string value)
    {
        int start = BeginAttribute(type);
        int count = Encoding.UTF8.GetByteCount(value);
        Span<byte> s = Reserve(count + 1);
        Encoding.UTF8.GetBytes(value, s);
        s[count] = 0;
        EndAttribute(start);
    }

    /// <summary>Opens a nested attribute; close it with <see cref="EndAttribute"/>.</summary>
    public int BeginNested(ushort type) => BeginAttribute((ushort)(type | NLA_F_NESTED));

    /// <summary>Writes the attribute's length, pads to 4 bytes.</summary>
    public void EndAttribute(int start)
    {
        ushort length = checked((ushort)(_length - start));
        MemoryMarshal.Write(_buffer[start..], in length);
        int padded = Align(_length);
        if (padded > _buffer.Length)
        {
            throw new InvalidOperationException("Netlink message buffer too small.");
        }

        _buffer[_length..padded].Clear();
        _length = padded;
    }

    /// <summary>Sets nlmsg_len and returns the finished message.</summary>
    public readonly ReadOnlySpan<byte> Finish()
    {
        uint length = (uint)_length;
        MemoryMarshal.Write(_buffer, in length);
        return _buffer[.._length];
    }

    private int BeginAttribute(ushort type)
    {
        int start = Align(_length);
        _length = start;
        Span<byte> h = Reserve(AttributeHeaderLength);
        MemoryMarshal.Write(h[2..], in type);
        return start;
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            throw new InvalidOperationException("Netlink message buffer too small.");
        }

        Span<byte> s = _buffer.Slice(_length, count);
        _length += count;
        return s;
    }
}
