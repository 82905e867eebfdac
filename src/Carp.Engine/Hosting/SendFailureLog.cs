namespace Carp.Engine.Hosting;

/// <summary>
/// Failed advert sends in the log without flooding it: at most one line per virtual host per 10 s, saying how many
/// failures went unlogged since the last one. Each failure is counted as carpstats <c>onomem</c> all the same
/// (docs/protocol.md#send-errors). Loop thread only.
/// </summary>
internal sealed class SendFailureLog(TimeProvider time)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (long LoggedAt, int Suppressed)> _hosts = new(StringComparer.Ordinal);

    /// <summary>The line to log for this failure of <paramref name="host"/>, or null when it is kept quiet.</summary>
    public string? Line(string host, string failure)
    {
        var now = time.GetTimestamp();
        var known = _hosts.TryGetValue(host, out var last);
        if (known && time.GetElapsedTime(last.LoggedAt, now) < Interval)
        {
            _hosts[host] = last with { Suppressed = last.Suppressed + 1 };
            return null;
        }

        _hosts[host] = (now, 0);
        return last.Suppressed == 0 ? failure : $"{failure} ({last.Suppressed} more failed sends not logged in the last {Interval.TotalSeconds:0} s)";
    }

    /// <summary>The host is gone: its next namesake starts afresh.</summary>
    public void Forget(string host) => _hosts.Remove(host);
}
