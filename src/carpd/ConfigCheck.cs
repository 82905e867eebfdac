using Carpd.Configuration;

namespace Carpd;

/// <summary><c>carpd --check-config FILE</c>: validate and summarise, never showing a pass.</summary>
internal static class ConfigCheck
{
    public static int Run(string path, TextWriter output, TextWriter errors)
    {
        CarpdConfiguration configuration;
        try
        {
            configuration = CarpdConfiguration.Load(path);
        }
        catch (CarpdConfigurationException ex)
        {
            errors.WriteLine($"carpd: {ex.Message}");
            return 1;
        }

        foreach (var warning in configuration.Warnings)
        {
            errors.WriteLine($"carpd: warning: {warning}");
        }

        // carpd runs a script tracker's program as root: one it would refuse at start fails the check too.
        foreach (var tracker in configuration.Trackers)
        {
            try
            {
                TrackerCommandCheck.Check(tracker);
            }
            catch (Carp.Engine.Core.CarpException ex)
            {
                errors.WriteLine($"carpd: {Path.GetFullPath(path)}: {ex.Message}");
                return 1;
            }
        }

        output.WriteLine($"{Path.GetFullPath(path)}: OK, {configuration.Interfaces.Count} interface(s)");
        foreach (var line in configuration.Describe())
        {
            output.WriteLine("  " + line);
        }

        return 0;
    }
}
