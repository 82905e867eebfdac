using Carp.Engine.Core;
using Carp.Engine.Hosting;
namespace Carpd.Configuration;

/// <summary>
/// A carpd configuration file (or a passfile it names) cannot be used. <see cref="Exception.Message"/>
/// reads <c>file:line: problem. what to do</c>; it never contains a pass.
/// </summary>
public sealed class CarpdConfigurationException : Exception
{
    public CarpdConfigurationException(string fileName, int line, CarpErrorCode code, string problem, string? recommendedAction = null, Exception? inner = null)
        : base(Compose(fileName, line, problem, recommendedAction), inner)
    {
        FileName = fileName;
        Line = line;
        Code = code;
        Problem = problem;
        RecommendedAction = recommendedAction;
    }

    public CarpdConfigurationException()
        : this("carpd.conf", 0, CarpErrorCode.InvalidArgument, "The configuration is not valid.")
    {
    }

    public CarpdConfigurationException(string message)
        : this("carpd.conf", 0, CarpErrorCode.InvalidArgument, message)
    {
    }

    public CarpdConfigurationException(string message, Exception innerException)
        : this("carpd.conf", 0, CarpErrorCode.InvalidArgument, message, null, innerException)
    {
    }

    /// <summary>The configuration file or passfile at fault.</summary>
    public string FileName { get; }

    /// <summary>1-based line number; 0 when the problem is the whole file (missing, permissions).</summary>
    public int Line { get; }

    public CarpErrorCode Code { get; }

    /// <summary>What is wrong, without file and line.</summary>
    public string Problem { get; }

    public string? RecommendedAction { get; }

    /// <summary>The same refusal as the <see cref="CarpException"/> a front end reports.</summary>
    public CarpException ToCarpException() => new(Code, Message, this);

    private static string Compose(string fileName, int line, string problem, string? recommendedAction)
    {
        var where = line > 0 ? $"{fileName}:{line}: " : $"{fileName}: ";
        return recommendedAction is null ? where + problem : $"{where}{problem} {recommendedAction}";
    }
}
