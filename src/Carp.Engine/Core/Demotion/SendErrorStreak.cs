namespace Carp.Engine.Core.Demotion;

/// <summary>
/// Consecutive failed and successful sends of one virtual host across both families (docs/protocol.md#send-errors):
/// three failures in a row start a send-error demotion, three successes in a row end it.
/// </summary>
internal sealed class SendErrorStreak
{
    private const int Threshold = 3;

    private int _failures;
    private int _successes;

    /// <summary>True while the host is demoted for send errors.</summary>
    public bool Demoted { get; private set; }

    /// <summary>Counts one send: +1 when it starts the demotion, −1 when it ends it, otherwise 0.</summary>
    public int Count(bool sent)
    {
        _failures = sent ? 0 : _failures + 1;
        _successes = sent ? _successes + 1 : 0;
        if (!sent && _failures >= Threshold && !Demoted)
        {
            Demoted = true;
            return +1;
        }

        if (sent && Demoted && _successes >= Threshold)
        {
            Demoted = false;
            return -1;
        }

        return 0;
    }
}
