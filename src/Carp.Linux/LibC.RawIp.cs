using System.Runtime.InteropServices;

namespace Carp.Linux;

/// <summary>What the unicast advert path needs of libc: raw IP sockets of protocol 112 (docs/protocol.md#unicast-on-linux).</summary>
internal static unsafe partial class LibC
{
    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;
    internal const int IPPROTO_IP = 0;
    internal const int IPPROTO_IPV6 = 41;
    internal const int IPPROTO_CARP = 112;
    internal const int IP_HDRINCL = 3;
    internal const int IPV6_HDRINCL = 36;
    internal const int SO_BINDTODEVICE = 25;
    internal const int SO_ATTACH_FILTER = 26;

    /// <summary>struct sockaddr_in (16 bytes); port and address in network order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn
    {
        public ushort Family;
        public ushort Port;
        public fixed byte Address[4];
        public fixed byte Zero[8];
    }

    /// <summary>struct sockaddr_in6 (28 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn6
    {
        public ushort Family;
        public ushort Port;
        public uint FlowInfo;
        public fixed byte Address[16];
        public uint ScopeId;
    }

    /// <summary>struct sock_filter: one classic BPF instruction.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockFilter
    {
        public ushort Code;
        public byte JumpTrue;
        public byte JumpFalse;
        public uint K;
    }

    /// <summary>struct sock_fprog.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockFprog
    {
        public ushort Length;
        public SockFilter* Filter;
    }

    [LibraryImport(Library, EntryPoint = "sendto", SetLastError = true)]
    internal static partial nint SendTo(int fd, byte* buffer, nuint length, int flags, void* address, uint addressLength);
}
