namespace Carp.Linux;

/// <summary>Numbers from linux/netlink.h, linux/rtnetlink.h, linux/if_addr.h, linux/if_link.h.</summary>
internal static class NetlinkConstants
{
    internal const int HeaderLength = 16;       // struct nlmsghdr
    internal const int IfAddrMsgLength = 8;     // struct ifaddrmsg
    internal const int IfInfoMsgLength = 16;    // struct ifinfomsg
    internal const int AttributeHeaderLength = 4; // struct rtattr / nlattr

    // Message types.
    internal const ushort NLMSG_NOOP = 1;
    internal const ushort NLMSG_ERROR = 2;
    internal const ushort NLMSG_DONE = 3;
    internal const ushort NLMSG_OVERRUN = 4;
    internal const ushort RTM_NEWLINK = 16;
    internal const ushort RTM_DELLINK = 17;
    internal const ushort RTM_GETLINK = 18;
    internal const ushort RTM_SETLINK = 19;
    internal const ushort RTM_NEWADDR = 20;
    internal const ushort RTM_DELADDR = 21;
    internal const ushort RTM_GETADDR = 22;

    // Header flags.
    internal const ushort NLM_F_REQUEST = 0x01;
    internal const ushort NLM_F_MULTI = 0x02;
    internal const ushort NLM_F_ACK = 0x04;
    internal const ushort NLM_F_DUMP_INTR = 0x10;
    internal const ushort NLM_F_DUMP = 0x300;
    internal const ushort NLM_F_CAPPED = 0x100;     // in NLMSG_ERROR: request payload left out
    internal const ushort NLM_F_ACK_TLVS = 0x200;   // in NLMSG_ERROR: extended-ack attributes follow
    internal const ushort NLM_F_EXCL = 0x200;
    internal const ushort NLM_F_CREATE = 0x400;

    // Extended ack attributes.
    internal const ushort NLMSGERR_ATTR_MSG = 1;

    // Multicast groups (RTNLGRP_*), used with NETLINK_ADD_MEMBERSHIP.
    internal const int RTNLGRP_LINK = 1;

    // struct ifaddrmsg attributes and flags.
    internal const ushort IFA_ADDRESS = 1;
    internal const ushort IFA_LOCAL = 2;
    internal const ushort IFA_LABEL = 3;
    internal const ushort IFA_FLAGS = 8;
    internal const byte IFA_F_NODAD = 0x02;

    // struct ifinfomsg attributes.
    internal const ushort IFLA_ADDRESS = 1;
    internal const ushort IFLA_IFNAME = 3;
    internal const ushort IFLA_MTU = 4;
    internal const ushort IFLA_LINK = 5;
    internal const ushort IFLA_MASTER = 10;
    internal const ushort IFLA_OPERSTATE = 16;
    internal const ushort IFLA_LINKINFO = 18;
    internal const ushort IFLA_INFO_KIND = 1;
    internal const ushort IFLA_INFO_DATA = 2;
    internal const ushort IFLA_MACVLAN_MODE = 1;

    /// <summary>Mask for the nested-attribute flag bits in nla_type.</summary>
    internal const ushort NLA_TYPE_MASK = 0x3fff;
    internal const ushort NLA_F_NESTED = 0x8000;

    internal const byte AF_UNSPEC = 0;
    internal const byte AF_INET = 2;
    internal const byte AF_INET6 = 10;

    internal static int Align(int length) => (length + 3) & ~3;
}
