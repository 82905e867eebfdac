using Carp.Lab;

LabOptions options;
try
{
    options = LabOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"carp-lab: {ex.Message}");
    return 2;
}

return options.Simulate ? SimulatedLab.Run(options, Console.Out)
    : options.ScalePart is not null ? Carp.Lab.Scale.ScaleLab.Run(options, Console.Out)
    : NamespaceLab.Run(options, Console.Out);
