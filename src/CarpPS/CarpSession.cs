using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS;

/// <summary>Where a <see cref="CarpSession"/> sends its requests.</summary>
public enum CarpSessionKind
{
    /// <summary>The engine inside this PowerShell process, on the real wire (needs root).</summary>
    Local,

    /// <summary>An engine on an in-memory LAN: no privilege, nothing is sent on any network.</summary>
    Simulation,

    /// <summary>The carpd service, through its control socket.</summary>
    Carpd,
}

/// <summary>
/// A connection to a CARP engine, as <c>Connect-CarpService -PassThru</c> returns it and the
/// <c>-Session</c> parameter of every engine cmdlet accepts it.
/// </summary>
public sealed class CarpSession
{
    private readonly ICarpService _service;
    private int _closed;

    internal CarpSession(int id, CarpSessionKind kind, ICarpService service, string? path, IReadOnlyList<string> carpDevs)
    {
        Id = id;
        Kind = kind;
        _service = service;
        Path = path;
        CarpDev = [.. carpDevs];
        ConnectedAt = DateTimeOffset.Now;
    }

    /// <summary>A number unique in this process.</summary>
    public int Id { get; }

    public CarpSessionKind Kind { get; }

    /// <summary>The carpd control socket (Carpd sessions only).</summary>
    public string? Path { get; }

    /// <summary>The simulated carpdevs (Simulation sessions only).</summary>
    public IReadOnlyList<string> CarpDev { get; }

    public DateTimeOffset ConnectedAt { get; }

    /// <summary>False once Disconnect-CarpService (or Remove-Module CarpPS) closed the session.</summary>
    public bool IsOpen => Volatile.Read(ref _closed) == 0;

    /// <summary>Set when Connect-CarpService handed the session out with -PassThru: then only Disconnect-CarpService closes it.</summary>
    internal bool HandedOut { get; set; }

    /// <summary>The engine behind the session; a closed session refuses with ServiceUnreachable.</summary>
    internal ICarpService Service => IsOpen
        ? _service
        : throw CarpErrors.Refusal(CarpErrorCode.ServiceUnreachable, $"CARP session {Id} ({Kind}) is closed.",
            "Run Connect-CarpService again, or omit -Session to use the module's current connection.");

    /// <summary>Closes the session and disposes its engine or client; idempotent.</summary>
    internal void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            try
            {
                CarpSessionRegistry.OnSessionClosing(this);
            }
            finally
            {
                _service.Dispose();
            }
        }
    }

    public override string ToString() => Kind switch
    {
        CarpSessionKind.Carpd => $"carpd at {Path}",
        CarpSessionKind.Simulation => $"simulation ({string.Join(", ", CarpDev)})",
        _ => "local engine",
    };
}
