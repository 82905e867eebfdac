using System.Diagnostics;

namespace Carp.Testbed;

/// <summary>Outcome of a finished command.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with the command line and its stderr when the exit code is not 0.</summary>
    public CommandResult EnsureSuccess() => Succeeded
        ? this
        : throw new InvalidOperationException($"'{CommandLine}' exited with {ExitCode}: {StandardError.Trim()} {StandardOutput.Trim()}");
}

/// <summary>Runs external programs (ip, sysctl, …) with a timeout and captured output.</summary>
public static class Command
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs <paramref name="file"/> and waits for it; kills it (by its PID) on timeout.</summary>
    public static CommandResult Run(string file, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(Resolve(file))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        string commandLine = file + " " + string.Join(' ', psi.ArgumentList);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Cannot start '{commandLine}'.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? DefaultTimeout))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            process.WaitForExit();
            throw new TimeoutException($"'{commandLine}' did not finish within {(timeout ?? DefaultTimeout).TotalSeconds} s.");
        }

        process.WaitForExit(); // flush the redirected streams
        return new CommandResult(commandLine, process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    public static CommandResult Run(string file, params string[] arguments) => Run(file, (IEnumerable<string>)arguments);

    /// <summary>Full path of an executable found in PATH or the sbin directories, or null.</summary>
    public static string? Find(string file)
    {
        if (file.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(file) ? file : null;
        }

        IEnumerable<string> dirs = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        return dirs.Select(d => Path.Combine(d, file)).FirstOrDefault(File.Exists);
    }

    private static string Resolve(string file) => Find(file) ?? file;
}
