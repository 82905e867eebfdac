using Carp.Engine.Hosting;

namespace Carpd;

/// <summary>
/// Log lines on stderr with the sd-daemon level prefixes journald understands (<c>&lt;3&gt;</c> error,
/// <c>&lt;4&gt;</c> warning, <c>&lt;6&gt;</c> info, <c>&lt;7&gt;</c> debug). Thread-safe. Callers never pass a pass.
/// </summary>
internal sealed class JournalLog(TextWriter writer, bool verbose)
{
    private readonly Lock _gate = new();

    /// <summary>For the engine: its lines are already filtered by the <c>log</c> sysctl, so all are written.</summary>
    public void Engine(CarpLogLevel level, string message) => Write(level, message);

    /// <summary>carpd's own lines: debug ones only with --verbose.</summary>
    public void Daemon(CarpLogLevel level, string message)
    {
        if (level > CarpLogLevel.Debug || verbose)
        {
            Write(level, message);
        }
    }

    public void Info(string message) => Daemon(CarpLogLevel.Info, message);

    public void Warning(string message) => Daemon(CarpLogLevel.Warning, message);

    public void Error(string message) => Daemon(CarpLogLevel.Error, message);

    private void Write(CarpLogLevel level, string message)
    {
        var prefix = level switch
        {
            CarpLogLevel.Error => "<3>",
            CarpLogLevel.Warning => "<4>",
            CarpLogLevel.Info => "<6>",
            _ => "<7>",
        };
        lock (_gate)
        {
            try
            {
                foreach (var line in message.Split('\n'))
                {
                    writer.Write(prefix);
                    writer.WriteLine(line.TrimEnd('\r'));
                }

                writer.Flush();
            }
            catch (IOException)
            {
                // stderr is gone (journald restarted, pipe closed): CARP must keep running regardless.
            }
        }
    }
}
