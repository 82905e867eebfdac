using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Carp.Lab;

/// <summary>The client pinging the virtual address every 10 ms (<c>ping -D -i 0.01</c>), with each reply's time.</summary>
internal sealed partial class PingMonitor
{
    private readonly ConcurrentQueue<DateTimeOffset> _replies = new();

    public PingMonitor(Process ping)
    {
        ping.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && ReplyLine().Match(line) is { Success: true } m &&
                double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                _replies.Enqueue(DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks((long)(seconds * TimeSpan.TicksPerSecond)));
            }
        };
        ping.BeginOutputReadLine();
    }

    public int Replies => _replies.Count;

    /// <summary>The longest silence between two replies that ends after <paramref name="from"/>.</summary>
    public TimeSpan LongestGapAfter(DateTimeOffset from)
    {
        var times = _replies.ToArray();
        var longest = TimeSpan.Zero;
        for (var i = 1; i < times.Length; i++)
        {
            if (times[i] > from && times[i] - times[i - 1] > longest)
            {
                longest = times[i] - times[i - 1];
            }
        }

        return longest;
    }

    public bool AnyReplyAfter(DateTimeOffset from) => _replies.Any(t => t > from);

    [GeneratedRegex(@"^\[(\d+\.\d+)\] \d+ bytes from")]
    private static partial Regex ReplyLine();
}
