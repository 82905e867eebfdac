using System.Net.Sockets;
using System.Text;

namespace Carpd;

/// <summary>
/// sd_notify(3) by hand: datagrams such as <c>READY=1</c> to the Unix socket named by
/// <c>NOTIFY_SOCKET</c>; a leading '@' names a socket in the abstract namespace.
/// Does nothing when carpd was not started by systemd (NOTIFY_SOCKET unset).
/// </summary>
internal sealed class SystemdNotifier(string? socketName, JournalLog log)
{
    public static SystemdNotifier FromEnvironment(JournalLog log) => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"), log);


    /// <summary>Sends one state message (lines of KEY=VALUE); false (and a warning) if it could not be sent.</summary>
    public bool Notify(string state)
    {
        if (string.IsNullOrEmpty(socketName))
        {
            return false;
        }

        string path;
        if (socketName[0] == '@')
        {
            path = "\0" + socketName[1..];
        }
        else if (socketName[0] == '/')
        {
            path = socketName;
        }
        else
        {
            log.Warning($"NOTIFY_SOCKET={socketName} is not a Unix socket path; systemd is not told '{state}'.");
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            log.Warning($"could not notify systemd ({state.Split('\n')[0]}): {ex.Message}");
            return false;
        }
    }
}
