namespace Carp.Engine.Hosting;

/// <summary>A request was refused; <see cref="Code"/> is stable, <see cref="RecommendedAction"/> tells the user what to do.</summary>
public sealed class CarpException : Exception
{
    public CarpException(CarpErrorCode code, string message, string? recommendedAction = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        RecommendedAction = recommendedAction;
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
        : this(CarpErrorCode.ServiceError, message, null, innerException)
    {
    }

    public CarpErrorCode Code { get; }

    public string? RecommendedAction { get; }
}
