using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CarpPS;

/// <summary>
/// The drills' history: one JSON line per result, appended by Invoke-CarpFailoverTest and read by Get-CarpFailoverTest.
/// The file is root's alone (0600, its folder 0700 when created here); it holds no pass.
/// </summary>
internal static class FailoverHistory
{
    /// <summary>Where the history is kept unless -HistoryPath or <see cref="EnvironmentVariable"/> names another file.</summary>
    public const string DefaultPath = "/var/lib/carpps/failover-tests.jsonl";

    public const string EnvironmentVariable = "CARPPS_FAILOVER_HISTORY";

    private static readonly JsonSerializerOptions Options = new()
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The history file in force: the parameter, else the environment variable, else the default.</summary>
    public static string Resolve(string? path) =>
        !string.IsNullOrEmpty(path) ? Path.GetFullPath(path)
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? Path.GetFullPath(fromEnvironment)
        : DefaultPath;

    public static void Append(string path, CarpFailoverTestResult result)
    {
        var folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            _ = Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var stream = new FileStream(path, options);
        // A file made by hand with a wider mode is narrowed: the history says which nodes fail over to which.
        File.SetUnixFileMode(stream.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var line = JsonSerializer.Serialize(result, Options) + "\n";
        stream.Write(Encoding.UTF8.GetBytes(line));
    }

    /// <summary>Every result in the file, oldest first; a line that is not a result is reported through <paramref name="skipped"/>.</summary>
    public static IReadOnlyList<CarpFailoverTestResult> Read(string path, Action<int, string> skipped)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var results = new List<CarpFailoverTestResult>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize<CarpFailoverTestResult>(line, Options) is { } result)
                {
                    results.Add(result);
                }
            }
            catch (JsonException e)
            {
                skipped(number, e.Message);
            }
        }

        return results;
    }
}
