using System.Management.Automation;
using System.Management.Automation.Runspaces;

// A PowerShell session in its own process, driven over stdin/stdout: the end-to-end tests start one
// per simulated firewall (inside a network namespace) and type cmdlets into it, as an admin would.
//   stdin:  one script per line
//   stdout: its output objects, one per line, then "##END##"; errors as "##ERROR## <id>: <message>";
//           anything the session writes itself with [Console]::WriteLine (event actions) at any time.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: CarpPS.ScriptHost <path to CarpPS.psd1>");
    return 2;
}

var iss = InitialSessionState.CreateDefault2();
using var runspace = RunspaceFactory.CreateRunspace(iss);
runspace.Open();
using (var import = PowerShell.Create(runspace))
{
    import.AddCommand("Import-Module").AddParameter("Name", args[0]).AddParameter("ErrorAction", "Stop").Invoke();
}

Console.Out.Flush();
Console.WriteLine("##READY##");
while (Console.ReadLine() is { } line)
{
    using var ps = PowerShell.Create(runspace);
    ps.AddScript(line);
    try
    {
        foreach (var item in ps.Invoke())
        {
            Console.WriteLine(item?.ToString());
        }

        foreach (var error in ps.Streams.Error)
        {
            Console.WriteLine($"##ERROR## {error.FullyQualifiedErrorId}: {error}");
        }
    }
    catch (RuntimeException ex)
    {
        Console.WriteLine($"##ERROR## {ex.ErrorRecord.FullyQualifiedErrorId}: {ex.Message}");
    }

    Console.WriteLine("##END##");
}

return 0;
