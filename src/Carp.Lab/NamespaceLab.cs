namespace Carp.Lab;

internal static class NamespaceLab
{
    public static int Run(LabOptions options, TextWriter output)
    {
        output.WriteLine("The namespace lab arrives with carpd; falling back to the simulated lab.");
        return SimulatedLab.Run(options, output);
    }
}
