using System.Runtime.InteropServices;
using System.Text;
using static Carp.Linux.NetlinkConstants;

namespace Carp.Linux;

/// <summary>One netlink message seen by <see cref="NetlinkMessageReader"/>.</summary>
internal readonly ref struct NetlinkMessage
{
    public NetlinkMessage(ushort type, ushort flags, uint sequence, uint portId, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        PortId = portId;
        Payload = payload;
    }

    public ushort Type { get; }
    public ushort Flags { get; }
    public uint Sequence { get; }
    public uint PortId { get; }
    /// <summary>Bytes after the 16-byte header.</summary>
    public ReadOnlySpan<byte> Payload { get; }
}

/// <summary>Walks the messages of one datagram received from a netlink socket.</summary>
internal ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkMessageReader(ReadOnlySpan<byte> datagram) => _rest = datagram;

    public bool TryRead(out NetlinkMessage message)
    {
        message = default;
        if (_rest.Length < HeaderLength)
        {
            return false;
        }

        uint length = MemoryMarshal.Read<uint>(_rest);
        if (length < HeaderLength || length > _rest.Length)
        {
            _rest = default;
            return false;
        }

        message = new NetlinkMessage(
            MemoryMarshal.Read<ushort>(_rest[4..]),
            MemoryMarshal.Read<ushort>(_rest[6..]),
            MemoryMarshal.Read<uint>(_rest[8..]),
            MemoryMarshal.Read<uint>(_rest[12..]),
            _rest[HeaderLength..(int)length]);
        int next = Align((int)length);
        _rest = next >= _rest.Length ? default : _rest[next..];
        return true;
    }
}

/// <summary>Walks a run of netlink attributes (rtattr/nlattr).</summary>
internal ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes) => _rest = attributes;

    /// <summary>Next attribute; <paramref name="type"/> has the nested/byte-order flag bits removed.</summary>
    public bool TryRead(out ushort type, out ReadOnlySpan<byte> value)
    {
        type = 0;
        value = default;
        if (_rest.Length < AttributeHeaderLength)
        {
            return false;
        }

        ushort length = MemoryMarshal.Read<ushort>(_rest);
        if (length < AttributeHeaderLength || length > _rest.Length)
        {
            _rest = default;
            return false;
        }

        type = (ushort)(MemoryMarshal.Read<ushort>(_rest[2..]) & NLA_TYPE_MASK);
        value = _rest[AttributeHeaderLength..length];
        int next = Align(length);
        _rest = next >= _rest.Length ? default : _rest[next..];
        return true;
    }

    internal static uint ReadUInt32(ReadOnlySpan<byte> value) => value.Length >= 4 ? MemoryMarshal.Read<uint>(value) : 0;

    internal static string ReadString(ReadOnlySpan<byte> value)
    {
        int nul = value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? value[..nul] : value);
    }
}
