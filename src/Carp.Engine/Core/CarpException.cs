namespace Carp.Engine.Core;

/// <summary>
/// A request was refused. <see cref="Code"/> is stable and the message states the problem in protocol
/// terms; what the user should do is worded by each front end for its own users (the PowerShell module,
/// carpd's log and control socket), because only they know how the user gave the request.
/// </summary>
public sealed class CarpException : Exception
{
    public CarpException(CarpErrorCode code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public CarpException()
        : this(CarpErrorCode.ServiceError, "The CARP service failed.")
    {
    }

    public CarpException(string message)
        : this(CarpErrorCode.ServiceError, message)
    {
    }

    public CarpException(string message, Exception innerException)
        : this(CarpErrorCode.ServiceError, message, innerException)
    {
    }

    public CarpErrorCode Code { get; }
}
