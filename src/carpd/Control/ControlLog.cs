using System.Globalization;
using Carp.Engine.Hosting;

namespace Carpd.Control;

/// <summary>What a client did that carpd warns about, each kind rate-limited on its own.</summary>
internal enum ControlLogKind
{
    /// <summary>A line that is not JSON (garbage bytes included) or is longer than the limit.</summary>
    Malformed,
    /// <summary>Turned away: the server was full and nobody was idle.</summary>
    Refused,
    /// <summary>Closed to make room for a new client, being the one idle longest.</summary>
    Evicted,
    /// <summary>Closed after sending nothing for the idle timeout.</summary>
    IdleTimedOut,
    /// <summary>Cut off for not reading its replies or events within the write timeout.</summary>
    NotReading,
}

/// <summary>
/// The control server's log of what clients do wrong: at most one line per <see cref="ControlLogKind"/>
/// per <see cref="CarpControlServerOptions.LogInterval"/>, then a summary of what was held back, so a
/// flood of bad clients cannot flood the journal.
/// </summary>
internal sealed class ControlLog : IDisposable
{
    private readonly Action<CarpLogLevel, string>? _log;
    private readonly LogRateLimiter<ControlLogKind> _limiter;

    public ControlLog(CarpControlServerOptions options)
    {
        _log = options.Log;
        _limiter = new LogRateLimiter<ControlLogKind>(options.LogInterval, options.TimeProvider, Summarize);
    }

    /// <summary>Logs <paramref name="message"/> unless a line of its kind was logged within the interval.</summary>
    public void Report(ControlLogKind kind, int client, string message)
    {
        if (_log is not null && _limiter.ShouldLog(kind, client.ToString(CultureInfo.InvariantCulture)))
        {
            _log(LevelOf(kind), $"control client {client}: {message}");
        }
    }

    public void Dispose() => _limiter.Dispose();

    private void Summarize(LogSuppression<ControlLogKind> held)
    {
        var seconds = held.Period.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        var what = held.Kind switch
        {
            ControlLogKind.Malformed => $"{held.Count} more malformed requests from {held.Sources} clients",
            ControlLogKind.Refused => $"{held.Count} more control clients refused (carpd was full)",
            ControlLogKind.Evicted => $"{held.Count} more idle control clients closed to make room",
            ControlLogKind.IdleTimedOut => $"{held.Count} more idle control clients timed out",
            _ => $"{held.Count} more control clients cut off for not reading their replies",
        };
        _log?.Invoke(LevelOf(held.Kind), $"{what} in the last {seconds} s");
    }

    private static CarpLogLevel LevelOf(ControlLogKind kind) => kind == ControlLogKind.IdleTimedOut ? CarpLogLevel.Info : CarpLogLevel.Warning;
}
