using Carp.Linux;
using Carpd;

// Before anything reads a pass: no core dump of carpd may carry one.
ProcessHardening.DisableCoreDumps();

var options = CarpdOptions.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine($"carpd: {error}");
    Console.Error.WriteLine(CarpdOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.Out.WriteLine(CarpdOptions.Usage);
    return 0;
}

if (options.Version)
{
    Console.Out.WriteLine($"carpd {CarpdHost.Version}");
    return 0;
}

if (options.Status)
{
    return StatusCommand.Run(options, Console.Out, Console.Error);
}

if (options.CheckConfigPath is not null)
{
    return ConfigCheck.Run(options.CheckConfigPath, Console.Out, Console.Error);
}

var log = new JournalLog(Console.Error, options.Verbose);
return new CarpdHost(options, log, SystemdNotifier.FromEnvironment(log)).Run();
